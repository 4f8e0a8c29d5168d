// The exported ONNX graphs compute what the jax-js model computes (trainer/model/steps.ts, the model owner's
// per-graph reference over forward.ts) on the same perturbed random weights: vision outputs (1, 2 and maxFrames
// frames: dynamic n_frames), the query prefill state, and every head plus the state along a teacher-forced decoding
// sequence (including the token_embedding feeds) — max |Δ| ≤ 1e-4. Then the runtime's real decoding loop gives the
// same points on the ONNX sessions as on the jax ones.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { seededRandom } from "../../../lib/random";
import { TOKEN, objectToken, tokenizeQuery, type BuiltinVocab } from "../../../inference/builtin/contract";
import { buildVideoGrid } from "../../../lib/grounding";
import { decodePoints, encodeVideo } from "../../../inference/builtin/decode";
import { loadBuiltinModel, releaseModel, type BuiltinModel } from "../../../inference/builtin/model";
import { initJax } from "../../../trainer/ml/runtime";
import { tinyGeometry } from "../../../trainer/model/config";
import type { Params } from "../../../trainer/model/forward";
import type { HostParams } from "../../../trainer/model/params";
import { disposeParams, jaxBuiltinModel, queryState, stepOutputs, uploadParams, visionOutputs } from "../../../trainer/model/steps";
import { exportBuiltinModel } from "../../../trainer/model/export-onnx";
import { TEST_TINY as c, maxAbs, maxAbsDiff, writeWeightsDir } from "./helpers";

const TOL = 1e-4;
const root = mkdtempSync(path.join(tmpdir(), "gt-export-parity-"));
const g = tinyGeometry(c);
const d = c.dModel;
const stateDim = 2 * c.decoderLayers * d;
let vocab: BuiltinVocab;
let hostParams: HostParams;
let jp: Params | undefined;
let onnx: BuiltinModel | undefined;
/** Max |Δ| per output name over every comparison, for the report. */
const worst = new Map<string, number>();

function compare(name: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  assert.equal(got.length, want.length, `${name}: ${got.length} values, reference has ${want.length}`);
  const diff = maxAbsDiff(got, want);
  worst.set(name, Math.max(worst.get(name) ?? 0, diff));
  assert.ok(diff <= TOL, `${name}: max |ONNX − jax| = ${diff} > ${TOL}`);
  assert.ok(maxAbs(want) > 0.05, `${name}: reference is near zero (max ${maxAbs(want)}): the comparison would prove nothing`);
}

before(async () => {
  await initJax({ quiet: true });
  const weights = path.join(root, "weights");
  ({ vocab, params: hostParams } = await writeWeightsDir(weights));
  await exportBuiltinModel(weights, path.join(root, "model"));
  jp = uploadParams(hostParams);
  onnx = await loadBuiltinModel(path.join(root, "model"), { device: "cpu" });
});
after(async () => {
  if (onnx) await releaseModel(onnx);
  if (jp) disposeParams(jp);
  rmSync(root, { recursive: true, force: true });
  if (worst.size) console.log(`[parity] max |ONNX − jax|: ${[...worst].map(([k, v]) => `${k} ${v.toExponential(2)}`).join(", ")}`);
});

function sessions(): BuiltinModel["sessions"] {
  return (onnx as BuiltinModel).sessions;
}

function randomFrames(nFrames: number, seed: number): Float32Array {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: nFrames * 3 * c.cropSize * c.cropSize }, () => 2 * rnd() - 1);
}

async function visionParity(nFrames: number, seed: number): Promise<{ imageTokens: Float32Array; subpatchFeatures: Float32Array; nTokens: number }> {
  const S = c.cropSize;
  const frames = randomFrames(nFrames, seed);
  const o = await sessions().vision.run({ frames: new ort.Tensor("float32", frames, [nFrames, 3, S, S]) });
  const ref = await visionOutputs(jp as Params, c, frames, nFrames);
  const N = nFrames * g.tokensPerFrame;
  assert.deepEqual(o.image_tokens.dims, [N, d]);
  assert.deepEqual(o.patch_keys.dims, [N, c.patchDim]);
  assert.deepEqual(o.subpatch_keys.dims, [N, g.cells, c.patchDim]);
  assert.deepEqual(o.subpatch_features.dims, [N, g.cells, d]);
  for (const k of ["image_tokens", "patch_keys", "no_more_points_key", "subpatch_keys", "subpatch_features"] as const) compare(k, o[k].data as Float32Array, ref[k]);
  return { imageTokens: o.image_tokens.data as Float32Array, subpatchFeatures: o.subpatch_features.data as Float32Array, nTokens: N };
}

test("vision.onnx equals the jax vision encoder (1 and maxFrames frames)", async () => {
  await visionParity(1, 11);
  await visionParity(c.maxFrames, 12);
});

