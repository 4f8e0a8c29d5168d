// GET /api/models/:version — one model version with its metrics and promotion decision; with ?detail=1 also its
// per-source numbers and per-example benchmark scores (worst point F1 first). Any signed-in user.
import { versionDetail, versionParam, versionRow } from "../../../../lib/services/models-view";
import { ANY_ROLE } from "../../../_server/auth";
import { route } from "../../../_server/route";

export const GET = route<{ version: string }>(ANY_ROLE, async ({ req, db, params }) => {
  const name = versionParam(params.version);
  const detail = new URL(req.url).searchParams.get("detail");
  return detail === "1" ? versionDetail(db, name) : { version: await versionRow(db, name) };
});
