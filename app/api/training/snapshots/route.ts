// GET /api/training/snapshots — frozen dataset snapshots (to start a run from). Any signed-in user.
import { listSnapshots } from "../../../../lib/services/models";
import { ANY_ROLE } from "../../../_server/auth";
import { route } from "../../../_server/route";

export const GET = route(ANY_ROLE, async ({ db }) => ({ snapshots: await listSnapshots(db) }));
