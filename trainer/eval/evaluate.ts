// Evaluates a model on examples (the frozen benchmark split of a snapshot): each example's video and expression go
// through the REAL runtime path (createRuntime("built-in", {modelDir}) or a given runtime, e.g. remote), and the
// answer is scored against the example's TrackAny ground truth with lib/metrics/points — Molmo2's tracking point
// F1 and point HOTA (mask judge when the example carries GT masks, else a distance judge) and video counting
// (correct / close). Predictions are brought onto the GT's sampling grid with the shared interpolation: the model's
// keyframes at the frames it saw, an object it did not point at on a seen frame being outside there.
// Beside Molmo2's F1 the report gives two numbers that say how to read it: `f1PerObject`, the same F1 with each GT
// point judged against its own object's mask (Molmo2 judges the j-th point of a frame against the j-th object of the
// video, so a frame where an earlier object is absent scores against the wrong masks), and `ceilingF1`, Molmo2's F1 of
// the ground truth itself — what a perfect prediction scores on these examples (below 1 whenever objects exit; the
// mis-pairing can in rare frames reward a wrong point, so it is not a strict bound).
import { readFile } from "node:fs/promises";
import {
  evaluateTrackF1, evaluateVideoTracking, gtVideoFromRecord, MOLMO2_JUDGE, scoreVideoCount, summarizeCounts, TrackInputError,
  type PointJudge, type TrackFrame, type TrackPoint, type VideoTrackingScores,
} from "../../lib/metrics/points";
import { interpolateTrack, type Keyframe } from "../../lib/tracks";
import { probeVideo, type VideoMeta } from "../../lib/video";
import type { ModelRuntime } from "../../inference/runtime";
import { createRuntime } from "../../inference/runtimes";
import { sha256 } from "../snapshot/manifest";

export interface EvalExample {
  id: string;
  /** Absolute path of the video. */
  video: string;
  /** Absolute path of the TrackAny JSON (with `masks` for the mask judge). */
  annotation: string;
  source?: string;
}

export interface EvaluateOptions {
  /** A contract model directory, run through the built-in runtime… */
  modelDir?: string;
  /** …or an already created runtime (not closed here). */
  runtime?: ModelRuntime;
  refs: readonly EvalExample[];
  /** Judge for examples without GT masks (default: distance, 5 % of the frame diagonal, hard). */
  distanceRadius?: (width: number, height: number) => number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, example: ExampleScore) => void;
}

export interface ExampleScore {
  id: string;
  source: string;
  expression: string;
  judge: "mask" | "distance";
  /** Molmo2's point F1 (the promotion metric). */
  f1: number;
  /** Point F1 with each GT point judged against its own object's mask (= f1 for the distance judge). */
  f1PerObject: number;
  /** Molmo2's point F1 of the ground truth itself: what a perfect prediction scores on this example. */
  ceilingF1: number;
  precision: number;
  recall: number;
  HOTA: number;
  DetA: number;
  AssA: number;
  gtCount: number;
  predCount: number;
  countCorrect: boolean;
  countClose: boolean;
  seconds: number;
}

export interface EvalSummary {
  examples: number;
  f1: number;
  f1PerObject: number;
  ceilingF1: number;
  precision: number;
  recall: number;
  HOTA: number;
  DetA: number;
  AssA: number;
  countAccuracy: number;
  closeAccuracy: number;
}

export interface EvalReport {
  engine: string;
  overall: EvalSummary;
  bySource: Record<string, EvalSummary>;
  perExample: ExampleScore[];
  /** Hash of the evaluated example set (ids + annotation bytes): equal hashes = comparable numbers. */
  examplesHash: string;
  seconds: number;
  reference: string;
}

export class EvalError extends Error {
  override name = "EvalError";
}

