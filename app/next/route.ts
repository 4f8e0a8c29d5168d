// GET /next — claims the annotator's next task and opens it (303 to /tasks/:id), or back to / when the queue is empty.
import { getDb } from "../../lib/db";
import { nextTask } from "../../lib/services/tasks";
import { authorize } from "../_server/auth";
import { errorResponse } from "../_server/route";

export async function GET(req: Request): Promise<Response> {
  try {
    const actor = await authorize(getDb(), req.headers.get("cookie"), ["annotator", "admin"]);
    const task = await nextTask(getDb(), actor);
    return new Response(null, { status: 303, headers: { location: task ? `/tasks/${task.id}` : "/?empty=1" } });
  } catch (err) {
    const res = errorResponse(err);
    if (res.status === 401) return new Response(null, { status: 303, headers: { location: "/login?next=/next" } });
    return res;
  }
}
