// Shapes shared by the point metrics (Molmo2 pointing / counting / tracking evaluators).
import type { RleRuns } from "../../masks/rle";

/** A pixel-space point (x right, y down; pixel (i, j) covers the integers nearest to its centre). */
export interface PixelPoint {
  x: number;
  y: number;
}

/** One point of one object in one frame. `id` is the object (track) id. */
export interface TrackPoint extends PixelPoint {
  id: number;
}

/** The points of one video frame, in the order they were given (order matters for tie-breaking). */
export interface TrackFrame {
  frame: number;
  points: readonly TrackPoint[];
}

/** Per-object ground-truth masks by frame index. A missing frame means "no mask" (an empty mask). */
export interface ObjectMasks {
  objectId: string;
  byFrame: ReadonlyMap<number, RleRuns>;
}

/**
 * Tracking ground truth for one video. GT point ids are object indices (Molmo2's `obj_idx` =
 * position of the object in `mask_id`); see `maskIndexOfId` for how they find their mask.
 */
export interface TrackGroundTruth {
  width: number;
  height: number;
  frames: readonly TrackFrame[];
  /** null for point-only ground truth (score with a distance judge). */
  masks: readonly ObjectMasks[] | null;
  /**
   * Which entry of `masks` belongs to GT point id k, when the mask list is not in id order
   * (Molmo2 keeps the mask dict in the dataset's `masks` order but numbers points by `mask_id`).
   * Default: point id k ↔ `masks[k]`. Only the corrected (non-compat) judge uses it.
   */
  maskIndexOfId?: ReadonlyMap<number, number>;
}

/**
 * How a predicted point is judged against a GT object.
 * - `mask`: hit iff the rounded pixel is inside the object's mask. `molmo2Compat: true` keeps
 *   Molmo2's indexing quirks (see README); false pairs every GT point with its own object's mask.
 * - `distance`: for point-only GT; hit iff the Euclidean distance to the GT point is <= `radius` px;
 *   with `soft`, HOTA uses the similarity max(0, 1 - d / radius) instead of 0/1.
 */
export type PointJudge = { kind: "mask"; molmo2Compat: boolean } | { kind: "distance"; radius: number; soft: boolean };

export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1: number;
}
