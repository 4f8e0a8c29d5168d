// POST /api/tasks/:id/reopen — optional {expectedVersion}; 409 on an invalid transition or a stale version.
import { reopenTask } from "../../../../../lib/services/tasks";
import { transitionBody } from "../../../../../lib/services/schemas";
import { ANY_ROLE } from "../../../../_server/auth";
import { intParam, optionalBody, route } from "../../../../_server/route";

export const POST = route<{ id: string }>(ANY_ROLE, async ({ req, db, actor, params }) => {
  const b = await optionalBody(req, transitionBody);
  return { task: await reopenTask(db, actor, intParam(params.id, "id"), b.expectedVersion) };
});
