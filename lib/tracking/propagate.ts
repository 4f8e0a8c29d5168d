// "Propagate this point": follow one annotated point forward and/or backward from a keyframe through a video
// file and return the positions as `propagated` keyframes (native pixel coordinates) for the annotator to accept
// or edit. Two engines:
// - pyramidal Lucas–Kanade (lib/tracking/lk) on grayscale frames decoded with lib/video — works on any video
//   without weights; it stops at the first frame where the forward–backward check fails (an `occluded`
//   keyframe there) or the point leaves the image (an `outside` keyframe), because LK cannot re-acquire a point;
//   with no texture to follow (a point deep inside a large flat region) it stops without writing anything;
// - SAM2, when a MaskEngine whose `engine` starts with "sam2:" is given: the point follows the propagated
//   mask's centroid (plus the click's offset from the centroid on the keyframe); an empty mask is `occluded` and
//   tracking continues, since SAM2's memory can re-acquire the object. The classical colour-region fallback
//   engine is deliberately not used here: its region centroid is coarser than LK on real footage.
// Propagation never crosses a shot boundary (`meta.shotBoundaries`).
import type { Keyframe, PointState } from "../tracks";
import { decodeRle } from "../masks/rle";
import { GrayFrameReader, type VideoFile } from "./frames";
import { PointTracker, type PointTrackerOptions } from "./lk";
import { buildPyramid } from "./pyramid";

export type Direction = "forward" | "backward";
/** `lost`: LK had no estimate (no texture in the window); `no_texture`: nothing to track at the start point. */
export type StopReason = "range_end" | "shot_boundary" | "video_end" | "occluded" | "outside" | "lost" | "no_texture";

/** The parts of inference/sam2's MaskEngine this module uses (structural, so lib/ does not import inference/). */
export interface MaskPropagator {
  readonly engine: string;
  propagate(req: {
    video: VideoFile;
    prompts: Array<{ frame: number; objectId: string; points: Array<[number, number, 0 | 1]> }>;
    direction: "both" | "forward" | "backward";
    startFrame?: number;
    endFrame?: number;
    signal?: AbortSignal;
    onFrame?: (f: { frame: number; masks: Array<{ objectId: string; rle: { size: [number, number]; counts: string } }> }) => void;
  }): Promise<Array<{ frame: number; masks: Array<{ objectId: string; rle: { size: [number, number]; counts: string } }> }>>;
}

export interface PropagationProgress {
  direction: Direction;
  /** Frame just processed. */
  frame: number;
  /** Frames processed so far over all directions, and the most there can be. */
  done: number;
  total: number;
}

export interface PropagateRequest {
  video: VideoFile;
  /** The keyframe to start from: frame index and native pixel position (must be inside the frame). */
  from: { frame: number; x: number; y: number };
  direction: Direction | "both";
  /** Last frame to reach (inclusive) per direction; default the end / start of the shot. */
  limits?: { forward?: number; backward?: number };
  /** SAM2 mask engine; used only when its engine id starts with "sam2:". */
  maskEngine?: MaskPropagator;
  /** Tracking width in pixels (frames are downscaled by ffmpeg; points are reported in native pixels). Default min(native, 640). */
  workWidth?: number;
  tracker?: PointTrackerOptions;
  signal?: AbortSignal;
  onProgress?: (p: PropagationProgress) => void;
}

export interface PropagationResult {
  /** "lk" or the SAM2 engine id. */
  engine: string;
  /** New keyframes (never the start frame), sorted by frame, all with source "propagated". */
  keyframes: Keyframe[];
  /** Why each requested direction stopped, and the last frame it produced (the start frame when none). */
  stops: Partial<Record<Direction, { reason: StopReason; lastFrame: number }>>;
}

export class PropagationInputError extends Error {
  override name = "PropagationInputError";
}

/** [first, last] frames of the shot holding `frame`. */
export function shotRange(frame: number, frameCount: number, shotBoundaries: readonly number[]): [number, number] {
  let start = 0;
  let end = frameCount - 1;
  for (const b of shotBoundaries) {
    if (b <= frame && b > start) start = b;
    if (b > frame && b - 1 < end) end = b - 1;
  }
  return [start, end];
}

