// The task state machine: new → in_progress → submitted → accepted | rejected; rejected → in_progress
// (annotator fixes it); accepted | rejected | submitted → in_progress (reopen by reviewer/admin).
export const TASK_STATUSES = ["new", "in_progress", "submitted", "accepted", "rejected"] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export type TaskAction = "start" | "submit" | "accept" | "reject" | "reopen" | "edit";

const allowed: Record<TaskAction, readonly TaskStatus[]> = {
  start: ["new", "rejected", "in_progress"],
  edit: ["in_progress"],
  submit: ["in_progress"],
  accept: ["submitted"],
  reject: ["submitted"],
  reopen: ["submitted", "accepted", "rejected"],
};

const target: Record<Exclude<TaskAction, "edit">, TaskStatus> = {
  start: "in_progress",
  submit: "submitted",
  accept: "accepted",
  reject: "rejected",
  reopen: "in_progress",
};

export function isTaskStatus(s: string): s is TaskStatus {
  return (TASK_STATUSES as readonly string[]).includes(s);
}

export function canApply(from: string, action: TaskAction): boolean {
  return isTaskStatus(from) && allowed[action].includes(from);
}

export function nextStatus(action: Exclude<TaskAction, "edit">): TaskStatus {
  return target[action];
}
