// Python's rounding, which Molmo2's evaluators rely on: `round(x)` (ties to even) for the pixel a
// point falls in, and `round(x, n)` (correctly rounded decimal, ties to even) when normalising
// video-pointing triplets to 0..100 with one decimal.

/** Python 3 `round(x)`: nearest integer, exact halves to the even neighbour. */
export function pyRoundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f; // exact for doubles of moderate magnitude
  if (d < 0.5) return f + 0;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f + 0 : f + 1;
}

/**
 * Python 3 `round(x, digits)` for 0 <= digits <= 15: the decimal with `digits` places nearest to the
 * exact value of the double, exact ties to even (JS `toFixed` breaks exact ties upwards).
 */
export function pyRoundDigits(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
  const a = Math.abs(x);
  if (a >= 1e21) return x;
  let s: string;
  if (isExactDecimalTie(a, digits)) {
    // x * 10^digits is exactly k + 0.5: pick the even k.
    const lower = Math.floor(a * 10 ** digits);
    const k = lower % 2 === 0 ? lower : lower + 1;
    s = (k / 10 ** digits).toFixed(digits);
  } else {
    s = a.toFixed(digits);
  }
  const v = Number(s);
  return x < 0 ? -v : v;
}

/** True when the exact binary value of `a` has a decimal expansion ending in 5 at place digits+1. */
function isExactDecimalTie(a: number, digits: number): boolean {
  // toFixed with 60 extra places is exact for any double that can be a tie: a tie is k/2^j with
  // j <= digits + 1 (times 5^-digits), whose expansion ends long before that.
  const full = a.toFixed(Math.min(100, digits + 60));
  const dot = full.indexOf(".");
  const tail = full.slice(dot + 1 + digits);
  return /^50*$/.test(tail);
}
