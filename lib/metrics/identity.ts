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

  // TrackEval solves a (G+H)-square LSAP on cost fn + fp. For any complete assignment there, IDFN = sum(n_g) - W and
  // IDFP = sum(n_h) - W, where W = sum of m[g,h] over matched real pairs (a GT id on its own dummy costs n_g, a real
  // pair n_g + n_h - 2m). So every optimal assignment gives the same IDFN/IDFP (tie-breaking cannot matter), and W is
  // the maximum-weight bipartite matching on m. It decomposes over connected components of the graph {m > 0}, which
  // are small, so each component is solved on its own (same scipy-port solver) instead of one (G+H)^2 matrix.
  const W = maxWeightMatching(potential, G, H);
  let totalTr = 0;
  for (let h = 0; h < H; h++) totalTr += trackerIdCount[h];
  let totalGt = 0;
  for (let g = 0; g < G; g++) totalGt += gtIdCount[g];
  res.IDFN = Math.trunc(totalGt - W);
  res.IDFP = Math.trunc(totalTr - W);
  res.IDTP = Math.trunc(totalGt - res.IDFN);
  return computeIdentityFinalFields(res);
}

/** Maximum total weight of a one-to-one matching on the dense G x H weight matrix `m` (entries >= 0). */
function maxWeightMatching(m: Float64Array, G: number, H: number): number {
  // Union-find over G + H nodes joined by positive entries.
  const parent = Int32Array.from({ length: G + H }, (_, k) => k);
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  };
  for (let g = 0; g < G; g++) {
    for (let h = 0; h < H; h++) {
      if (m[g * H + h] > 0) {
        const a = find(g);
        const b = find(G + h);
        if (a !== b) parent[a] = b;
      }
    }
  }
  const rowsOf = new Map<number, number[]>();
  const colsOf = new Map<number, number[]>();
  for (let g = 0; g < G; g++) {
    const r = find(g);
    const list = rowsOf.get(r);
    if (list) list.push(g);
    else rowsOf.set(r, [g]);
  }
  for (let h = 0; h < H; h++) {
    const r = find(G + h);
    const list = colsOf.get(r);
    if (list) list.push(h);
    else colsOf.set(r, [h]);
  }
  let total = 0;
  for (const [root, rows] of rowsOf) {
    const cols = colsOf.get(root);
    if (!cols) continue; // isolated GT id: no positive entry
    if (rows.length === 1 && cols.length === 1) {
      total += m[rows[0] * H + cols[0]];
      continue;
    }
    const sub = new Float64Array(rows.length * cols.length);
    rows.forEach((g, i) => cols.forEach((h, j) => (sub[i * cols.length + j] = m[g * H + h])));
    const { rows: r, cols: c } = linearSumAssignment(sub, rows.length, cols.length, true);
    for (let k = 0; k < r.length; k++) total += sub[r[k] * cols.length + c[k]];
  }
  return total;
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
