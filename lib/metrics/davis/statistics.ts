// Per-object statistics over per-frame values: davis2017/utils.py `db_statistics`.
import { linspace, npNanMean, roundHalfEven } from "./numeric";

export interface ObjectStatistics {
  /** nanmean of the per-frame values. */
  mean: number;
  /** Fraction of frames with value strictly above 0.5. */
  recall: number;
  /** mean of the first quarter minus mean of the last quarter (bins share endpoints). */
  decay: number;
}

/** Python slice `x[a:b]` for non-negative a, b. */
function slice(x: ArrayLike<number>, a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i < Math.min(b, x.length); i++) out.push(x[i]);
  return out;
}

/**
 * Decay bin boundaries: `(np.round(np.linspace(1, N, 5) + 1e-10) - 1).astype(np.uint8)`.
 * The uint8 cast wraps modulo 256 (a reference quirk for sequences of 257+ frames, kept on purpose).
 */
export function decayBinIds(n: number): number[] {
  return linspace(1, n, 5).map((v) => (((roundHalfEven(v + 1e-10) - 1) % 256) + 256) % 256);
}

export function dbStatistics(values: ArrayLike<number>): ObjectStatistics {
  const mean = npNanMean(values);
  const above = Array.from(values, (v) => (v > 0.5 ? 1 : 0));
  const recall = npNanMean(above);
  const ids = decayBinIds(values.length);
  // `ids[i + 1] + 1` is a uint8 scalar plus a Python int: NumPy 1.x (the reference's era; 1.24 verified)
  // promotes it, so 255 + 1 is 256, not 0.
  const bins = [0, 1, 2, 3].map((i) => slice(values, ids[i], ids[i + 1] + 1));
  const decay = npNanMean(bins[0]) - npNanMean(bins[3]);
  return { mean, recall, decay };
}
