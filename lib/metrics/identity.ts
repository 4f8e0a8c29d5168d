// Identity metrics (IDF1, IDR, IDP) exactly as TrackEval `trackeval/metrics/identity.py` (THRESHOLD 0.5): a global
// one-to-one id matching minimising IDFN + IDFP over a (G+H) square cost matrix with per-id dummy partners.
import { findRoot, linearSumAssignment } from "./assignment";
import { similarityAt, sparseSimilarityOf } from "./similarity";
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
  // Frames where S >= threshold (no eps, unlike CLEAR), per co-occurring id pair (key g * H + h): a dense table when
  // G x H is modest, else a Map, so trackers with very many ids do not need a G x H matrix.
  const potential = new PairCounts(G, H);
  const gtIdCount = new Float64Array(G);
  const trackerIdCount = new Float64Array(H);
  const sp = sparseSimilarityOf(data);
  for (let t = 0; t < data.numTimesteps; t++) {
    const gIds = data.gtIds[t];
    const tIds = data.trackerIds[t];
    const nh = tIds.length;
    if (threshold > 0) {
      // Zero similarities never reach the threshold: only the non-zero entries can count.
      for (let k = sp.start[t], k1 = sp.start[t + 1]; k < k1; k++) {
        if (sp.values[k] >= threshold) {
          potential.increment(gIds[sp.rows[k]] * H + tIds[sp.cols[k]]);
        }
      }
    } else {
      for (let i = 0; i < gIds.length; i++) {
        for (let j = 0; j < nh; j++) {
          if (similarityAt(sp, t, i, j, nh) >= threshold) {
            potential.increment(gIds[i] * H + tIds[j]);
          }
        }
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

/** Positive counts per (gt id, tracker id) pair, key g * H + h: dense when G x H is modest, else a Map. */
class PairCounts {
  private readonly dense: Float64Array | null;
  private readonly sparse: Map<number, number> | null;
  constructor(G: number, H: number) {
    this.dense = G * H <= 1 << 22 ? new Float64Array(G * H) : null;
    this.sparse = this.dense ? null : new Map();
  }
  increment(key: number): void {
    if (this.dense) this.dense[key] += 1;
    else this.sparse!.set(key, (this.sparse!.get(key) ?? 0) + 1);
  }
  get(key: number): number | undefined {
    if (!this.dense) return this.sparse!.get(key);
    const v = this.dense[key];
    return v === 0 ? undefined : v;
  }
  /** Keys with a positive count, ascending. */
  sortedKeys(): number[] {
    if (!this.dense) return Array.from(this.sparse!.keys()).sort((a, b) => a - b);
    const keys: number[] = [];
    const d = this.dense;
    for (let k = 0; k < d.length; k++) if (d[k] !== 0) keys.push(k);
    return keys;
  }
}

/** Maximum total weight of a one-to-one matching given positive weights per pair (key g * H + h). */
function maxWeightMatching(m: PairCounts, G: number, H: number): number {
  const keys = m.sortedKeys();
  // Union-find over G + H nodes joined by positive entries.
  const parent = new Int32Array(G + H);
  for (let k = 0; k < parent.length; k++) parent[k] = k;
  const find = (x: number): number => findRoot(parent, x);
  for (const key of keys) {
    const g = Math.floor(key / H);
    const a = find(g);
    const b = find(G + key - g * H);
    if (a !== b) parent[a] = b;
  }
  const byComponent = new Map<number, number[]>();
  for (const key of keys) {
    const r = find(Math.floor(key / H));
    const list = byComponent.get(r);
    if (list) list.push(key);
    else byComponent.set(r, [key]);
  }
  let total = 0;
  for (const compKeys of byComponent.values()) {
    if (compKeys.length === 1) {
      total += m.get(compKeys[0])!;
      continue;
    }
    const rowIndex = new Map<number, number>();
    const colIndex = new Map<number, number>();
    for (const key of compKeys) {
      const g = Math.floor(key / H);
      const h = key - g * H;
      if (!rowIndex.has(g)) rowIndex.set(g, rowIndex.size);
      if (!colIndex.has(h)) colIndex.set(h, colIndex.size);
    }
    const R = rowIndex.size;
    const C = colIndex.size;
    const sub = new Float64Array(R * C);
    for (const key of compKeys) {
      const g = Math.floor(key / H);
      sub[rowIndex.get(g)! * C + colIndex.get(key - g * H)!] = m.get(key)!;
    }
    const { rows: r, cols: c } = linearSumAssignment(sub, R, C, true);
    for (let k = 0; k < r.length; k++) total += sub[r[k] * C + c[k]];
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
