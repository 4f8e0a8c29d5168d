// `npm run train:default`: the default MolmoPoint-Tiny weights, reproducibly. Generates the default synthetic
// dataset with the project's generator (fixed seed; test split held out), trains within the step budget, writes
// trainer/weights/default/{model.safetensors, config.json, vocab.json, TRAINING.json}, then exports the weights
// to a contract model directory and scores the held-out test split through the real built-in runtime
// (trainer/eval evaluateModel: Molmo2 point F1).
// Usage: node --import tsx trainer/model/train-default.ts [--steps N] [--work DIR] [--out DIR] [--resume]
//        [--eval-every N] [--no-eval] [--config JSON] [--seed N] [--processes N]
import { existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { progressBar } from "../../cli/progress";
import { generateDataset } from "../synth/dataset";
import { listSynthExamples, loadExamples, type ExampleRef } from "../data/examples";
import { singleFrameExamples } from "../data/frame-examples";
import { initJax } from "../ml/runtime";
import { encodeSafetensors } from "../ml/safetensors";
import { exportBuiltinModel } from "./export-onnx";
import { evaluateModel } from "../eval/evaluate";
import { buildVocab, parseTinyConfig } from "./config";
import { countParams } from "./params";
import { trainTiny } from "./train";
import { DEFAULT_DATASET, DEFAULT_TINY, DEFAULT_TRAIN } from "./default-run";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      steps: { type: "string" },
      work: { type: "string" },
      out: { type: "string" },
      resume: { type: "boolean", default: false },
      "eval-every": { type: "string" },
      "no-eval": { type: "boolean", default: false },
      /** JSON of TinyConfig fields over DEFAULT_TINY, for variants of the default run (recorded in TRAINING.json). */
      config: { type: "string" },
      /** Training seed (initial weights and batch order) instead of DEFAULT_TRAIN.seed: for seed-to-seed spread. */
      seed: { type: "string" },
      /** Data-parallel training processes instead of DEFAULT_TRAIN.processes (trainTiny `processes`). */
      processes: { type: "string" },
    },
  });
  let overrides: Record<string, unknown> = {};
  if (values.config) {
    try {
      overrides = JSON.parse(values.config) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`--config must be a JSON object of model settings: ${(e as Error).message}`);
    }
    if (typeof overrides !== "object" || overrides === null || Array.isArray(overrides)) throw new Error("--config must be a JSON object of model settings");
  }
  const steps = values.steps ? Number(values.steps) : DEFAULT_TRAIN.steps;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps must be a positive integer, got '${values.steps}'`);
  const seed = values.seed ? Number(values.seed) : DEFAULT_TRAIN.seed;
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got '${values.seed}'`);
  const processes = values.processes ? Number(values.processes) : (DEFAULT_TRAIN.processes ?? 1);
  if (!Number.isInteger(processes) || processes < 1) throw new Error(`--processes must be a positive integer, got '${values.processes}'`);
  const evalEvery = values["eval-every"] ? Number(values["eval-every"]) : 0;
  const work = path.resolve(values.work ?? path.join(root, "data", "trainer"));
  const outDir = path.resolve(values.out ?? path.join(root, "trainer", "weights", "default"));
  const datasetDir = path.join(work, "synth-default");
  const t0 = performance.now();

  if (!existsSync(path.join(datasetDir, "manifest.json"))) {
    const total = DEFAULT_DATASET.videos * (DEFAULT_DATASET.frames ?? 1);
    const bar = progressBar("synth", total, { force: true });
    await generateDataset(datasetDir, DEFAULT_DATASET, { onFrame: () => bar.tick() });
    bar.stop();
  }
  const refs = await listSynthExamples(datasetDir);
  const config = parseTinyConfig({ ...DEFAULT_TINY, ...overrides }, "--config");
  const vocab = buildVocab(config);
  const bySplit = (s: ExampleRef["split"]) => refs.filter((r) => r.split === s);
  const loadBar = progressBar("frames", bySplit("train").length, { force: true });
  const cacheDir = path.join(work, "frame-cache");
  const train = await loadExamples(bySplit("train"), config, { vocab, cacheDir, onProgress: (d) => d > 0 && loadBar.tick() });
  loadBar.stop();
  console.error(`[train:default] ${train.length} training examples from ${datasetDir} (val ${bySplit("val").length}, test ${bySplit("test").length} held out); data ready in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

  const info = await initJax();
  const modelDir = path.join(work, "default-model");
  const valRefs = bySplit("val").slice(0, 40);
  const evalOn = async (weightsDir: string, which: readonly ExampleRef[]) => {
    await exportBuiltinModel(weightsDir, modelDir);
    return evaluateModel({ modelDir, refs: which });
  };
  const curve: Array<{ step: number; loss: number }> = [];
  const valCurve: Array<{ step: number; f1: number; trainSeconds: number }> = [];
  let evalSeconds = 0; // time spent in checkpoint evaluations, excluded from the training time
  const bar = progressBar("train", steps, { force: true });
  const tTrain = performance.now();
  let lastLog = 0;
  let exPerSec = 0;
  const trainSet = DEFAULT_TRAIN.frameMix ? [...train, ...singleFrameExamples(train, config)] : train;
  const result = await trainTiny({
    examples: trainSet, config, vocab, steps, ...(DEFAULT_TRAIN.pointBuckets ? { pointBuckets: DEFAULT_TRAIN.pointBuckets } : {}), batchSize: DEFAULT_TRAIN.batchSize, lr: DEFAULT_TRAIN.lr, seed,
    warmupSteps: DEFAULT_TRAIN.warmupSteps, minLrRatio: DEFAULT_TRAIN.minLrRatio, processes,
    checkpointDir: path.join(work, "default-run"), checkpointEvery: evalEvery > 0 ? evalEvery : 250, resume: values.resume, outDir,
    onProgress: (p) => {
      bar.tick();
      exPerSec = p.examplesPerSec;
      if (p.step % 10 === 0) curve.push({ step: p.step, loss: p.loss });
      if (performance.now() - lastLog > 30_000 || p.step === p.steps) {
        lastLog = performance.now();
        console.error(`[train:default] step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} lr ${p.lr.toExponential(2)} ${p.examplesPerSec.toFixed(1)} examples/s ${p.elapsedSec.toFixed(0)} s load ${loadavg()[0].toFixed(1)}`);
      }
    },
    onCheckpoint: async (step, params) => {
      if (evalEvery <= 0 || values["no-eval"]) return;
      const dir = path.join(work, "default-ckpt-weights");
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, "model.safetensors"), encodeSafetensors(params));
      await writeFile(path.join(dir, "config.json"), JSON.stringify(config, null, 1) + "\n");
      await writeFile(path.join(dir, "vocab.json"), JSON.stringify(vocab, null, 1) + "\n");
      const e0 = performance.now();
      const r = await evalOn(dir, valRefs);
      evalSeconds += (performance.now() - e0) / 1000;
      valCurve.push({ step, f1: r.overall.f1, trainSeconds: Number(((performance.now() - tTrain) / 1000 - evalSeconds).toFixed(1)) });
      console.error(`[train:default] step ${step}: val F1 ${r.overall.f1.toFixed(4)} (${valRefs.length} examples, ${r.seconds.toFixed(0)} s)`);
    },
  });
  bar.stop();
  const trainSec = (performance.now() - tTrain) / 1000 - evalSeconds;
  console.error(`[train:default] trained ${result.steps} steps in ${trainSec.toFixed(0)} s (${(result.steps / trainSec).toFixed(2)} steps/s, ${exPerSec.toFixed(1)} examples/s), final loss ${result.finalLoss.toFixed(4)} → ${result.weightsFile}`);

  const summary: Record<string, unknown> = {
    command: "npm run train:default",
    dataset: DEFAULT_DATASET,
    config,
    train: { ...DEFAULT_TRAIN, steps, seed, processes, examples: trainSet.length, videoExamples: train.length, parameters: countParams((await import("./params")).initParams(config, vocab.tokens.length, 0)) },
    machine: { cpus: cpus().length, jaxThreads: processes > 1 ? 1 : info.threads, loadAverage1m: Number(loadavg()[0].toFixed(2)) },
    trainSeconds: Number(trainSec.toFixed(1)),
    stepsPerSecond: Number((result.steps / trainSec).toFixed(3)),
    examplesPerSecond: Number(exPerSec.toFixed(2)),
    finalLoss: result.finalLoss,
    lossCurve: curve,
    valF1Curve: valCurve,
  };
  if (!values["no-eval"]) {
    const val = await evalOn(outDir, bySplit("val"));
    const test = await evalOn(outDir, bySplit("test"));
    summary.val = val.overall;
    summary.test = test.overall;
    summary.testExamplesHash = test.examplesHash;
    console.error(`[train:default] point F1 val ${val.overall.f1.toFixed(4)} (${val.overall.examples}), test ${test.overall.f1.toFixed(4)} (${test.overall.examples} held-out examples) via ${test.engine}`);
    console.error(`[train:default] test: ceiling ${test.overall.ceilingF1.toFixed(4)} (Molmo2's F1 of the ground truth itself), F1 with own-object masks ${test.overall.f1PerObject.toFixed(4)} (ceiling 1)`);
  }
  await writeFile(path.join(outDir, "TRAINING.json"), JSON.stringify(summary, null, 1) + "\n");
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`[train:default] ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  },
);
