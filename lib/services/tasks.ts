// Task workflow: queue, assignment, transitions, review. Every write bumps Task.version through a
// compare-and-set (`updateMany where version = v`), so two concurrent writers can never both win.
import type { Db, Prisma } from "../db";
import { hasRole, type Actor } from "../auth/roles";
import { audit } from "./audit";
import { badRequest, conflict, forbidden, invalidTransition, notFound } from "./errors";
import type { ReviewBody, TaskBody } from "./schemas";
import { canApply, nextStatus, type TaskAction, type TaskStatus } from "./workflow";

export interface TaskSummary {
  id: number;
  status: TaskStatus;
  version: number;
  priority: number;
  videoId: number;
  videoName: string;
  projectId: number;
  expressionId: number;
  expressionText: string;
  objectId: number;
  objectKey: number;
  objectLabel: string;
  seed: { frame: number; x: number; y: number };
  assignee: { id: number; username: string; displayName: string } | null;
  keyframeCount: number;
  updatedAt: string;
  startedAt: string | null;
  submittedAt: string | null;
  completedAt: string | null;
  lastReview: { decision: string; comment: string; flaggedFrames: number[]; reviewer: string | null; createdAt: string } | null;
}

const taskInclude = {
  video: { select: { name: true, projectId: true } },
  expression: { select: { text: true } },
  object: { select: { objectKey: true, label: true, _count: { select: { observations: true } } } },
  assignee: { select: { id: true, username: true, displayName: true } },
  reviews: { orderBy: { id: "desc" }, take: 1, include: { reviewer: { select: { username: true } } } },
} satisfies Prisma.TaskInclude;

type TaskRow = Prisma.TaskGetPayload<{ include: typeof taskInclude }>;

export function parseJsonNumbers(text: string): number[] {
  const v: unknown = JSON.parse(text);
  return Array.isArray(v) ? v.filter((n): n is number => typeof n === "number") : [];
}

function toSummary(t: TaskRow): TaskSummary {
  const r = t.reviews[0];
  return {
    id: t.id,
    status: t.status as TaskStatus,
    version: t.version,
    priority: t.priority,
    videoId: t.videoId,
    videoName: t.video.name,
    projectId: t.video.projectId,
    expressionId: t.expressionId,
    expressionText: t.expression.text,
    objectId: t.objectId,
    objectKey: t.object.objectKey,
    objectLabel: t.object.label,
    seed: { frame: t.seedFrame, x: t.seedX, y: t.seedY },
    assignee: t.assignee,
    keyframeCount: t.object._count.observations,
    updatedAt: t.updatedAt.toISOString(),
    startedAt: t.startedAt?.toISOString() ?? null,
    submittedAt: t.submittedAt?.toISOString() ?? null,
    completedAt: t.completedAt?.toISOString() ?? null,
    lastReview: r
      ? { decision: r.decision, comment: r.comment, flaggedFrames: parseJsonNumbers(r.flaggedFrames), reviewer: r.reviewer?.username ?? null, createdAt: r.createdAt.toISOString() }
      : null,
  };
}

async function loadRow(db: Db, taskId: number): Promise<TaskRow> {
  const t = await db.task.findUnique({ where: { id: taskId }, include: taskInclude });
  if (!t) throw notFound(`task ${taskId}`);
  return t;
}

/** Annotators see only their own tasks (and unassigned new ones they could claim); reviewers and admins see all. */
export function canView(actor: Actor, t: { assigneeId: number | null; status: string }): boolean {
  if (hasRole(actor, ["reviewer", "admin"])) return true;
  return t.assigneeId === actor.id || (t.assigneeId === null && t.status === "new");
}

export async function getTask(db: Db, actor: Actor, taskId: number): Promise<TaskSummary> {
  const t = await loadRow(db, taskId);
  if (!canView(actor, t)) throw forbidden(`task ${taskId} is not assigned to you`);
  return toSummary(t);
}

export async function listMyTasks(db: Db, actor: Actor): Promise<TaskSummary[]> {
  const rows = await db.task.findMany({ where: { assigneeId: actor.id }, include: taskInclude, orderBy: [{ updatedAt: "desc" }] });
  return rows.map(toSummary);
}

export async function listTasks(db: Db, filter: { status?: TaskStatus; videoId?: number; assigneeId?: number }): Promise<TaskSummary[]> {
  const rows = await db.task.findMany({ where: filter, include: taskInclude, orderBy: [{ id: "asc" }] });
  return rows.map(toSummary);
}