function summarize(scores: readonly ExampleScore[]): EvalSummary {
  const n = scores.length;
  const mean = (f: (s: ExampleScore) => number) => (n === 0 ? NaN : scores.reduce((a, s) => a + f(s), 0) / n);
  const counts = summarizeCounts(scores.map((s) => ({ gt: s.gtCount, score: { valid: true, correct: s.countCorrect, close: s.countClose } })));
  return {
    examples: n, f1: mean((s) => s.f1), f1PerObject: mean((s) => s.f1PerObject), ceilingF1: mean((s) => s.ceilingF1), precision: mean((s) => s.precision), recall: mean((s) => s.recall),
    HOTA: mean((s) => s.HOTA), DetA: mean((s) => s.DetA), AssA: mean((s) => s.AssA),
    countAccuracy: counts.correct, closeAccuracy: counts.close,
  };
}

/**
 * An answered object's keyframes plus `outside` ones on every frame the model saw without pointing at it (the object
 * is not there), sorted by frame: how a model answer reads as a track.
 */
export function withAbsences(keyframes: readonly Keyframe[], seenFrames: readonly number[]): Keyframe[] {
  const first = keyframes[0];
  if (!first) return [];
  const at = new Set(keyframes.map((k) => k.frame));
  const absent: Keyframe[] = seenFrames.filter((f) => !at.has(f)).map((f) => ({ frame: f, x: first.x, y: first.y, state: "outside", source: first.source }));
  return [...keyframes, ...absent].sort((a, b) => a.frame - b.frame);
}

/** The model's tracks on the GT grid frames: visible interpolated points, ordered by object id. */
export function predictionOnFrames(
  objects: ReadonlyArray<{ objectId: string; keyframes: readonly Keyframe[] }>,
  seenFrames: readonly number[],
  gridFrames: readonly number[],
  video: { frameCount: number; shotBoundaries?: readonly number[] },
): TrackFrame[] {
  const sorted = [...objects].sort((a, b) => Number(a.objectId) - Number(b.objectId));
  const dense = sorted.map((o) => interpolateTrack(withAbsences(o.keyframes, seenFrames), { frameCount: video.frameCount, shotBoundaries: video.shotBoundaries ?? [] }));
  return gridFrames.map((frame) => {
    const points: TrackPoint[] = [];
    sorted.forEach((o, i) => {
      const p = dense[i][frame];
      if (p && p.state === "visible") points.push({ id: Number(o.objectId), x: p.x, y: p.y });
    });
    return { frame, points };
  });
}

async function readAnnotation(file: string): Promise<{ record: Record<string, unknown>; text: string }> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new EvalError(`${file}: cannot read (${(e as Error).message})`);
  }
  try {
    const v: unknown = JSON.parse(text);
    if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error("expected a JSON object");
    return { record: v as Record<string, unknown>, text };
  } catch (e) {
    throw new EvalError(`${file}: not a TrackAny JSON object (${(e as Error).message})`);
  }
}

/** One example's ground truth and the runtime's answer on the GT's frames (what evaluateModel scores). */
export interface GridAnswer {
  /** The annotation file's text (evaluateModel hashes it). */
  text: string;
  expression: string;
  gt: ReturnType<typeof gtVideoFromRecord>;
  /** The model's tracks on the GT grid frames (`predictionOnFrames`). */
  pred: TrackFrame[];
}

/**
 * Reads an example's annotation, asks `runtime` its expression and brings the answer onto the GT's frames.
 * @param metas probe results by video path, shared across calls (several examples use one video)
 */
