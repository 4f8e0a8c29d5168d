// Video token geometry: every frame is one 378×378 resize (no tiling), pooled 3×3
// (olmo/preprocessing/video_preprocessor.py: TokenIndexingVideoPreprocessor.video_to_patches_and_tokens).
import { arangeForPooling } from "./pooling";

/** Everything needed to map (t, x, y) points of a sampled video to MolmoPoint targets and back. */
export interface VideoGrid {
  kind: "video";
  /** Native frame size in pixels. */
  imageWidth: number;
  imageHeight: number;
  /** Timestamps (seconds) of the sampled frames, one per frame. */
  timestamps: Float64Array;
  nFrames: number;
  /** `token_mapping`: `[nFrames, mapH, mapW]` ViT patch ids (frame-major arange). */
  mapH: number;
  mapW: number;
  tokenMapping: Int32Array;
  /** `token_pooling`: `[nTokens, cells]`, frame-major. */
  nTokens: number;
  cells: number;
  tokenPooling: Int32Array;
  /** All video tokens are indexable. */
  indexable: Uint8Array;
  tokensPerFrame: number;
}

/** Builds the video geometry for `timestamps.length` sampled frames of a `width × height` video. */
export function buildVideoGrid(
  width: number,
  height: number,
  timestamps: ArrayLike<number>,
  opts: { cropSize?: number; patchSize?: number; pool?: number } = {},
): VideoGrid {
  for (const [name, v] of [["width", width], ["height", height]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`video ${name} must be a positive integer, got ${v}`);
  }
  const nFrames = timestamps.length;
  if (nFrames < 1) throw new Error("a video needs at least one sampled frame");
  for (let i = 0; i < nFrames; i++) {
    if (!Number.isFinite(timestamps[i])) throw new Error(`timestamps[${i}] is not a finite number`);
  }
  const cropSize = opts.cropSize ?? 378;
  const patchSize = opts.patchSize ?? 14;
  const pool = opts.pool ?? 3;
  const side = Math.floor(cropSize / patchSize);
  const patches = side * side;
  const frameIdx = new Int32Array(patches);
  for (let p = 0; p < patches; p++) frameIdx[p] = p;
  const framePool = arangeForPooling(frameIdx, side, side, pool, pool);
  const cells = pool * pool;
  const tokensPerFrame = framePool.h * framePool.w;
  const nTokens = tokensPerFrame * nFrames;
  const tokenPooling = new Int32Array(nTokens * cells);
  for (let f = 0; f < nFrames; f++) {
    const base = f * tokensPerFrame * cells;
    for (let k = 0; k < framePool.table.length; k++) {
      const v = framePool.table[k];
      tokenPooling[base + k] = v < 0 ? v : v + f * patches;
    }
  }
  const tokenMapping = new Int32Array(nFrames * patches);
  for (let k = 0; k < tokenMapping.length; k++) tokenMapping[k] = k;
  return {
    kind: "video", imageWidth: width, imageHeight: height, timestamps: Float64Array.from(timestamps), nFrames,
    mapH: side, mapW: side, tokenMapping, nTokens, cells, tokenPooling, indexable: new Uint8Array(nTokens).fill(1), tokensPerFrame,
  };
}
