// GET /api/users (reviewer/admin); POST {username, displayName, role, password} (admin).
import { createUser, listUsers } from "../../../lib/services/catalog";
import { userBody } from "../../../lib/services/schemas";
import { body, json, route } from "../../_server/route";

export const GET = route(["reviewer", "admin"], async ({ db, actor }) => ({ users: await listUsers(db, actor) }));
export const POST = route(["admin"], async ({ req, db, actor }) => json({ user: await createUser(db, actor, await body(req, userBody)) }, 201));
