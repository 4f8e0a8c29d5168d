// HOTA family exactly as TrackEval `trackeval/metrics/hota.py` (commit 12c8791): one alpha-independent Hungarian
// matching per frame on global-alignment-weighted similarity, TP threshold `S >= alpha - eps` per alpha, association
// scores from per-id-pair TP counts, and sequence combination from counts (`combine_sequences`).
import { linearSumAssignment, PositiveEntries, uniquePositiveMatchingSparse } from "./assignment";
import { HOTA_KERNEL_MAX_PAIRS, hotaPasses, type HotaMatchTotals } from "./mot/frameKernels";
import { EPS, similarityAt, sparseSimilarityOf } from "./similarity";
import type { SparseSimilarity, TrackingSequence } from "./types";


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
  const sp = sparseSimilarityOf(data);
  // Both passes run in WebAssembly when the id-pair tables are dense (the usual case), else in JS; same results.
  let gtIdCount: Float64Array;
  let trackerIdCount: Float64Array;
  let acc: HotaMatchTotals;
  if (data.numGtIds * data.numTrackerIds <= HOTA_KERNEL_MAX_PAIRS) {
    const passes = hotaPasses({ ...data, ...sp }, THRESHOLDS);
    ({ gtIdCount, trackerIdCount } = passes);
    acc = passes;
  } else {
    gtIdCount = new Float64Array(data.numGtIds);
    trackerIdCount = new Float64Array(data.numTrackerIds);
    acc = matchFrames(data, sp, globalAlignment(data, sp, gtIdCount, trackerIdCount));
  }
  for (let a = 0; a < NA; a++) {
    res.HOTA_TP[a] = acc.tp[a];
    res.HOTA_FN[a] = acc.fn[a];
    res.HOTA_FP[a] = acc.fp[a];
  }
  associationScores(res, acc, data.numTrackerIds, gtIdCount, trackerIdCount);
  for (let a = 0; a < NA; a++) res.LocA[a] = Math.max(1e-10, acc.loc[a]) / Math.max(1e-10, res.HOTA_TP[a]);
  return computeHotaFinalFields(res);
}

/**
 * Pass 1: soft-IoU potential matches per id pair and per-id detection counts (filled into the count arrays);
 * returns the global alignment score A[g,h] = pot / (n_g + n_h - pot).
 */
export function globalAlignment(data: TrackingSequence, sp: SparseSimilarity, gtIdCount: Float64Array, trackerIdCount: Float64Array): PairTable {
  const nT = data.numTrackerIds;
  const potential = new PairTable(data.numGtIds, nT);
  let colSum = new Float64Array(64);
  let rowSum = new Float64Array(64);
  const { start, rows, cols, values } = sp;
  for (let t = 0; t < data.numTimesteps; t++) {
    const gIds = data.gtIds[t];
    const tIds = data.trackerIds[t];
    const G = gIds.length;
    const H = tIds.length;
    const k0 = start[t];
    const k1 = start[t + 1];
    if (k1 > k0) {
      if (colSum.length < H) colSum = new Float64Array(2 * H);
      if (rowSum.length < G) rowSum = new Float64Array(2 * G);
      colSum.fill(0, 0, H);
      rowSum.fill(0, 0, G);
      // Only non-zero entries: adding zeros leaves TrackEval's sums unchanged, so summing the rest in the same
      // (row-major) order gives the same values.
      for (let k = k0; k < k1; k++) {
        rowSum[rows[k]] += values[k];
        colSum[cols[k]] += values[k];
      }
      for (let k = k0; k < k1; k++) {
        const i = rows[k];
        const j = cols[k];
        const s = values[k];
        const denom = colSum[j] + rowSum[i] - s;
        if (denom > 0 + EPS) potential.add(gIds[i] * nT + tIds[j], s / denom);
      }
    }
    for (let i = 0; i < G; i++) gtIdCount[gIds[i]] += 1;
    for (let j = 0; j < H; j++) trackerIdCount[tIds[j]] += 1;
  }
  const alignment = new PairTable(data.numGtIds, nT);
  potential.forEach((key, pot) => {
    const g = Math.floor(key / nT);
    const h = key - g * nT;
    alignment.add(key, pot / (gtIdCount[g] + trackerIdCount[h] - pot));
  });
  return alignment;
}

/** TP threshold per alpha. */
const THRESHOLDS: readonly number[] = HOTA_ALPHAS.map((a) => a - EPS);

/**
 * Pass 2: one matching per frame on A * S, thresholded per alpha (`S >= alpha - eps`). `tp`, `fn`, `fp` and `loc` (sum
 * of matched similarities, the LocA numerator) per alpha; the TP counts per alpha of matched id pair keys[p]
 * (g * nT + h, ascending) at counts[offsets[p] + a]. The same computation as ./mot/frameKernels (the JS form is used when
 * the id-pair tables are too large to be dense, and in tests as the kernel's reference).
 */
