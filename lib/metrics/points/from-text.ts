// The Molmo2 pointing / counting evaluators applied to raw model answers: the answer is parsed with
// lib/grounding/text (Molmo2's `extract_points` / `extract_multi_image_points`), then scored.
import { extractMultiImagePoints, extractPoints, type Result } from "../../grounding/text";
import type { RleRuns } from "../../masks/rle";
import { pointBenchCorrect, scoreImagePointing } from "./image-pointing";
import type { PixelPoint, PrecisionRecallF1 } from "./types";
import { scoreVideoPointing, type TimedPoint, type Tubelet, type VideoGeometry } from "./video-pointing";

export interface ImageSize {
  width: number;
  height: number;
}

/** `PointingEval` on one answer: `extract_points(answer, W, H)` then `scoreImagePointing`. */
export function scoreImagePointingText(answer: string, gt: readonly PixelPoint[], masks: ReadonlyArray<RleRuns | null>, image: ImageSize): Result<PrecisionRecallF1> {
  const pts = extractPoints(answer, image);
  if (!pts.ok) return pts;
  return { ok: true, value: scoreImagePointing(pts.value, gt, masks) };
}

/** `PointBenchEval` on one answer (text path of `_extract_image_points`). */
export function pointBenchCorrectText(answer: string, mask: RleRuns, image: ImageSize, opts: { molmo2Compat?: boolean } = {}): Result<boolean> {
  const pts = extractPoints(answer, image);
  if (!pts.ok) return pts;
  return { ok: true, value: pointBenchCorrect(pts.value, mask, image.width, image.height, opts) };
}

/** `VixMoPointEval` on one answer: `extract_multi_image_points(answer, W, H)` gives (t, x, y) triplets. */
export function scoreVideoPointingText(answer: string, gt: readonly TimedPoint[], tubelets: readonly Tubelet[], video: VideoGeometry): Result<PrecisionRecallF1> {
  const pts = extractMultiImagePoints(answer, { width: video.width, height: video.height });
  if (!pts.ok) return pts;
  return { ok: true, value: scoreVideoPointing(pts.value.map((p) => ({ t: p.frame, x: p.x, y: p.y })), gt, tubelets, video) };
}

/**
 * `PointCountEval`'s predicted count: it parses a number from the answer but then overwrites it with
 * `len(extract_points(pred, 100, 100))` where pred = answer lower-cased, trailing '.' stripped.
 */
export function imageCountFromText(answer: string): Result<number> {
  let pred = answer.toLowerCase();
  let end = pred.length;
  while (end > 0 && pred[end - 1] === ".") end--;
  pred = pred.slice(0, end).trim();
  const pts = extractPoints(pred, { width: 100, height: 100 });
  if (!pts.ok) return pts;
  return { ok: true, value: pts.value.length };
}
