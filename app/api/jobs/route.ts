// GET /api/jobs?limit=N — recent inference jobs, newest first (analysts).
import { ANALYST_ROLES, listJobs } from "../../../lib/services/inference-jobs";
import { optionalIntParam, route } from "../../_server/route";

export const GET = route(ANALYST_ROLES, async ({ req, db }) => ({ jobs: await listJobs(db, optionalIntParam(new URL(req.url).searchParams.get("limit"), "limit") ?? 50) }));
