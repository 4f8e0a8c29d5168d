// Similarity functions exactly as TrackEval's `_base_dataset.py` computes them (same operation order, same eps guards).

import { PositiveEntries } from "./assignment";
import type { SparseSimilarity, TrackingSequence } from "./types";

/** np.finfo(float).eps, which TrackEval uses for every threshold and guard. */
export const EPS = 2.220446049250313e-16;

/** Where `boxIouXywhNonZero` appends its entries (e.g. `PositiveEntries`). */
export interface EntrySink {
  push(i: number, j: number, v: number): void;
}

/**
 * The non-zero box IoUs between the boxes of `a` and `b` (TrackEval `_calculate_box_ious`, box_format 'xywh'),
 * appended to `out` in row-major order. Boxes are packed as [x, y, w, h] quadruples.
 * Corners are x1 = x + w (no +1); areas are computed from corners, as TrackEval does after its in-place conversion.
 * Pairs whose boxes do not overlap are skipped: TrackEval gets 0 / union = +0 for them.
 */
export function boxIouXywhNonZero(a: Float64Array, b: Float64Array, out: EntrySink): void {
  const na = a.length >> 2;
  const nb = b.length >> 2;
  if (na * nb <= 256) {
    for (let i = 0; i < na; i++) for (let j = 0; j < nb; j++) iouPair(a, i, b, j, out);
    return;
  }
  // Many boxes: only pairs whose x-ranges overlap can have a non-zero IoU. Sort b's boxes of positive width by left
  // edge; for box i the candidates are those with left edge in (a.x0 - widest b, a.x1). A box of width <= 0 overlaps
  // nothing (min(x1) - max(x0) <= its own x1 - x0 <= 0). Candidates are visited in ascending j, so the entries come
  // out in the same row-major order and with the same values as the full double loop.
  if (sweep.order.length < nb) {
    sweep.order = new Int32Array(2 * nb);
    sweep.left = new Float64Array(2 * nb);
    sweep.cand = new Int32Array(2 * nb);
  }
  const { order, left, cand } = sweep;
  let m = 0;
  let widest = 0;
  for (let j = 0; j < nb; j++) {
    const w = b[4 * j + 2];
    if (w > 0) {
      order[m++] = j;
      if (w > widest) widest = w;
    }
  }
  // Insertion sort by (left edge, index): frames hold tens of boxes, and it avoids comparator callbacks.
  const sorted = order;
  for (let q = 1; q < m; q++) {
    const j = sorted[q];
    const x = b[4 * j];
    let r = q - 1;
    while (r >= 0 && b[4 * sorted[r]] > x) {
      sorted[r + 1] = sorted[r];
      r--;
    }
    sorted[r + 1] = j;
  }
  for (let q = 0; q < m; q++) left[q] = b[4 * sorted[q]];
  for (let i = 0; i < na; i++) {
    const ax0 = a[4 * i];
    const ax1 = ax0 + a[4 * i + 2];
    if (!(ax1 > ax0)) continue;
    // First sorted box whose left edge is > ax0 - widest (binary search; the margin covers rounding of b.x0 + w),
    // then every one with left edge < ax1 (exact: a.x1 is computed as iouPair computes it).
    const lo = ax0 - widest - 1e-6 * (1 + Math.abs(ax0) + widest);
    let l = 0;
    let h = m;
    while (l < h) {
      const mid = (l + h) >> 1;
      if (left[mid] > lo) h = mid;
      else l = mid + 1;
    }
    let nc = 0;
    for (let q = l; q < m && left[q] < ax1; q++) cand[nc++] = sorted[q];
    if (nc === 0) continue;
    for (let q = 1; q < nc; q++) {
      const j = cand[q];
      let r = q - 1;
      while (r >= 0 && cand[r] > j) {
        cand[r + 1] = cand[r];
        r--;
      }
      cand[r + 1] = j;
    }
    for (let c = 0; c < nc; c++) iouPair(a, i, b, cand[c], out);
  }
}

const sweep = { order: new Int32Array(64), left: new Float64Array(64), cand: new Int32Array(64) };

