// GET /api/tasks/:id (visible to its assignee, reviewers, admins); DELETE (admin).
import { deleteTask, getTask } from "../../../../lib/services/tasks";
import { ANY_ROLE } from "../../../_server/auth";
import { intParam, route } from "../../../_server/route";

export const GET = route<{ id: string }>(ANY_ROLE, async ({ db, actor, params }) => ({ task: await getTask(db, actor, intParam(params.id, "id")) }));

export const DELETE = route<{ id: string }>(["admin"], async ({ db, actor, params }) => {
  await deleteTask(db, actor, intParam(params.id, "id"));
  return { ok: true };
});
