// GET /api/training/runs — training runs, newest first (status, progress, error, candidate). Any signed-in user.
import { listTrainingRuns } from "../../../../lib/services/models";
import { ANY_ROLE } from "../../../_server/auth";
import { route } from "../../../_server/route";

export const GET = route(ANY_ROLE, async ({ db }) => ({ runs: await listTrainingRuns(db, { limit: 100 }) }));
