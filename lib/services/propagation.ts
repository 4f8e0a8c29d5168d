// "Propagate this point" for a task: runs lib/tracking's propagatePoint from the task track's position on
// `fromFrame` and writes the result as `propagated` keyframes through the observations service, guarded by the
// task version read before the (slow) tracking run — an edit that lands meanwhile makes the write a 409 carrying
// the newer track, and nothing is written. Human keyframes are never overwritten: each direction stops before
// the nearest human keyframe.
import { z } from "zod";
import type { Db } from "../db";
import { hasRole, type Actor } from "../auth/roles";
import { TrackSampler, type Keyframe as TrackKeyframe } from "../tracks";
import { propagatePoint, PropagationInputError, type MaskPropagator, type PropagationProgress, type StopReason } from "../tracking/propagate";
import { badRequest, conflict, forbidden, notFound, ServiceError } from "./errors";
import { putObservations, trackState, type TrackState } from "./observations";
import { canApply } from "./workflow";
import { metaFromRow } from "./videos";

export const propagateBody = z.object({
  fromFrame: z.number().int().min(0),
  direction: z.enum(["forward", "backward", "both"]),
  /** Last frame to reach (inclusive). With "both" it limits the side it lies on. */
  toFrame: z.number().int().min(0).optional(),
  /** Optional: the task version the client's view is based on (stale → 409 before any work). */
  expectedVersion: z.number().int().min(0).optional(),
}).strict();
export type PropagateBody = z.infer<typeof propagateBody>;

export interface PropagateOutcome {
  /** The task's track after the write (what an observations PUT returns). */
  state: TrackState;
  /** "lk" or the SAM2 engine id. */
  engine: string;
  /** Frames written as `propagated` keyframes. */
  frames: number[];
  stops: Partial<Record<"forward" | "backward", { reason: StopReason | "human_keyframe"; lastFrame: number }>>;
}

export interface PropagateOptions {
  maskEngine?: MaskPropagator;
  onProgress?: (p: PropagationProgress & { taskId: number; videoId: number }) => void;
  signal?: AbortSignal;
  /** Tracking width (default lib/tracking's). */
  workWidth?: number;
}

