// POST /api/auth/login — JSON {username, password} → {user}; an HTML form post → 303 redirect.
import { getDb } from "../../../../lib/db";
import { login, sessionCookie } from "../../../../lib/auth/sessions";
import { loginBody } from "../../../../lib/services/schemas";
import { unauthorized } from "../../../../lib/services/errors";
import { loginThrottle } from "../../../../lib/auth/throttle";
import { errorResponse, json } from "../../../_server/route";

function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export async function POST(req: Request): Promise<Response> {
  const isForm = (req.headers.get("content-type") ?? "").includes("application/x-www-form-urlencoded");
  try {
    const raw: unknown = isForm ? Object.fromEntries(new URLSearchParams(await req.text())) : await req.json().catch(() => null);
    const form = isForm ? (raw as Record<string, string>) : null;
    const creds = loginBody.parse(form ? { username: form.username ?? "", password: form.password ?? "" } : raw);
    const wait = loginThrottle().retryAfter(creds.username);
    if (wait > 0) {
      if (form) return new Response(null, { status: 303, headers: { location: `/login?error=throttled&next=${encodeURIComponent(safeNext(form.next ?? null))}` } });
      return json({ error: { code: "too_many_attempts", message: `too many failed logins for "${creds.username}"; try again in ${wait} s` } }, 429, { "retry-after": String(wait) });
    }
    const session = await login(getDb(), creds.username, creds.password, req.headers.get("user-agent") ?? undefined);
    const secure = new URL(req.url).protocol === "https:";
    if (session) loginThrottle().succeed(creds.username);
    else loginThrottle().fail(creds.username);
    if (!session) {
      if (form) return new Response(null, { status: 303, headers: { location: `/login?error=1&next=${encodeURIComponent(safeNext(form.next ?? null))}` } });
      throw unauthorized("wrong username or password");
    }
    const cookie = sessionCookie(session.token, session.expiresAt, secure);
    if (form) return new Response(null, { status: 303, headers: { location: safeNext(form.next ?? null), "set-cookie": cookie } });
    return json({ user: session.actor }, 200, { "set-cookie": cookie });
  } catch (err) {
    return errorResponse(err);
  }
}
