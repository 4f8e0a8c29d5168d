// Keyframe read/write for a task's target object. Writes are a batch guarded by the task's version:
// a stale batch gets 409 with the current keyframes and nothing is written (never a silent overwrite).
import type { Db } from "../db";
import type { Actor } from "../auth/roles";
import { audit } from "./audit";
import { badRequest, conflict, forbidden, notFound, ServiceError } from "./errors";
import type { PutObservationsBody } from "./schemas";
import { canView, getTask, type TaskSummary } from "./tasks";
import { canApply } from "./workflow";

export interface Keyframe {
  frame: number;
  x: number;
  y: number;
  state: "visible" | "occluded" | "outside";
  source: string;
  authorId: number | null;
  version: number;
}

export interface ContextObject {
  objectId: number;
  expressionId: number;
  expressionText: string;
  objectKey: number;
  label: string;
  taskId: number | null;
  keyframes: Keyframe[];
}

export interface VideoInfo {
  id: number;
  name: string;
  width: number;
  height: number;
  fps: number;
  frameCount: number;
  durationSec: number;
  frameTimestamps: number[];
  shotBoundaries: number[];
}

export interface TaskObservations {
  task: TaskSummary;
  video: VideoInfo;
  target: { objectId: number; version: number; keyframes: Keyframe[] };
  context: ContextObject[];
}

/** Current keyframes of the task's object (what a 409 and a live update carry). */
export interface TrackState {
  taskId: number;
  videoId: number;
  objectId: number;
  version: number;
  keyframes: Keyframe[];
}

type ObsRow = { frameIndex: number; x: number; y: number; state: string; source: string; authorId: number | null; version: number };

function toKeyframe(o: ObsRow): Keyframe {
  return { frame: o.frameIndex, x: o.x, y: o.y, state: o.state as Keyframe["state"], source: o.source, authorId: o.authorId, version: o.version };
}

function numbers(json: string): number[] {
  const v: unknown = JSON.parse(json);
  return Array.isArray(v) ? v.filter((n): n is number => typeof n === "number") : [];
}

export async function trackState(db: Db, taskId: number): Promise<TrackState> {
  const t = await db.task.findUnique({ where: { id: taskId } });
  if (!t) throw notFound(`task ${taskId}`);
  const obs = await db.observation.findMany({ where: { objectId: t.objectId }, orderBy: { frameIndex: "asc" } });
  return { taskId, videoId: t.videoId, objectId: t.objectId, version: t.version, keyframes: obs.map(toKeyframe) };
}

export async function getTaskObservations(db: Db, actor: Actor, taskId: number): Promise<TaskObservations> {
  const task = await getTask(db, actor, taskId);
  const video = await db.video.findUniqueOrThrow({ where: { id: task.videoId } });
  const objects = await db.trackedObject.findMany({
    where: { expression: { videoId: task.videoId } },
    include: { expression: { select: { text: true } }, observations: { orderBy: { frameIndex: "asc" } }, tasks: { select: { id: true }, take: 1 } },
    orderBy: [{ expressionId: "asc" }, { objectKey: "asc" }],
  });
  const target = objects.find((o) => o.id === task.objectId);
  return {
    task,
    video: {
      id: video.id, name: video.name, width: video.width, height: video.height, fps: video.fps, frameCount: video.frameCount,
      durationSec: video.durationSec, frameTimestamps: numbers(video.frameTimestamps), shotBoundaries: numbers(video.shotBoundaries),
    },
    target: { objectId: task.objectId, version: task.version, keyframes: (target?.observations ?? []).map(toKeyframe) },
    context: objects.filter((o) => o.id !== task.objectId).map((o) => ({
      objectId: o.id, expressionId: o.expressionId, expressionText: o.expression.text, objectKey: o.objectKey, label: o.label,
      taskId: o.tasks[0]?.id ?? null, keyframes: o.observations.map(toKeyframe),
    })),
  };
}

/**
 * Applies a batch of keyframe edits atomically when `expectedVersion` equals the task's version; bumps the
 * version once per batch. Stale → 409 whose details are the current TrackState.
 */
export async function putObservations(db: Db, actor: Actor, taskId: number, body: PutObservationsBody): Promise<TrackState> {
  const t = await db.task.findUnique({ where: { id: taskId }, include: { video: true } });
  if (!t) throw notFound(`task ${taskId}`);
  if (!canView(actor, t)) throw forbidden(`task ${taskId} is not assigned to you`);
  if (t.assigneeId !== actor.id && actor.role !== "admin") throw forbidden(`task ${taskId} is not assigned to you`);
  if (body.expectedVersion !== t.version) {
    throw conflict(`task ${taskId} is at version ${t.version}, your edits were based on ${body.expectedVersion}`, await trackState(db, taskId));
  }
  if (!canApply(t.status, "edit")) throw new ServiceError(409, "invalid_transition", `cannot edit a task that is ${t.status}; start it first`);
  const v = t.video;
  const seen = new Set<number>();
  body.edits.forEach((e, i) => {
    if (seen.has(e.frame)) throw badRequest(`edits[${i}].frame: frame ${e.frame} appears twice in one batch`);
    seen.add(e.frame);
    if (e.frame >= v.frameCount) throw badRequest(`edits[${i}].frame: ${e.frame} is outside the video (0..${v.frameCount - 1})`);
    // An "outside" point has no meaningful position (it may be off-frame); visible/occluded ones must be in it.
    if ("x" in e && e.state !== "outside" && (e.x < 0 || e.x > v.width || e.y < 0 || e.y > v.height)) {
      throw badRequest(`edits[${i}]: point (${e.x}, ${e.y}) is outside the ${v.width}x${v.height} frame`);
    }
  });
  const newVersion = t.version + 1;
  try {
    await db.$transaction(async (tx) => {
      // Compare-and-set first: if another batch committed since we read, nothing below runs.
      const cas = await tx.task.updateMany({ where: { id: taskId, version: t.version, status: "in_progress" }, data: { version: newVersion } });
      if (cas.count !== 1) throw conflict(`task ${taskId} changed while you were writing`);
      for (const e of body.edits) {
        const key = { objectId_frameIndex: { objectId: t.objectId, frameIndex: e.frame } };
        if ("remove" in e) {
          await tx.observation.deleteMany({ where: { objectId: t.objectId, frameIndex: e.frame } });
        } else {
          const data = { x: e.x, y: e.y, state: e.state, source: e.source, authorId: actor.id, version: newVersion };
          await tx.observation.upsert({ where: key, create: { objectId: t.objectId, frameIndex: e.frame, ...data }, update: data });
        }
      }
      await audit(tx, actor.id, "observations.put", "task", taskId, { version: newVersion, frames: body.edits.map((e) => e.frame) });
    });
  } catch (err) {
    if (err instanceof ServiceError && err.status === 409) throw conflict(err.message, await trackState(db, taskId));
    throw err;
  }
  return trackState(db, taskId);
}
