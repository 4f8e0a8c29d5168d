// POST /api/models/:version/retire {expectedStatus?, expectedPromoted?} — admin: the version is no longer served
// (retiring the promoted one leaves none promoted). 409 when the page's view is stale.
import { pageActionBody, retireByHand, versionParam } from "../../../../../lib/services/models-view";
import { optionalBody, route } from "../../../../_server/route";

export const POST = route<{ version: string }>(["admin"], async ({ req, db, actor, params }) => ({
  version: await retireByHand(db, actor, versionParam(params.version), await optionalBody(req, pageActionBody)),
}));