interface Plan {
  direction: Direction;
  /** Last frame (inclusive) this direction may produce. */
  end: number;
  /** Reason to report when `end` is reached. */
  endReason: StopReason;
}

function plan(req: PropagateRequest): Plan[] {
  const { meta } = req.video;
  const f = req.from.frame;
  if (!Number.isInteger(f) || f < 0 || f >= meta.frameCount) throw new PropagationInputError(`from.frame: ${f} is not a frame of the video (0..${meta.frameCount - 1})`);
  if (!(req.from.x >= 0 && req.from.x <= meta.width && req.from.y >= 0 && req.from.y <= meta.height)) {
    throw new PropagationInputError(`from: point (${req.from.x}, ${req.from.y}) is outside the ${meta.width}x${meta.height} frame`);
  }
  const [shotStart, shotEnd] = shotRange(f, meta.frameCount, meta.shotBoundaries);
  const dirs: Direction[] = req.direction === "both" ? ["forward", "backward"] : [req.direction];
  return dirs.map((direction) => {
    const limit = req.limits?.[direction];
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0 || limit >= meta.frameCount)) {
      throw new PropagationInputError(`limits.${direction}: ${limit} is not a frame of the video (0..${meta.frameCount - 1})`);
    }
    if (direction === "forward") {
      const natural = shotEnd;
      const end = limit === undefined ? natural : Math.min(limit, natural);
      return { direction, end, endReason: limit !== undefined && limit <= natural ? "range_end" : natural === meta.frameCount - 1 ? "video_end" : "shot_boundary" };
    }
    const natural = shotStart;
    const end = limit === undefined ? natural : Math.max(limit, natural);
    return { direction, end, endReason: limit !== undefined && limit >= natural ? "range_end" : natural === 0 ? "video_end" : "shot_boundary" };
  });
}

function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new DOMException("propagation aborted", "AbortError");
}

/** Propagates one point; see the module comment for the engines and stopping rules. */
export async function propagatePoint(req: PropagateRequest): Promise<PropagationResult> {
  const plans = plan(req);
  const total = plans.reduce((s, p) => s + Math.abs(p.end - req.from.frame), 0);
  const engine = req.maskEngine && req.maskEngine.engine.startsWith("sam2:") ? req.maskEngine : null;
  const out: PropagationResult = { engine: engine ? engine.engine : "lk", keyframes: [], stops: {} };
  const counter = { done: 0, total };
  if (req.signal?.aborted) throw abortError(req.signal);
  if (engine) {
    for (const p of plans) await propagateSam2(req, engine, p, out, counter);
  } else {
    const reader = new GrayFrameReader(req.video, { width: req.workWidth });
    try {
      for (const p of plans) await propagateLk(req, reader, p, out, counter);
    } finally {
      await reader.close();
    }
  }
  out.keyframes.sort((a, b) => a.frame - b.frame);
  return out;
}

async function propagateLk(req: PropagateRequest, reader: GrayFrameReader, p: Plan, out: PropagationResult, counter: { done: number; total: number }): Promise<void> {
  const { meta } = req.video;
  const step = p.direction === "forward" ? 1 : -1;
  const from = req.from.frame;
  if (from === p.end) {
    out.stops[p.direction] = { reason: p.endReason, lastFrame: from };
    return;
  }
  const first = await reader.read(from, step);
  const sx = meta.width / first.width;
  const sy = meta.height / first.height;
  const levels = req.tracker?.levels ?? 4;
  const tracker = new PointTracker(req.tracker);
  // Native pixel coordinates have (0,0) at the image corner; working-image sample i sits at i + 0.5.
  if (!tracker.start(buildPyramid(first, levels), req.from.x / sx - 0.5, req.from.y / sy - 0.5)) {
    // Inside a large flat region LK has nothing to follow: produce nothing rather than a wrong track.
    out.stops[p.direction] = { reason: "no_texture", lastFrame: from };
    return;
  }
  let last = { x: req.from.x, y: req.from.y };
  for (let f = from + step; ; f += step) {
    if (req.signal?.aborted) throw abortError(req.signal);
    const s = tracker.step(buildPyramid(await reader.read(f, step), levels));
    const x = (s.x + 0.5) * sx;
    const y = (s.y + 0.5) * sy;
    counter.done++;
    req.onProgress?.({ direction: p.direction, frame: f, done: counter.done, total: counter.total });
    if (s.state === "lost") {
      out.stops[p.direction] = { reason: "lost", lastFrame: f - step };
      return;
    }
    if (s.state === "visible") {
      out.keyframes.push({ frame: f, x, y, state: "visible", source: "propagated" });
      last = { x, y };
    } else {
      // Occluded: the LK estimate is unreliable, keep the last reliable position. Outside: where it left.
      const at = s.state === "outside" ? { x, y } : last;
      out.keyframes.push({ frame: f, x: at.x, y: at.y, state: s.state, source: "propagated" });
      out.stops[p.direction] = { reason: s.state, lastFrame: f };
      return;
    }
    if (f === p.end) {
      out.stops[p.direction] = { reason: p.endReason, lastFrame: f };
      return;
    }
  }
}

