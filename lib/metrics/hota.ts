// HOTA family exactly as TrackEval `trackeval/metrics/hota.py` (commit 12c8791): one alpha-independent Hungarian
// matching per frame on global-alignment-weighted similarity, TP threshold `S >= alpha - eps` per alpha, association
// scores from per-id-pair TP counts, and sequence combination from counts (`combine_sequences`).
import { uniquePositiveMatching, linearSumAssignment } from "./assignment";
import type { TrackingSequence } from "./types";

const EPS = 2.220446049250313e-16; // np.finfo(float).eps

/** np.arange(0.05, 0.99, 0.05): 19 values computed as start + i*step, like numpy. */
export const HOTA_ALPHAS: readonly number[] = Array.from({ length: 19 }, (_, i) => 0.05 + i * 0.05);

export const HOTA_FLOAT_ARRAY_FIELDS = ["HOTA", "DetA", "AssA", "DetRe", "DetPr", "AssRe", "AssPr", "LocA", "OWTA"] as const;
export const HOTA_INTEGER_ARRAY_FIELDS = ["HOTA_TP", "HOTA_FN", "HOTA_FP"] as const;
export const HOTA_FLOAT_FIELDS = ["HOTA(0)", "LocA(0)", "HOTALocA(0)"] as const;

export type HotaArrayField = (typeof HOTA_FLOAT_ARRAY_FIELDS)[number] | (typeof HOTA_INTEGER_ARRAY_FIELDS)[number];
export type HotaFloatField = (typeof HOTA_FLOAT_FIELDS)[number];
/** Every array holds one value per alpha (19); TrackEval reports the mean over alphas. */
export type HotaResult = Record<HotaArrayField, number[]> & Record<HotaFloatField, number>;

const NA = HOTA_ALPHAS.length;

function emptyResult(): HotaResult {
  const res = {} as HotaResult;
  for (const f of [...HOTA_FLOAT_ARRAY_FIELDS, ...HOTA_INTEGER_ARRAY_FIELDS]) res[f] = new Array<number>(NA).fill(0);
  for (const f of HOTA_FLOAT_FIELDS) res[f] = 0;
  return res;
}

/** HOTA for one sequence (TrackEval `HOTA.eval_sequence`). */
export function evalHotaSequence(data: TrackingSequence): HotaResult {
  const res = emptyResult();
  // Early returns: final fields are deliberately not computed (TrackEval leaves HOTA, DetA, ... at 0).
  if (data.numTrackerDets === 0) {
    res.HOTA_FN = new Array<number>(NA).fill(data.numGtDets);
    res.LocA = new Array<number>(NA).fill(1);
    res["LocA(0)"] = 1;
    return res;
  }
  if (data.numGtDets === 0) {
    res.HOTA_FP = new Array<number>(NA).fill(data.numTrackerDets);
    res.LocA = new Array<number>(NA).fill(1);
    res["LocA(0)"] = 1;
    return res;
  }

  const nT = data.numTrackerIds;
  const gtIdCount = new Float64Array(data.numGtIds);
  const trackerIdCount = new Float64Array(nT);
  // Per (gt id, tracker id) pair, key g * nT + h: dense when small, sparse (only co-occurring pairs) otherwise.
  const potential = pairTable(data.numGtIds, nT);

  // Pass 1: soft-IoU accumulated potential matches, and per-id detection counts.
  for (let t = 0; t < data.numTimesteps; t++) {
    const gIds = data.gtIds[t];
    const tIds = data.trackerIds[t];
    const S = data.similarity[t];
    const G = gIds.length;
    const H = tIds.length;
    if (G > 0 && H > 0) {
      const colSum = new Float64Array(H);
      const rowSum = new Float64Array(G);
      for (let i = 0; i < G; i++) {
        let rs = 0;
        for (let j = 0; j < H; j++) {
          const s = S[i * H + j];
          rs += s;
          colSum[j] += s;
        }
        rowSum[i] = rs;
      }
      for (let i = 0; i < G; i++) {
        const base = gIds[i] * nT;
        for (let j = 0; j < H; j++) {
          const s = S[i * H + j];
          const denom = colSum[j] + rowSum[i] - s;
          if (denom > 0 + EPS && s !== 0) {
            potential.add(base + tIds[j], s / denom);
          }
        }
      }
    }
    for (let i = 0; i < G; i++) gtIdCount[gIds[i]] += 1;
    for (let j = 0; j < H; j++) trackerIdCount[tIds[j]] += 1;
  }

  // Global alignment score A[g,h] = pot / (n_g + n_h - pot); absent pairs have A = 0.
  const alignment = pairTable(data.numGtIds, nT);
  potential.forEach((key, pot) => {
    const g = Math.floor(key / nT);
    const h = key - g * nT;
    alignment.add(key, pot / (gtIdCount[g] + trackerIdCount[h] - pot));
  });

  // Pass 2: one matching per frame, thresholded per alpha.
  const TP = res.HOTA_TP;
  const FN = res.HOTA_FN;
  const FP = res.HOTA_FP;
  const locSum = res.LocA; // accumulates sum of matched similarities, normalised at the end
  const matchCounts = new Map<number, Int32Array>(); // pair key -> TP count per alpha
  const frameLoc = new Float64Array(NA);
  const frameTp = new Int32Array(NA);
  for (let t = 0; t < data.numTimesteps; t++) {
    const gIds = data.gtIds[t];
    const tIds = data.trackerIds[t];
    const G = gIds.length;
    const H = tIds.length;
    if (G === 0) {
      for (let a = 0; a < NA; a++) FP[a] += H;
      continue;
    }
    if (H === 0) {
      for (let a = 0; a < NA; a++) FN[a] += G;
      continue;
    }
    const S = data.similarity[t];
    const score = new Float64Array(G * H);
    for (let i = 0; i < G; i++) {
      const base = gIds[i] * nT;
      for (let j = 0; j < H; j++) {
        const A = alignment.get(base + tIds[j]);
        score[i * H + j] = A * S[i * H + j];
      }
    }
    // Zero-score pairs never pass `S >= alpha - eps`, so the unique-positive-matching fast path is exact here.
    const { rows, cols } = uniquePositiveMatching(score, G, H) ?? linearSumAssignment(score.map((x) => -x), G, H);
    frameLoc.fill(0);
    frameTp.fill(0);
    for (let k = 0; k < rows.length; k++) {
      const s = S[rows[k] * H + cols[k]];
      let counts: Int32Array | undefined;
      for (let a = 0; a < NA; a++) {
        if (!(s >= HOTA_ALPHAS[a] - EPS)) continue;
        frameTp[a] += 1;
        frameLoc[a] += s;
        if (!counts) {
          const key = gIds[rows[k]] * nT + tIds[cols[k]];
          counts = matchCounts.get(key);
          if (!counts) {
            counts = new Int32Array(NA);
            matchCounts.set(key, counts);
          }
        }
        counts[a] += 1;
      }
    }
    for (let a = 0; a < NA; a++) {
      const k = frameTp[a];
      TP[a] += k;
      FN[a] += G - k;
      FP[a] += H - k;
      if (k > 0) locSum[a] += frameLoc[a];
    }
  }

  // Association scores, summed in row-major pair order like numpy's dense sum.
  const keys = Array.from(matchCounts.keys()).sort((x, y) => x - y);
  for (let a = 0; a < NA; a++) {
    let assA = 0;
    let assRe = 0;
    let assPr = 0;
    for (const key of keys) {
      const m = matchCounts.get(key)![a];
      if (m === 0) continue;
      const g = Math.floor(key / nT);
      const h = key - g * nT;
      assA += m * (m / Math.max(1, gtIdCount[g] + trackerIdCount[h] - m));
      assRe += m * (m / Math.max(1, gtIdCount[g]));
      assPr += m * (m / Math.max(1, trackerIdCount[h]));
    }
    const tp = Math.max(1, TP[a]);
    res.AssA[a] = assA / tp;
    res.AssRe[a] = assRe / tp;
    res.AssPr[a] = assPr / tp;
  }
  for (let a = 0; a < NA; a++) res.LocA[a] = Math.max(1e-10, locSum[a]) / Math.max(1e-10, TP[a]);
  return computeHotaFinalFields(res);
}

