// POST /api/auth/logout — deletes the session; form posts are redirected to /login.
import { getDb } from "../../../../lib/db";
import { clearedSessionCookie, hashToken, logout } from "../../../../lib/auth/sessions";
import { tokenFromCookieHeader } from "../../../_server/auth";
import { publishSessionEnded } from "../../../_server/live-hub";
import { errorResponse, json } from "../../../_server/route";

export async function POST(req: Request): Promise<Response> {
  try {
    const token = tokenFromCookieHeader(req.headers.get("cookie"));
    await logout(getDb(), token);
    if (token) publishSessionEnded(hashToken(token));
    const isForm = (req.headers.get("content-type") ?? "").includes("application/x-www-form-urlencoded");
    if (isForm) return new Response(null, { status: 303, headers: { location: "/login", "set-cookie": clearedSessionCookie() } });
    return json({ ok: true }, 200, { "set-cookie": clearedSessionCookie() });
  } catch (err) {
    return errorResponse(err);
  }
}
