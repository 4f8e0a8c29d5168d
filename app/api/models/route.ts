// GET /api/models — the registry as the /models page shows it: versions (with headline benchmark numbers and
// their promotion decision), training runs, dataset snapshots and the promoted version. Any signed-in user.
import { modelsOverview } from "../../../lib/services/models-view";
import { ANY_ROLE } from "../../_server/auth";
import { route } from "../../_server/route";

export const GET = route(ANY_ROLE, async ({ db }) => modelsOverview(db));