/** IoU of box i of `a` and box j of `b`, appended when non-zero (TrackEval's arithmetic, in its order). */
function iouPair(a: Float64Array, i: number, b: Float64Array, j: number, out: EntrySink): void {
  const ax0 = a[4 * i];
  const ax1 = ax0 + a[4 * i + 2];
  const bx0 = b[4 * j];
  const bx1 = bx0 + b[4 * j + 2];
  const iw = Math.min(ax1, bx1) - Math.max(ax0, bx0);
  if (!(iw > 0)) return;
  const ay0 = a[4 * i + 1];
  const ay1 = ay0 + a[4 * i + 3];
  const by0 = b[4 * j + 1];
  const by1 = by0 + b[4 * j + 3];
  const ih = Math.min(ay1, by1) - Math.max(ay0, by0);
  if (!(ih > 0)) return;
  const areaA = (ax1 - ax0) * (ay1 - ay0);
  const areaB = (bx1 - bx0) * (by1 - by0);
  let inter = iw * ih;
  let union = areaA + areaB - inter;
  if (areaA <= EPS || areaB <= EPS || union <= EPS) inter = 0;
  if (union <= EPS) union = 1;
  const v = inter / union;
  if (v !== 0) out.push(i, j, v);
}

/**
 * TrackEval `_calculate_euclidean_similarity`: max(0, 1 - ||p - q|| / zeroDistance) for 2-D points packed [x, y].
 */
export function euclideanSimilarity(a: Float64Array, b: Float64Array, zeroDistance = 2.0): Float64Array {
  const na = a.length >> 1;
  const nb = b.length >> 1;
  const out = new Float64Array(na * nb);
  for (let i = 0; i < na; i++) {
    for (let j = 0; j < nb; j++) {
      const dx = a[2 * i] - b[2 * j];
      const dy = a[2 * i + 1] - b[2 * j + 1];
      out[i * nb + j] = Math.max(0, 1 - Math.sqrt(dx * dx + dy * dy) / zeroDistance);
    }
  }
  return out;
}

/** The sequence's non-zero similarities (built from the dense matrices when the sequence only has those). */
export function sparseSimilarityOf(data: TrackingSequence): SparseSimilarity {
  if (data.sparseSimilarity) return data.sparseSimilarity;
  const dense = data.similarity;
  if (!dense) throw new Error("TrackingSequence has neither similarity nor sparseSimilarity");
  const b = new SparseBuilder(data.numTimesteps);
  for (let t = 0; t < data.numTimesteps; t++) {
    const S = dense[t];
    const H = data.trackerIds[t].length;
    const G = data.gtIds[t].length;
    if (S.length !== G * H) throw new RangeError(`similarity[${t}] has ${S.length} values, expected ${G} x ${H}`);
    for (let i = 0; i < G; i++) for (let j = 0; j < H; j++) if (S[i * H + j] !== 0) b.push(i, j, S[i * H + j]);
    b.endFrame();
  }
  return b.finish();
}

/** Similarity of pair (i, j) in frame t (0 when absent). */
export function similarityAt(sp: SparseSimilarity, t: number, i: number, j: number, H: number): number {
  return entryValue(sp.rows, sp.cols, sp.values, sp.start[t], sp.start[t + 1], i, j, H);
}

/**
 * Value of pair (i, j) among the row-major entries `from` .. `to - 1` of a matrix with H columns (0 when absent),
 * by binary search on the key i * H + j.
 */
export function entryValue(rows: Int32Array, cols: Int32Array, values: Float64Array, from: number, to: number, i: number, j: number, H: number): number {
  let lo = from;
  let hi = to - 1;
  const key = i * H + j;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const k = rows[mid] * H + cols[mid];
    if (k === key) return values[mid];
    if (k < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return 0;
}

/** Appends frames of entries (a growable entry list plus frame boundaries). */
export class SparseBuilder {
  private readonly start: Int32Array;
  private readonly entries = new PositiveEntries();
  private t = 0;
  constructor(numTimesteps: number) {
    this.start = new Int32Array(numTimesteps + 1);
  }
  push(i: number, j: number, v: number): void {
    this.entries.push(i, j, v);
  }
  endFrame(): void {
    this.start[++this.t] = this.entries.length;
  }
  finish(): SparseSimilarity {
    if (this.t !== this.start.length - 1) throw new Error(`SparseBuilder: ${this.t} of ${this.start.length - 1} frames ended`);
    const { rows, cols, values, length } = this.entries;
    return { start: this.start, rows: rows.subarray(0, length), cols: cols.subarray(0, length), values: values.subarray(0, length) };
  }
}
