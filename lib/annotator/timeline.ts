// Timeline model: the target's visibility as runs of frames (visible / occluded / outside / unknown), the
// cached-chunk buffer as runs, and the frame-exact time label. Computed from THE shared interpolation.
import { interpolateTrack, type Keyframe, type PointState } from "../tracks";

export type BandState = PointState | "unknown";

export interface Run<S> {
  /** First frame of the run. */
  start: number;
  /** Last frame of the run (inclusive). */
  end: number;
  state: S;
}

/** Consecutive frames with the same interpolated state, covering [0, frameCount). */
export function visibilityRuns(keyframes: readonly Keyframe[], frameCount: number, shotBoundaries: readonly number[]): Run<BandState>[] {
  const points = interpolateTrack(keyframes, { frameCount, shotBoundaries });
  const runs: Run<BandState>[] = [];
  for (let f = 0; f < frameCount; f++) {
    const s: BandState = points[f]?.state ?? "unknown";
    const last = runs[runs.length - 1];
    if (last && last.state === s && last.end === f - 1) last.end = f;
    else runs.push({ start: f, end: f, state: s });
  }
  return runs;
}

/** Frame ranges covered by the loaded chunks (adjacent chunks merged). */
export function bufferRuns(loadedChunks: readonly number[], chunkSize: number, frameCount: number): Run<"cached">[] {
  const runs: Run<"cached">[] = [];
  for (const c of [...loadedChunks].sort((a, b) => a - b)) {
    const start = c * chunkSize;
    const end = Math.min(frameCount, start + chunkSize) - 1;
    if (start > end) continue;
    const last = runs[runs.length - 1];
    if (last && last.end === start - 1) last.end = end;
    else runs.push({ start, end, state: "cached" });
  }
  return runs;
}

/** The frame's timestamp from the video's frame-exact index (falls back to frame / fps without an index). */
export function frameTime(frame: number, timestamps: readonly number[], fps: number): number {
  const t = timestamps[frame];
  return t === undefined ? frame / fps : t;
}

/** "12.480 s" style label; minutes are shown past 60 s. */
export function formatTime(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 60) return `${s.toFixed(3)} s`;
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(3).padStart(6, "0")}`;
}

/** The frame shown at `elapsed` seconds after `fromFrame` during playback: the last frame whose timestamp has come. */
export function frameAtPlayback(fromFrame: number, elapsed: number, timestamps: readonly number[], fps: number, frameCount: number): number {
  const t0 = frameTime(fromFrame, timestamps, fps);
  const target = t0 + elapsed;
  let lo = fromFrame;
  let hi = frameCount - 1;
  let found = fromFrame;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (frameTime(mid, timestamps, fps) <= target + 1e-9) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Timeline x (pixels) ↔ frame for a timeline `width` pixels wide. */
export function frameToX(frame: number, frameCount: number, width: number): number {
  return (frame / Math.max(1, frameCount)) * width;
}

export function xToFrame(x: number, frameCount: number, width: number): number {
  return Math.min(frameCount - 1, Math.max(0, Math.floor((x / Math.max(1, width)) * frameCount)));
}
