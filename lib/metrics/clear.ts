// CLEAR MOT metrics exactly as TrackEval `trackeval/metrics/clear.py` (THRESHOLD 0.5): per-frame Hungarian matching
// that first keeps last frame's matches (+1000 bonus) then maximises similarity, IDSW against the last matched tracker
// id at any time, MT/PT/ML from per-id tracked ratios, fragmentations, and finals recomputed from summed counts.
import { linearSumAssignment, PositiveEntries, uniquePositiveMatchingSparse } from "./assignment";
import { clearPass, type ClearFrameTotals } from "./mot/frameKernels";
import { EPS, similarityAt, sparseSimilarityOf } from "./similarity";
import type { TrackingSequence } from "./types";


export const CLEAR_INTEGER_FIELDS = ["CLR_TP", "CLR_FN", "CLR_FP", "IDSW", "MT", "PT", "ML", "Frag", "CLR_Frames"] as const;
export const CLEAR_FLOAT_FIELDS = [
  "MOTA", "MOTP", "MODA", "CLR_Re", "CLR_Pr", "MTR", "PTR", "MLR", "sMOTA", "CLR_F1", "FP_per_frame", "MOTAL", "MOTP_sum",
] as const;
export type ClearField = (typeof CLEAR_INTEGER_FIELDS)[number] | (typeof CLEAR_FLOAT_FIELDS)[number];
export type ClearResult = Record<ClearField, number>;

function zeroResult(): ClearResult {
  const res = {} as ClearResult;
  for (const f of [...CLEAR_FLOAT_FIELDS, ...CLEAR_INTEGER_FIELDS]) res[f] = 0;
  return res;
}

/** CLEAR for one sequence (TrackEval `CLEAR.eval_sequence`); `threshold` is TrackEval's THRESHOLD config. */
export function evalClearSequence(data: TrackingSequence, threshold = 0.5): ClearResult {
  const res = zeroResult();
  // Early returns leave MOTA etc. at 0 and CLR_Frames at 0, as TrackEval does.
  if (data.numTrackerDets === 0) {
    res.CLR_FN = data.numGtDets;
    res.ML = data.numGtIds;
    res.MLR = 1;
    return res;
  }
  if (data.numGtDets === 0) {
    res.CLR_FP = data.numTrackerDets;
    res.MLR = 1;
    return res;
  }

  const nG = data.numGtIds;
  // The frame loop runs in WebAssembly when the threshold is positive (always, in practice), else in JS; same results.
  const sp = sparseSimilarityOf(data);
  const f = threshold - EPS > 0 ? clearPass({ ...data, ...sp }, threshold - EPS) : clearFrameLoop(data, threshold);
  res.CLR_TP = f.tp;
  res.CLR_FN = f.fn;
  res.CLR_FP = f.fp;
  res.IDSW = f.idsw;
  res.MOTP_sum = f.motpSum;
  const { gtIdCount, gtMatchedCount, gtFragCount } = f;

  let mt = 0;
  let atLeastPartly = 0;
  let frag = 0;
  for (let g = 0; g < nG; g++) {
    if (gtIdCount[g] > 0) {
      const ratio = gtMatchedCount[g] / gtIdCount[g];
      if (ratio > 0.8) mt++;
      if (ratio >= 0.2) atLeastPartly++;
    }
    if (gtFragCount[g] > 0) frag += gtFragCount[g] - 1;
  }
  res.MT = mt;
  res.PT = atLeastPartly - mt;
  res.ML = nG - res.MT - res.PT;
  res.Frag = frag;
  res.CLR_Frames = data.numTimesteps;
  return computeClearFinalFields(res);
}

/**
 * CLEAR's frame loop in JS: matching, IDSW, per-id counts and fragmentation (the same computation as
 * `clearPass` in ./mot/frameKernels, which is used for positive thresholds; this form also covers threshold <= eps,
 * and is the kernel's tested reference).
 */
