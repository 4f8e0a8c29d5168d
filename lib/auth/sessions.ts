// Cookie sessions: the browser holds a random 256-bit token; the database holds only its SHA-256,
// so reading the database does not let anyone impersonate a user.
import { createHash, randomBytes } from "node:crypto";
import type { Db } from "../db";
import { isRole, type Actor } from "./roles";
import { verifyPassword } from "./password";

export const SESSION_COOKIE = "gt_session";
export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export interface NewSession {
  token: string;
  expiresAt: Date;
  actor: Actor;
}

function toActor(u: { id: number; username: string; displayName: string; role: string }): Actor | null {
  if (!isRole(u.role)) return null;
  return { id: u.id, username: u.username, displayName: u.displayName, role: u.role };
}

/** Checks credentials and opens a session; null when the username/password pair is wrong or the user is disabled. */
export async function login(db: Db, username: string, password: string, userAgent?: string): Promise<NewSession | null> {
  const user = await db.user.findUnique({ where: { username } });
  // Compare against a dummy hash when the user does not exist so timing does not reveal valid usernames.
  const hash = user?.passwordHash ?? "$2b$10$4sdwdLINL11SqPsfi4rhguAFPeJtCgnzNNHoA3IEt3.5vyqvUfwUC";
  const ok = await verifyPassword(password, hash);
  if (!user || !ok || user.disabled) return null;
  const actor = toActor(user);
  if (!actor) return null;
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  await db.session.create({ data: { tokenHash: hashToken(token), userId: user.id, expiresAt, userAgent: userAgent?.slice(0, 300) } });
  await db.user.update({ where: { id: user.id }, data: { lastLoginAt: new Date() } });
  return { token, expiresAt, actor };
}

/** The user behind a session token, or null when the token is unknown, expired or the user disabled. */
export async function actorForToken(db: Db, token: string | undefined | null): Promise<Actor | null> {
  if (!token) return null;
  const session = await db.session.findUnique({ where: { tokenHash: hashToken(token) }, include: { user: true } });
  if (!session) return null;
  if (session.expiresAt.getTime() <= Date.now()) {
    await db.session.deleteMany({ where: { id: session.id } });
    return null;
  }
  if (session.user.disabled) return null;
  return toActor(session.user);
}

export async function logout(db: Db, token: string | undefined | null): Promise<void> {
  if (!token) return;
  await db.session.deleteMany({ where: { tokenHash: hashToken(token) } });
}

/** Reads one cookie from a raw Cookie header. */
export function readCookie(header: string | null | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Lax; Expires=${expiresAt.toUTCString()}${secure ? "; Secure" : ""}`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;
}
