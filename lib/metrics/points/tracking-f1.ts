// Molmo2 per-frame point P/R/F1 against GT masks (`object_tracking_utils.evaluate_video_tracks_with_masks`).
import type { RleRuns } from "../../masks/rle";
import { linearSumAssignment } from "../assignment";
import { byFrame, maskOfObject, masksAtFrame } from "./frame-judge";
import { checkRadius, isPointInMask, isWithinRadius, pointDistances } from "./hit-test";
import { mean, molmoF1 } from "./prf";
import type { PointJudge, TrackFrame, TrackGroundTruth } from "./types";

export interface FrameF1 {
  frame: number;
  precision: number;
  recall: number;
  f1: number;
  hasPred: boolean;
  hasGt: boolean;
  numPred: number;
  numGt: number;
}

export interface TrackF1Result {
  precision: number;
  recall: number;
  f1: number;
  numFrames: number;
  framesWithPred: number;
  framesWithGt: number;
  framesWithBoth: number;
  framesPredOnly: number;
  framesGtOnly: number;
  frames: FrameF1[];
}

/**
 * Video point P/R/F1: for every frame in union(pred frames, GT frames) (sorted), Hungarian matching
 * on Euclidean point distance, then P = hits / #pred and R = hits / denominator; the video score is
 * the plain mean over those frames. Frame rules: no GT → 1 if no predictions else 0; GT but no
 * predictions → 0. No frames at all → P = R = F1 = 1.
 *
 * With `{kind: "mask", molmo2Compat: true}` (Molmo2's exact behaviour) the matched GT column j is
 * judged against the j-th object of the whole video's mask list and R divides by the number of
 * objects in the video, so frames where some object is absent are scored against the wrong masks and
 * with too large a denominator. `molmo2Compat: false` judges each GT point against its own object's
 * mask and divides by the GT points present in the frame. The distance judge hits within `radius`.
 */
export function evaluateTrackF1(pred: readonly TrackFrame[], gt: TrackGroundTruth, judge: PointJudge): TrackF1Result {
  if (judge.kind === "distance") checkRadius(judge.radius);
  const predBy = byFrame(pred);
  const gtBy = byFrame(gt.frames);
  const all = [...new Set([...predBy.keys(), ...gtBy.keys()])].sort((a, b) => a - b);
  if (all.length === 0) {
    return { precision: 1, recall: 1, f1: 1, numFrames: 0, framesWithPred: 0, framesWithGt: 0, framesWithBoth: 0, framesPredOnly: 0, framesGtOnly: 0, frames: [] };
  }
  const frames: FrameF1[] = [];
  for (const frame of all) {
    const p = predBy.get(frame)?.points ?? [];
    const g = gtBy.get(frame)?.points ?? [];
    let precision: number;
    let recall: number;
    let f1: number;
    if (g.length === 0) {
      precision = recall = f1 = p.length === 0 ? 1 : 0;
    } else if (p.length === 0) {
      precision = recall = f1 = 0;
    } else {
      const dist = pointDistances(p, g);
      const { rows, cols } = linearSumAssignment(dist, p.length, g.length);
      let hits = 0;
      let denominator = g.length;
      if (judge.kind === "distance") {
        for (let k = 0; k < rows.length; k++) if (isWithinRadius(dist[rows[k] * g.length + cols[k]], judge.radius)) hits++;
      } else if (judge.molmo2Compat) {
        const masks = masksAtFrame(gt, frame);
        denominator = masks.length;
        for (let k = 0; k < rows.length; k++) {
          if (cols[k] >= masks.length) throw new RangeError(`frame ${frame}: GT point #${cols[k]} has no mask (video has ${masks.length} mask objects)`);
          if (hit(p[rows[k]], masks[cols[k]])) hits++;
        }
      } else {
        for (let k = 0; k < rows.length; k++) if (hit(p[rows[k]], maskOfObject(gt, g[cols[k]].id, frame))) hits++;
      }
      precision = hits / p.length;
      recall = hits / denominator;
      f1 = molmoF1(precision, recall);
    }
    frames.push({ frame, precision, recall, f1, hasPred: predBy.has(frame), hasGt: gtBy.has(frame), numPred: p.length, numGt: g.length });
  }
  return {
    precision: mean(frames.map((f) => f.precision)),
    recall: mean(frames.map((f) => f.recall)),
    f1: mean(frames.map((f) => f.f1)),
    numFrames: frames.length,
    framesWithPred: frames.filter((f) => f.hasPred).length,
    framesWithGt: frames.filter((f) => f.hasGt).length,
    framesWithBoth: frames.filter((f) => f.hasPred && f.hasGt).length,
    framesPredOnly: frames.filter((f) => f.hasPred && !f.hasGt).length,
    framesGtOnly: frames.filter((f) => !f.hasPred && f.hasGt).length,
    frames,
  };
}

function hit(p: { x: number; y: number }, mask: RleRuns | null): boolean {
  return isPointInMask(p.x, p.y, mask);
}
