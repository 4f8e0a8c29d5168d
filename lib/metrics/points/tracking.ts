// Molmo2 `evaluate_video_object_tracking`: point P/R/F1 plus point HOTA for one video.
import { computePointHota, prepareHotaInput, POINT_HOTA_REPORT_INDEX, type PointHotaArrays } from "./point-hota";
import { mean } from "./prf";
import { evaluateTrackF1 } from "./tracking-f1";
import type { PointJudge, TrackFrame, TrackGroundTruth } from "./types";

export interface VideoTrackingScores {
  precision: number;
  recall: number;
  f1: number;
  /** At alpha = 0.5 (index 9), as Molmo2 reports them. */
  HOTA: number;
  DetA: number;
  AssA: number;
  DetPr: number;
  DetRe: number;
  LocA: number;
  /** TrackEval's convention (mean over the 19 alphas); equals HOTA for binary similarities. */
  HOTA_alphaMean: number;
  HOTA_array: number[];
  DetA_array: number[];
  AssA_array: number[];
  num_frames: number;
  frames_with_pred: number;
  frames_with_gt: number;
}

/** Molmo2's default judge: point inside the GT mask, with Molmo2's exact (quirky) indexing. */
export const MOLMO2_JUDGE: PointJudge = { kind: "mask", molmo2Compat: true };

export function evaluateVideoTracking(pred: readonly TrackFrame[], gt: TrackGroundTruth, judge: PointJudge = MOLMO2_JUDGE): VideoTrackingScores {
  const f = evaluateTrackF1(pred, gt, judge);
  const h: PointHotaArrays = computePointHota(prepareHotaInput(pred, gt, judge));
  const i = POINT_HOTA_REPORT_INDEX;
  return {
    precision: f.precision,
    recall: f.recall,
    f1: f.f1,
    HOTA: h.HOTA[i],
    DetA: h.DetA[i],
    AssA: h.AssA[i],
    DetPr: h.DetPr[i],
    DetRe: h.DetRe[i],
    LocA: h.LocA[i],
    HOTA_alphaMean: mean(h.HOTA),
    HOTA_array: h.HOTA,
    DetA_array: h.DetA,
    AssA_array: h.AssA,
    num_frames: f.numFrames,
    frames_with_pred: f.framesWithPred,
    frames_with_gt: f.framesWithGt,
  };
}
