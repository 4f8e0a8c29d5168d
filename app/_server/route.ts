// Thin route-handler wrapper: authenticate + authorise (through auth.ts), parse input with zod, map
// ServiceError / ZodError to JSON responses. Handlers stay free of Next-specific APIs, so tests call them directly.
import { z, ZodError } from "zod";
import { getDb, type Db } from "../../lib/db";
import type { Actor, Role } from "../../lib/auth/roles";
import { badRequest, ServiceError } from "../../lib/services/errors";
import { authorize } from "./auth";

export interface RouteContext<P> {
  req: Request;
  db: Db;
  actor: Actor;
  params: P;
}

type Handler<P> = (ctx: RouteContext<P>) => Promise<Response | unknown>;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers } });
}

export function errorResponse(err: unknown): Response {
  if (err instanceof ServiceError) {
    return json({ error: { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) } }, err.status);
  }
  if (err instanceof ZodError) {
    const issues = err.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    const first = issues[0];
    return json({ error: { code: "bad_request", message: first ? `${first.path || "body"}: ${first.message}` : "invalid input", issues } }, 400);
  }
  console.error("[api] unexpected error", err);
  return json({ error: { code: "internal", message: "internal server error" } }, 500);
}

/** Wraps a handler: only actors whose role is in `roles` reach it. */
export function route<P extends Record<string, string> = Record<string, never>>(roles: readonly Role[], handler: Handler<P>) {
  return async (req: Request, ctx?: { params: Promise<P> }): Promise<Response> => {
    try {
      const db = getDb();
      const actor = await authorize(db, req.headers.get("cookie"), roles);
      const params = ctx ? await ctx.params : ({} as P);
      const out = await handler({ req, db, actor, params });
      return out instanceof Response ? out : json(out);
    } catch (err) {
      return errorResponse(err);
    }
  };
}

/** Parses a JSON body with a zod schema; a body that is not JSON is a 400 naming the problem. */
export async function body<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = await req.json();
  } catch {
    throw badRequest("body: not valid JSON");
  }
  return schema.parse(raw);
}

/** A positive integer path/query parameter. */
export function intParam(value: string | null | undefined, name: string): number {
  if (value === null || value === undefined || !/^\d+$/.test(value) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
    throw badRequest(`${name}: expected a positive integer, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

export function optionalIntParam(value: string | null, name: string): number | undefined {
  return value === null || value === "" ? undefined : intParam(value, name);
}

/** Like `body`, but an empty body parses as `{}` (for actions whose fields are all optional). */
export async function optionalBody<S extends z.ZodType>(req: Request, schema: S): Promise<z.infer<S>> {
  const text = await req.text();
  if (text.trim() === "") return schema.parse({});
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw badRequest("body: not valid JSON");
  }
  return schema.parse(raw);
}
