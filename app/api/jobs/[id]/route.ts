// GET /api/jobs/:id — status, progress, per-video state (analysts).
import { ANALYST_ROLES, getJob } from "../../../../lib/services/inference-jobs";
import { intParam, route } from "../../../_server/route";

export const GET = route<{ id: string }>(ANALYST_ROLES, async ({ db, params }) => ({ job: await getJob(db, intParam(params.id, "id")) }));
