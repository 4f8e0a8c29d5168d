// GET /api/tasks — annotators: their tasks; reviewers/admins: all tasks, filterable by ?status=&videoId=&assigneeId=.
// POST /api/tasks — admin creates a task (target object + seed point).
import { z } from "zod";
import { createTask, listMyTasks, listTasks } from "../../../lib/services/tasks";
import { taskBody } from "../../../lib/services/schemas";
import { TASK_STATUSES } from "../../../lib/services/workflow";
import { ANY_ROLE } from "../../_server/auth";
import { body, json, optionalIntParam, route } from "../../_server/route";

export const GET = route(ANY_ROLE, async ({ req, db, actor }) => {
  if (actor.role === "annotator") return { tasks: await listMyTasks(db, actor) };
  const q = new URL(req.url).searchParams;
  const status = q.get("status") ? z.enum(TASK_STATUSES).parse(q.get("status")) : undefined;
  return { tasks: await listTasks(db, { status, videoId: optionalIntParam(q.get("videoId"), "videoId"), assigneeId: optionalIntParam(q.get("assigneeId"), "assigneeId") }) };
});

export const POST = route(["admin"], async ({ req, db, actor }) => json({ task: await createTask(db, actor, await body(req, taskBody)) }, 201));
