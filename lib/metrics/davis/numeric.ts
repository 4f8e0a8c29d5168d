// NumPy-compatible reductions. `np.sum`/`np.mean` on a contiguous float64 vector use pairwise summation
// (numpy/core/src/umath/loops_utils.h: pairwise_sum, blocks of 8 partial sums, PW_BLOCKSIZE 128); porting it
// keeps our means bit-identical to the reference rather than merely close.

const PW_BLOCKSIZE = 128;

function pairwiseSum(a: ArrayLike<number>, start: number, n: number): number {
  if (n < 8) {
    // numpy starts this branch from -0.0 (so an all -0.0 input sums to -0.0); + 0 order is otherwise identical.
    let res = -0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= PW_BLOCKSIZE) {
    const r = [a[start], a[start + 1], a[start + 2], a[start + 3], a[start + 4], a[start + 5], a[start + 6], a[start + 7]];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[start + i + j];
    let res = (r[0] + r[1] + (r[2] + r[3])) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** `np.sum` of a float64 vector. */
export function npSum(a: ArrayLike<number>): number {
  return pairwiseSum(a, 0, a.length);
}

/** `np.mean` of a float64 vector (NaN for an empty vector, as numpy returns with a warning). */
export function npMean(a: ArrayLike<number>): number {
  return a.length === 0 ? NaN : npSum(a) / a.length;
}

/** `np.nanmean`: NaNs are replaced by 0 in the sum and left out of the count. */
export function npNanMean(a: ArrayLike<number>): number {
  let nans = 0;
  for (let i = 0; i < a.length; i++) if (Number.isNaN(a[i])) nans++;
  if (nans === 0) return npMean(a);
  const b = Float64Array.from(a, (v) => (Number.isNaN(v) ? 0 : v));
  const cnt = a.length - nans;
  return cnt === 0 ? NaN : npSum(b) / cnt;
}

/** `np.round` (round half to even) for finite doubles. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** `np.linspace(start, stop, num)` with its exact arithmetic (step = delta / div; y = i * step + start; last = stop). */
export function linspace(start: number, stop: number, num: number): number[] {
  const div = num - 1;
  const delta = stop - start;
  const out: number[] = [];
  const step = delta / div;
  for (let i = 0; i < num; i++) out.push(step === 0 ? (i / div) * delta + start : i * step + start);
  if (num > 1) out[num - 1] = stop;
  return out;
}
