// `npm run bench:ablation [-- --quick]`: MolmoPoint grounding tokens vs a same-size text-coordinate baseline
// (Molmo2 `<tracks coords="t id x y">` digits), both trained on 1/8, 1/4, 1/2 and all of the training split of the
// default synthetic dataset recipe with the same steps, batches, optimizer, schedule and seed, evaluated (point F1
// on the held-out test split) at several checkpoints. Prints the F1 table and tokens per point; writes
// results.json and curves.svg under the results dir.
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { importTrackAny } from "../../lib/formats/trackany";
import type { VideoMeta } from "../../lib/video";
import { listSynthExamples, loadExamples, type LoadedExample } from "../../trainer/data/examples";
import { initJax, JAX_THREADS } from "../../trainer/ml/runtime";
import { packBatch, toDevice, type ModelExample } from "../../trainer/model/batch";
import { buildVocab, parseTinyConfig, type TinyConfig } from "../../trainer/model/config";
import { loss as molmoPointLoss, type TrainBatch } from "../../trainer/model/forward";
import { countParams, initParams, type HostParams } from "../../trainer/model/params";
import { epochBatches, learningRate } from "../../trainer/model/train";
import { DEFAULT_TINY } from "../../trainer/model/default-run";
import { initTextBaselineParams, isPointingOnly, packTextBatch, textBatchToDevice, textLoss, unusedVisionWeights, type TextBatch, type TextExample } from "../../trainer/model/text-baseline";
import { createTrainer, type Trainer } from "../../trainer/model/text-baseline-train";
import { encodeAnswer, trackAnswerText } from "../../trainer/model/text-baseline-vocab";
import { generateDataset, readManifest } from "../../trainer/synth/dataset";
import { emptyAnswerF1, evaluateMolmoPoint, evaluateTextBaseline, heldOut, type EvalResult, type HeldOut } from "./evaluate";
import { mergeResults, readParts, writeReport, type CurvePoint as Curve, type Results, type RunResult } from "./report";
import { measureTokens, visiblePoints, type TokenStats } from "./tokens";

const USAGE = `npm run bench:ablation -- [--quick] [--videos N] [--steps S] [--evals K] [--batch B] [--lr LR] [--seed S]
       [--eval-examples M] [--fractions 1/8,1/4,1/2,1] [--models grounding,text] [--data DIR] [--out DIR]
       npm run bench:ablation -- --merge DIR,DIR[,…] --out DIR
  --quick          a short smoke run (24 videos, 6 steps, 1 evaluation, 6 held-out examples; ~10 min on 2 busy cores)
  --videos N       synthetic videos of the default recipe (10 % test, 10 % val, rest train); default 64
  --steps S        training steps of every run (same for both models and every fraction); default 60
  --evals K        evaluations per run after step 0, evenly spaced (the last at step S); default 3
  --batch B        batch size; default 4 (trainer default)      --lr LR   peak learning rate; default 3e-3 (trainer default)
  --eval-examples  held-out examples scored (the first M of the test split); default 24
  --models         which models to train (runs of one model are independent of the other: split a long run)
  --fractions      which fractions of the training split to train on (also a way to split a run)
  --merge A,B,…    one report (table, curves.svg, results.json in --out) from the results dirs of the parts of one
                   experiment run side by side (e.g. with GROUNDTRACK_JAX_THREADS=1 each)
  --data DIR       an existing synth dataset (default: generated once under the results dir)
  --out DIR        results dir (default bench/out/ablation/<quick|full>)`;

