// Video frame-time sampling (olmo/data/video_loader.py: TimeSampler; tracking overrides from
// olmo/data/academic_video_track_datasets.py: get_candidate_sampling_fps).

/** Result of a time sampler: the chosen fps (null for uniform modes) and frame timestamps in seconds. */
export interface SampledTimes {
  fps: number | null;
  times: number[];
}

/** `numpy.linspace(0, stop, num, endpoint)` with numpy's exact float arithmetic. */
function linspace(stop: number, num: number, endpoint: boolean): number[] {
  if (num <= 0) return [];
  const div = endpoint ? num - 1 : num;
  if (div === 0) return [0];
  const step = stop / div;
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(step === 0 ? (i / div) * stop : i * step);
  if (endpoint && num > 1) out[num - 1] = stop;
  return out;
}

/** `numpy.arange(0.0, stop, step)`: ceil(stop/step) values i·step. */
function arange(stop: number, step: number): number[] {
  const n = Math.max(Math.ceil(stop / step), 0);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(i * step);
  return out;
}

function checkDuration(duration: number, maxFrames: number): void {
  if (!Number.isFinite(duration) || duration < 0) throw new Error(`duration must be a finite number ≥ 0, got ${duration}`);
  if (!Number.isInteger(maxFrames) || maxFrames < 1) throw new Error(`maxFrames must be a positive integer, got ${maxFrames}`);
}

/** `frame_sample_mode="uniform"`: `maxFrames` evenly spaced times in [0, duration). */
export function sampleUniform(duration: number, maxFrames: number): SampledTimes {
  checkDuration(duration, maxFrames);
  return { fps: null, times: linspace(duration, maxFrames, false) };
}

/**
 * `frame_sample_mode="uniform_last_frame"` (Molmo2/MolmoPoint default, inference: first `max_fps`):
 * if `(maxFrames-1)/maxFps < duration` sample `maxFrames` times uniformly including the last one,
 * else every `1/maxFps` seconds plus the final time. `maxFps = null` always samples uniformly.
 */
export function sampleUniformLastFrame(duration: number, maxFrames: number, maxFps: number | null): SampledTimes {
  checkDuration(duration, maxFrames);
  if (maxFps === null || maxFps === 0) return { fps: null, times: linspace(duration, maxFrames, true) };
  if (!(maxFps > 0)) throw new Error(`maxFps must be > 0, got ${maxFps}`);
  const maxDuration = (maxFrames - 1) / maxFps;
  if (maxDuration < duration) return { fps: null, times: linspace(duration, maxFrames, true) };
  const times = arange(duration, 1 / maxFps);
  times.push(duration);
  if (times.length > maxFrames) throw new Error(`internal: ${times.length} frames > maxFrames ${maxFrames}`);
  return { fps: null, times };
}

/**
 * `frame_sample_mode="fps"` (tracking): the largest candidate fps (in the given order) with
 * `maxFrames / fps ≥ duration`, falling back to the first candidate; times are `i / fps < duration`.
 */
export function sampleFps(duration: number, maxFrames: number, candidateFps: readonly number[]): SampledTimes {
  checkDuration(duration, maxFrames);
  if (candidateFps.length === 0) throw new Error("candidateFps must not be empty");
  let fps = candidateFps[0];
  for (const c of candidateFps.slice(1)) {
    if (maxFrames / c < duration) break;
    fps = c;
  }
  const times: number[] = [];
  for (let i = 0; i < maxFrames; i++) {
    const t = i / fps;
    if (t < duration) times.push(t);
  }
  return { fps, times };
}

/** Maximum fps a tracking example is sampled at (`MAX_VIDEO_FPS`). */
export const MAX_VIDEO_FPS = 10;

/**
 * Candidate sampling rates for tracking: divisors of the (integer) native fps that are multiples of
 * `samplingFps` and ≤ `maxFps`, ascending.
 */
export function candidateSamplingFps(videoFps: number, samplingFps: number, maxFps: number = MAX_VIDEO_FPS): number[] {
  const v = Math.trunc(videoFps);
  const s = Math.trunc(samplingFps);
  if (v <= 0 || s <= 0) throw new Error(`Must be positive (got ${v}, ${s})`);
  if (v % s !== 0) throw new Error(`sampling_fps=${s} must divide video_fps=${v}`);
  const out: number[] = [];
  for (let c = s; c <= v; c += s) {
    if (c > maxFps) break;
    if (v % c === 0) out.push(c);
  }
  return out;
}

/** Index of the sampled frame nearest to `t` (first one on ties), as `argmin(|timestamps - t|)`. */
export function nearestFrame(timestamps: ArrayLike<number>, t: number): number {
  let best = 0;
  let bestD = Infinity;
  for (let i = 0; i < timestamps.length; i++) {
    const d = Math.abs(timestamps[i] - t);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

/**
 * Tracking-example sampling (`TrackingDataset` overrides): "fps" mode over the candidate rates of
 * `candidateSamplingFps(videoFps, samplingFps)` — the densest rate whose `maxFrames` still span the clip.
 */
export function sampleForTracking(duration: number, videoFps: number, samplingFps: number, maxFrames: number): SampledTimes {
  return sampleFps(duration, maxFrames, candidateSamplingFps(videoFps, samplingFps));
}