export function matchFrames(data: TrackingSequence, sp: SparseSimilarity, alignment: PairTable): HotaMatchTotals {
  const nT = data.numTrackerIds;
  const tp = new Float64Array(NA);
  const fn = new Float64Array(NA);
  const fp = new Float64Array(NA);
  const loc = new Float64Array(NA);
  const matchSlots = new Map<number, number>();
  // One flat array for all pairs' counts (a small typed array per pair costs more to allocate and collect).
  let counts = new Int32Array(NA * 256);
  const thresholds = THRESHOLDS;
  const frameLoc = new Float64Array(NA);
  const frameTp = new Int32Array(NA);
  const positive = new PositiveEntries();
  for (let t = 0; t < data.numTimesteps; t++) {
    const gIds = data.gtIds[t];
    const tIds = data.trackerIds[t];
    const G = gIds.length;
    const H = tIds.length;
    if (G === 0) {
      for (let a = 0; a < NA; a++) fp[a] += H;
      continue;
    }
    if (H === 0) {
      for (let a = 0; a < NA; a++) fn[a] += G;
      continue;
    }
    positive.clear();
    for (let k = sp.start[t], k1 = sp.start[t + 1]; k < k1; k++) {
      const i = sp.rows[k];
      const j = sp.cols[k];
      const v = alignment.get(gIds[i] * nT + tIds[j]) * sp.values[k];
      if (v > 0) positive.push(i, j, v);
    }
    // Zero-score pairs never pass `S >= alpha - eps`, so the unique-positive-matching fast path is exact here;
    // otherwise the full solver runs on the dense -score matrix, as TrackEval does.
    const { rows, cols } = uniquePositiveMatchingSparse(positive, G, H) ?? linearSumAssignment(denseNegated(positive, G, H), G, H);
    frameLoc.fill(0);
    frameTp.fill(0);
    for (let k = 0; k < rows.length; k++) {
      const s = similarityAt(sp, t, rows[k], cols[k], H);
      // Alphas ascend, so the passed ones are a prefix.
      let passed = 0;
      while (passed < NA && s >= thresholds[passed]) passed++;
      if (passed === 0) continue;
      const key = gIds[rows[k]] * nT + tIds[cols[k]];
      let slot = matchSlots.get(key);
      if (slot === undefined) {
        slot = matchSlots.size;
        matchSlots.set(key, slot);
        if (counts.length < (slot + 1) * NA) {
          const grown = new Int32Array(2 * counts.length);
          grown.set(counts);
          counts = grown;
        }
      }
      const o = slot * NA;
      for (let a = 0; a < passed; a++) {
        frameTp[a] += 1;
        frameLoc[a] += s;
        counts[o + a] += 1;
      }
    }
    for (let a = 0; a < NA; a++) {
      const k = frameTp[a];
      tp[a] += k;
      fn[a] += G - k;
      fp[a] += H - k;
      if (k > 0) loc[a] += frameLoc[a];
    }
  }
  const keys = Array.from(matchSlots.keys()).sort((x, y) => x - y);
  return { tp, fn, fp, loc, keys, offsets: keys.map((k) => matchSlots.get(k)! * NA), counts };
}

/** Dense row-major -score matrix from its positive entries (zeros elsewhere). */
function denseNegated(e: PositiveEntries, G: number, H: number): Float64Array {
  const m = new Float64Array(G * H);
  for (let k = 0; k < e.length; k++) m[e.rows[k] * H + e.cols[k]] = -e.values[k];
  return m;
}

/** AssA / AssRe / AssPr per alpha, summed in row-major pair order like numpy's dense sum. */
function associationScores(res: HotaResult, m: HotaMatchTotals, nT: number, gtIdCount: Float64Array, trackerIdCount: Float64Array): void {
  const { keys, offsets, counts: slotCounts } = m;
  for (let a = 0; a < NA; a++) {
    let assA = 0;
    let assRe = 0;
    let assPr = 0;
    for (let p = 0; p < keys.length; p++) {
      const m = slotCounts[offsets[p] + a];
      if (m === 0) continue;
      const g = Math.floor(keys[p] / nT);
      const h = keys[p] - g * nT;
      assA += m * (m / Math.max(1, gtIdCount[g] + trackerIdCount[h] - m));
      assRe += m * (m / Math.max(1, gtIdCount[g]));
      assPr += m * (m / Math.max(1, trackerIdCount[h]));
    }
    const tp = Math.max(1, res.HOTA_TP[a]);
    res.AssA[a] = assA / tp;
    res.AssRe[a] = assRe / tp;
    res.AssPr[a] = assPr / tp;
  }
}

/** Values per (gt id, tracker id) pair, key g * nT + h: dense when small, sparse (co-occurring pairs) otherwise. */
export class PairTable {
  private readonly dense: Float64Array | null;
  private readonly sparse: Map<number, number> | null;
  constructor(rows: number, cols: number) {
    const small = rows * cols <= 1 << 22;
    this.dense = small ? new Float64Array(rows * cols) : null;
    this.sparse = small ? null : new Map();
  }
  /** The dense values (null when sparse). */
  denseValues(): Float64Array | null {
    return this.dense;
  }
  get(key: number): number {
    return this.dense ? this.dense[key] : (this.sparse!.get(key) ?? 0);
  }
  add(key: number, v: number): void {
    if (this.dense) this.dense[key] += v;
    else this.sparse!.set(key, (this.sparse!.get(key) ?? 0) + v);
  }
  /** Visits the non-zero entries. */
  forEach(fn: (key: number, v: number) => void): void {
    if (this.dense) {
      const d = this.dense;
      for (let k = 0; k < d.length; k++) if (d[k] !== 0) fn(k, d[k]);
    } else this.sparse!.forEach((v, k) => fn(k, v));
  }
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
