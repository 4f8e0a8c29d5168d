// Frames for the built-in model: which native frames the model sees (lib/grounding tracking sampling), decoding
// them exactly through lib/video's FrameStore (frame-exact index; raw RGB, a lossless PNG's pixels without the
// compression), and the contract's preprocessing (resize to cropSize², normalise, CHW float32).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { FrameStore, isVideoError, rawRgbFrame, type VideoMeta } from "../../lib/video";
import { sampleTrackingFrames, type FrameSampling } from "../frame-sampling";
import { RuntimeError, type RuntimeVideo } from "../runtime";
import type { BuiltinConfig } from "./contract";

export type { FrameSampling };

/** The frames the built-in model sees: the shared tracking sampler at the model's sampling rate and frame budget. */
export function sampleFrames(meta: Pick<VideoMeta, "timestamps" | "fps" | "durationSec">, config: BuiltinConfig): FrameSampling {
  return sampleTrackingFrames(meta, config.video.samplingFps, config.video.maxFrames);
}

export interface RgbFrame {
  width: number;
  height: number;
  /** Row-major RGB bytes. */
  data: Uint8Array;
}

/** Decodes the given native frames of a video (in order), raw RGB via FrameStore into a private temp cache. */
export async function readFrames(video: RuntimeVideo, frames: readonly number[], signal: AbortSignal, onFrame?: (done: number) => void): Promise<RgbFrame[]> {
  const dir = mkdtempSync(path.join(tmpdir(), "gt-builtin-frames-"));
  // Sparse samples (every few frames): one-frame chunks decode only what the model sees; dense ones share chunks.
  const span = frames.length > 1 ? (frames[frames.length - 1] - frames[0]) / (frames.length - 1) : Infinity;
  const store = new FrameStore({ cacheDir: dir, chunkSize: span < 2 ? 8 : 1, format: "rgb", maxConcurrentDecodes: 1 });
  // FrameStore ids are path components: keep the caller's id when it is one, else a safe stand-in.
  const source = { id: /^[A-Za-z0-9_-]{1,128}$/.test(video.id) ? video.id : "video", path: video.path, meta: video.meta };
  const out: RgbFrame[] = [];
  try {
    for (const f of frames) {
      if (signal.aborted) throw new RuntimeError("cancelled", "The query was cancelled");
      let frame: RgbFrame;
      try {
        frame = rawRgbFrame(await store.readFrame(source, f), video.meta.width, video.meta.height);
      } catch (e) {
        if (isVideoError(e)) throw new RuntimeError("video_unreadable", `Cannot decode frame ${f} of '${video.path}': ${e.message}`);
        throw new RuntimeError("video_unreadable", `Cannot read frame ${f} of '${video.path}': ${(e as Error).message}`);
      }
      out.push(frame);
      onFrame?.(out.length);
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The contract's preprocessing of one frame into `out` at `offset` (CHW, `size`²): bilinear resize with half-pixel
 * centres (no antialiasing, no aspect preservation), then `(v/255 − mean[c]) / std[c]`.
 */
export function preprocessFrame(frame: RgbFrame, config: BuiltinConfig, out: Float32Array, offset: number): void {
  const S = config.image.cropSize;
  const { width: w, height: h, data } = frame;
  const plane = S * S;
  const sx = w / S;
  const sy = h / S;
  const scale = [0, 1, 2].map((c) => 1 / (255 * config.image.std[c]));
  const shift = [0, 1, 2].map((c) => config.image.mean[c] / config.image.std[c]);
  for (let y = 0; y < S; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const wy = fy - y0;
    for (let x = 0; x < S; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const wx = fx - x0;
      const a = (y0 * w + x0) * 3;
      const b = (y0 * w + x1) * 3;
      const c = (y1 * w + x0) * 3;
      const d = (y1 * w + x1) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const top = data[a + ch] + (data[b + ch] - data[a + ch]) * wx;
        const bot = data[c + ch] + (data[d + ch] - data[c + ch]) * wx;
        out[offset + ch * plane + y * S + x] = (top + (bot - top) * wy) * scale[ch] - shift[ch];
      }
    }
  }
}
