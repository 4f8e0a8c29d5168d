// POST /api/tasks/:id/submit — optional {expectedVersion}; 409 on an invalid transition or a stale version.
import { submitTask } from "../../../../../lib/services/tasks";
import { transitionBody } from "../../../../../lib/services/schemas";
import { ANY_ROLE } from "../../../../_server/auth";
import { intParam, optionalBody, route } from "../../../../_server/route";

export const POST = route<{ id: string }>(ANY_ROLE, async ({ req, db, actor, params }) => {
  const b = await optionalBody(req, transitionBody);
  return { task: await submitTask(db, actor, intParam(params.id, "id"), b.expectedVersion) };
});
