// Accepted annotation tasks → TrackAny examples for a snapshot. One example per referring expression, holding every
// object of that expression (a task tracks one object; a query refers to all of them, so an expression with an
// object not yet accepted would teach the model to miss it and is not used). Tracks are the tasks' keyframes,
// written by lib/formats' TrackAny writer on the sampling grid. Every observation must lie inside the video file.
import path from "node:path";
import type { Db } from "../../lib/db";
import { exportTrackAny } from "../../lib/formats";
import { samplingGrid } from "../../lib/services/reports";
import { InvalidTrackError, keyframeIssues, type Keyframe, type PointState, type TrackSet } from "../../lib/tracks";
import { probeVideo } from "../../lib/video";
import { SnapshotError } from "./manifest";

/** Which tasks go into a snapshot: explicit ids (each must be accepted) or every accepted task. */
export type TaskSelection = number[] | "all-accepted" | "none";

export interface TaskExample {
  id: string;
  expressionId: number;
  expression: string;
  videoId: number;
  /** Absolute path of the stored video file. */
  videoFile: string;
  /** File name the snapshot gives the video (v<id><ext>). */
  videoName: string;
  taskIds: number[];
  gold: boolean;
  objects: number;
  /** TrackAny JSON text. */
  json: string;
}

export interface TaskExport {
  examples: TaskExample[];
  /** Expressions left out (all-accepted mode) and why. */
  skipped: string[];
}

const STATES: readonly PointState[] = ["visible", "occluded", "outside"];

export async function exportAcceptedTasks(db: Db, selection: TaskSelection, samplingFps: number): Promise<TaskExport> {
  if (selection === "none") return { examples: [], skipped: [] };
  const explicit = Array.isArray(selection);
  if (explicit) {
    const rows = await db.task.findMany({ where: { id: { in: selection } }, select: { id: true, status: true } });
    for (const id of selection) {
      const r = rows.find((x) => x.id === id);
      if (!r) throw new SnapshotError("bad_task", `task ${id} does not exist`);
      if (r.status !== "accepted") throw new SnapshotError("bad_task", `task ${id} is ${r.status}, not accepted by a reviewer`);
    }
  }
  const tasks = await db.task.findMany({
    where: { status: "accepted", ...(explicit ? { id: { in: selection } } : {}) },
    select: {
      id: true, isGold: true, objectId: true,
      expression: { select: { id: true, text: true, objects: { select: { id: true, objectKey: true } } } },
      object: { select: { id: true, objectKey: true, observations: { select: { frameIndex: true, x: true, y: true, state: true }, orderBy: { frameIndex: "asc" } } } },
      video: { select: { id: true, name: true, width: true, height: true, fps: true, frameCount: true, shotBoundaries: true, storagePath: true, status: true } },
    },
    orderBy: { id: "asc" },
  });
  type T = (typeof tasks)[number];
  const byExpression = new Map<number, T[]>();
  for (const t of tasks) {
    const list = byExpression.get(t.expression.id) ?? [];
    list.push(t);
    byExpression.set(t.expression.id, list);
  }
  const probed = new Map<number, number>();
  const examples: TaskExample[] = [];
  const skipped: string[] = [];
  for (const [expressionId, group] of [...byExpression.entries()].sort((a, b) => a[0] - b[0])) {
    const first = group[0];
    const v = first.video;
    const label = `expression ${expressionId} “${first.expression.text}” on video ${v.id} '${v.name}'`;
    const have = new Set(group.map((t) => t.object.id));
    const missing = first.expression.objects.filter((o) => !have.has(o.id)).map((o) => o.objectKey);
    if (missing.length) {
      const why = `${label}: object${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ha${missing.length > 1 ? "ve" : "s"} no accepted task`;
      if (explicit) throw new SnapshotError("bad_task", `${why} (tasks ${group.map((t) => t.id).join(", ")} alone would teach the model to miss ${missing.length > 1 ? "them" : "it"})`);
      skipped.push(why);
      continue;
    }
    // The video file itself decides which frames exist (a replaced or truncated file shows up here).
    let frameCount = probed.get(v.id);
    if (frameCount === undefined) {
      try {
        frameCount = (await probeVideo(v.storagePath, { displayName: v.name })).frameCount;
      } catch (e) {
        throw new SnapshotError("missing_frames", `task ${group.map((t) => t.id).join(", ")}: video ${v.id} '${v.name}' (${v.storagePath}) cannot be read: ${(e as Error).message}`);
      }
      probed.set(v.id, frameCount);
    }
    const n = Math.min(frameCount, v.frameCount);
    for (const t of group) {
      const bad = t.object.observations.find((o) => o.frameIndex < 0 || o.frameIndex >= n);
      if (bad) {
        throw new SnapshotError(
          "missing_frames",
          `task ${t.id} (${label}, object ${t.object.objectKey}): observation at frame ${bad.frameIndex}, but the video has ${n} frames (0..${n - 1})` +
            (frameCount !== v.frameCount ? `; the file decodes to ${frameCount} frames, its database record says ${v.frameCount}` : ""),
        );
      }
      const badState = t.object.observations.find((o) => !STATES.includes(o.state as PointState));
      if (badState) throw new SnapshotError("bad_task", `task ${t.id}: observation at frame ${badState.frameIndex} has unknown state '${badState.state}'`);
    }
    const shotBoundaries = (JSON.parse(v.shotBoundaries) as number[]).filter((b) => b > 0 && b < n);
    const sorted = [...group].sort((a, b) => a.object.objectKey - b.object.objectKey);
    const objects = sorted.map((t) => ({
      objectId: String(t.object.objectKey),
      keyframes: t.object.observations.map((o): Keyframe => ({ frame: o.frameIndex, x: o.x, y: o.y, state: o.state as PointState, source: "human" })),
    }));
    for (const [i, o] of objects.entries()) {
      const issues = keyframeIssues(o.keyframes, { frameCount: n, shotBoundaries });
      if (issues.length) throw new SnapshotError("bad_task", `task ${sorted[i].id} (${label}): ${issues[0]}`);
    }
    const id = `task-e${expressionId}`;
    const videoName = `v${v.id}${path.extname(v.storagePath).toLowerCase() || ".mp4"}`;
    const set: TrackSet = {
      video: { width: v.width, height: v.height, fps: v.fps, frameCount: n, shotBoundaries, name: `v${v.id}` },
      expression: first.expression.text,
      objects,
      extra: {
        id,
        sampling_fps: samplingFps,
        task: "track",
        obj_id: sorted.map((t) => t.object.objectKey),
        qid: `e${expressionId}`,
        anno_id: sorted.map((t) => `task-${t.id}`),
      },
    };
    let json: string;
    try {
      json = exportTrackAny(set, { frames: samplingGrid(n, v.fps, samplingFps) });
    } catch (e) {
      if (!(e instanceof InvalidTrackError || e instanceof RangeError)) throw e;
      throw new SnapshotError("bad_task", `tasks ${sorted.map((t) => t.id).join(", ")} (${label}): ${e.message}`);
    }
    examples.push({
      id, expressionId, expression: first.expression.text, videoId: v.id, videoFile: v.storagePath, videoName,
      taskIds: sorted.map((t) => t.id), gold: sorted.some((t) => t.isGold), objects: sorted.length, json,
    });
  }
  return { examples, skipped };
}