const Options = z.object({
  quick: z.boolean(),
  videos: z.number().int().min(3),
  steps: z.number().int().min(1),
  evals: z.number().int().min(1),
  batch: z.number().int().min(1),
  lr: z.number().positive(),
  seed: z.number().int().min(0),
  evalExamples: z.number().int().min(1).optional(),
  fractions: z.array(z.object({ label: z.string(), value: z.number().gt(0).max(1) })).min(1),
  models: z.array(z.enum(["grounding", "text"])).min(1),
  data: z.string().optional(),
  out: z.string(),
  merge: z.array(z.string().min(1)).min(1).optional(),
});
type Options = z.infer<typeof Options>;

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean" }, videos: { type: "string" }, steps: { type: "string" }, evals: { type: "string" }, batch: { type: "string" },
      lr: { type: "string" }, seed: { type: "string" }, "eval-examples": { type: "string" }, fractions: { type: "string" }, models: { type: "string" }, data: { type: "string" },
      out: { type: "string" }, merge: { type: "string" }, help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const num = (name: string, v: string | undefined, dflt: number | undefined) => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new RangeError(`--${name}: '${v}' is not a number\n${USAGE}`);
    return n;
  };
  const fractions = (values.fractions ?? "1/8,1/4,1/2,1").split(",").map((s) => {
    const m = /^\s*(\d+)(?:\/(\d+))?\s*$/.exec(s);
    if (!m) throw new RangeError(`--fractions: '${s}' is not a fraction like 1/8\n${USAGE}`);
    return { label: s.trim(), value: Number(m[1]) / Number(m[2] ?? 1) };
  });
  const r = Options.safeParse({
    quick,
    videos: num("videos", values.videos, quick ? 24 : 64),
    steps: num("steps", values.steps, quick ? 6 : 60),
    evals: num("evals", values.evals, quick ? 1 : 3),
    batch: num("batch", values.batch, 4),
    lr: num("lr", values.lr, 3e-3),
    seed: num("seed", values.seed, 0),
    evalExamples: num("eval-examples", values["eval-examples"], quick ? 6 : 24),
    fractions,
    models: (values.models ?? "grounding,text").split(",").map((m) => m.trim()),
    data: values.data,
    out: values.out ?? path.join("bench", "out", "ablation", quick ? "quick" : "full"),
    merge: values.merge?.split(","),
  });
  if (!r.success) {
    const i = r.error.issues[0];
    throw new RangeError(`--${i.path.join(".")}: ${i.message}\n${USAGE}`);
  }
  return r.data;
}

const load = () => loadavg().map((v) => v.toFixed(2)).join(" ");

/** The dataset: the given one, or the default recipe generated once (reused when its manifest is there). */
async function dataset(o: Options): Promise<string> {
  if (o.data) return o.data;
  const dir = path.join(o.out, `data-v${o.videos}-s${o.seed}`);
  if (existsSync(path.join(dir, "manifest.json"))) {
    await readManifest(dir);
    return dir;
  }
  console.log(`generating ${o.videos} synthetic videos (default recipe) into ${dir} …`);
  await generateDataset(dir, { videos: o.videos, seed: o.seed });
  return dir;
}