export async function answerOnGrid(runtime: ModelRuntime, ref: EvalExample, metas: Map<string, VideoMeta>, signal: AbortSignal): Promise<GridAnswer> {
  const { record, text } = await readAnnotation(ref.annotation);
  let gt;
  try {
    gt = gtVideoFromRecord({ value: { ...record, id: ref.id }, index: 0 }, { samplingFps: 1 });
  } catch (e) {
    if (e instanceof TrackInputError) throw new EvalError(`${ref.annotation}: ${e.message}`);
    throw e;
  }
  const expression = typeof record.expression === "string" ? record.expression : "";
  if (!expression) throw new EvalError(`${ref.annotation}: expression: missing`);
  const grid = Array.isArray(record.frame_trajectories) ? (record.frame_trajectories as Array<{ frame: number }>).map((f) => f.frame) : [];
  let meta = metas.get(ref.video);
  if (!meta) {
    try {
      meta = await probeVideo(ref.video);
    } catch (e) {
      throw new EvalError(`${ref.video} (example ${ref.id}): ${(e as Error).message}`);
    }
    metas.set(ref.video, meta);
  }
  const result = await runtime.query({ video: { id: `file:${ref.video}`, path: ref.video, meta }, expression, signal });
  const pred = predictionOnFrames(result.tracks.objects, result.sampledFrames, grid, { frameCount: meta.frameCount, shotBoundaries: meta.shotBoundaries });
  return { text, expression, gt, pred };
}

export async function evaluateModel(opts: EvaluateOptions): Promise<EvalReport> {
  if (!opts.runtime && !opts.modelDir) throw new EvalError("evaluateModel needs a modelDir or a runtime");
  if (opts.refs.length === 0) throw new EvalError("no examples to evaluate (is the benchmark split empty?)");
  const started = performance.now();
  const runtime = opts.runtime ?? (await createRuntime("built-in", { modelDir: opts.modelDir, log: () => {} }));
  const signal = opts.signal ?? new AbortController().signal;
  const metas = new Map<string, VideoMeta>();
  const scores: ExampleScore[] = [];
  const digest: string[] = [];
  try {
    for (const ref of opts.refs) {
      const t0 = performance.now();
      const { text, expression, gt, pred } = await answerOnGrid(runtime, ref, metas, signal);
      digest.push(`${ref.id}\t${sha256(text)}`);
      const judge: PointJudge = gt.gt.masks ? MOLMO2_JUDGE : { kind: "distance", radius: (opts.distanceRadius ?? ((w, h) => 0.05 * Math.hypot(w, h)))(gt.gt.width, gt.gt.height), soft: false };
      const s: VideoTrackingScores = evaluateVideoTracking(pred, gt.gt, judge);
      const f1PerObject = judge.kind === "mask" ? evaluateTrackF1(pred, gt.gt, { kind: "mask", molmo2Compat: false }).f1 : s.f1;
      const ceilingF1 = evaluateTrackF1(gt.gt.frames, gt.gt, judge).f1;
      const predCount = new Set(pred.flatMap((f) => f.points.map((p) => p.id))).size;
      const count = scoreVideoCount(gt.objectCount, predCount);
      const score: ExampleScore = {
        id: ref.id, source: ref.source ?? "", expression, judge: judge.kind,
        f1: s.f1, f1PerObject, ceilingF1, precision: s.precision, recall: s.recall, HOTA: s.HOTA, DetA: s.DetA, AssA: s.AssA,
        gtCount: gt.objectCount, predCount, countCorrect: count.correct, countClose: count.close,
        seconds: (performance.now() - t0) / 1000,
      };
      scores.push(score);
      opts.onProgress?.(scores.length, opts.refs.length, score);
    }
  } finally {
    if (!opts.runtime) await runtime.close();
  }
  const sources = [...new Set(scores.map((s) => s.source))].sort();
  return {
    engine: runtime.engine,
    overall: summarize(scores),
    bySource: Object.fromEntries(sources.map((src) => [src || "(none)", summarize(scores.filter((s) => s.source === src))])),
    perExample: scores,
    examplesHash: sha256(digest.sort().join("\n")),
    seconds: (performance.now() - started) / 1000,
    reference: "lib/metrics/points: allenai/molmo2 evaluate_video_object_tracking (point F1, point HOTA at alpha 0.5), VixMoPointCountEval counting rule",
  };
}
