// Point-in-mask and point-distance tests exactly as Molmo2's evaluators do them.
import { rleContains, type RleRuns } from "../../masks/rle";
import { pyRoundHalfEven } from "./py-round";

/**
 * Molmo2 `is_point_in_region`: round x and y with Python's `round` (ties to even), a point outside
 * the mask's extent misses, else the mask value at [y, x]. A null mask is an empty mask.
 */
export function isPointInMask(x: number, y: number, mask: RleRuns | null | undefined): boolean {
  if (!mask) return false;
  return rleContains(mask, pyRoundHalfEven(x), pyRoundHalfEven(y));
}

/** scipy `cdist(..., 'euclidean')` for 2-D points: sqrt of the left-to-right sum of squares. */
export function euclidean2(ax: number, ay: number, bx: number, by: number): number {
  const dx = ax - bx;
  const dy = ay - by;
  return Math.sqrt(dx * dx + dy * dy);
}

/** Row-major |a| x |b| distance matrix (scipy `cdist(a, b)`). */
export function pointDistances(a: ReadonlyArray<{ x: number; y: number }>, b: ReadonlyArray<{ x: number; y: number }>): Float64Array {
  const d = new Float64Array(a.length * b.length);
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) d[i * b.length + j] = euclidean2(a[i].x, a[i].y, b[j].x, b[j].y);
  return d;
}

/** Distance hit for point-only ground truth: within `radius` pixels (inclusive). */
export function isWithinRadius(distance: number, radius: number): boolean {
  return distance <= radius;
}

/** Soft distance similarity usable as a HOTA similarity: max(0, 1 - d / radius). */
export function softDistanceSimilarity(distance: number, radius: number): number {
  return Math.max(0, 1 - distance / radius);
}

export function checkRadius(radius: number): void {
  if (!(radius > 0) || !Number.isFinite(radius)) throw new RangeError(`distance radius must be a positive number of pixels, got ${radius}`);
}
