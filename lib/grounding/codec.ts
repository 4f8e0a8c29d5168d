// Point ↔ MolmoPoint target (patch, subpatch, location) codec
// (olmo/models/molmo_point/molmo_point_example_preprocessor.py: get_patch_coordinates,
// build_pointing_targets[_video], token_ids_to_coordinates, remap_integers).
import type { ImageGrid } from "./image-tiling";
import type { VideoGrid } from "./video-grid";
import { nearestFrame } from "./video-sampling";
import { NO_POINTS_LABEL } from "./tokens";

/** A grid points can be encoded against: one image or one sampled video. */
export type PointingGrid = ImageGrid | VideoGrid;

/** One MolmoPoint target: image-token index (`<PATCH>`), ViT patch inside its pooling window (`<SUBPATCH>`), 3×3 cell (`<LOCATION>`). */
export interface PointTarget {
  patch: number;
  subpatch: number;
  location: number;
}

/** The no-more-points terminator target (`[NO_POINTS_LABEL, -1, -1]`). */
export const NO_MORE_POINTS: Readonly<PointTarget> = Object.freeze({ patch: NO_POINTS_LABEL, subpatch: -1, location: -1 });

/** Inverse lookups of a grid, built once per grid (cached). */
interface GridIndex {
  /** vit patch id → token row (-1 if none). */
  tokenOf: Int32Array;
  /** vit patch id → cell inside the token's pooling window. */
  cellOf: Int32Array;
  /** vit patch id → flat position in token_mapping (-1 if not mapped). */
  posOf: Int32Array;
}

const indexCache = new WeakMap<PointingGrid, GridIndex>();

function gridIndex(grid: PointingGrid): GridIndex {
  const hit = indexCache.get(grid);
  if (hit) return hit;
  let maxId = -1;
  for (const v of grid.tokenPooling) if (v > maxId) maxId = v;
  for (const v of grid.tokenMapping) if (v > maxId) maxId = v;
  const tokenOf = new Int32Array(maxId + 1).fill(-1);
  const cellOf = new Int32Array(maxId + 1).fill(-1);
  const posOf = new Int32Array(maxId + 1).fill(-1);
  const { cells, tokenPooling } = grid;
  for (let k = 0; k < tokenPooling.length; k++) {
    const v = tokenPooling[k];
    if (v < 0) continue;
    if (tokenOf[v] !== -1) throw new Error(`Malformed pooling array: ViT patch ${v} is pooled twice`);
    tokenOf[v] = Math.floor(k / cells);
    cellOf[v] = k % cells;
  }
  grid.tokenMapping.forEach((v, k) => {
    if (v >= 0) posOf[v] = k;
  });
  const idx = { tokenOf, cellOf, posOf };
  indexCache.set(grid, idx);
  return idx;
}

/**
 * `get_patch_coordinates` with `location="3x3"`: normalized (x, y) ∈ [0, 1] on frame `frame` of the
 * grid → target. Points on the right/bottom border fall into the last patch/cell.
 */
export function encodeNormalizedPoint(grid: PointingGrid, x: number, y: number, frame = 0): PointTarget {
  if (!Number.isFinite(x) || !Number.isFinite(y)) throw new Error(`point (${x}, ${y}) is not finite`);
  const nFrames = grid.kind === "video" ? grid.nFrames : 1;
  if (!Number.isInteger(frame) || frame < 0 || frame >= nFrames) throw new Error(`frame ${frame} outside [0, ${nFrames})`);
  const { mapH, mapW } = grid;
  const pX = mapW * x;
  const pY = mapH * y;
  const ix = Math.min(Math.floor(pX), mapW - 1);
  const iy = Math.min(Math.floor(pY), mapH - 1);
  if (ix < 0 || iy < 0) throw new Error(`point (${x}, ${y}) is outside the image`);
  const vit = grid.tokenMapping[frame * mapH * mapW + iy * mapW + ix];
  const { tokenOf, cellOf } = gridIndex(grid);
  const patch = tokenOf[vit];
  if (patch === undefined || patch < 0) throw new Error("Malformed pooling array");
  const inX = pX - ix;
  const inY = pY - iy;
  const location = Math.min(Math.floor(inY * 3), 2) + Math.min(Math.floor(inX * 3), 2) * 3;
  return { patch, subpatch: cellOf[vit], location };
}

/** Lexicographic (patch, subpatch, location) order, as Python tuple comparison. */
export function compareTargets(a: PointTarget, b: PointTarget): number {
  return a.patch - b.patch || a.subpatch - b.subpatch || a.location - b.location;
}

/**
 * Image points in pixels → targets sorted by (patch, subpatch, location) (`sort_points=True`).
 * Coordinates are normalized by the image size first (`points / [w, h]`).
 */