async function trainRun<B>(
  model: "grounding" | "text",
  trainer: Trainer<B>,
  train: readonly LoadedExample[],
  makeBatch: (idx: number[]) => B,
  evaluate: () => Promise<EvalResult>,
  o: Options,
  meta: { fraction: string; trainVideos: number; atStep0: Curve },
  onEval: (partial: RunResult) => Promise<void>,
  bucketOf: (e: ModelExample) => number,
): Promise<RunResult> {
  const evalAt = new Set(Array.from({ length: o.evals }, (_, k) => Math.round(((k + 1) * o.steps) / o.evals)));
  const warmupSteps = Math.min(100, Math.floor(o.steps / 10));
  const perEpoch = epochBatches(train, o.batch, o.seed, 0, bucketOf).length;
  let epoch = -1;
  let batches: number[][] = [];
  const losses: number[] = [];
  const curve: Curve[] = [meta.atStep0];
  let trainMs = 0;
  let last: EvalResult | undefined;
  for (let s = 0; s < o.steps; s++) {
    const e = Math.floor(s / perEpoch);
    if (e !== epoch) {
      epoch = e;
      batches = epochBatches(train, o.batch, o.seed, e, bucketOf);
    }
    const t0 = performance.now();
    const value = await trainer.step(makeBatch(batches[s % perEpoch]), learningRate(s + 1, { lr: o.lr, steps: o.steps, warmupSteps, minLrRatio: 0.1 }));
    trainMs += performance.now() - t0;
    if (!Number.isFinite(value)) throw new Error(`${model} ${meta.fraction}: non-finite loss at step ${s + 1}`);
    losses.push(value);
    if (evalAt.has(s + 1)) {
      last = await evaluate();
      const recent = losses.slice(-10);
      curve.push({ step: s + 1, loss: recent.reduce((a, b) => a + b, 0) / recent.length, f1: last.f1, f1Corrected: last.f1Corrected, empty: last.empty, evalSeconds: last.seconds });
      console.log(
        `  ${model.padEnd(9)} ${meta.fraction.padEnd(4)} step ${String(s + 1).padStart(4)}  loss ${curve.at(-1)!.loss.toFixed(3)}  F1 ${last.f1.toFixed(3)} (corrected ${last.f1Corrected.toFixed(3)})  empty ${last.empty}/${last.examples.length}  ` +
          `train ${(trainMs / 1000 / (s + 1)).toFixed(2)} s/step, eval ${last.seconds.toFixed(0)} s  [load ${load()}]`,
      );
      await onEval({ model, fraction: meta.fraction, trainExamples: train.length, trainVideos: meta.trainVideos, curve, losses, trainSeconds: trainMs / 1000, secondsPerStep: trainMs / 1000 / (s + 1), final: last });
    }
  }
  return { model, fraction: meta.fraction, trainExamples: train.length, trainVideos: meta.trainVideos, curve, losses, trainSeconds: trainMs / 1000, secondsPerStep: trainMs / 1000 / o.steps, final: last };
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const started = performance.now();
  await mkdir(o.out, { recursive: true });
  if (o.merge) {
    const merged: Results = mergeResults(await readParts(o.merge));
    await writeReport(o.out, { ...merged, options: { ...merged.options, out: o.out } });
    console.log(`\nmerged ${o.merge.length} parts into ${path.join(o.out, "results.json")} and ${path.join(o.out, "curves.svg")}`);
    return;
  }
  const { threads } = await initJax({ quiet: true });
  // The default recipe's model (trainer/model/default-run.ts), so the ablation compares what train:default ships —
  // without its training-only semantic token loss (the text baseline has no such head, and the question here is the
  // answer format alone) and without the patch stem, which did worse than none without that loss.
  const c: TinyConfig = parseTinyConfig({ ...DEFAULT_TINY, semAux: 0, patchStem: 0 });
  const vocab = buildVocab(c);
  const VQ = vocab.tokens.length;
  const dir = await dataset(o);
  const manifest = await readManifest(dir);
  const refs = await listSynthExamples(dir);
  console.log(`dataset ${dir}: ${manifest.videos.length} videos, ${refs.length} examples; loading frames …`);
  const all = await loadExamples(refs, c, { vocab, cacheDir: path.join(o.out, "frame-cache") });

  // Text answers on the frames the model sees, from the same annotations.
  const textOf = new Map<string, TextExample>();
  const tokenExamples = [];
  for (const ex of all) {
    const res = importTrackAny(await readFile(ex.ref.annotation, "utf8"), { fileName: ex.ref.annotation });
    if (!res.ok) throw new Error(res.error.message);
    const n = visiblePoints(res.value, ex.sampledFrames);
    if (n !== ex.targets.length) throw new Error(`${ex.ref.annotation}: ${n} visible points on the sampled frames but ${ex.targets.length} grounding targets`);
    textOf.set(ex.id, { id: ex.id, frames: ex.frames, nFrames: ex.nFrames, queryIds: ex.queryIds, answer: encodeAnswer(trackAnswerText(res.value, ex.sampledFrames)) });
    tokenExamples.push({ set: res.value, frames: ex.sampledFrames });
  }
  const tokens: TokenStats = measureTokens(tokenExamples);
  const trainAll = all.filter((e) => e.split === "train");
  const test = all.filter((e) => e.split === "test").slice(0, o.evalExamples ?? Infinity);
  if (test.length === 0) throw new Error(`${dir}: the test split is empty (use more --videos)`);
  const held: HeldOut[] = await Promise.all(test.map((e) => heldOut(e, textOf.get(e.id)!)));
  const trainVideos = manifest.videos.filter((v) => v.split === "train").map((v) => v.name);
  const maxPoints = Math.max(...all.map((e) => e.targets.length));
  const maxAnswer = Math.max(...[...textOf.values()].map((t) => t.answer.length));
  // Batch shapes bucketed by point count, as train:default does (same batches for both models): each batch is padded
  // to its bucket's most points / longest answer instead of the dataset's.
  const caps = [...[8, 12, 16].filter((cap) => cap < maxPoints), maxPoints];
  const bucketOf = (e: ModelExample) => caps.findIndex((cap) => e.targets.length <= cap);
  const answerCaps = caps.map((_, b) => Math.max(1, ...all.filter((e) => bucketOf(e) === b).map((e) => textOf.get(e.id)!.answer.length)));
  const batchBucket = (train: readonly LoadedExample[], idx: number[]) => Math.max(...idx.map((i) => bucketOf(train[i])));
  const nFrames = all[0].nFrames;
  if (all.some((e) => e.nFrames !== nFrames)) throw new Error("every example must have the same number of sampled frames");

  const mpCount = countParams(initParams(c, VQ, o.seed));
  const tbCount = countParams(initTextBaselineParams(c, VQ, o.seed));
  const sharedCount = countParams(new Map([...initParams(c, VQ, o.seed)].filter(([k]) => !isPointingOnly(k))));
  console.log(`parameters: MolmoPoint-Tiny ${mpCount}, text baseline ${tbCount} (shared encoder+decoder ${sharedCount}); jax-js ${threads} thread(s); load ${load()}`);
  console.log(
    `tokens per point: text ${tokens.textPerPoint.toFixed(2)} vs grounding ${tokens.groundingPerPoint.toFixed(2)} ` +
      `(${tokens.points} points in ${tokens.examples} examples; longest answer ${tokens.textMaxTokens} vs ${tokens.groundingMaxTokens} tokens)`,
  );
  console.log(`train ${trainAll.length} examples (${trainVideos.length} videos), held-out ${held.length} test examples; ${o.steps} steps × batch ${o.batch}, lr ${o.lr}, seed ${o.seed}`);

  const metas = new Map<string, VideoMeta>();
  const runs: RunResult[] = [];
  const floor = emptyAnswerF1(held);
  console.log(`empty answer (the metric's floor): F1 ${floor.f1.toFixed(3)} (corrected ${floor.f1Corrected.toFixed(3)})`);
  // Decoding caps, equal in points: 1.2× the most points / the longest answer of the dataset (an untrained model
  // may never stop, and every decoded token costs a step).
  const capPoints = Math.ceil(1.2 * maxPoints);
  const capTokens = Math.ceil(1.2 * maxAnswer);
  /** Table (when complete), curves.svg and results.json of the runs so far — rewritten after every evaluation, so an
   * interrupted run keeps its curves (`complete: false`). */
  const report = (done: readonly RunResult[], complete: boolean): Promise<void> =>
    writeReport(o.out, {
      complete,
      options: o, dataset: { dir, contentHash: manifest.contentHash, trainExamples: trainAll.length, testExamples: held.length },
      parameters: { grounding: mpCount, text: tbCount, shared: sharedCount }, tokens,
      decodingCaps: { points: capPoints, textTokens: capTokens },
      emptyAnswer: { f1: floor.f1, f1Corrected: floor.f1Corrected },
      evaluation: "MolmoPoint-Tiny: exported ONNX through the built-in runtime (inference/runtimes/builtin); text baseline: batched greedy jax decode parsed with lib/grounding/text; both scored with trainer/eval predictionOnFrames + lib/metrics/points evaluateTrackF1 (mask judge, Molmo2-compatible; f1Corrected = corrected pairing)",
      machine: { jaxThreads: JAX_THREADS, loadavg: loadavg() },
      seconds: (performance.now() - started) / 1000,
      runs: [...done],
    });
  const partial = (r: RunResult) => report([...runs, r], false);

  // Step 0: both models untrained — identical for every fraction (same initial weights), evaluated once.
  const step0 = async (model: string, r: EvalResult): Promise<Curve> => {
    console.log(`  ${model.padEnd(9)} init step    0  F1 ${r.f1.toFixed(3)} (corrected ${r.f1Corrected.toFixed(3)})  empty ${r.empty}/${r.examples.length}  eval ${r.seconds.toFixed(0)} s`);
    return { step: 0, loss: NaN, f1: r.f1, f1Corrected: r.f1Corrected, empty: r.empty, evalSeconds: r.seconds };
  };
  const runGrounding = o.models.includes("grounding");
  const runText = o.models.includes("text");
  const mp0 = runGrounding ? await step0("grounding", await evaluateMolmoPoint(initParams(c, VQ, o.seed), c, vocab, held, { workDir: path.join(o.out, "export"), maxPoints: capPoints, metas })) : null;
  let text0: Curve | null = null;
  if (runText) {
    const tb0 = createTrainer<TextBatch>(new Map([...initTextBaselineParams(c, VQ, o.seed), ...unusedVisionWeights(c)]), (p, b) => textLoss(p, c, b), { lr: o.lr });
    text0 = await step0("text", await evaluateTextBaseline(tb0.params, c, VQ, held, { maxTokens: capTokens, batchSize: Math.min(32, held.length) }));
    tb0.dispose();
  }
  for (const f of o.fractions) {
    const nv = Math.max(1, Math.ceil(f.value * trainVideos.length));
    const keep = new Set(trainVideos.slice(0, nv));
    const train = trainAll.filter((e) => keep.has(path.basename(e.ref.video, ".mp4")));
    console.log(`fraction ${f.label}: ${nv} train videos, ${train.length} examples`);
    // MolmoPoint-Tiny: grounding tokens.
    if (mp0) {
      const mp = createTrainer<TrainBatch>(initParams(c, VQ, o.seed), (p, b) => molmoPointLoss(p, c, b), { lr: o.lr });
      runs.push(
        await trainRun(
          "grounding", mp, train,
          (idx) => toDevice(packBatch(idx.map((i) => train[i]), c, VQ, { batchSize: o.batch, nFrames, maxPointsPerExample: caps[batchBucket(train, idx)] })),
          async () => evaluateMolmoPoint(await mp.hostParams(), c, vocab, held, { workDir: path.join(o.out, "export"), maxPoints: capPoints, metas }),
          o, { fraction: f.label, trainVideos: nv, atStep0: mp0 }, partial, bucketOf,
        ),
      );
      mp.dispose();
    }
    // Text baseline: same init of the shared weights, same batches, same optimizer and schedule.
    if (!text0) continue;
    const init: HostParams = new Map([...initTextBaselineParams(c, VQ, o.seed), ...unusedVisionWeights(c)]);
    const tb = createTrainer<TextBatch>(init, (p, b) => textLoss(p, c, b), { lr: o.lr });
    runs.push(
      await trainRun(
        "text", tb, train,
        (idx) => textBatchToDevice(packTextBatch(idx.map((i) => textOf.get(train[i].id)!), c, VQ, { batchSize: o.batch, nFrames, maxAnswer: answerCaps[batchBucket(train, idx)] })),
        () => evaluateTextBaseline(tb.params, c, VQ, held, { maxTokens: capTokens, batchSize: Math.min(32, held.length) }),
        o, { fraction: f.label, trainVideos: nv, atStep0: text0 }, partial, bucketOf,
      ),
    );
    tb.dispose();
  }

  await report(runs, true);
  console.log(`\nwrote ${path.join(o.out, "results.json")} and ${path.join(o.out, "curves.svg")} in ${((performance.now() - started) / 60000).toFixed(1)} min [load ${load()}]`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e instanceof RangeError ? e.message : e.stack) : String(e));
  process.exit(1);
});
