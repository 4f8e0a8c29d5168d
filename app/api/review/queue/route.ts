// GET /api/review/queue — submitted tasks, oldest submission first.
import { reviewQueue } from "../../../../lib/services/tasks";
import { route } from "../../../_server/route";

export const GET = route(["reviewer", "admin"], async ({ db }) => ({ tasks: await reviewQueue(db) }));
