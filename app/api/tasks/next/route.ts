// GET /api/tasks/next — the annotator's next task (own open work first, else claims one from the queue).
import { nextTask } from "../../../../lib/services/tasks";
import { route } from "../../../_server/route";

export const GET = route(["annotator", "admin"], async ({ db, actor }) => ({ task: await nextTask(db, actor) }));
