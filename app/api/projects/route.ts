// GET /api/projects (any role); POST (admin).
import { createProject, listProjects } from "../../../lib/services/catalog";
import { projectBody } from "../../../lib/services/schemas";
import { ANY_ROLE } from "../../_server/auth";
import { body, json, route } from "../../_server/route";

export const GET = route(ANY_ROLE, async ({ db }) => ({ projects: await listProjects(db) }));
export const POST = route(["admin"], async ({ req, db, actor }) => json({ project: await createProject(db, actor, await body(req, projectBody)) }, 201));
