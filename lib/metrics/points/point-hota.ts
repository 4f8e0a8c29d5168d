// Molmo2's point HOTA (`object_tracking_utils.HOTAMetric`), "adapted from TrackEval". It differs from
// TrackEval's HOTA (lib/metrics/hota.ts) in ways that change numbers, so it is kept separate:
//   - `+ eps` in the global-alignment denominator;
//   - a video with neither GT nor predictions scores 1 in every field (HOTA_TP/FN/FP included);
//   - no AssRe / AssPr / OWTA / HOTA(0) / LocA(0); LocA = max(1e-10, sum) / max(1e-10, TP);
//   - videos are not combined from counts: per-video values are averaged by the caller.
import { linearSumAssignment } from "../assignment";
import { byFrame, maskOfObject, masksAtFrame } from "./frame-judge";
import { checkRadius, euclidean2, isPointInMask, isWithinRadius, softDistanceSimilarity } from "./hit-test";
import type { PointJudge, TrackFrame, TrackGroundTruth } from "./types";

const EPS = Number.EPSILON; // np.finfo('float').eps

/** np.arange(0.05, 1.0, 0.05): numpy fills start + i * ((start + step) - start). */
export const POINT_HOTA_ALPHAS: readonly number[] = Array.from({ length: 19 }, (_, i) => 0.05 + i * (0.05 + 0.05 - 0.05));

/** Index of alpha = 0.5, where Molmo2 reports its scalar HOTA / DetA / AssA. */
export const POINT_HOTA_REPORT_INDEX = 9;

export interface HotaFrame {
  gtIds: readonly number[];
  trackerIds: readonly number[];
  /** Row-major gtIds.length x trackerIds.length similarities in [0, 1]. */
  similarity: Float64Array;
}

export interface HotaInput {
  numGtIds: number;
  numTrackerIds: number;
  numGtDets: number;
  numTrackerDets: number;
  frames: readonly HotaFrame[];
}

export const POINT_HOTA_FIELDS = ["HOTA_TP", "HOTA_FN", "HOTA_FP", "HOTA", "DetA", "AssA", "DetRe", "DetPr", "LocA"] as const;
export type PointHotaField = (typeof POINT_HOTA_FIELDS)[number];
/** Every field per alpha (POINT_HOTA_ALPHAS). */
export type PointHotaArrays = Record<PointHotaField, number[]>;

/** `HOTAMetric.compute_hota`. */
export function computePointHota(data: HotaInput, alphas: readonly number[] = POINT_HOTA_ALPHAS): PointHotaArrays {
  const A = alphas.length;
  const filled = (v: number) => new Array<number>(A).fill(v);
  const res: PointHotaArrays = {
    HOTA_TP: filled(0), HOTA_FN: filled(0), HOTA_FP: filled(0), HOTA: filled(0), DetA: filled(0),
    AssA: filled(0), DetRe: filled(0), DetPr: filled(0), LocA: filled(0),
  };
  if (data.numTrackerDets === 0 && data.numGtDets === 0) {
    for (const k of POINT_HOTA_FIELDS) res[k] = filled(1);
    return res;
  }
  if (data.numTrackerDets === 0) {
    res.HOTA_FN = filled(data.numGtDets);
    res.LocA = filled(1);
    return res;
  }
  if (data.numGtDets === 0) {
    res.HOTA_FP = filled(data.numTrackerDets);
    res.LocA = filled(1);
    return res;
  }
  const G = data.numGtIds;
  const T = data.numTrackerIds;
  const potential = new Float64Array(G * T);
  const gtIdCount = new Float64Array(G);
  const trackerIdCount = new Float64Array(T);
  for (const f of data.frames) {
    const ng = f.gtIds.length;
    const nt = f.trackerIds.length;
    const S = f.similarity;
    const colSum = new Float64Array(nt);
    const rowSum = new Float64Array(ng);
    for (let i = 0; i < ng; i++) for (let j = 0; j < nt; j++) rowSum[i] += S[i * nt + j];
    for (let j = 0; j < nt; j++) for (let i = 0; i < ng; i++) colSum[j] += S[i * nt + j];
    for (let i = 0; i < ng; i++) {
      for (let j = 0; j < nt; j++) {
        const denom = colSum[j] + rowSum[i] - S[i * nt + j];
        const iou = denom > 0 + EPS ? S[i * nt + j] / denom : 0;
        potential[f.gtIds[i] * T + f.trackerIds[j]] += iou;
      }
    }
    for (const g of f.gtIds) gtIdCount[g] += 1;
    for (const t of f.trackerIds) trackerIdCount[t] += 1;
  }
  const alignment = new Float64Array(G * T);
  for (let g = 0; g < G; g++) {
    for (let t = 0; t < T; t++) alignment[g * T + t] = potential[g * T + t] / (gtIdCount[g] + trackerIdCount[t] - potential[g * T + t] + EPS);
  }
  const matches = alphas.map(() => new Float64Array(G * T));
  for (const f of data.frames) {
    const ng = f.gtIds.length;
    const nt = f.trackerIds.length;
    if (ng === 0) {
      for (let a = 0; a < A; a++) res.HOTA_FP[a] += nt;
      continue;
    }
    if (nt === 0) {
      for (let a = 0; a < A; a++) res.HOTA_FN[a] += ng;
      continue;
    }
    const S = f.similarity;
    const negScore = new Float64Array(ng * nt);
    for (let i = 0; i < ng; i++) {
      for (let j = 0; j < nt; j++) negScore[i * nt + j] = -(alignment[f.gtIds[i] * T + f.trackerIds[j]] * S[i * nt + j]);
    }
    const { rows, cols } = linearSumAssignment(negScore, ng, nt);
    for (let a = 0; a < A; a++) {
      let n = 0;
      let loc = 0;
      for (let k = 0; k < rows.length; k++) {
        const s = S[rows[k] * nt + cols[k]];
        if (s >= alphas[a] - EPS) {
          n++;
          loc += s;
          matches[a][f.gtIds[rows[k]] * T + f.trackerIds[cols[k]]] += 1;
        }
      }
      res.HOTA_TP[a] += n;
      res.HOTA_FN[a] += ng - n;
      res.HOTA_FP[a] += nt - n;
      if (n > 0) res.LocA[a] += loc;
    }
  }
  for (let a = 0; a < A; a++) {
    const mc = matches[a];
    let s = 0;
    for (let g = 0; g < G; g++) {
      for (let t = 0; t < T; t++) {
        const m = mc[g * T + t];
        s += m * (m / Math.max(1, gtIdCount[g] + trackerIdCount[t] - m));
      }
    }
    res.AssA[a] = s / Math.max(1, res.HOTA_TP[a]);
  }
  for (let a = 0; a < A; a++) {
    const tp = res.HOTA_TP[a];
    const fn = res.HOTA_FN[a];
    const fp = res.HOTA_FP[a];
    res.LocA[a] = Math.max(1e-10, res.LocA[a]) / Math.max(1e-10, tp);
    res.DetRe[a] = tp / Math.max(1, tp + fn);
    res.DetPr[a] = tp / Math.max(1, tp + fp);
    res.DetA[a] = tp / Math.max(1, tp + fn + fp);
    res.HOTA[a] = Math.sqrt(res.DetA[a] * res.AssA[a]);
  }
  return res;
}

