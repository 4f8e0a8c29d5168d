// Molmo2 image pointing (`PointingEval`) and PointBench (`PointBenchEval`), `olmo/eval/evaluators.py`.
import type { RleRuns } from "../../masks/rle";
import { linearSumAssignment } from "../assignment";
import { isPointInMask, pointDistances } from "./hit-test";
import { molmoF1 } from "./prf";
import type { PixelPoint, PrecisionRecallF1 } from "./types";

/**
 * One image: Hungarian matching on Euclidean distance between predicted and GT points, a matched
 * prediction is correct iff its rounded pixel lies in the matched GT object's mask;
 * P = correct / #pred, R = correct / #masks, F1 = 2PR / (P + R + 1e-10).
 * No GT: 1 if there are no predictions else 0. GT but no predictions: 0.
 * `masks[k]` belongs to `gt[k]` (null = empty mask).
 */
export function scoreImagePointing(pred: readonly PixelPoint[], gt: readonly PixelPoint[], masks: ReadonlyArray<RleRuns | null>): PrecisionRecallF1 {
  if (gt.length === 0) {
    const v = pred.length === 0 ? 1 : 0;
    return { precision: v, recall: v, f1: v };
  }
  if (pred.length === 0) return { precision: 0, recall: 0, f1: 0 };
  if (masks.length < gt.length) throw new RangeError(`image pointing: ${gt.length} GT points but only ${masks.length} masks`);
  const { rows, cols } = linearSumAssignment(pointDistances(pred, gt), pred.length, gt.length);
  let correct = 0;
  for (let k = 0; k < rows.length; k++) if (isPointInMask(pred[rows[k]].x, pred[rows[k]].y, masks[cols[k]])) correct++;
  const precision = correct / pred.length;
  const recall = correct / masks.length;
  return { precision, recall, f1: molmoF1(precision, recall) };
}

/**
 * PointBench: correct iff there is at least one predicted point and every point is inside the mask.
 * Molmo2 (`molmo2Compat`, default) takes the pixel with Python `int()` — truncation toward zero, so
 * x in (-1, 0) lands in column 0; the corrected behaviour uses floor (such points miss).
 * Points outside the image (`imageWidth` x `imageHeight`) or outside the mask's extent miss.
 */
export function pointBenchCorrect(
  pred: readonly PixelPoint[],
  mask: RleRuns,
  imageWidth: number,
  imageHeight: number,
  opts: { molmo2Compat?: boolean } = {},
): boolean {
  if (pred.length === 0) return false;
  const toPixel = opts.molmo2Compat === false ? Math.floor : Math.trunc;
  for (const p of pred) {
    const px = toPixel(p.x);
    const py = toPixel(p.y);
    if (py < 0 || py >= imageHeight || px < 0 || px >= imageWidth) return false;
    if (py >= mask.height || px >= mask.width) return false;
    if (!isPointInMaskAtPixel(mask, px, py)) return false;
  }
  return true;
}

function isPointInMaskAtPixel(mask: RleRuns, px: number, py: number): boolean {
  return isPointInMask(px, py, mask); // integers round to themselves
}
