// POST /api/tasks/:id/assign — {assigneeId|null, expectedVersion?} (admin).
import { assignTask } from "../../../../../lib/services/tasks";
import { assignBody } from "../../../../../lib/services/schemas";
import { body, intParam, route } from "../../../../_server/route";

export const POST = route<{ id: string }>(["admin"], async ({ req, db, actor, params }) => {
  const b = await body(req, assignBody);
  return { task: await assignTask(db, actor, intParam(params.id, "id"), b.assigneeId, b.expectedVersion) };
});
