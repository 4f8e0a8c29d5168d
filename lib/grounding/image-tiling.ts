// Molmo2 image tiling, `crop_mode="overlap-and-resize-c2"` (olmo/preprocessing/image_preprocessor.py:
// select_tiling, build_overlapping_crops; olmo/preprocessing/multicrop_preprocessor.py).
import { arangeForPooling } from "./pooling";

/** Geometry settings of the SigLIP2 multi-crop preprocessor (Molmo2/MolmoPoint defaults). */
export interface TilingConfig {
  /** Crop side in pixels (378). */
  cropSize: number;
  /** ViT patch side in pixels (14). */
  patchSize: number;
  /** Overlap margins in patches, [left/top, right/bottom] ((4, 4)). */
  overlapMargins: [number, number];
  /** Pooling window (2×2 for images). */
  poolH: number;
  poolW: number;
}

export const DEFAULT_TILING: TilingConfig = { cropSize: 378, patchSize: 14, overlapMargins: [4, 4], poolH: 2, poolW: 2 };

const f32 = Math.fround;

/**
 * Picks (rows, cols) with rows·cols ≤ maxCrops for an `h × w` image (margins already removed):
 * the tiling needing the least upscaling, or the least downscaling if every tiling downscales.
 * Scales are computed in float32 like the reference; ties favour fewer crops, then fewer rows.
 */
export function selectTiling(h: number, w: number, patchSize: number, maxCrops: number): [number, number] {
  if (!Number.isInteger(maxCrops) || maxCrops < 1) throw new Error(`maxCrops must be a positive integer, got ${maxCrops}`);
  const tilings: [number, number][] = [];
  for (let i = 1; i <= maxCrops; i++) for (let j = 1; j <= maxCrops; j++) if (i * j <= maxCrops) tilings.push([i, j]);
  tilings.sort((a, b) => a[0] * a[1] - b[0] * b[1] || a[0] - b[0]);
  const hf = f32(h);
  const wf = f32(w);
  // float32 division of two float32 values; x/0 = Infinity as with numpy's errstate(divide="ignore").
  const scales = tilings.map(([r, c]) => Math.min(f32(f32(r * patchSize) / hf), f32(f32(c * patchSize) / wf)));
  let ix = 0;
  if (scales.every((s) => s < 1)) {
    for (let k = 1; k < scales.length; k++) if (scales[k] > scales[ix]) ix = k;
  } else {
    const masked = scales.map((s) => (s < 1 ? 10e9 : s));
    for (let k = 1; k < masked.length; k++) if (masked[k] < masked[ix]) ix = k;
  }
  return tilings[ix];
}

/** Everything needed to map points of one image to MolmoPoint targets and back. */
export interface ImageGrid {
  kind: "image";
  /** Original image size in pixels. */
  imageWidth: number;
  imageHeight: number;
  /** Crop tiling (rows, cols). */
  tiling: [number, number];
  /** Size of the resized image the crops are cut from. */
  resizedWidth: number;
  resizedHeight: number;
  /** `token_mapping`: shape `[mapH, mapW]`, ViT patch id (in the crop tensor, global crop first) of every 14-px patch of the resized image. */
  mapH: number;
  mapW: number;
  tokenMapping: Int32Array;
  /** `token_pooling`: `[nTokens, cells]` ViT patch ids per image token, global-crop tokens first. */
  nTokens: number;
  cells: number;
  tokenPooling: Int32Array;
  /** 1 for tokens that can be pointed at (high-res tokens), 0 for global-crop (`<im_low>`) tokens. */
  indexable: Uint8Array;
  /** Number of leading non-indexable global-crop tokens. */
  nGlobalTokens: number;
}

/**
 * Builds the `overlap-and-resize-c2` geometry of a `width × height` image for `maxCrops`: tiling,
 * resized size, the stitched `token_mapping` (overlap regions removed) and `token_pooling` with the
 * global crop's tokens first (non-indexable in MolmoPoint).
 */
export function buildImageGrid(width: number, height: number, maxCrops: number, cfg: TilingConfig = DEFAULT_TILING): ImageGrid {
  for (const [name, v] of [["width", width], ["height", height]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`image ${name} must be a positive integer, got ${v}`);
  }
  const { cropSize, patchSize, poolH, poolW } = cfg;
  const [leftMargin, rightMargin] = cfg.overlapMargins;
  const totalMarginPixels = patchSize * (leftMargin + rightMargin);
  const cropPatches = Math.floor(cropSize / patchSize);
  const windowPatches = cropPatches - (leftMargin + rightMargin);
  const windowSize = windowPatches * patchSize;
  const tiling = selectTiling(Math.max(height - totalMarginPixels, 1), Math.max(width - totalMarginPixels, 1), windowSize, maxCrops);
  const [rows, cols] = tiling;
  const resizedHeight = rows * windowSize + totalMarginPixels;
  const resizedWidth = cols * windowSize + totalMarginPixels;
  const mapH = Math.floor(resizedHeight / patchSize);
  const mapW = Math.floor(resizedWidth / patchSize);
  const perCrop = cropPatches * cropPatches;

  // Walk the crops in the stitched order (crop row, patch row, crop col, patch col) and keep the
  // patches outside the overlap margins, exactly like the reference's transpose + filter.
  const tokenMapping = new Int32Array(mapH * mapW);
  let k = 0;
  for (let i = 0; i < rows; i++) {
    for (let y = 0; y < cropPatches; y++) {
      if (i !== 0 && y < leftMargin) continue;
      if (i !== rows - 1 && y >= cropPatches - rightMargin) continue;
      for (let j = 0; j < cols; j++) {
        for (let x = 0; x < cropPatches; x++) {
          if (j !== 0 && x < leftMargin) continue;
          if (j !== cols - 1 && x >= cropPatches - rightMargin) continue;
          // + perCrop: the global crop is prepended to the crop tensor.
          tokenMapping[k++] = (i * cols + j) * perCrop + y * cropPatches + x + perCrop;
        }
      }
    }
  }
  if (k !== mapH * mapW) throw new Error(`internal: stitched grid has ${k} patches, expected ${mapH}×${mapW}`);

  const globalIdx = new Int32Array(perCrop);
  for (let p = 0; p < perCrop; p++) globalIdx[p] = p;
  const globalPool = arangeForPooling(globalIdx, cropPatches, cropPatches, poolH, poolW);
  const hiPool = arangeForPooling(tokenMapping, mapH, mapW, poolH, poolW);
  const cells = poolH * poolW;
  const nGlobalTokens = globalPool.h * globalPool.w;
  const nTokens = nGlobalTokens + hiPool.h * hiPool.w;
  const tokenPooling = new Int32Array(nTokens * cells);
  tokenPooling.set(globalPool.table, 0);
  tokenPooling.set(hiPool.table, globalPool.table.length);
  const indexable = new Uint8Array(nTokens);
  indexable.fill(1, nGlobalTokens);
  return {
    kind: "image", imageWidth: width, imageHeight: height, tiling, resizedWidth, resizedHeight,
    mapH, mapW, tokenMapping, nTokens, cells, tokenPooling, indexable, nGlobalTokens,
  };
}
