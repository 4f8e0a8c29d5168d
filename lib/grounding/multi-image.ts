// Several images in one example (`MultiImagePreprocessor`; MolmoPoint `_process_mm_data` offsets and
// `build_pointing_targets_multi_image`): each image is tiled on its own (max_multi_image_crops), and
// its tokens follow the previous images' tokens.
import { buildImageGrid, DEFAULT_TILING, type ImageGrid, type TilingConfig } from "./image-tiling";
import { compareTargets, decodeTarget, encodeNormalizedPoint, type PointTarget } from "./codec";

/** The token layout of an image group. */
export interface MultiImageGrid {
  kind: "multi-image";
  images: ImageGrid[];
  /** Index of each image's first token in the concatenated token list. */
  tokenOffsets: number[];
  /** Total tokens (rows of the concatenated `token_pooling`). */
  nTokens: number;
  cells: number;
  /** 1 for high-res tokens of every image, 0 for their global-crop tokens. */
  indexable: Uint8Array;
  /** Concatenated `token_pooling` with each image's ViT ids shifted past the previous images' crops. */
  tokenPooling: Int32Array;
}

/** Builds the grids of `sizes` (`[width, height]` per image) with `maxCrops` per image (SFT: 8). */
export function buildMultiImageGrid(sizes: readonly (readonly [number, number])[], maxCrops: number, cfg: TilingConfig = DEFAULT_TILING): MultiImageGrid {
  if (sizes.length === 0) throw new Error("an image group needs at least one image");
  const images = sizes.map(([w, h]) => buildImageGrid(w, h, maxCrops, cfg));
  const tokenOffsets: number[] = [];
  let nTokens = 0;
  for (const g of images) {
    tokenOffsets.push(nTokens);
    nTokens += g.nTokens;
  }
  const cells = images[0].cells;
  const tokenPooling = new Int32Array(nTokens * cells);
  const indexable = new Uint8Array(nTokens);
  const perCrop = Math.floor(cfg.cropSize / cfg.patchSize) ** 2;
  let vitOffset = 0;
  images.forEach((g, k) => {
    const base = tokenOffsets[k] * cells;
    for (let i = 0; i < g.tokenPooling.length; i++) {
      const v = g.tokenPooling[i];
      tokenPooling[base + i] = v >= 0 ? v + vitOffset : v;
    }
    indexable.set(g.indexable, tokenOffsets[k]);
    vitOffset += (g.tiling[0] * g.tiling[1] + 1) * perCrop; // crops + the global crop
  });
  return { kind: "multi-image", images, tokenOffsets, nTokens, cells, indexable, tokenPooling };
}

function imageOf(grid: MultiImageGrid, i: number, what: string): ImageGrid {
  if (!Number.isInteger(i) || i < 0 || i >= grid.images.length) throw new Error(`${what}: image index ${i} outside [0, ${grid.images.length})`);
  return grid.images[i];
}

/** Points `[imageIndex, x, y]` (pixels of that image) → targets sorted by (patch, subpatch, location). */
export function encodeMultiImagePoints(grid: MultiImageGrid, points: readonly (readonly [number, number, number])[]): PointTarget[] {
  return points
    .map(([i, x, y], k) => {
      const g = imageOf(grid, i, `points[${k}]`);
      const t = encodeNormalizedPoint(g, x / g.imageWidth, y / g.imageHeight);
      return { ...t, patch: t.patch + grid.tokenOffsets[i] };
    })
    .sort(compareTargets);
}

/** Decodes one target to `[imageIndex, x, y]`, or null (terminator, global-crop token, padding). */
export function decodeMultiImageTarget(grid: MultiImageGrid, t: PointTarget): number[] | null {
  if (!Number.isInteger(t.patch) || t.patch < 0 || t.patch >= grid.nTokens) return null;
  let k = grid.images.length - 1;
  while (grid.tokenOffsets[k] > t.patch) k--;
  const p = decodeTarget(grid.images[k], { ...t, patch: t.patch - grid.tokenOffsets[k] });
  return p ? [k, ...p] : null;
}
