// Page/server-action side of authentication: reads the session cookie through next/headers and delegates
// to the one helper in auth.ts. Not logged in → redirect to /login; wrong role → a "denied" result to render.
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { getDb } from "../../lib/db";
import type { Actor, Role } from "../../lib/auth/roles";
import { SESSION_COOKIE } from "../../lib/auth/sessions";
import { ServiceError } from "../../lib/services/errors";
import { ANY_ROLE, authorize } from "./auth";

export type PageAuth = { ok: true; actor: Actor } | { ok: false; actor: Actor | null; message: string };

async function cookieHeader(): Promise<string> {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  return token ? `${SESSION_COOKIE}=${encodeURIComponent(token)}` : "";
}

export async function pageAuth(path: string, roles: readonly Role[] = ANY_ROLE): Promise<PageAuth> {
  const header = await cookieHeader();
  try {
    return { ok: true, actor: await authorize(getDb(), header, roles) };
  } catch (err) {
    if (err instanceof ServiceError && err.status === 401) redirect(`/login?next=${encodeURIComponent(path)}`);
    if (err instanceof ServiceError && err.status === 403) {
      const actor = await authorize(getDb(), header, ANY_ROLE);
      return { ok: false, actor, message: `This page is for ${roles.join(" / ")}; you are signed in as ${actor.username} (${actor.role}).` };
    }
    throw err;
  }
}

/** For server actions: the actor or an exception (401/403) — actions never render. */
export async function actionActor(roles: readonly Role[]): Promise<Actor> {
  return authorize(getDb(), await cookieHeader(), roles);
}