export function clearFrameLoop(data: TrackingSequence, threshold: number): ClearFrameTotals {
  const res = { tp: 0, fn: 0, fp: 0, idsw: 0, motpSum: 0 };
  const nG = data.numGtIds;
  const gtIdCount = new Float64Array(nG);
  const gtMatchedCount = new Float64Array(nG);
  const gtFragCount = new Float64Array(nG);
  // IDSW compares against the last tracker id ever matched; the matching bonus only against the previous processed frame.
  const prevTrackerId = new Float64Array(nG).fill(NaN);
  const prevTimestepTrackerId = new Float64Array(nG).fill(NaN);
  const notPreviouslyTracked = new Uint8Array(nG);
  const positive = new PositiveEntries();
  const sp = sparseSimilarityOf(data);

  for (let t = 0; t < data.numTimesteps; t++) {
    const gIds = data.gtIds[t];
    const tIds = data.trackerIds[t];
    const G = gIds.length;
    const H = tIds.length;
    if (G === 0) {
      res.fp += H;
      continue;
    }
    if (H === 0) {
      res.fn += G;
      for (let i = 0; i < G; i++) gtIdCount[gIds[i]] += 1;
      continue;
    }
    // score = 1000 * (continues last frame's match) + S, zeroed where S < threshold - eps: only those entries are
    // positive, and only pairs with score > eps are kept. With threshold > eps zero similarities never qualify, so
    // only the non-zero entries are visited.
    positive.clear();
    if (threshold - EPS > 0) {
      for (let k = sp.start[t], k1 = sp.start[t + 1]; k < k1; k++) {
        const s = sp.values[k];
        if (s < threshold - EPS) continue;
        const i = sp.rows[k];
        const j = sp.cols[k];
        const v = (tIds[j] === prevTimestepTrackerId[gIds[i]] ? 1000 : 0) + s;
        if (v > 0) positive.push(i, j, v);
      }
    } else {
      for (let i = 0; i < G; i++) {
        const prev = prevTimestepTrackerId[gIds[i]];
        for (let j = 0; j < H; j++) {
          const s = similarityAt(sp, t, i, j, H);
          if (s < threshold - EPS) continue;
          const v = (tIds[j] === prev ? 1000 : 0) + s;
          if (v > 0) positive.push(i, j, v);
        }
      }
    }
    let rows: Int32Array;
    let cols: Int32Array;
    const fast = uniquePositiveMatchingSparse(positive, G, H);
    if (fast) ({ rows, cols } = fast);
    else {
      const neg = new Float64Array(G * H);
      for (let k = 0; k < positive.length; k++) neg[positive.rows[k] * H + positive.cols[k]] = -positive.values[k];
      ({ rows, cols } = linearSumAssignment(neg, G, H));
    }
    const score = (i: number, j: number): number => {
      const s = similarityAt(sp, t, i, j, H);
      if (s < threshold - EPS) return 0;
      return (tIds[j] === prevTimestepTrackerId[gIds[i]] ? 1000 : 0) + s;
    };
    const matchedRows: number[] = [];
    const matchedCols: number[] = [];
    for (let k = 0; k < rows.length; k++) {
      if (score(rows[k], cols[k]) > 0 + EPS) {
        matchedRows.push(rows[k]);
        matchedCols.push(cols[k]);
      }
    }
    const K = matchedRows.length;
    for (let k = 0; k < K; k++) {
      const prev = prevTrackerId[gIds[matchedRows[k]]];
      if (!Number.isNaN(prev) && tIds[matchedCols[k]] !== prev) res.idsw += 1;
    }
    for (let i = 0; i < G; i++) gtIdCount[gIds[i]] += 1;
    for (let k = 0; k < K; k++) gtMatchedCount[gIds[matchedRows[k]]] += 1;
    for (let g = 0; g < nG; g++) notPreviouslyTracked[g] = Number.isNaN(prevTimestepTrackerId[g]) ? 1 : 0;
    for (let k = 0; k < K; k++) prevTrackerId[gIds[matchedRows[k]]] = tIds[matchedCols[k]];
    prevTimestepTrackerId.fill(NaN);
    for (let k = 0; k < K; k++) prevTimestepTrackerId[gIds[matchedRows[k]]] = tIds[matchedCols[k]];
    for (let k = 0; k < K; k++) {
      const g = gIds[matchedRows[k]];
      if (notPreviouslyTracked[g]) gtFragCount[g] += 1;
    }
    res.tp += K;
    res.fn += G - K;
    res.fp += H - K;
    if (K > 0) {
      let s = 0;
      for (let k = 0; k < K; k++) s += similarityAt(sp, t, matchedRows[k], matchedCols[k], H);
      res.motpSum += s;
    }
  }

  return { ...res, gtIdCount, gtMatchedCount, gtFragCount };
}

/** TrackEval `CLEAR._compute_final_fields` (mutates and returns `res`). */
export function computeClearFinalFields(res: ClearResult): ClearResult {
  const numGtIds = res.MT + res.ML + res.PT;
  res.MTR = res.MT / Math.max(1, numGtIds);
  res.MLR = res.ML / Math.max(1, numGtIds);
  res.PTR = res.PT / Math.max(1, numGtIds);
  const gtDets = Math.max(1, res.CLR_TP + res.CLR_FN);
  res.CLR_Re = res.CLR_TP / gtDets;
  res.CLR_Pr = res.CLR_TP / Math.max(1, res.CLR_TP + res.CLR_FP);
  res.MODA = (res.CLR_TP - res.CLR_FP) / gtDets;
  res.MOTA = (res.CLR_TP - res.CLR_FP - res.IDSW) / gtDets;
  res.MOTP = res.MOTP_sum / Math.max(1, res.CLR_TP);
  res.sMOTA = (res.MOTP_sum - res.CLR_FP - res.IDSW) / gtDets;
  res.CLR_F1 = res.CLR_TP / Math.max(1, res.CLR_TP + 0.5 * res.CLR_FN + 0.5 * res.CLR_FP);
  res.FP_per_frame = res.CLR_FP / Math.max(1, res.CLR_Frames);
  const safeLogIdsw = res.IDSW > 0 ? Math.log10(res.IDSW) : res.IDSW;
  res.MOTAL = (res.CLR_TP - res.CLR_FP - safeLogIdsw) / gtDets;
  return res;
}

/** TrackEval `CLEAR.combine_sequences`: sum the integer fields and MOTP_sum, recompute the rest. */
export function combineClearSequences(all: readonly ClearResult[]): ClearResult {
  const res = zeroResult();
  for (const f of [...CLEAR_INTEGER_FIELDS, "MOTP_sum"] as const) {
    let s = 0;
    for (const r of all) s += r[f];
    res[f] = s;
  }
  return computeClearFinalFields(res);
}
