// Identity metrics (IDF1, IDR, IDP) exactly as TrackEval `trackeval/metrics/identity.py` (THRESHOLD 0.5): a global
// one-to-one id matching minimising IDFN + IDFP over a (G+H) square cost matrix with per-id dummy partners.
import { linearSumAssignment } from "./assignment";
import type { TrackingSequence } from "./types";

export const IDENTITY_INTEGER_FIELDS = ["IDTP", "IDFN", "IDFP"] as const;
export const IDENTITY_FLOAT_FIELDS = ["IDF1", "IDR", "IDP"] as const;
export type IdentityField = (typeof IDENTITY_INTEGER_FIELDS)[number] | (typeof IDENTITY_FLOAT_FIELDS)[number];
export type IdentityResult = Record<IdentityField, number>;

function zeroResult(): IdentityResult {
  return { IDF1: 0, IDR: 0, IDP: 0, IDTP: 0, IDFN: 0, IDFP: 0 };
}

/** Identity metrics for one sequence (TrackEval `Identity.eval_sequence`). */
export function evalIdentitySequence(data: TrackingSequence, threshold = 0.5): IdentityResult {
  const res = zeroResult();
  if (data.numTrackerDets === 0) {
    res.IDFN = data.numGtDets;
    return res;
  }
  if (data.numGtDets === 0) {
    res.IDFP = data.numTrackerDets;
    return res;
  }
  const G = data.numGtIds;
  const H = data.numTrackerIds;
  const potential = new Float64Array(G * H); // frames where S >= threshold (no eps, unlike CLEAR)
  const gtIdCount = new Float64Array(G);
  const trackerIdCount = new Float64Array(H);
  for (let t = 0; t < data.numTimesteps; t++) {
    const gIds = data.gtIds[t];
    const tIds = data.trackerIds[t];
    const S = data.similarity[t];
    const nh = tIds.length;
    for (let i = 0; i < gIds.length; i++) {
      for (let j = 0; j < nh; j++) {
        if (S[i * nh + j] >= threshold) potential[gIds[i] * H + tIds[j]] += 1;
      }
    }
    for (let i = 0; i < gIds.length; i++) gtIdCount[gIds[i]] += 1;
    for (let j = 0; j < nh; j++) trackerIdCount[tIds[j]] += 1;
  }

  const N = G + H;
  const fn = new Float64Array(N * N);
  const fp = new Float64Array(N * N);
  for (let r = G; r < N; r++) for (let c = 0; c < H; c++) fp[r * N + c] = 1e10;
  for (let r = 0; r < G; r++) for (let c = H; c < N; c++) fn[r * N + c] = 1e10;
  for (let g = 0; g < G; g++) {
    for (let c = 0; c < H; c++) fn[g * N + c] = gtIdCount[g];
    fn[g * N + H + g] = gtIdCount[g];
  }
  for (let h = 0; h < H; h++) {
    for (let r = 0; r < G; r++) fp[r * N + h] = trackerIdCount[h];
    fp[(h + G) * N + h] = trackerIdCount[h];
  }
  for (let g = 0; g < G; g++) {
    for (let h = 0; h < H; h++) {
      fn[g * N + h] -= potential[g * H + h];
      fp[g * N + h] -= potential[g * H + h];
    }
  }
  const cost = new Float64Array(N * N);
  for (let k = 0; k < N * N; k++) cost[k] = fn[k] + fp[k];
  const { rows, cols } = linearSumAssignment(cost, N, N);
  let sumFn = 0;
  let sumFp = 0;
  for (let k = 0; k < rows.length; k++) {
    sumFn += fn[rows[k] * N + cols[k]];
    sumFp += fp[rows[k] * N + cols[k]];
  }
  let totalGt = 0;
  for (let g = 0; g < G; g++) totalGt += gtIdCount[g];
  res.IDFN = Math.trunc(sumFn);
  res.IDFP = Math.trunc(sumFp);
  res.IDTP = Math.trunc(totalGt - res.IDFN);
  return computeIdentityFinalFields(res);
}

/** TrackEval `Identity._compute_final_fields` (mutates and returns `res`). */
export function computeIdentityFinalFields(res: IdentityResult): IdentityResult {
  res.IDR = res.IDTP / Math.max(1, res.IDTP + res.IDFN);
  res.IDP = res.IDTP / Math.max(1, res.IDTP + res.IDFP);
  res.IDF1 = res.IDTP / Math.max(1, res.IDTP + 0.5 * res.IDFP + 0.5 * res.IDFN);
  return res;
}

/** TrackEval `Identity.combine_sequences`: sum IDTP/IDFN/IDFP, recompute the ratios. */
export function combineIdentitySequences(all: readonly IdentityResult[]): IdentityResult {
  const res = zeroResult();
  for (const r of all) {
    res.IDTP += r.IDTP;
    res.IDFN += r.IDFN;
    res.IDFP += r.IDFP;
  }
  return computeIdentityFinalFields(res);
}