/** Centroid (native pixels) of one object's mask, or null when the mask is empty. */
export function maskCentroid(rle: { size: [number, number]; counts: string }, nativeWidth: number, nativeHeight: number): { x: number; y: number } | null {
  const [h, w] = rle.size;
  const mask = decodeRle(rle);
  let n = 0, sx = 0, sy = 0;
  for (let y = 0, i = 0; y < h; y++) {
    for (let x = 0; x < w; x++, i++) {
      if (mask[i]) {
        n++;
        sx += x;
        sy += y;
      }
    }
  }
  if (n === 0) return null;
  return { x: ((sx / n + 0.5) * nativeWidth) / w, y: ((sy / n + 0.5) * nativeHeight) / h };
}

async function propagateSam2(req: PropagateRequest, engine: MaskPropagator, p: Plan, out: PropagationResult, counter: { done: number; total: number }): Promise<void> {
  const { meta } = req.video;
  const from = req.from.frame;
  if (from === p.end) {
    out.stops[p.direction] = { reason: p.endReason, lastFrame: from };
    return;
  }
  const objectId = "point";
  const frames = await engine.propagate({
    video: req.video,
    prompts: [{ frame: from, objectId, points: [[req.from.x, req.from.y, 1]] }],
    direction: p.direction,
    startFrame: from,
    endFrame: p.end,
    signal: req.signal,
    onFrame: (f) => {
      if (f.frame === from) return;
      counter.done++;
      req.onProgress?.({ direction: p.direction, frame: f.frame, done: counter.done, total: counter.total });
    },
  });
  if (req.signal?.aborted) throw abortError(req.signal);
  const centroidOn = (frame: number) => {
    const m = frames.find((f) => f.frame === frame)?.masks.find((k) => k.objectId === objectId);
    return m ? maskCentroid(m.rle, meta.width, meta.height) : null;
  };
  // The clicked point keeps its offset from the object's centroid (a click on a wheel stays on the wheel).
  const c0 = centroidOn(from);
  const dx = c0 ? req.from.x - c0.x : 0;
  const dy = c0 ? req.from.y - c0.y : 0;
  let last = { x: req.from.x, y: req.from.y };
  let lastFrame = from;
  for (const f of frames) {
    const inRange = p.direction === "forward" ? f.frame > from && f.frame <= p.end : f.frame < from && f.frame >= p.end;
    if (!inRange) continue;
    const c = centroidOn(f.frame);
    let state: PointState = "visible";
    let at = last;
    if (c) {
      const x = c.x + dx;
      const y = c.y + dy;
      if (x < 0 || y < 0 || x > meta.width || y > meta.height) state = "outside";
      at = { x, y };
      if (state === "visible") last = at;
    } else state = "occluded";
    out.keyframes.push({ frame: f.frame, x: at.x, y: at.y, state, source: "propagated" });
    lastFrame = p.direction === "forward" ? Math.max(lastFrame, f.frame) : Math.min(lastFrame, f.frame);
  }
  out.stops[p.direction] = { reason: p.endReason, lastFrame };
}