export async function propagateTask(db: Db, actor: Actor, taskId: number, body: PropagateBody, opts: PropagateOptions = {}): Promise<PropagateOutcome> {
  const t = await db.task.findUnique({ where: { id: taskId }, include: { video: true } });
  if (!t) throw notFound(`task ${taskId}`);
  const privileged = hasRole(actor, ["reviewer", "admin"]);
  if (!privileged && t.assigneeId !== actor.id) throw forbidden(`task ${taskId} is not assigned to you`);
  if (body.expectedVersion !== undefined && body.expectedVersion !== t.version) {
    throw conflict(`task ${taskId} is at version ${t.version}, your view is based on ${body.expectedVersion}`, await trackState(db, taskId));
  }
  if (!canApply(t.status, "edit")) throw new ServiceError(409, "invalid_transition", `cannot edit a task that is ${t.status}; start it first`);
  const v = t.video;
  if (body.fromFrame >= v.frameCount) throw badRequest(`fromFrame: ${body.fromFrame} is outside the video (0..${v.frameCount - 1})`);
  if (body.toFrame !== undefined) {
    if (body.toFrame >= v.frameCount) throw badRequest(`toFrame: ${body.toFrame} is outside the video (0..${v.frameCount - 1})`);
    if (body.direction === "forward" && body.toFrame <= body.fromFrame) throw badRequest(`toFrame: ${body.toFrame} must be after fromFrame ${body.fromFrame} to propagate forward`);
    if (body.direction === "backward" && body.toFrame >= body.fromFrame) throw badRequest(`toFrame: ${body.toFrame} must be before fromFrame ${body.fromFrame} to propagate backward`);
  }
  const meta = metaFromRow(v);
  const version = t.version;
  const before = await trackState(db, taskId);
  const keyframes: TrackKeyframe[] = before.keyframes.map((k) => ({ frame: k.frame, x: k.x, y: k.y, state: k.state, source: k.source === "human" ? "human" : "propagated" }));
  const shotBoundaries = meta.shotBoundaries.filter((b) => b > 0 && b < meta.frameCount);
  const start = new TrackSampler(keyframes, { frameCount: meta.frameCount, shotBoundaries: [...new Set(shotBoundaries)] }).at(body.fromFrame);
  if (!start || start.state !== "visible") {
    throw badRequest(`fromFrame: the track is ${start ? start.state : "unknown"} on frame ${body.fromFrame}; place a visible point there first`);
  }
  // Each direction stops before the nearest human keyframe (those are the annotator's, never overwritten).
  const humans = before.keyframes.filter((k) => k.source === "human").map((k) => k.frame);
  const nextHuman = Math.min(...humans.filter((f) => f > body.fromFrame), Infinity);
  const prevHuman = Math.max(...humans.filter((f) => f < body.fromFrame), -Infinity);
  const limits: { forward?: number; backward?: number } = {};
  const stops: PropagateOutcome["stops"] = {};
  const dirs = body.direction === "both" ? (["forward", "backward"] as const) : ([body.direction] as const);
  const run: Array<"forward" | "backward"> = [];
  for (const d of dirs) {
    let limit = body.toFrame !== undefined && (d === "forward" ? body.toFrame > body.fromFrame : body.toFrame < body.fromFrame) ? body.toFrame : undefined;
    const human = d === "forward" ? nextHuman - 1 : prevHuman + 1;
    const humanFirst = Number.isFinite(human) && (limit === undefined || (d === "forward" ? human < limit : human > limit));
    if (humanFirst) limit = human;
    if (limit === body.fromFrame) {
      stops[d] = { reason: "human_keyframe", lastFrame: body.fromFrame };
      continue;
    }
    if (limit !== undefined) limits[d] = limit;
    run.push(d);
    if (humanFirst) stops[d] = { reason: "human_keyframe", lastFrame: limit as number };
  }
  let engine = opts.maskEngine?.engine.startsWith("sam2:") ? opts.maskEngine.engine : "lk";
  let frames: number[] = [];
  const edits: Array<{ frame: number; x: number; y: number; state: "visible" | "occluded" | "outside"; source: "propagated" }> = [];
  if (run.length) {
    let result;
    try {
      result = await propagatePoint({
        video: { id: `video-${v.id}`, path: v.storagePath, meta },
        from: { frame: body.fromFrame, x: start.x, y: start.y },
        direction: run.length === 2 ? "both" : run[0],
        limits,
        maskEngine: opts.maskEngine,
        workWidth: opts.workWidth,
        signal: opts.signal,
        onProgress: opts.onProgress && ((p) => opts.onProgress?.({ ...p, taskId, videoId: v.id })),
      });
    } catch (err) {
      if (err instanceof PropagationInputError) throw badRequest(err.message);
      throw err;
    }
    engine = result.engine;
    for (const d of run) {
      const s = result.stops[d];
      // A direction that ran into its human-keyframe limit reports that; any earlier stop reports its own reason.
      if (s && !(stops[d] && s.reason === "range_end")) stops[d] = s;
    }
    const human = new Set(humans);
    for (const k of result.keyframes) {
      if (human.has(k.frame)) continue;
      // Visible/occluded points must lie in the frame (the observations service checks); LK can end a hair outside.
      const inFrame = k.state !== "outside";
      const x = inFrame ? Math.min(Math.max(k.x, 0), v.width) : k.x;
      const y = inFrame ? Math.min(Math.max(k.y, 0), v.height) : k.y;
      edits.push({ frame: k.frame, x, y, state: k.state, source: "propagated" });
    }
    frames = edits.map((e) => e.frame);
  }
  if (edits.length === 0) {
    const now = await trackState(db, taskId);
    if (now.version !== version) throw conflict(`task ${taskId} changed while propagating`, now);
    return { state: now, engine, frames, stops };
  }
  // The observations service lets the assignee (or an admin) write; reviewers were authorised above, so they
  // write with admin rights on this task only — the audit log and authorId still name the reviewer.
  const writer: Actor = privileged && t.assigneeId !== actor.id ? { ...actor, role: "admin" } : actor;
  const state = await putObservations(db, writer, taskId, { expectedVersion: version, edits });
  return { state, engine, frames, stops };
}
