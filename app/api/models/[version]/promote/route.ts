// POST /api/models/:version/promote {expectedStatus?, expectedPromoted?, note?} — admin promotion by hand through
// the registry (the previously promoted version is retired). 409 when the page's view is stale; overriding the
// benchmark needs a note.
import { promoteByHand, pageActionBody, versionParam } from "../../../../../lib/services/models-view";
import { optionalBody, route } from "../../../../_server/route";

export const POST = route<{ version: string }>(["admin"], async ({ req, db, actor, params }) => ({
  version: await promoteByHand(db, actor, versionParam(params.version), await optionalBody(req, pageActionBody)),
}));
