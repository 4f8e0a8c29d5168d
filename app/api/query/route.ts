// POST /api/query — start a model query job ("where are <expression> in these videos / this project?"); analysts.
// The model: `modelVersion` (a registered candidate/promoted version, built-in or external; 400 if unknown, retired or
// rejected), or `runtime` "built-in" (default) / "remote" with `remote` {endpoint, model}.
// GET /api/query — recent query jobs.
import { ANALYST_ROLES, createQueryBody, createQueryJob, listJobs } from "../../../lib/services/inference-jobs";
import { body, json, route } from "../../_server/route";

export const POST = route(ANALYST_ROLES, async ({ req, db, actor }) => json({ job: await createQueryJob(db, actor, await body(req, createQueryBody)) }, 201));

export const GET = route(ANALYST_ROLES, async ({ db }) => ({ jobs: await listJobs(db) }));
