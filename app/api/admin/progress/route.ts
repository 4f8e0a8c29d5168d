// GET /api/admin/progress — task status counts per video and per annotator.
import { progress } from "../../../../lib/services/progress";
import { route } from "../../../_server/route";

export const GET = route(["admin"], async ({ db }) => progress(db));
