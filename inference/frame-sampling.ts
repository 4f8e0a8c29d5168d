// Which native frames a video model sees. Two samplers, because two kinds of model are asked:
//
// - `sampleTrackingFrames`: Molmo2's TRAINING-time tracking sampler (olmo/data `TimeSampler` "fps" mode over
//   `get_candidate_sampling_fps`, MAX_VIDEO_FPS = 10). The built-in model keeps it on purpose: the trainer builds
//   every example with inference/builtin `sampleFrames` → this function (trainer/data/examples.ts), so the built-in
//   model was trained on exactly these frames at exactly these rates (10 fps for a 20/30/60 fps source where Molmo2's
//   inference processor would take 5 or 6). Switching it to the inference sampler would show the model frame spacings
//   it never saw and break the byte-for-byte agreement between training examples and inference inputs (and the
//   frame cache keyed on the sampled frames). The built-in contract has no field that asks for another sampler, so
//   none is offered here.
// - `sampleMolmo2Frames`: what Molmo2's released INFERENCE processor takes (olmo/hf_model/video_processing_molmo2.py
//   `Molmo2VideoProcessor.sample_times`, MAX_VIDEO_FPS = 8), for the remote runtime, whose server runs the released
//   Molmo2 checkpoints. Checked against the reference in test/fixtures/remote-prompt.
import { candidateSamplingFps, nearestFrame, sampleFps, sampleForTracking, sampleUniformLastFrame } from "../lib/grounding";
import type { VideoMeta } from "../lib/video";
import { RuntimeError } from "./runtime";

export interface FrameSampling {
  /** Native frame indices, strictly increasing. */
  frames: number[];
  /** Their times in seconds from the first frame (the grid's timestamps). */
  times: number[];
}

/**
 * lib/grounding's tracking sampler `sampleForTracking(duration, fps, samplingFps, maxFrames)`; when the native rate
 * has no tracking candidates (29.97 fps, …), `uniform_last_frame` at `samplingFps`. Each sampled time goes to the
 * nearest native frame (duplicates dropped). The built-in model's sampler (training = inference; see above).
 */
export function sampleTrackingFrames(meta: Pick<VideoMeta, "timestamps" | "fps" | "durationSec">, samplingFps: number, maxFrames: number): FrameSampling {
  const ts = meta.timestamps;
  if (ts.length === 0) throw new RuntimeError("video_unreadable", "The video has no decodable frames");
  const rel = ts.map((t) => t - ts[0]);
  const duration = Math.max(meta.durationSec, rel[rel.length - 1]);
  let times: number[];
  try {
    times = sampleForTracking(duration, meta.fps, samplingFps, maxFrames).times;
  } catch {
    times = sampleUniformLastFrame(duration, maxFrames, samplingFps).times;
  }
  const frames = [...new Set(times.map((t) => nearestFrame(rel, t)))].sort((a, b) => a - b);
  return { frames, times: frames.map((f) => rel[f]) };
}

/** `MAX_VIDEO_FPS` of Molmo2's HF video processor (olmo/hf_model/video_processing_molmo2.py); training used 10. */
export const MOLMO2_PROCESSOR_MAX_FPS = 8;

/** What the Molmo2 server is sent: one entry per frame of the processor's sampling, in order. */
export interface Molmo2FrameSampling {
  /** The sampled times in seconds (`Molmo2VideoProcessor.sample_times`). */
  times: number[];
  /** The native frame shown at each time (repeats possible, as in the processor). */
  frames: number[];
  /** Each frame's timestamp as the processor writes it before the frame's tokens (`get_video_string`: f"{t:.1f}"). */
  timestamps: string[];
  mode: "fps" | "uniform_last_frame";
  /** The rate of the time grid in "fps" mode (times are k / rate); null in uniform_last_frame mode. */
  rate: number | null;
  /** The clip duration the sampler used (seconds). */
  duration: number;
}

/**
 * Python's `f"{t:.1f}"`: the decimal nearest to the double's exact value, ties to even (JS `toFixed` breaks ties
 * upwards: 0.25 → "0.3" where Python writes "0.2").
 */
export function pythonFixed1(t: number): string {
  if (!Number.isFinite(t) || t < 0) throw new RangeError(`not a time in seconds: ${t}`);
  // toFixed rounds the exact value too; they differ only on exact ties t·10 = k + ½, i.e. t = odd / 4.
  const q = t * 4; // exact (power-of-two scaling)
  if (!Number.isInteger(q) || q % 2 === 0) return t.toFixed(1);
  const lower = Math.floor(t * 10); // t·10 = 2.5·q is exact
  const n = lower % 2 === 0 ? lower : lower + 1;
  return `${Math.floor(n / 10)}.${n % 10}`;
}

/** Seconds of each native frame from the first one. */
export function relativeTimes(meta: Pick<VideoMeta, "timestamps">): number[] {
  const ts = meta.timestamps;
  return ts.map((t) => t - ts[0]!);
}

/**
 * The frames Molmo2's HF video processor samples for tracking when it decodes a video itself
 * (`Molmo2VideoProcessor.sample_times` with frame_sample_mode "fps": candidate rates = multiples of `samplingFps`
 * dividing the native rate, ≤ 8; the densest whose `maxFrames` still span the clip; times k / rate < duration).
 * A native rate with no candidate (29.97 fps, …) makes the processor raise; then its default mode,
 * "uniform_last_frame" with max_fps = `samplingFps`, is used. Each time shows the frame playing then
 * (`read_video_pyav`/`read_video_decord`: the first frame whose end time is after t), duration = the frames' span.
 */
export function sampleMolmo2Frames(meta: Pick<VideoMeta, "timestamps" | "fps" | "frameCount" | "isVfr">, samplingFps: number, maxFrames: number): Molmo2FrameSampling {
  const rel = relativeTimes(meta);
  const n = rel.length;
  if (n === 0) throw new RuntimeError("video_unreadable", "The video has no decodable frames");
  // Constant rate: n / fps, as the decoders' last end time; variable: the last frame lasts as long as the one before.
  const duration = !meta.isVfr && meta.fps > 0 ? n / meta.fps : rel[n - 1]! + (n > 1 ? rel[n - 1]! - rel[n - 2]! : 0);
  let mode: Molmo2FrameSampling["mode"] = "fps";
  let times: number[];
  let rate: number | null = null;
  try {
    const s = sampleFps(duration, maxFrames, candidateSamplingFps(meta.fps, samplingFps, MOLMO2_PROCESSOR_MAX_FPS));
    times = s.times;
    rate = s.fps;
  } catch {
    mode = "uniform_last_frame";
    times = sampleUniformLastFrame(duration, maxFrames, samplingFps).times;
  }
  // Probed timestamps are rounded to microseconds; the decoders' are exact, so allow that much.
  const frames = times.map((t) => {
    let i = 0;
    while (i + 1 < n && rel[i + 1]! <= t + 1e-6) i++;
    return i;
  });
  // The processor's metadata: frames_indices = t·fps, timestamps = frames_indices / fps.
  const timestamps = times.map((t) => pythonFixed1(meta.fps > 0 ? (t * meta.fps) / meta.fps : t));
  return { times, frames, timestamps, mode, rate, duration };
}
