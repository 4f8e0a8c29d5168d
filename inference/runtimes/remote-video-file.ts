// The other way to give a vLLM Molmo2 server a video: the file itself (`data:video/mp4;base64,…`), decoded and
// sampled by the server's "molmo2" video loader (vllm `vllm/multimodal/video.py` `Molmo2VideoBackend`, selected per
// request with `media_io_kwargs.video.video_backend` or server-wide with VLLM_VIDEO_LOADER_BACKEND=molmo2, as
// allenai/molmo2 scripts/unified_demo.py does). That loader samples by FRAME INDEX (`_sample_frames`), not by time
// like Molmo2's HF processor, and reports `frames_indices` with `do_sample_frames: False`, so Molmo2 writes
// `f"{idx / fps:.1f}"` before each frame. For integer rates in "fps" mode this is the processor's sampling; for
// others (29.97 fps → "uniform_last_frame") it picks other frames. This module mirrors the loader's sampler
// (checked against vLLM's code in test/fixtures/remote-vllm) so the answer's times map back to the frames the server
// took. It is the form for servers whose frame-list video ignores `frames_indices` (vLLM before PR #40133), at the
// price of uploading the whole file; it assumes the server's decoder (OpenCV) reports the frame count and rate
// lib/video's probe does.
import { readFile, stat } from "node:fs/promises";
import type { VideoMeta } from "../../lib/video";
import { pythonFixed1 } from "../frame-sampling";
import { RuntimeError, type RuntimeVideo } from "../runtime";

/** `Molmo2VideoBackend.get_candidate_target_fps` default `max_fps` (8.0). */
const LOADER_MAX_FPS = 8;

/** `Molmo2VideoBackend.get_candidate_target_fps`: multiples of `samplingFps` dividing int(videoFps), ≤ maxFps. */
export function loaderCandidateTargetFps(videoFps: number, samplingFps: number, maxFps = LOADER_MAX_FPS): number[] {
  const v = Math.trunc(videoFps);
  const s = Math.trunc(samplingFps);
  const m = Math.trunc(maxFps);
  if (v <= 0 || s <= 0) throw new RangeError(`video_fps and sampling_fps must be positive (got ${v}, ${s})`);
  if (v % s !== 0) throw new RangeError(`sampling_fps=${s} must divide video_fps=${v}.`);
  const out: number[] = [];
  for (let c = s; c <= v; c += s) {
    if (c > m) break;
    if (v % c === 0) out.push(c);
  }
  return out;
}

/** Python `int(x)` of a positive float. */
const int = (x: number) => Math.trunc(x);

/** `Molmo2VideoBackend.get_target_fps`: the candidate that best spans the video with the most frames. */
function getTargetFps(videoFps: number, maxFrames: number, totalFrames: number, frameSampleMode: string, candidates: readonly number[]): number | null {
  let sampled = 0;
  let selected: number | null = null;
  for (const target of candidates) {
    const step = Math.max(int(videoFps / target), 1);
    const atFps = int(totalFrames / step);
    if (sampled === 0) {
      if (frameSampleMode.includes("uniform") && atFps > maxFrames) break;
      selected = target;
      sampled = atFps;
    } else if (atFps > maxFrames) {
      continue;
    } else if (atFps > sampled) {
      selected = target;
      sampled = atFps;
    }
  }
  return selected;
}

/** numpy `np.linspace(0, stop, num, endpoint)` (float64: step · i, the last value set to stop when endpoint). */
function linspace(stop: number, num: number, endpoint: boolean): number[] {
  if (num <= 0) return [];
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? stop / div : NaN;
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(div > 0 ? (step === 0 ? (i / div) * stop : i * step) : 0);
  if (endpoint && num > 1) out[num - 1] = stop;
  return out;
}

