// POST /api/models/external {version, endpoint, model, description?} — admin: registers a model served elsewhere
// (OpenAI-compatible Molmo2 server) as a candidate version used through the remote runtime.
import { externalModelBody, registerExternalVersion } from "../../../../lib/services/models";
import { versionRow } from "../../../../lib/services/models-view";
import { body, json, route } from "../../../_server/route";

export const POST = route(["admin"], async ({ req, db, actor }) => {
  const input = await body(req, externalModelBody);
  const v = await registerExternalVersion(db, actor, input);
  return json({ version: await versionRow(db, v.version) }, 201);
});