export async function reviewQueue(db: Db): Promise<TaskSummary[]> {
  const rows = await db.task.findMany({ where: { status: "submitted" }, include: taskInclude, orderBy: [{ submittedAt: "asc" }, { id: "asc" }] });
  return rows.map(toSummary);
}

/**
 * The annotator's next piece of work: their own open task first (in progress, then rejected, then new),
 * otherwise the highest-priority unassigned new task, claimed atomically. null when the queue is empty.
 */
export async function nextTask(db: Db, actor: Actor): Promise<TaskSummary | null> {
  if (!hasRole(actor, ["annotator", "admin"])) throw forbidden("only annotators take tasks from the queue");
  for (const status of ["in_progress", "rejected", "new"] as const) {
    const own = await db.task.findFirst({ where: { assigneeId: actor.id, status }, orderBy: [{ priority: "desc" }, { id: "asc" }], include: taskInclude });
    if (own) return toSummary(own);
  }
  // Claim loop: another annotator may win the compare-and-set; then try the next candidate.
  for (let attempt = 0; attempt < 20; attempt++) {
    const candidate = await db.task.findFirst({ where: { assigneeId: null, status: "new" }, orderBy: [{ priority: "desc" }, { id: "asc" }] });
    if (!candidate) return null;
    const won = await db.task.updateMany({
      where: { id: candidate.id, assigneeId: null, version: candidate.version },
      data: { assigneeId: actor.id, version: { increment: 1 } },
    });
    if (won.count === 1) {
      await audit(db, actor.id, "task.claim", "task", candidate.id);
      return toSummary(await loadRow(db, candidate.id));
    }
  }
  throw conflict("the task queue is under heavy contention; try again");
}

/** Compare-and-set update of a task: fails with 409 (and the current task) when someone else wrote first. */
async function casUpdate(db: Db, actor: Actor, t: TaskRow, expected: number | undefined, data: Prisma.TaskUpdateManyMutationInput & { assigneeId?: number | null }, action: string, detail: Record<string, unknown> = {}): Promise<TaskSummary> {
  if (expected !== undefined && expected !== t.version) {
    throw conflict(`task ${t.id} is at version ${t.version}, you sent ${expected}`, { task: toSummary(t) });
  }
  const r = await db.task.updateMany({ where: { id: t.id, version: t.version }, data: { ...data, version: { increment: 1 } } });
  if (r.count !== 1) {
    const now = await loadRow(db, t.id);
    throw conflict(`task ${t.id} changed while you were writing`, { task: toSummary(now) });
  }
  await audit(db, actor.id, action, "task", t.id, { from: t.status, ...detail });
  return toSummary(await loadRow(db, t.id));
}

function requireTransition(t: TaskRow, action: TaskAction): void {
  if (!canApply(t.status, action)) throw invalidTransition(t.status, action);
}

export async function startTask(db: Db, actor: Actor, taskId: number, expectedVersion?: number): Promise<TaskSummary> {
  const t = await loadRow(db, taskId);
  if (!hasRole(actor, ["annotator", "admin"])) throw forbidden("only annotators start tasks");
  if (t.assigneeId !== null && t.assigneeId !== actor.id && actor.role !== "admin") throw forbidden(`task ${taskId} is assigned to someone else`);
  requireTransition(t, "start");
  if (t.status === "in_progress" && t.assigneeId === actor.id) return toSummary(t);
  return casUpdate(db, actor, t, expectedVersion, {
    status: nextStatus("start"),
    assigneeId: t.assigneeId ?? actor.id,
    startedAt: t.startedAt ?? new Date(),
    completedAt: null,
  }, "task.start");
}

export async function submitTask(db: Db, actor: Actor, taskId: number, expectedVersion?: number): Promise<TaskSummary> {
  const t = await loadRow(db, taskId);
  if (t.assigneeId !== actor.id && actor.role !== "admin") throw forbidden(`task ${taskId} is not assigned to you`);
  requireTransition(t, "submit");
  return casUpdate(db, actor, t, expectedVersion, { status: nextStatus("submit"), submittedAt: new Date() }, "task.submit");
}

