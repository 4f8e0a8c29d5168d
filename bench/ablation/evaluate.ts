// Held-out evaluation of both models of the ablation, scored identically: each model's answer becomes keyframes on
// the frames it saw, brought onto the example's GT grid with trainer/eval's `predictionOnFrames` (the project
// evaluator's rule), then Molmo2's tracking point F1 (lib/metrics/points, mask judge; Molmo2-compatible and
// corrected pairing both reported).
//  - MolmoPoint-Tiny: the weights are exported to ONNX (trainer/model/export-onnx) and queried through the REAL
//    built-in runtime (inference/runtimes/builtin: frame sampling and decoding from the mp4, vision/query/step
//    graphs, lib/grounding's PointDecoder, greedy) — exactly what a deployed model does.
//  - Text baseline: batched greedy decoding in jax (text-baseline.ts), parsed with the project's Molmo2 parser.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { evaluateTrackF1, gtVideoFromRecord, MOLMO2_JUDGE, type GtVideo, type PointJudge } from "../../lib/metrics/points";
import type { Keyframe } from "../../lib/tracks/types";
import { probeVideo, type VideoMeta } from "../../lib/video";
import type { BuiltinVocab } from "../../inference/builtin/contract";
import { createBuiltinRuntime } from "../../inference/runtimes/builtin";
import type { LoadedExample } from "../../trainer/data/examples";
import { predictionOnFrames } from "../../trainer/eval/evaluate";
import { encodeSafetensors } from "../../trainer/ml/safetensors";
import type { TinyConfig } from "../../trainer/model/config";
import { exportBuiltinModel, WEIGHTS_FILES } from "../../trainer/model/export-onnx";
import type { Params } from "../../trainer/model/forward";
import type { HostParams } from "../../trainer/model/params";
import { greedyDecode, type TextExample } from "../../trainer/model/text-baseline";
import { decodeAnswer, parseAnswer } from "../../trainer/model/text-baseline-vocab";

const CORRECTED: PointJudge = { kind: "mask", molmo2Compat: false };

/** One held-out example with its ground truth. */
export interface HeldOut {
  ex: LoadedExample;
  text: TextExample;
  gt: GtVideo;
  fps: number;
  frameCount: number;
  /** The GT grid (every `frame_trajectories` frame), as the project evaluator scores. */
  gridFrames: number[];
}

export async function heldOut(ex: LoadedExample, text: TextExample): Promise<HeldOut> {
  const raw = JSON.parse(await readFile(ex.ref.annotation, "utf8")) as Record<string, unknown> & { fps: number; n_frames: number; frame_trajectories: Array<{ frame: number }> };
  const gt = gtVideoFromRecord({ value: { ...raw, id: ex.id }, index: 0 }, { samplingFps: 1 });
  return { ex, text, gt, fps: raw.fps, frameCount: raw.n_frames, gridFrames: raw.frame_trajectories.map((f) => f.frame) };
}

export interface ExampleResult {
  id: string;
  f1: number;
  f1Corrected: number;
  predPoints: number;
  gtPoints: number;
  /** Raw answer: Molmo2 text (baseline) or the HF point string (MolmoPoint runtime's rawOutput). */
  answer: string;
}

export interface EvalResult {
  f1: number;
  f1Corrected: number;
  /** Examples whose answer had no usable point (unparseable text / immediate no-more-points). */
  empty: number;
  seconds: number;
  examples: ExampleResult[];
}

type Objects = ReadonlyArray<{ objectId: string; keyframes: readonly Keyframe[] }>;

function score(h: HeldOut, objects: Objects, seenFrames: readonly number[], answer: string): ExampleResult {
  const pred = predictionOnFrames(objects, seenFrames, h.gridFrames, { frameCount: h.frameCount });
  const a = evaluateTrackF1(pred, h.gt.gt, MOLMO2_JUDGE);
  const b = evaluateTrackF1(pred, h.gt.gt, CORRECTED);
  return {
    id: h.ex.id,
    f1: a.f1,
    f1Corrected: b.f1,
    predPoints: objects.reduce((n, o) => n + o.keyframes.length, 0),
    gtPoints: h.gt.gt.frames.reduce((n, f) => n + f.points.length, 0),
    answer,
  };
}

