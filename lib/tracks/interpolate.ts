// THE interpolation of a point track between its keyframes. The annotator UI, every exporter and the metrics
// all call this module, so a track means the same thing everywhere.
import type { Keyframe, TrackPoint } from "./types";

export class InvalidTrackError extends Error {
  override name = "InvalidTrackError";
}

export interface InterpolationOptions {
  /** Number of frames in the video; keyframes must lie in [0, frameCount). */
  frameCount: number;
  /** Frames at which a new shot starts, each in (0, frameCount), any order, no duplicates. */
  shotBoundaries?: readonly number[];
}

/**
 * Problems that make `keyframes` unusable with `options`, as human-readable messages (empty when valid):
 * a non-integer or non-positive frameCount, a shot boundary outside (0, frameCount) or repeated, a keyframe
 * frame that is not an integer in [0, frameCount), a non-finite coordinate, or two keyframes on one frame.
 */
export function keyframeIssues(keyframes: readonly Keyframe[], options: InterpolationOptions): string[] {
  const issues: string[] = [];
  const { frameCount } = options;
  if (!Number.isInteger(frameCount) || frameCount <= 0) {
    issues.push(`frameCount must be a positive integer, got ${frameCount}`);
    return issues;
  }
  const seenBoundaries = new Set<number>();
  for (const b of options.shotBoundaries ?? []) {
    if (!Number.isInteger(b) || b <= 0 || b >= frameCount) issues.push(`shot boundary ${b} is not an integer in (0, ${frameCount})`);
    else if (seenBoundaries.has(b)) issues.push(`shot boundary ${b} is repeated`);
    seenBoundaries.add(b);
  }
  const seenFrames = new Set<number>();
  keyframes.forEach((k, i) => {
    if (!Number.isInteger(k.frame) || k.frame < 0 || k.frame >= frameCount) {
      issues.push(`keyframe ${i}: frame ${k.frame} is not an integer in [0, ${frameCount})`);
    } else if (seenFrames.has(k.frame)) {
      issues.push(`keyframe ${i}: frame ${k.frame} already has a keyframe`);
    }
    seenFrames.add(k.frame);
    if (!Number.isFinite(k.x) || !Number.isFinite(k.y)) issues.push(`keyframe ${i} (frame ${k.frame}): x/y must be finite numbers`);
  });
  return issues;
}

function assertValid(keyframes: readonly Keyframe[], options: InterpolationOptions): void {
  const issues = keyframeIssues(keyframes, options);
  if (issues.length) throw new InvalidTrackError(issues.join("; "));
}

/** Shot start frames, sorted, always beginning with 0. */
function shotStarts(options: InterpolationOptions): number[] {
  return [0, ...[...(options.shotBoundaries ?? [])].sort((a, b) => a - b)];
}

/** Index of the last element of the sorted array `xs` that is <= v, or -1. */
function lastAtOrBefore(xs: readonly number[], v: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= v) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * The point on `frame` given the keyframe at or before it (`prev`, same shot) and the next keyframe of the same
 * shot (`next`, or null). The single formula every caller shares: CVAT's points-track rule
 * `v = left + (right - left) * t` with the state (outside/occluded/visible) taken from the left keyframe.
 */
function pointFrom(frame: number, prev: Keyframe, next: Keyframe | null): TrackPoint {
  if (prev.frame === frame) return { frame, x: prev.x, y: prev.y, state: prev.state, source: prev.source, isKeyframe: true };
  if (!next) return { frame, x: prev.x, y: prev.y, state: prev.state, source: "interpolated", isKeyframe: false };
  const t = (frame - prev.frame) / (next.frame - prev.frame);
  return {
    frame,
    x: prev.x + (next.x - prev.x) * t,
    y: prev.y + (next.y - prev.y) * t,
    state: prev.state,
    source: "interpolated",
    isKeyframe: false,
  };
}

/**
 * Dense per-frame track from keyframes. Rules (CVAT "points" track semantics, plus shots):
 * - a keyframe's own frame returns the keyframe as is (`isKeyframe: true`, its own `source`);
 * - between two consecutive keyframes of the same shot, x and y are linear in the frame index and the state is
 *   the earlier keyframe's state: after an `occluded` keyframe positions keep interpolating but frames are
 *   `occluded`; after an `outside` keyframe every frame is `outside` (nothing drawn) until the next keyframe;
 * - after the last keyframe of a shot its position and state are held to the end of that shot (CVAT holds the
 *   last state);
 * - frames of a shot before that shot's first keyframe are unknown (`null`) — the track never interpolates
 *   or holds across a shot boundary (CVAT would call these frames `outside`; we keep "unknown" distinct);
 * - non-keyframe frames carry `source: "interpolated"`;
 * - consumers draw a frame iff it is non-null and its state is not `outside` (outside frames still carry the
 *   CVAT position so a later edit on them can copy it).
 * Keyframes may come in any order. Throws InvalidTrackError for a keyframe outside [0, frameCount), two
 * keyframes on one frame, a non-finite coordinate or a bad shot boundary.
 * Cost: O(frameCount + k log k).
 */
export function interpolateTrack(keyframes: readonly Keyframe[], options: InterpolationOptions): (TrackPoint | null)[] {
  assertValid(keyframes, options);
  const sorted = [...keyframes].sort((a, b) => a.frame - b.frame);
  const starts = shotStarts(options);
  const out: (TrackPoint | null)[] = new Array(options.frameCount).fill(null);
  let k = 0; // first keyframe not yet passed
  for (let s = 0; s < starts.length; s++) {
    const start = starts[s];
    const end = s + 1 < starts.length ? starts[s + 1] : options.frameCount;
    while (k < sorted.length && sorted[k].frame < start) k++;
    let prev: Keyframe | null = null;
    for (let f = start; f < end; f++) {
      if (k < sorted.length && sorted[k].frame === f) prev = sorted[k++];
      if (!prev) continue;
      const next = k < sorted.length && sorted[k].frame < end ? sorted[k] : null;
      out[f] = pointFrom(f, prev, next);
    }
  }
  return out;
}

/**
 * Random-access form of {@link interpolateTrack} for the UI (hundreds of context points drawn per frame): build
 * once per track edit, then `at(frame)` costs O(log k) and returns exactly what `interpolateTrack(...)[frame]`
 * returns.
 */
export class TrackSampler {
  private readonly sorted: Keyframe[];
  private readonly frames: number[];
  private readonly starts: number[];
  readonly frameCount: number;

  constructor(keyframes: readonly Keyframe[], options: InterpolationOptions) {
    assertValid(keyframes, options);
    this.sorted = [...keyframes].sort((a, b) => a.frame - b.frame);
    this.frames = this.sorted.map((k) => k.frame);
    this.starts = shotStarts(options);
    this.frameCount = options.frameCount;
  }

  at(frame: number): TrackPoint | null {
    if (!Number.isInteger(frame) || frame < 0 || frame >= this.frameCount) return null;
    const i = lastAtOrBefore(this.frames, frame);
    if (i < 0) return null;
    const s = lastAtOrBefore(this.starts, frame);
    const shotStart = this.starts[s];
    const shotEnd = s + 1 < this.starts.length ? this.starts[s + 1] : this.frameCount;
    const prev = this.sorted[i];
    if (prev.frame < shotStart) return null;
    const next = i + 1 < this.sorted.length && this.sorted[i + 1].frame < shotEnd ? this.sorted[i + 1] : null;
    return pointFrom(frame, prev, next);
  }
}
