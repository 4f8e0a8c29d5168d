// POST /api/jobs/:id/accept {videoIds?, objectKeys?, priority?} — predicted objects become TrackAny annotation tasks
// with the model's keyframes as model:<version> observations (task creation is admin-only in the tasks service).
import { acceptBody, acceptJobResults, ANALYST_ROLES } from "../../../../../lib/services/inference-jobs";
import { intParam, optionalBody, route } from "../../../../_server/route";

export const POST = route<{ id: string }>(ANALYST_ROLES, async ({ req, db, actor, params }) => acceptJobResults(db, actor, intParam(params.id, "id"), await optionalBody(req, acceptBody)));
