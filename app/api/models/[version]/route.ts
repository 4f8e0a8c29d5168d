// GET /api/models/:version — one model version with its metrics and promotion decision. Any signed-in user.
import { versionParam, versionRow } from "../../../../lib/services/models-view";
import { ANY_ROLE } from "../../../_server/auth";
import { route } from "../../../_server/route";

export const GET = route<{ version: string }>(ANY_ROLE, async ({ db, params }) => ({ version: await versionRow(db, versionParam(params.version)) }));
