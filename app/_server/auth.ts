// THE authentication/authorisation helper: every API route (through `route`), every page and the socket
// server resolve the caller here, from the httpOnly session cookie, and check the role list.
import type { Db } from "../../lib/db";
import { hasRole, type Actor, type Role } from "../../lib/auth/roles";
import { actorForToken, readCookie, SESSION_COOKIE } from "../../lib/auth/sessions";
import { forbidden, unauthorized } from "../../lib/services/errors";

export const ANY_ROLE: readonly Role[] = ["annotator", "reviewer", "admin"];

/** The session token carried by a Cookie header (HTTP request or socket.io handshake). */
export function tokenFromCookieHeader(cookieHeader: string | null | undefined): string | null {
  return readCookie(cookieHeader, SESSION_COOKIE);
}

/**
 * Resolves the actor for a Cookie header and checks its role. Throws 401 when not logged in and
 * 403 when the role is not in `roles`.
 */
export async function authorize(db: Db, cookieHeader: string | null | undefined, roles: readonly Role[]): Promise<Actor> {
  const actor = await actorForToken(db, tokenFromCookieHeader(cookieHeader));
  if (!actor) throw unauthorized();
  if (!hasRole(actor, roles)) throw forbidden(`this needs one of the roles: ${roles.join(", ")}`);
  return actor;
}