function summarize(examples: ExampleResult[], started: number): EvalResult {
  const mean = (f: (e: ExampleResult) => number) => examples.reduce((s, e) => s + f(e), 0) / Math.max(1, examples.length);
  return { f1: mean((e) => e.f1), f1Corrected: mean((e) => e.f1Corrected), empty: examples.filter((e) => e.predPoints === 0).length, seconds: (performance.now() - started) / 1000, examples };
}

/** The score of answering nothing on every example (the metric's floor: frames with no visible GT score 1). */
export function emptyAnswerF1(set: readonly HeldOut[]): EvalResult {
  const started = performance.now();
  return summarize(set.map((h) => score(h, [], h.ex.sampledFrames, "")), started);
}

/** Parsed Molmo2 text → keyframes per object id (frames = round(time·fps) inside the video; the parser keeps the first point of an id per time). */
export function textObjects(text: string, h: { width: number; height: number; fps: number; frameCount: number }): Objects {
  const frames = parseAnswer(text, { width: h.width, height: h.height, fps: h.fps });
  const byId = new Map<number, Keyframe[]>();
  for (const f of frames) {
    if (f.frame < 0 || f.frame >= h.frameCount) continue;
    for (const p of f.points) {
      const list = byId.get(p.id) ?? [];
      if (list.some((k) => k.frame === f.frame)) continue;
      list.push({ frame: f.frame, x: p.x, y: p.y, state: "visible", source: "model:text-baseline" });
      byId.set(p.id, list);
    }
  }
  return [...byId.entries()].sort((a, b) => a[0] - b[0]).map(([id, kfs]) => ({ objectId: String(id), keyframes: kfs.sort((a, b) => a.frame - b.frame) }));
}

export async function evaluateTextBaseline(params: Params, c: TinyConfig, queryVocabSize: number, set: readonly HeldOut[], opts: { maxTokens: number; batchSize: number }): Promise<EvalResult> {
  const started = performance.now();
  const decoded = await greedyDecode(params, c, queryVocabSize, set.map((h) => h.text), opts);
  const examples = set.map((h, i) => {
    const text = decodeAnswer(decoded[i]);
    return score(h, textObjects(text, { width: h.ex.width, height: h.ex.height, fps: h.fps, frameCount: h.frameCount }), h.ex.sampledFrames, text);
  });
  return summarize(examples, started);
}

/**
 * Exports MolmoPoint-Tiny weights to `workDir/model` (ONNX, contract-checked) and queries every held-out example
 * through the built-in runtime. `maxPoints` caps decoding (an untrained model may never choose no-more-points).
 */
export async function evaluateMolmoPoint(host: HostParams, c: TinyConfig, vocab: BuiltinVocab, set: readonly HeldOut[], opts: { workDir: string; maxPoints: number; metas: Map<string, VideoMeta> }): Promise<EvalResult> {
  const started = performance.now();
  const weightsDir = path.join(opts.workDir, "weights");
  const modelDir = path.join(opts.workDir, "model");
  await rm(weightsDir, { recursive: true, force: true });
  await mkdir(weightsDir, { recursive: true });
  await writeFile(path.join(weightsDir, WEIGHTS_FILES.config), JSON.stringify({ ...c, maxPoints: opts.maxPoints }));
  await writeFile(path.join(weightsDir, WEIGHTS_FILES.vocab), JSON.stringify(vocab));
  await writeFile(path.join(weightsDir, WEIGHTS_FILES.weights), encodeSafetensors(host));
  await exportBuiltinModel(weightsDir, modelDir);
  const runtime = await createBuiltinRuntime({ modelDir, device: "cpu", log: () => {}, cacheSize: 64 });
  const examples: ExampleResult[] = [];
  try {
    for (const h of set) {
      const file = h.ex.ref.video;
      let meta = opts.metas.get(file);
      if (!meta) {
        meta = await probeVideo(file);
        opts.metas.set(file, meta);
      }
      const r = await runtime.query({ video: { id: `file:${file}`, path: file, meta }, expression: h.ex.expression, signal: new AbortController().signal });
      examples.push(score(h, r.tracks.objects, r.sampledFrames, r.rawOutput ?? ""));
    }
  } finally {
    await runtime.close();
  }
  return summarize(examples, started);
}
