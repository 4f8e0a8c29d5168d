// POST /api/jobs/:id/cancel — queued: cancelled at once; running: the owning worker aborts at its next check.
import { ANALYST_ROLES, cancelJob } from "../../../../../lib/services/inference-jobs";
import { intParam, route } from "../../../../_server/route";

export const POST = route<{ id: string }>(ANALYST_ROLES, async ({ db, actor, params }) => ({ job: await cancelJob(db, actor, intParam(params.id, "id")) }));
