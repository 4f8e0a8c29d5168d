// POST /api/tasks/:id/review — {decision: accepted|rejected, comment, flaggedFrames, expectedVersion?} (reviewer/admin).
import { reviewTask } from "../../../../../lib/services/tasks";
import { reviewBody } from "../../../../../lib/services/schemas";
import { body, intParam, route } from "../../../../_server/route";

export const POST = route<{ id: string }>(["reviewer", "admin"], async ({ req, db, actor, params }) => ({
  task: await reviewTask(db, actor, intParam(params.id, "id"), await body(req, reviewBody)),
}));
