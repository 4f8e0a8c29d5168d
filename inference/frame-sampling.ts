// Which native frames a video model sees, shared by every runtime so the built-in and remote models are asked
// about the same frames.
import { nearestFrame, sampleForTracking, sampleUniformLastFrame } from "../lib/grounding";
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
 * nearest native frame (duplicates dropped).
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