/**
 * `HOTAMetric.prepare_data_for_hota`: frames = sorted union of pred and GT frames; ids are mapped to
 * 0..n-1 in sorted order; within a frame GT and predicted points are sorted by id.
 * Similarity per (GT object, prediction): the judge's hit (1/0), or the soft distance similarity.
 * Molmo2 (`mask`, `molmo2Compat: true`) pairs the i-th sorted GT point of the frame with the i-th
 * object of the video's mask list (zip, so surplus GT points get similarity 0); `molmo2Compat: false`
 * uses the GT point's own object mask.
 */
export function prepareHotaInput(pred: readonly TrackFrame[], gt: TrackGroundTruth, judge: PointJudge): HotaInput {
  if (judge.kind === "distance") checkRadius(judge.radius);
  const predBy = byFrame(pred);
  const gtBy = byFrame(gt.frames);
  const gtIdx = idIndex(gt.frames);
  const predIdx = idIndex(pred);
  const all = [...new Set([...predBy.keys(), ...gtBy.keys()])].sort((a, b) => a - b);
  const frames: HotaFrame[] = [];
  let numGtDets = 0;
  let numTrackerDets = 0;
  for (const frame of all) {
    const g = [...(gtBy.get(frame)?.points ?? [])].sort((a, b) => a.id - b.id);
    const p = [...(predBy.get(frame)?.points ?? [])].sort((a, b) => a.id - b.id);
    numGtDets += g.length;
    numTrackerDets += p.length;
    const S = new Float64Array(g.length * p.length);
    if (g.length > 0 && p.length > 0) {
      if (judge.kind === "distance") {
        for (let i = 0; i < g.length; i++) {
          for (let j = 0; j < p.length; j++) {
            const d = euclidean2(p[j].x, p[j].y, g[i].x, g[i].y);
            S[i * p.length + j] = judge.soft ? softDistanceSimilarity(d, judge.radius) : isWithinRadius(d, judge.radius) ? 1 : 0;
          }
        }
      } else {
        const frameMasks = judge.molmo2Compat ? masksAtFrame(gt, frame) : null;
        const rowsJudged = frameMasks ? Math.min(g.length, frameMasks.length) : g.length;
        for (let i = 0; i < rowsJudged; i++) {
          const mask = frameMasks ? frameMasks[i] : maskOfObject(gt, g[i].id, frame);
          for (let j = 0; j < p.length; j++) if (isPointInMask(p[j].x, p[j].y, mask)) S[i * p.length + j] = 1;
        }
      }
    }
    frames.push({ gtIds: g.map((q) => gtIdx.get(q.id)!), trackerIds: p.map((q) => predIdx.get(q.id)!), similarity: S });
  }
  return { numGtIds: gtIdx.size, numTrackerIds: predIdx.size, numGtDets, numTrackerDets, frames };
}

function idIndex(frames: readonly TrackFrame[]): Map<number, number> {
  const ids = new Set<number>();
  for (const f of frames) for (const p of f.points) ids.add(p.id);
  return new Map([...ids].sort((a, b) => a - b).map((id, i) => [id, i]));
}