export async function reviewTask(db: Db, actor: Actor, taskId: number, body: ReviewBody): Promise<TaskSummary> {
  if (!hasRole(actor, ["reviewer", "admin"])) throw forbidden("only reviewers review tasks");
  const t = await loadRow(db, taskId);
  if (t.assigneeId === actor.id && actor.role !== "admin") throw forbidden("you cannot review your own task");
  const action = body.decision === "accepted" ? "accept" : "reject";
  requireTransition(t, action);
  const video = await db.video.findUniqueOrThrow({ where: { id: t.videoId }, select: { frameCount: true } });
  const bad = body.flaggedFrames.find((f) => f >= video.frameCount);
  if (bad !== undefined) throw badRequest(`flaggedFrames: frame ${bad} is outside the video (0..${video.frameCount - 1})`);
  if (body.decision === "rejected" && body.comment.trim() === "" && body.flaggedFrames.length === 0) {
    throw badRequest("a rejection needs a comment or flagged frames so the annotator knows what to fix");
  }
  const flagged = [...new Set(body.flaggedFrames)].sort((a, b) => a - b);
  const summary = await casUpdate(db, actor, t, body.expectedVersion, { status: nextStatus(action), completedAt: new Date() }, `task.${action}`, { comment: body.comment });
  await db.review.create({ data: { taskId, reviewerId: actor.id, decision: body.decision, comment: body.comment, flaggedFrames: JSON.stringify(flagged), taskVersion: summary.version } });
  return getTask(db, actor, taskId);
}

export async function reopenTask(db: Db, actor: Actor, taskId: number, expectedVersion?: number): Promise<TaskSummary> {
  if (!hasRole(actor, ["reviewer", "admin"])) throw forbidden("only reviewers and admins reopen tasks");
  const t = await loadRow(db, taskId);
  requireTransition(t, "reopen");
  return casUpdate(db, actor, t, expectedVersion, { status: nextStatus("reopen"), completedAt: null }, "task.reopen");
}

export async function assignTask(db: Db, actor: Actor, taskId: number, assigneeId: number | null, expectedVersion?: number): Promise<TaskSummary> {
  if (!hasRole(actor, ["admin"])) throw forbidden("only admins assign tasks");
  const t = await loadRow(db, taskId);
  if (assigneeId !== null) {
    const u = await db.user.findUnique({ where: { id: assigneeId } });
    if (!u || u.disabled) throw badRequest(`assigneeId: user ${assigneeId} does not exist or is disabled`);
  }
  if (t.status === "accepted") throw invalidTransition(t.status, "reassign");
  return casUpdate(db, actor, t, expectedVersion, { assigneeId }, "task.assign", { assigneeId });
}

/** Creates a task for one object of an expression and stores its seed point as the first human keyframe. */
export async function createTask(db: Db, actor: Actor, body: TaskBody): Promise<TaskSummary> {
  if (!hasRole(actor, ["admin"])) throw forbidden("only admins create tasks");
  const expression = await db.expression.findUnique({ where: { id: body.expressionId }, include: { video: true } });
  if (!expression || expression.videoId !== body.videoId) throw badRequest(`expressionId: expression ${body.expressionId} does not belong to video ${body.videoId}`);
  const v = expression.video;
  if (body.seed.frame >= v.frameCount) throw badRequest(`seed.frame: ${body.seed.frame} is outside the video (0..${v.frameCount - 1})`);
  if (body.seed.x < 0 || body.seed.x > v.width || body.seed.y < 0 || body.seed.y > v.height) throw badRequest(`seed: (${body.seed.x}, ${body.seed.y}) is outside the ${v.width}x${v.height} frame`);
  const id = await db.$transaction(async (tx) => {
    const object = await tx.trackedObject.upsert({
      where: { expressionId_objectKey: { expressionId: body.expressionId, objectKey: body.objectKey } },
      create: { expressionId: body.expressionId, objectKey: body.objectKey },
      update: {},
    });
    await tx.observation.upsert({
      where: { objectId_frameIndex: { objectId: object.id, frameIndex: body.seed.frame } },
      create: { objectId: object.id, frameIndex: body.seed.frame, x: body.seed.x, y: body.seed.y, state: "visible", source: "human", authorId: actor.id },
      update: {},
    });
    const task = await tx.task.create({
      data: { videoId: body.videoId, expressionId: body.expressionId, objectId: object.id, seedFrame: body.seed.frame, seedX: body.seed.x, seedY: body.seed.y, assigneeId: body.assigneeId, priority: body.priority },
    });
    await audit(tx, actor.id, "task.create", "task", task.id);
    return task.id;
  });
  return toSummary(await loadRow(db, id));
}

export async function deleteTask(db: Db, actor: Actor, taskId: number): Promise<void> {
  if (!hasRole(actor, ["admin"])) throw forbidden("only admins delete tasks");
  const r = await db.task.deleteMany({ where: { id: taskId } });
  if (r.count === 0) throw notFound(`task ${taskId}`);
  await audit(db, actor.id, "task.delete", "task", taskId);
}
