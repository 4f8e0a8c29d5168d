// Benchmark: the exported MolmoPoint-Tiny ONNX graphs (onnxruntime-node) against the jax-js reference
// (trainer/model/steps.ts) on the same weights, and decoding time per point of a real query in the built-in runtime.
// 1. Per graph, median latency ONNX vs jax and the ratio jax/ONNX: vision (maxFrames frames), query prefill, and
//    one decoder step along a teacher-forced sequence (state growing from the prefill).
// 2. The built-in runtime on a synthetic video: ms per decoded point on a cached video (the steady state), split
//    into model forward and JS decoding.
// Weights: `--weights DIR` (a trainer weights dir), else default TinyConfig with perturbed random-init parameters.
// Usage: npm run bench:export [-- --weights DIR] [--steps N]
import { mkdtempSync, rmSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { buildVideoGrid, parseHfPoints } from "../../lib/grounding";
import { seededRandom } from "../../lib/random";
import { generateSyntheticVideo } from "../../lib/video";
import { TOKEN, objectToken, tokenizeQuery } from "../../inference/builtin/contract";
import { decodePoints, encodeVideo, type DecodeTiming } from "../../inference/builtin/decode";
import { loadBuiltinModel, releaseModel } from "../../inference/builtin/model";
import { createBuiltinRuntime } from "../../inference/runtimes/builtin";
import { encodeSafetensors } from "../../trainer/ml/safetensors";
import { JAX_THREADS, initJax } from "../../trainer/ml/runtime";
import { buildVocab, parseTinyConfig, tinyGeometry } from "../../trainer/model/config";
import { WEIGHTS_FILES, exportBuiltinModel, loadWeights } from "../../trainer/model/export-onnx";
import { initParams } from "../../trainer/model/params";
import { disposeParams, queryState, stepOutputs, uploadParams, visionOutputs } from "../../trainer/model/steps";

const { values: opts } = parseArgs({ options: { weights: { type: "string" }, steps: { type: "string", default: "24" } }, allowPositionals: false });
const STEPS = Math.max(4, Number(opts.steps));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, performance.now() - t0];
}
const load = () => loadavg().map((v) => v.toFixed(2)).join(" ");

