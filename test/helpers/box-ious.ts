// Shared by the IoU tests: TrackEval's dense box IoU written out as numpy evaluates it, and random boxes that
// include the degenerate cases (zero, negative and huge sizes, exact duplicates).
import { EPS } from "../../lib/metrics/similarity";

/** TrackEval `_calculate_box_ious` (xywh), written out densely as numpy evaluates it. */
export function denseBoxIous(a: Float64Array, b: Float64Array): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let i = 0; i < a.length / 4; i++) {
    for (let j = 0; j < b.length / 4; j++) {
      const ax0 = a[4 * i], ay0 = a[4 * i + 1], ax1 = ax0 + a[4 * i + 2], ay1 = ay0 + a[4 * i + 3];
      const bx0 = b[4 * j], by0 = b[4 * j + 1], bx1 = bx0 + b[4 * j + 2], by1 = by0 + b[4 * j + 3];
      const iw = Math.max(Math.min(ax1, bx1) - Math.max(ax0, bx0), 0);
      const ih = Math.max(Math.min(ay1, by1) - Math.max(ay0, by0), 0);
      let inter = iw * ih;
      const areaA = (ax1 - ax0) * (ay1 - ay0);
      const areaB = (bx1 - bx0) * (by1 - by0);
      let union = areaA + areaB - inter;
      if (areaA <= EPS || areaB <= EPS || union <= EPS) inter = 0;
      if (union <= EPS) union = 1;
      const v = inter / union;
      if (v !== 0) out.push([i, j, v]);
    }
  }
  return out;
}

export function randomBoxes(rand: () => number, n: number, span: number): Float64Array {
  const out = new Float64Array(4 * n);
  for (let k = 0; k < n; k++) {
    const r = rand();
    out[4 * k] = Math.round(rand() * span * 1000) / 1000;
    out[4 * k + 1] = Math.round(rand() * span * 500) / 1000;
    // Mostly normal boxes; some zero, negative or huge widths/heights and exact duplicates.
    out[4 * k + 2] = r < 0.05 ? 0 : r < 0.1 ? -20 * rand() : r < 0.12 ? span : 5 + Math.round(rand() * 80000) / 1000;
    out[4 * k + 3] = r > 0.95 ? 0 : r > 0.9 ? -10 : 10 + Math.round(rand() * 150000) / 1000;
    if (k > 0 && rand() < 0.05) out.copyWithin(4 * k, 4 * (k - 1), 4 * k);
  }
  return out;
}