interface PairTable {
  get(key: number): number;
  add(key: number, v: number): void;
  /** Visits the non-zero entries. */
  forEach(fn: (key: number, v: number) => void): void;
}

const DENSE_PAIR_LIMIT = 1 << 22;

function pairTable(rows: number, cols: number): PairTable {
  if (rows * cols <= DENSE_PAIR_LIMIT) {
    const d = new Float64Array(rows * cols);
    return {
      get: (k) => d[k],
      add: (k, v) => void (d[k] += v),
      forEach: (fn) => {
        for (let k = 0; k < d.length; k++) if (d[k] !== 0) fn(k, d[k]);
      },
    };
  }
  const m = new Map<number, number>();
  return {
    get: (k) => m.get(k) ?? 0,
    add: (k, v) => void m.set(k, (m.get(k) ?? 0) + v),
    forEach: (fn) => m.forEach((v, k) => fn(k, v)),
  };
}

/** TrackEval `HOTA._compute_final_fields` (mutates and returns `res`). */
export function computeHotaFinalFields(res: HotaResult): HotaResult {
  for (let a = 0; a < NA; a++) {
    const tp = res.HOTA_TP[a];
    const fn = res.HOTA_FN[a];
    const fp = res.HOTA_FP[a];
    res.DetRe[a] = tp / Math.max(1, tp + fn);
    res.DetPr[a] = tp / Math.max(1, tp + fp);
    res.DetA[a] = tp / Math.max(1, tp + fn + fp);
    res.HOTA[a] = Math.sqrt(res.DetA[a] * res.AssA[a]);
    res.OWTA[a] = Math.sqrt(res.DetRe[a] * res.AssA[a]);
  }
  res["HOTA(0)"] = res.HOTA[0];
  res["LocA(0)"] = res.LocA[0];
  res["HOTALocA(0)"] = res["HOTA(0)"] * res["LocA(0)"];
  return res;
}

/** TrackEval `HOTA.combine_sequences`: sums counts, TP-weighted association and localisation averages. */
export function combineHotaSequences(all: readonly HotaResult[]): HotaResult {
  const res = emptyResult();
  for (const f of HOTA_INTEGER_ARRAY_FIELDS) {
    for (const r of all) for (let a = 0; a < NA; a++) res[f][a] += r[f][a];
  }
  for (const f of ["AssRe", "AssPr", "AssA"] as const) {
    for (let a = 0; a < NA; a++) {
      let s = 0;
      for (const r of all) s += r[f][a] * r.HOTA_TP[a];
      res[f][a] = s / Math.max(1, res.HOTA_TP[a]);
    }
  }
  for (let a = 0; a < NA; a++) {
    let s = 0;
    for (const r of all) s += r.LocA[a] * r.HOTA_TP[a];
    res.LocA[a] = Math.max(1e-10, s) / Math.max(1e-10, res.HOTA_TP[a]);
  }
  return computeHotaFinalFields(res);
}

/** Mean over the alphas, as TrackEval's summary and `FIELD___AUC` columns report. */
export function alphaMean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}
