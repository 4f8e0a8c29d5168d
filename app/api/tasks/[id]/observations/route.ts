// GET /api/tasks/:id/observations — the target object's keyframes + every other object of the video (context).
// PUT — {expectedVersion, edits[]}: applied atomically, or 409 with the newer state; broadcast to the video room.
import { getTaskObservations, putObservations } from "../../../../../lib/services/observations";
import { putObservationsBody } from "../../../../../lib/services/schemas";
import { ANY_ROLE } from "../../../../_server/auth";
import { publishTrackUpdate } from "../../../../_server/live-hub";
import { body, intParam, route } from "../../../../_server/route";

export const GET = route<{ id: string }>(ANY_ROLE, async ({ db, actor, params }) => getTaskObservations(db, actor, intParam(params.id, "id")));

export const PUT = route<{ id: string }>(ANY_ROLE, async ({ req, db, actor, params }) => {
  const state = await putObservations(db, actor, intParam(params.id, "id"), await body(req, putObservationsBody));
  publishTrackUpdate({ ...state, by: { id: actor.id, username: actor.username } });
  return state;
});
