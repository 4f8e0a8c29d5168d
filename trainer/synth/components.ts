// The point of an instance in a frame: the centre of the largest connected component of its mask (as the
// MolmoPoint paper derives TrackSyn points), computed from rendered pixels rather than the analytic centre.
import { pyRoundHalfEven } from "../../lib/metrics/points/py-round";

export interface ComponentCentre {
  /**
   * Point coordinates in the evaluators' convention: pixel (i, j) is centred on (i, j), and a point belongs to
   * pixel (round(x), round(y)) with Python's round (Molmo2 `is_point_in_region`). Rounded to 0.01. Always on the
   * component under that rule, so a GT point always hits its own mask.
   */
  x: number;
  y: number;
  /** Pixels in the largest component. */
  area: number;
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/**
 * Largest 4-connected component of `mask` (row-major, non-zero = on; ties → the component met first in
 * row-major order) and its centre: the centroid of its pixel centres when that point falls on a pixel of the
 * component, otherwise the centre of the component pixel nearest to the centroid (first in row-major order on
 * ties) — so a ring's point lies on the ring, not in its hole. Null for an empty mask.
 * "Falls on" uses the evaluators' rounding (half to even): with pixel corners at integers and a floor test instead,
 * a centroid like (72.5, 55.5) on a 3-px ring belongs to one pixel here and to its neighbour in the evaluator.
 * `scratch` (two Int32Arrays ≥ width·height) avoids allocations per call; `box` [x0, y0, x1, y1] (inclusive)
 * limits the work to a region that holds every on pixel.
 */
export function largestComponentCentre(
  mask: Uint8Array,
  width: number,
  height: number,
  scratch?: { label: Int32Array; stack: Int32Array },
  box: readonly [number, number, number, number] = [0, 0, width - 1, height - 1],
): ComponentCentre | null {
  const n = width * height;
  const label = scratch && scratch.label.length >= n ? scratch.label : new Int32Array(n);
  const stack = scratch && scratch.stack.length >= n ? scratch.stack : new Int32Array(n);
  const [bx0, by0, bx1, by1] = box;
  for (let y = by0; y <= by1; y++) label.fill(0, y * width + bx0, y * width + bx1 + 1);
  let best = 0;
  let bestArea = 0;
  let bestSx = 0;
  let bestSy = 0;
  let next = 0;
  for (let start = by0 * width + bx0; start <= by1 * width + bx1; start++) {
    const sx = start % width;
    if (sx < bx0 || sx > bx1) continue;
    if (!mask[start] || label[start]) continue;
    const id = ++next;
    let top = 0;
    stack[top++] = start;
    label[start] = id;
    let area = 0;
    let sumX = 0;
    let sumY = 0;
    while (top) {
      const p = stack[--top];
      const x = p % width;
      const y = (p - x) / width;
      area++;
      sumX += x;
      sumY += y;
      if (x > 0 && mask[p - 1] && !label[p - 1]) (label[p - 1] = id), (stack[top++] = p - 1);
      if (x < width - 1 && mask[p + 1] && !label[p + 1]) (label[p + 1] = id), (stack[top++] = p + 1);
      if (y > 0 && mask[p - width] && !label[p - width]) (label[p - width] = id), (stack[top++] = p - width);
      if (y < height - 1 && mask[p + width] && !label[p + width]) (label[p + width] = id), (stack[top++] = p + width);
    }
    if (area > bestArea) {
      best = id;
      bestArea = area;
      bestSx = sumX;
      bestSy = sumY;
    }
  }
  if (!best) return null;
  const cx = round2(bestSx / bestArea);
  const cy = round2(bestSy / bestArea);
  const fx = pyRoundHalfEven(cx);
  const fy = pyRoundHalfEven(cy);
  if (fx >= bx0 && fy >= by0 && fx <= bx1 && fy <= by1 && label[fy * width + fx] === best) return { x: cx, y: cy, area: bestArea };
  let bestD = Infinity;
  let bx = 0;
  let by = 0;
  for (let y = by0; y <= by1; y++) for (let x = bx0; x <= bx1; x++) {
    if (label[y * width + x] !== best) continue;
    const d = (x - cx) ** 2 + (y - cy) ** 2;
    if (d < bestD) (bestD = d), (bx = x), (by = y);
  }
  return { x: bx, y: by, area: bestArea };
}