/** Default TinyConfig with initParams + uniform noise (nothing trivially zero). */
async function randomWeights(dir: string): Promise<void> {
  const c = parseTinyConfig({ version: "tiny-bench" });
  const vocab = buildVocab(c);
  const params = initParams(c, vocab.tokens.length, 1);
  const rnd = seededRandom(2);
  for (const [name, t] of params) {
    const scale = /\.W\d?$|\.W[qkvo]$/.test(name) ? 0.1 : 0.2;
    for (let i = 0; i < t.data.length; i++) t.data[i] += scale * (2 * rnd() - 1);
  }
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, WEIGHTS_FILES.config), JSON.stringify(c));
  await writeFile(path.join(dir, WEIGHTS_FILES.vocab), JSON.stringify(vocab));
  await writeFile(path.join(dir, WEIGHTS_FILES.weights), encodeSafetensors(params));
}

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), "gt-bench-export-"));
  try {
    const weightsDir = opts.weights ?? path.join(root, "weights");
    if (!opts.weights) await randomWeights(weightsDir);
    const [exported, exportMs] = await timed(() => exportBuiltinModel(weightsDir, path.join(root, "model")));
    const { tiny: c, vocab, tensors } = await loadWeights(weightsDir);
    const g = tinyGeometry(c);
    const F = c.maxFrames;
    const N = F * g.tokensPerFrame;
    const d = c.dModel;
    console.log(`model ${exported.config.version}: ${exported.parameters} parameters, ${F} frames → ${N} image tokens, dModel ${d}, ${c.decoderLayers} decoder layers; export ${exportMs.toFixed(0)} ms`);
    console.log(`load average ${load()} (2 cores shared); jax-js wasm with ${JAX_THREADS} kernel thread(s); onnxruntime-node CPU`);

    await initJax({ quiet: true });
    const jp = uploadParams(tensors);
    const sess = {
      vision: await ort.InferenceSession.create(path.join(root, "model", "vision.onnx")),
      query: await ort.InferenceSession.create(path.join(root, "model", "query.onnx")),
      step: await ort.InferenceSession.create(path.join(root, "model", "step.onnx")),
    };
    const rnd = seededRandom(3);
    const S = c.cropSize;
    const frames = Float32Array.from({ length: F * 3 * S * S }, () => 2 * rnd() - 1);
    const ids = tokenizeQuery("the large red circles moving left", vocab, c.maxQueryTokens);

    // 1. Per graph. Warm-up runs first (ORT session init, jax-js kernel compilation), then repeats.
    const rows: [string, number, number][] = [];
    const visionRun = () => sess.vision.run({ frames: new ort.Tensor("float32", frames, [F, 3, S, S]) });
    const vo = await visionRun();
    const vRef = await visionOutputs(jp, c, frames, F);
    // Parity at this (full-size) config too, next to the timings.
    const diffs = new Map<string, number>();
    const diff = (name: string, a: ArrayLike<number>, b: ArrayLike<number>) => {
      let m = a.length === b.length ? 0 : Infinity;
      for (let i = 0; i < Math.min(a.length, b.length); i++) m = Math.max(m, Math.abs(a[i] - b[i]));
      diffs.set(name, Math.max(diffs.get(name) ?? 0, m));
    };
    for (const k of ["image_tokens", "patch_keys", "no_more_points_key", "subpatch_keys", "subpatch_features"] as const) diff(k, vo[k].data as Float32Array, vRef[k]);
    const vOrt: number[] = [];
    const vJax: number[] = [];
    for (let r = 0; r < 5; r++) {
      vOrt.push((await timed(visionRun))[1]);
      vJax.push((await timed(() => visionOutputs(jp, c, frames, F)))[1]);
    }
    rows.push(["vision.onnx", median(vOrt), median(vJax)]);
    const imageTokens = vo.image_tokens.data as Float32Array;
    const queryRun = () => sess.query.run({ query_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [ids.length]), image_tokens: vo.image_tokens });
    const qo = await queryRun();
    const qRef = await queryState(jp, c, ids, imageTokens);
    diff("state", qo.state.data as Float32Array, qRef.state);
    const qOrt: number[] = [];
    const qJax: number[] = [];
    for (let r = 0; r < 5; r++) {
      qOrt.push((await timed(queryRun))[1]);
      qJax.push((await timed(() => queryState(jp, c, ids, imageTokens)))[1]);
    }
    rows.push(["query.onnx", median(qOrt), median(qJax)]);
    // Steps along the contract schedule (patch p → subpatch 0 → location → id), each side on its own state.
    const zeros = new Float32Array(d);
    const feeds: [number, Float32Array][] = [];
    for (let i = 0; feeds.length < STEPS; i++) {
      const p = (7 * i) % N;
      const sub = (vo.subpatch_features.data as Float32Array).slice(p * g.cells * d, (p * g.cells + 1) * d);
      feeds.push([i === 0 ? TOKEN.bos : objectToken(1 + (i % c.maxObjects)), zeros], [TOKEN.patch, imageTokens.slice(p * d, (p + 1) * d)], [TOKEN.subpatch, sub], [TOKEN.location, zeros]);
    }
    feeds.length = STEPS;
    let state = qo.state as ort.Tensor;
    let refState = qRef.state;
    await stepOutputs(jp, c, refState, TOKEN.bos, zeros); // jax warm-up (kernel compilation)
    const sOrt: number[] = [];
    const sJax: number[] = [];
    for (const [token, emb] of feeds) {
      const [o, tOrt] = await timed(() => sess.step.run({ state, token_id: new ort.Tensor("int64", BigInt64Array.of(BigInt(token)), [1]), token_embedding: new ort.Tensor("float32", emb, [1, d]) }));
      const [r, tJax] = await timed(() => stepOutputs(jp, c, refState, token, emb));
      for (const k of ["patch_query", "subpatch_query", "location_logits", "id_logits", "state_out"] as const) diff(k, o[k].data as Float32Array, r[k]);
      state = o.state_out as ort.Tensor;
      refState = r.state_out;
      sOrt.push(tOrt);
      sJax.push(tJax);
    }
    rows.push([`step.onnx (median of ${STEPS}, state ${N + ids.length}→${N + ids.length + STEPS} rows)`, median(sOrt), median(sJax)]);
    console.log(`parity max |ONNX − jax|: ${[...diffs].map(([k, v]) => `${k} ${v.toExponential(1)}`).join(", ")}`);
    for (const [name, o, j] of rows) console.log(`${name}: ONNX ${o.toFixed(2)} ms, jax ${j.toFixed(2)} ms, RATIO jax/ONNX = ${(j / o).toFixed(1)}x`);
    // The mean shows the scheduling tail on a busy machine (a decode's time per point is a sum, so the mean counts).
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    console.log(`step mean: ONNX ${mean(sOrt).toFixed(2)} ms, jax ${mean(sJax).toFixed(2)} ms, RATIO jax/ONNX = ${(mean(sJax) / mean(sOrt)).toFixed(1)}x`);
    for (const s of Object.values(sess)) await s.release();
    disposeParams(jp);

    // Decoding split on the benchmark frames: model forward (query + step runs) vs JS decoding work, per point.
    const model = await loadBuiltinModel(path.join(root, "model"), { device: "cpu" });
    try {
      const grid = buildVideoGrid(640, 480, Array.from({ length: F }, (_, i) => i / c.samplingFps), { cropSize: S, patchSize: c.patchSize, pool: c.pool });
      const enc = await encodeVideo(model, frames, grid);
      await decodePoints(model, enc, ids); // warm-up
      const timing: DecodeTiming = { forwardMs: 0, decodeMs: 0, steps: 0 };
      const [res, ms] = await timed(() => decodePoints(model, enc, ids, { timing }));
      const pts = Math.max(1, res.points.length);
      console.log(`decodePoints on the benchmark frames: ${res.points.length} points, ${timing.steps} steps, ${(ms / pts).toFixed(2)} ms/point = forward ${(timing.forwardMs / pts).toFixed(2)} + JS ${(timing.decodeMs / pts).toFixed(2)}`);
    } finally {
      await releaseModel(model);
    }

    // 2. A real query in the built-in runtime on a synthetic video (4 s at 10 fps → maxFrames sampled frames).
    const spec = {
      width: 192, height: 144, frames: 40, fps: 10,
      objects: [
        { id: 1, category: "circle" as const, colour: "red" as const, size: 16, path: [{ frame: 0, x: 30, y: 40 }, { frame: 39, x: 160, y: 100 }] },
        { id: 2, category: "square" as const, colour: "blue" as const, size: 14, path: [{ frame: 0, x: 150, y: 30 }, { frame: 39, x: 40, y: 110 }] },
      ],
    };
    const v = await generateSyntheticVideo(path.join(root, "v.mp4"), spec, 4);
    const rt = await createBuiltinRuntime({ modelDir: path.join(root, "model"), device: "cpu", log: () => {} });
    try {
      const video = { id: "bench", path: path.join(root, "v.mp4"), meta: v.meta };
      const req = { video, expression: "the red circle", signal: new AbortController().signal };
      const [first, firstMs] = await timed(() => rt.query(req));
      const [, cachedMs] = await timed(() => rt.query(req));
      const nPoints = parseHfPoints(first.rawOutput, { nPatches: first.sampledFrames.length * g.tokensPerFrame, nSubpatches: g.cells, noMorePointsClass: true }).targets.length;
      console.log(`runtime query 'the red circle': ${first.sampledFrames.length} frames, ${nPoints} points; first query ${firstMs.toFixed(0)} ms (frames + encode + decode), cached video ${cachedMs.toFixed(0)} ms`);
      console.log(`decode per point (cached video, whole query incl. prefill): ${nPoints ? (cachedMs / nPoints).toFixed(2) : "–"} ms`);
    } finally {
      await rt.close();
    }
    console.log(`load average ${load()}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
