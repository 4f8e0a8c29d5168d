// boxIouXywhNonZero: the x-sweep used for many boxes returns exactly the non-zero entries (same order, same values)
// of TrackEval's dense `_calculate_box_ious` arithmetic, including degenerate boxes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { boxIouXywhNonZero } from "../../lib/metrics/similarity";
import { seededRandom as mulberry32 } from "../../lib/random";

const EPS = 2.220446049250313e-16;

/** TrackEval `_calculate_box_ious` (xywh), written out densely as numpy evaluates it. */
function denseReference(a: Float64Array, b: Float64Array): [number, number, number][] {
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

function boxes(rand: () => number, n: number, span: number): Float64Array {
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

test("non-zero IoU entries equal the dense reference for small and large frames", () => {
  const rand = mulberry32(3);
  for (let c = 0; c < 60; c++) {
    const a = boxes(rand, Math.floor(rand() * 70), c % 3 === 0 ? 200 : 1900);
    const b = boxes(rand, Math.floor(rand() * 90), c % 3 === 0 ? 200 : 1900);
    const got: [number, number, number][] = [];
    boxIouXywhNonZero(a, b, { push: (i, j, v) => got.push([i, j, v]) });
    assert.deepEqual(got, denseReference(a, b), `case ${c}`);
  }
});