export function encodeImagePoints(grid: ImageGrid, points: readonly (readonly [number, number])[]): PointTarget[] {
  const out = points.map(([x, y]) => encodeNormalizedPoint(grid, x / grid.imageWidth, y / grid.imageHeight));
  return out.sort(compareTargets);
}

/** Video points `[t, x, y]` in (seconds, pixels) → targets on the nearest sampled frame, sorted. */
export function encodeVideoPoints(grid: VideoGrid, points: readonly (readonly [number, number, number])[]): PointTarget[] {
  return points.map((p) => encodeVideoPoint(grid, p)).sort(compareTargets);
}

function encodeVideoPoint(grid: VideoGrid, [t, x, y]: readonly [number, number, number]): PointTarget {
  const frame = nearestFrame(grid.timestamps, t);
  return encodeNormalizedPoint(grid, x / grid.imageWidth, y / grid.imageHeight, frame);
}

/** Renumbers values 0, 1, 2, … in order of first appearance (`remap_integers`). */
export function remapByFirstAppearance<T>(values: readonly T[]): number[] {
  const seen = new Map<T, number>();
  return values.map((v) => {
    let id = seen.get(v);
    if (id === undefined) {
      id = seen.size;
      seen.set(v, id);
    }
    return id;
  });
}

/**
 * Tracking targets: points `[t, x, y]` with their object ids → targets sorted (stably) by
 * (patch, subpatch, location) and object ids renumbered 1, 2, … by first appearance after the sort.
 */
export function encodeTrackPoints<T>(
  grid: VideoGrid,
  points: readonly (readonly [number, number, number])[],
  objectIds: readonly T[],
): { targets: PointTarget[]; ids: number[] } {
  if (points.length !== objectIds.length) throw new Error(`${points.length} points but ${objectIds.length} object ids`);
  const raw = points.map((p) => encodeVideoPoint(grid, p));
  const order = raw.map((_, i) => i).sort((a, b) => compareTargets(raw[a], raw[b]) || a - b);
  const ids = remapByFirstAppearance(order.map((i) => objectIds[i])).map((v) => v + 1);
  return { targets: order.map((i) => raw[i]), ids };
}

/** Appends the no-more-points terminator (`end_of_group_target_id`). */
export function withTerminator(targets: readonly PointTarget[]): PointTarget[] {
  return [...targets, { ...NO_MORE_POINTS }];
}

/**
 * `token_ids_to_coordinates` for one target: image → `[x, y]`, video → `[t, x, y]` in pixels of
 * the original image (seconds for t). Returns null for the terminator or a target whose ViT patch
 * is padding / not in `token_mapping` (the reference logs "Invalid patch id" and skips it).
 * Note the reference offsets cells by `(loc + 0.5) * 0.33` (not 1/3); kept for exactness.
 */
export function decodeTarget(grid: PointingGrid, t: PointTarget): number[] | null {
  if (t.patch === NO_POINTS_LABEL) return null;
  if (!Number.isInteger(t.patch) || t.patch < 0 || t.patch >= grid.nTokens) return null;
  if (!Number.isInteger(t.subpatch) || t.subpatch < 0 || t.subpatch >= grid.cells) return null;
  if (!Number.isInteger(t.location) || t.location < -1 || t.location >= 9) return null;
  const vit = grid.tokenPooling[t.patch * grid.cells + t.subpatch];
  if (vit < 0) return null;
  const pos = gridIndex(grid).posOf[vit];
  if (pos === undefined || pos < 0) return null;
  const { mapH, mapW } = grid;
  const frame = Math.floor(pos / (mapH * mapW));
  const rem = pos - frame * mapH * mapW;
  let pY = Math.floor(rem / mapW);
  let pX = rem - pY * mapW;
  if (t.location >= 0) {
    const locX = Math.floor(t.location / 3);
    const locY = t.location % 3;
    pX = pX + (locX + 0.5) * 0.33;
    pY = pY + (locY + 0.5) * 0.33;
  } else {
    pX += 0.5;
    pY += 0.5;
  }
  const x = (pX / mapW) * grid.imageWidth;
  const y = (pY / mapH) * grid.imageHeight;
  return grid.kind === "video" ? [grid.timestamps[frame], x, y] : [x, y];
}

/** Decodes a target list (terminator and invalid targets skipped, as the reference does). */
export function decodeTargets(grid: PointingGrid, targets: readonly PointTarget[]): number[][] {
  const out: number[][] = [];
  for (const t of targets) {
    const p = decodeTarget(grid, t);
    if (p) out.push(p);
  }
  return out;
}
