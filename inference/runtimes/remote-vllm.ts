// How a vLLM server running Molmo2 learns when each frame of a frame-list video was shown, and what it then writes
// before each frame. Evidence (see test/fixtures/remote-vllm/README.md for the exact files):
//
// - vllm `vllm/multimodal/media/video.py` `VideoMediaIO.load_base64`: a `data:video/jpeg;base64,<f1>,<f2>,…` URL is
//   a pre-extracted frame list. Its metadata comes from the request's `media_io_kwargs["video"]` (vllm PR #40133):
//   `fps` (default 1), `frames_indices` (ints, one per frame; default 0..N-1), `total_num_frames` (≥ N),
//   `duration`, `do_sample_frames` (default False). `num_frames` (default 32!) caps how many frames are read, so
//   it is sent too. Before PR #37301 the metadata was `{}` and Molmo2 failed (`VideoMetadata` needs
//   total_num_frames); between #37301 and #40133 only `fps` was honoured (frames_indices = 0..N-1).
// - vllm `vllm/model_executor/models/molmo2.py` `Molmo2ProcessingInfo._get_video_second_idx`: with
//   do_sample_frames False the timestamps are `frame_idx / metadata["fps"]` for `frames_indices`, and
//   `get_video_replacement_molmo2` writes `f"{frame_time:.1f} "` before each frame's tokens — the same text as the
//   HF processor's `get_video_string`.
// - `mm_processor_kwargs: {"do_sample_frames": false}` keeps the HF processor from re-sampling the frames.
//
// So the frames go with metadata whose `frames_indices / fps` reproduce the timestamps Molmo2's own processor writes
// (`sampleMolmo2Frames`). Indices must be integers, so the clock is chosen per request: the frame grid itself when
// the times are evenly spaced (fps mode: k / rate; uniform mode: k · duration / (N-1)) — that form also works on
// servers that honour only `fps` — else milliseconds (or microseconds), checked string for string.
import type { Molmo2FrameSampling } from "../frame-sampling";
import { pythonFixed1 } from "../frame-sampling";
import { RuntimeError } from "../runtime";

/** `media_io_kwargs["video"]` for a frame-list video (vllm VideoMediaIO kwargs; PR #40133 metadata fields). */
export interface VllmFrameListKwargs {
  /** How many comma-separated frames VideoMediaIO reads (its default, 32, would drop the rest). */
  num_frames: number;
  fps: number;
  frames_indices: number[];
  total_num_frames: number;
  duration: number;
  do_sample_frames: false;
}

export interface VllmTimedFrames {
  kwargs: VllmFrameListKwargs;
  /** Which clock `frames_indices` count in. */
  clock: "frame-grid" | "milliseconds" | "microseconds";
  /** The timestamp text the server writes before each frame (checked equal to the processor's). */
  timestamps: string[];
}

/**
 * What vLLM's Molmo2 writes before each frame of a video item whose frames are not re-sampled:
 * `_get_video_second_idx` (frame_idx / fps) formatted `f"{t:.1f}"`.
 */
export function vllmMolmo2Timestamps(framesIndices: readonly number[], fps: number): string[] {
  if (!(fps > 0)) throw new RangeError(`fps must be > 0, got ${fps}`);
  return framesIndices.map((i) => pythonFixed1(i / fps));
}

function sameText(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The frame-list metadata under which vLLM's Molmo2 writes exactly `sampling.timestamps`. Throws (model_invalid)
 * only if no clock reproduces them, which the fixture cases show does not happen for real samplings.
 */
export function vllmFrameListMetadata(sampling: Molmo2FrameSampling): VllmTimedFrames {
  const n = sampling.times.length;
  if (n === 0) throw new RuntimeError("video_unreadable", "No frames were sampled from the video");
  const common = { num_frames: n, duration: sampling.duration, do_sample_frames: false as const };
  const grid = Array.from({ length: n }, (_, k) => k);
  // Evenly spaced times: frame k of a video at `rate` fps. fps mode: k / rate exactly; uniform: linspace's step.
  const last = sampling.times[n - 1]!;
  const rate = sampling.rate ?? (n > 1 && last > 0 ? (n - 1) / last : null);
  if (rate !== null && rate > 0) {
    const ts = vllmMolmo2Timestamps(grid, rate);
    if (sameText(ts, sampling.timestamps)) return { kwargs: { ...common, fps: rate, frames_indices: grid, total_num_frames: n }, clock: "frame-grid", timestamps: ts };
  } else if (n === 1 && sampling.timestamps[0] === "0.0") {
    return { kwargs: { ...common, fps: 1, frames_indices: [0], total_num_frames: 1 }, clock: "frame-grid", timestamps: ["0.0"] };
  }
  for (const [clock, scale] of [["milliseconds", 1000], ["microseconds", 1_000_000]] as const) {
    const idx = sampling.times.map((t) => Math.round(t * scale));
    const ts = vllmMolmo2Timestamps(idx, scale);
    if (sameText(ts, sampling.timestamps)) {
      return { kwargs: { ...common, fps: scale, frames_indices: idx, total_num_frames: Math.max(n, idx[n - 1]! + 1) }, clock, timestamps: ts };
    }
  }
  throw new RuntimeError("model_invalid", `cannot express the sampled times ${JSON.stringify(sampling.times.slice(0, 8))}… as vLLM frame indices with the processor's timestamps`);
}