test("with a nonlinear patch stem (patchStem), vision.onnx equals the jax vision encoder", async () => {
  const cs = { ...c, patchStem: 24 };
  const dir = path.join(root, "stem");
  const { params } = await writeWeightsDir(path.join(dir, "weights"), cs, 8);
  assert.ok(params.has("vit.stem.W") && params.get("vit.patch.W")?.shape[0] === 24, "the stem sits before the patch projection");
  await exportBuiltinModel(path.join(dir, "weights"), path.join(dir, "model"));
  const model = await loadBuiltinModel(path.join(dir, "model"), { device: "cpu" });
  const sp = uploadParams(params);
  try {
    const nFrames = 2;
    const frames = randomFrames(nFrames, 15);
    const o = await model.sessions.vision.run({ frames: new ort.Tensor("float32", frames, [nFrames, 3, c.cropSize, c.cropSize]) });
    const ref = await visionOutputs(sp, cs, frames, nFrames);
    for (const k of ["image_tokens", "patch_keys", "subpatch_keys", "subpatch_features"] as const) compare(`stem ${k}`, o[k].data as Float32Array, ref[k]);
  } finally {
    disposeParams(sp);
    await releaseModel(model);
  }
});

test("query.onnx state and step.onnx heads/state equal the jax decoder along a teacher-forced sequence", async () => {
  const vis = await visionParity(2, 13);
  const N = vis.nTokens;
  const C = g.cells;
  const params = jp as Params;
  const ids = tokenizeQuery("the large red circles moving left", vocab, c.maxQueryTokens);
  assert.ok(ids.length >= 4 && !ids.slice(1).includes(TOKEN.unk), `query tokens ${ids}`);
  const qo = await sessions().query.run({
    query_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [ids.length]),
    image_tokens: new ort.Tensor("float32", vis.imageTokens, [N, d]),
  });
  const qRef = await queryState(params, c, ids, vis.imageTokens);
  assert.deepEqual(qo.state.dims, [N + ids.length, stateDim]);
  assert.equal(qRef.rows, N + ids.length);
  compare("state (query.onnx)", qo.state.data as Float32Array, qRef.state);

  // Teacher-forced schedule of two points (the contract's step schedule), ending with the next <PATCH> query.
  const zeros = new Float32Array(d);
  const tok = (p: number) => vis.imageTokens.slice(p * d, (p + 1) * d);
  const sub = (p: number, s: number) => vis.subpatchFeatures.slice((p * C + s) * d, (p * C + s + 1) * d);
  const pA = 3;
  const pB = N - 2;
  const feeds: Array<[number, Float32Array]> = [
    [TOKEN.bos, zeros],
    [TOKEN.patch, tok(pA)],
    [TOKEN.subpatch, sub(pA, 2)],
    [TOKEN.location, zeros],
    [objectToken(1), zeros],
    [TOKEN.patch, tok(pB)],
    [TOKEN.subpatch, sub(pB, C - 1)],
    [TOKEN.location, zeros],
    [objectToken(c.maxObjects), zeros],
  ];
  // Each side carries its own state forward (ONNX state_out → ONNX, jax state_out → jax): drift would accumulate.
  let state = qo.state as ort.Tensor;
  let refState = qRef.state;
  for (const [i, [token, extra]] of feeds.entries()) {
    const o = await sessions().step.run({
      state,
      token_id: new ort.Tensor("int64", BigInt64Array.of(BigInt(token)), [1]),
      token_embedding: new ort.Tensor("float32", extra, [1, d]),
    });
    const ref = await stepOutputs(params, c, refState, token, extra);
    for (const k of ["patch_query", "subpatch_query", "location_logits", "id_logits"] as const) compare(k, o[k].data as Float32Array, ref[k]);
    assert.deepEqual(o.state_out.dims, [N + ids.length + i + 1, stateDim], `step ${i} (token ${vocab.tokens[token]})`);
    compare("state_out (step.onnx)", o.state_out.data as Float32Array, ref.state_out);
    state = o.state_out as ort.Tensor;
    refState = ref.state_out;
  }
});

test("the runtime's decoding loop gives the same points on the ONNX sessions as on the jax ones", async () => {
  const nFrames = 3;
  const frames = randomFrames(nFrames, 14);
  const grid = buildVideoGrid(64, 48, [0, 0.5, 1], { cropSize: c.cropSize, patchSize: c.patchSize, pool: c.pool });
  const ids = tokenizeQuery("the red circle", vocab, c.maxQueryTokens);
  // At most 4 points (17 steps): jax-js runs eagerly here, one dispatch per op.
  const limit = (m: BuiltinModel): BuiltinModel => ({ ...m, config: { ...m.config, maxPoints: 4 } });
  const run = async (m: BuiltinModel) => decodePoints(limit(m), await encodeVideo(m, frames, grid), ids);
  const a = await run(onnx as BuiltinModel);
  const b = await run(jaxBuiltinModel(jp as Params, c, vocab));
  assert.ok(a.points.length >= 1, "the seeded weights point at something (else nothing is compared)");
  assert.deepEqual(a, b);
});