/** numpy `np.round` (half to even). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `Molmo2VideoBackend._sample_frames`: the frame indices the loader decodes. */
export function loaderSampleFrames(totalNumFrames: number, videoFps: number, frameSampleMode: "fps" | "uniform_last_frame", numFrames: number, maxFps: number | null, samplingFps: number): number[] {
  const duration = videoFps > 0 ? totalNumFrames / videoFps : 0;
  if (frameSampleMode === "uniform_last_frame" && maxFps !== null) {
    if (totalNumFrames <= 2) return Array.from({ length: totalNumFrames }, (_, i) => i);
    if (duration > (numFrames - 1) / maxFps) return linspace(totalNumFrames - 1, Math.min(numFrames, totalNumFrames), true).map(int);
    // np.arange(0.0, stop=total-1, step=fps/max_fps): ceil(stop/step) values i·step.
    const step = videoFps / maxFps;
    const count = Math.max(Math.ceil((totalNumFrames - 1) / step), 0);
    const floats = Array.from({ length: count }, (_, i) => i * step);
    if (roundHalfEven(floats[floats.length - 1]!) !== totalNumFrames - 1) floats.push(totalNumFrames - 1);
    return floats.map(roundHalfEven);
  }
  if (frameSampleMode === "uniform_last_frame") return linspace(totalNumFrames - 1, Math.min(numFrames, totalNumFrames), true).map(int);
  const candidates = loaderCandidateTargetFps(videoFps, samplingFps);
  const target = getTargetFps(videoFps, numFrames, totalNumFrames, frameSampleMode, candidates);
  let idx: number[];
  if (target === null) {
    idx = linspace(totalNumFrames, numFrames, false).map(int);
  } else {
    const step = Math.max(int(videoFps / target), 1);
    idx = [];
    for (let i = 0; i < totalNumFrames; i += step) idx.push(i);
  }
  return idx.slice(0, numFrames);
}

/** What the server does with the file: the loader's mode and kwargs, the frames it takes and what it writes. */
export interface VideoFileSampling {
  /** `media_io_kwargs.video` for the molmo2 loader. */
  kwargs: { video_backend: "molmo2"; frame_sample_mode: "fps" | "uniform_last_frame"; num_frames: number; sampling_fps: number; max_fps: number };
  /** Native frame indices the server decodes, in order. */
  frames: number[];
  /** Their times as the server states them (idx / fps). */
  times: number[];
  /** The text before each frame (f"{idx / fps:.1f}"). */
  timestamps: string[];
}

/**
 * The loader's sampling for a tracking query: "fps" mode at `samplingFps` when the native rate has candidates (as
 * the HF processor), else "uniform_last_frame" with `max_fps = samplingFps` ("fps" would make the loader raise).
 */
export function videoFileSampling(meta: Pick<VideoMeta, "frameCount" | "fps">, samplingFps: number, maxFrames: number): VideoFileSampling {
  if (!(meta.fps > 0) || meta.frameCount < 1) throw new RuntimeError("video_unreadable", "The video has no frame rate or no frames");
  let mode: "fps" | "uniform_last_frame" = "fps";
  try {
    loaderCandidateTargetFps(meta.fps, samplingFps);
  } catch {
    mode = "uniform_last_frame";
  }
  // `_read_frames` decodes each wanted index once, in order: `frames_indices` are the sorted distinct indices.
  const frames = [...new Set(loaderSampleFrames(meta.frameCount, meta.fps, mode, maxFrames, samplingFps, samplingFps))].sort((a, b) => a - b);
  const times = frames.map((i) => i / meta.fps);
  return {
    kwargs: { video_backend: "molmo2", frame_sample_mode: mode, num_frames: maxFrames, sampling_fps: samplingFps, max_fps: samplingFps },
    frames,
    times,
    timestamps: times.map(pythonFixed1),
  };
}

const MIME: Record<string, string> = { mp4: "video/mp4", mov: "video/quicktime", webm: "video/webm", mkv: "video/x-matroska", avi: "video/x-msvideo" };

/** The file as a data URL, refusing files over `maxBytes` before reading them. */
export async function videoFileDataUrl(video: RuntimeVideo, maxBytes: number): Promise<string> {
  let size: number;
  try {
    size = (await stat(video.path)).size;
  } catch (e) {
    throw new RuntimeError("video_unreadable", `Cannot read '${video.path}': ${(e as Error).message}`);
  }
  const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
  if (size > maxBytes) {
    throw new RuntimeError("video_unreadable", `'${video.path}' is ${mb(size)}, over the remote runtime's maxVideoBytes (${mb(maxBytes)}) for videoForm "file": raise maxVideoBytes or use videoForm "frames"`);
  }
  const bytes = await readFile(video.path);
  return `data:${MIME[video.meta.container] ?? "video/mp4"};base64,${bytes.toString("base64")}`;
}
