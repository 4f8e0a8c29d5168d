// Molmo2 video pointing F1 (`VixMoPointEval`, `olmo/eval/evaluators.py`).
import type { RleRuns } from "../../masks/rle";
import { linearSumAssignment } from "../assignment";
import { isPointInMask } from "./hit-test";
import { molmoF1 } from "./prf";
import { pyRoundDigits } from "./py-round";
import type { PrecisionRecallF1 } from "./types";

/** A point in time and space: t in seconds, x/y in pixels. */
export interface TimedPoint {
  t: number;
  x: number;
  y: number;
}

/** Masks of one GT point by timestamp (seconds). A prediction only hits at an exactly equal key. */
export type Tubelet = ReadonlyMap<number, RleRuns | null>;

export interface VideoGeometry {
  duration: number;
  width: number;
  height: number;
}

/** `normalize_timestamps_and_points`: (t/duration, x/W, y/H) * 100, Python-rounded to 1 decimal. */
export function normalizeTriplet(p: TimedPoint, v: VideoGeometry): [number, number, number] {
  return [pyRoundDigits((p.t / v.duration) * 100, 1), pyRoundDigits((p.x / v.width) * 100, 1), pyRoundDigits((p.y / v.height) * 100, 1)];
}

/**
 * Hungarian matching on the Euclidean distance between normalised (t, x, y) triplets; a matched
 * prediction is correct iff its timestamp is exactly a key of the matched GT tubelet and its pixel
 * is inside that mask. P = correct / #pred, R = correct / #GT, F1 as Molmo2.
 */
export function scoreVideoPointing(pred: readonly TimedPoint[], gt: readonly TimedPoint[], tubelets: readonly Tubelet[], video: VideoGeometry): PrecisionRecallF1 {
  if (gt.length === 0) {
    const v = pred.length === 0 ? 1 : 0;
    return { precision: v, recall: v, f1: v };
  }
  if (pred.length === 0) return { precision: 0, recall: 0, f1: 0 };
  if (tubelets.length < gt.length) throw new RangeError(`video pointing: ${gt.length} GT points but only ${tubelets.length} tubelets`);
  const pn = pred.map((p) => normalizeTriplet(p, video));
  const gn = gt.map((p) => normalizeTriplet(p, video));
  const d = new Float64Array(pn.length * gn.length);
  for (let i = 0; i < pn.length; i++) {
    for (let j = 0; j < gn.length; j++) {
      const a = pn[i][0] - gn[j][0];
      const b = pn[i][1] - gn[j][1];
      const c = pn[i][2] - gn[j][2];
      d[i * gn.length + j] = Math.sqrt(a * a + b * b + c * c);
    }
  }
  const { rows, cols } = linearSumAssignment(d, pn.length, gn.length);
  let correct = 0;
  for (let k = 0; k < rows.length; k++) {
    const p = pred[rows[k]];
    const tube = tubelets[cols[k]];
    if (tube.has(p.t) && isPointInMask(p.x, p.y, tube.get(p.t))) correct++;
  }
  const precision = correct / pred.length;
  const recall = correct / tubelets.length;
  return { precision, recall, f1: molmoF1(precision, recall) };
}
