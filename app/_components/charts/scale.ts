// Pure geometry for the SVG charts (no React): "nice" axis ticks, linear/log scales and nearest-point lookup.
// Kept apart from the component so it is unit-testable and shared by every chart.

export type ScaleKind = "linear" | "log";

export interface Scale {
  kind: ScaleKind;
  /** Data domain actually drawn (after padding / rounding to ticks). */
  domain: readonly [number, number];
  ticks: readonly number[];
  /** Data value → pixel (range[0] for domain[0]). */
  map(v: number): number;
  /** Pixel → data value. */
  invert(px: number): number;
}

/** Step of 1, 2, 2.5 or 5 × 10^k so that about `count` steps cover `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag - 1e-9; // a span like 2.2 − 1.8 carries float noise above the exact step
  const m = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10;
  return m * mag;
}

/** Ticks covering [min, max] at a nice step; the domain widens to the outer ticks. A flat range gets ±1 (or ±10 %). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const step = niceStep(max - min, count);
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const out: number[] = [];
  // Multiply instead of accumulating so ticks carry no drift (0.30000000000000004).
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) out.push(Number((lo + i * step).toPrecision(12)));
  return out;
}

/** Powers of ten covering [min, max] (both > 0); at least two ticks. */
export function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(min));
  let hi = Math.ceil(Math.log10(max));
  if (hi === lo) hi = lo + 1;
  const out: number[] = [];
  for (let e = lo; e <= hi; e++) out.push(Number((10 ** e).toPrecision(12)));
  return out;
}

/**
 * A scale from the data extent [min, max] onto the pixel range [r0, r1]. A log scale needs min > 0; when the data
 * holds zero or negative values the caller gets a linear scale instead (a log axis would have to drop them).
 */
export function makeScale(kind: ScaleKind, min: number, max: number, r0: number, r1: number, opts: { ticks?: number; fixed?: readonly [number, number] } = {}): Scale {
  if (kind === "log" && min > 0 && max > 0 && Number.isFinite(min) && Number.isFinite(max)) {
    const ticks = logTicks(min, max);
    const d0 = Math.log10(ticks[0]!);
    const d1 = Math.log10(ticks[ticks.length - 1]!);
    const map = (v: number) => r0 + ((Math.log10(v) - d0) / (d1 - d0)) * (r1 - r0);
    const invert = (px: number) => 10 ** (d0 + ((px - r0) / (r1 - r0)) * (d1 - d0));
    return { kind: "log", domain: [ticks[0]!, ticks[ticks.length - 1]!], ticks, map, invert };
  }
  const ticks = opts.fixed ? niceTicks(opts.fixed[0], opts.fixed[1], opts.ticks) : niceTicks(min, max, opts.ticks);
  const d0 = opts.fixed ? opts.fixed[0] : ticks[0]!;
  const d1 = opts.fixed ? opts.fixed[1] : ticks[ticks.length - 1]!;
  const span = d1 - d0 || 1;
  const map = (v: number) => r0 + ((v - d0) / span) * (r1 - r0);
  const invert = (px: number) => d0 + ((px - r0) / (r1 - r0)) * span;
  return { kind: "linear", domain: [d0, d1], ticks: ticks.filter((t) => t >= d0 - 1e-12 && t <= d1 + 1e-12), map, invert };
}

/** Index of the point whose x is nearest to `x` in points sorted by x (ties → the earlier one); -1 when empty. */
export function nearestIndex(xs: ArrayLike<number>, x: number): number {
  const n = xs.length;
  if (n === 0) return -1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(xs[lo - 1]! - x) <= Math.abs(xs[lo]! - x)) return lo - 1;
  return lo;
}

/**
 * SVG path data for a polyline that breaks at non-finite y values (a NaN loss leaves a visible gap instead of a
 * line through zero) and at y values a log scale cannot show (≤ 0).
 */
export function linePath(points: ReadonlyArray<readonly [number, number]>, sx: (v: number) => number, sy: (v: number) => number, logY = false): string {
  let d = "";
  let pen = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(y) || !Number.isFinite(x) || (logY && y <= 0)) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`;
    pen = true;
  }
  return d;
}

/** Compact tick/hover label: 3 significant digits, exponent form for very small/large magnitudes. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1).replace("e+", "e");
  if (Number.isInteger(v)) return String(v);
  return Number(v.toPrecision(3)).toString();
}

/**
 * TensorBoard-style smoothing: a debiased exponential moving average with weight `w` in [0, 1) (0 = raw).
 * Non-finite values stay as gaps and do not enter the average.
 */
export function smoothEma(points: ReadonlyArray<readonly [number, number]>, w: number): Array<[number, number]> {
  if (!(w > 0)) return points.map((p) => [p[0], p[1]]);
  let acc = 0;
  let n = 0;
  return points.map(([x, y]) => {
    if (!Number.isFinite(y)) return [x, y];
    acc = acc * w + (1 - w) * y;
    n++;
    return [x, acc / (1 - w ** n)];
  });
}
