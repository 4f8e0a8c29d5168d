// MolmoPoint-Tiny structure: parameter names/initialisation, the vision token order against lib/grounding's
// pooling table, and the teacher-forced training forward against the step-by-step (query/step graph) path.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { buildVideoGrid, rotate, rotaryInvFreq } from "../../../lib/grounding";
import { BuiltinConfigSchema, checkVocab, TOKEN, objectToken, tokenizeQuery } from "../../../inference/builtin/contract";
import { initJax } from "../../../trainer/ml/runtime";
import { buildVocab, parseTinyConfig, tinyGeometry, toBuiltinConfig, type TinyConfig } from "../../../trainer/model/config";
import { forwardLogits, lossParts } from "../../../trainer/model/forward";
import { packBatch, toDevice, type ModelExample } from "../../../trainer/model/batch";
import { initParams, paramShapes } from "../../../trainer/model/params";
import { disposeParams, jaxBuiltinModel, queryState, stepOutputs, uploadParams, visionOutputs } from "../../../trainer/model/steps";
import { decodePoints, encodeVideo } from "../../../inference/builtin/decode";
import { referringQueries } from "../../../trainer/synth/queries";
import { TOKEN_ATTRIBUTE_CLASSES, TOKEN_ATTRIBUTE_WIDTH } from "../../../trainer/data/token-labels";
import { TINY, TINY_VOCAB, tinyExamples, tinyParams, withTokenLabels } from "./tiny";

before(async () => {
  await initJax({ quiet: true });
});

test("parameters: spec names and shapes, N(0, 0.02) weights, zero biases, LN ones/zeros, no-more key 0, seeded", () => {
  const V = TINY_VOCAB.tokens.length;
  const shapes = paramShapes(TINY, V);
  const g = tinyGeometry(TINY);
  assert.deepEqual(shapes.get("vit.patch.W"), [3 * 4 * 4, 8]);
  assert.deepEqual(shapes.get("conn.W"), [g.cells * 8, 16]);
  assert.deepEqual(shapes.get("vis.tok"), [g.tokensPerFrame, 16]);
  assert.deepEqual(shapes.get("dec.emb"), [V, 16]);
  assert.deepEqual(shapes.get("dec.L1.mlp.W1"), [16, 32]);
  assert.deepEqual(shapes.get("head.id.W"), [16, TINY.maxObjects]);
  assert.deepEqual(shapes.get("nomore"), [1, 8]);
  const p = initParams(TINY, V, 3);
  assert.deepEqual([...p.keys()], [...shapes.keys()]);
  assert.ok(p.get("dec.L0.ln1.g")!.data.every((v) => v === 1));
  assert.ok(p.get("vis.lnf.b")!.data.every((v) => v === 0));
  assert.ok(p.get("nomore")!.data.every((v) => v === 0));
  assert.ok(p.get("head.pq.b")!.data.every((v) => v === 0));
  assert.ok(p.get("dec.L0.attn.bq")!.data.every((v) => v === 0));
  const w = p.get("dec.emb")!.data;
  const mean = w.reduce((a, b) => a + b, 0) / w.length;
  const sd = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
  assert.ok(Math.abs(mean) < 0.005 && Math.abs(sd - 0.02) < 0.004, `mean ${mean}, sd ${sd}`);
  assert.deepEqual(initParams(TINY, V, 3).get("vit.pos")!.data, p.get("vit.pos")!.data);
  assert.notDeepEqual(initParams(TINY, V, 4).get("vit.pos")!.data, p.get("vit.pos")!.data);
  // init "fan-in": matrices N(0, 1/fan_in), tables still N(0, 0.02), biases / LN / no-more key unchanged.
  const f = initParams(parseTinyConfig({ ...TINY, init: "fan-in" }), V, 3);
  const sdOf = (x: Float32Array) => Math.sqrt(x.reduce((a, b) => a + b * b, 0) / x.length);
  const pq = f.get("vit.patch.W")!;
  assert.ok(Math.abs(sdOf(pq.data) - 1 / Math.sqrt(pq.shape[0])) < 0.15 / Math.sqrt(pq.shape[0]), `vit.patch.W sd ${sdOf(pq.data)}`);
  assert.ok(Math.abs(sdOf(f.get("dec.emb")!.data) - 0.02) < 0.004);
  assert.ok(f.get("head.pq.b")!.data.every((v) => v === 0) && f.get("nomore")!.data.every((v) => v === 0));
});

test("config: contract config.json (stateDim = 2·layers·dModel), vocab passes the contract, synth queries tokenize without <unk>", () => {
  const c = parseTinyConfig({});
  const b = toBuiltinConfig(c);
  assert.equal(BuiltinConfigSchema.parse(b).dims.stateDim, 2 * 2 * 96);
  const vocab = buildVocab(c);
  checkVocab(vocab, b);
  const objects = [
    { id: 1, category: "circle", colour: "red", sizeClass: "small", direction: "left" },
    { id: 2, category: "star", colour: "red", sizeClass: "small", direction: "left" },
    { id: 3, category: "circle", colour: "blue", sizeClass: "large", direction: "up" },
    { id: 4, category: "diamond", colour: "blue", sizeClass: "large", direction: "up" },
  ] as const;
  const queries = referringQueries(objects.map((o) => ({ ...o })));
  assert.ok(queries.length > 5);
  for (const q of queries) assert.ok(!tokenizeQuery(q.expression, vocab, c.maxQueryTokens).includes(TOKEN.unk), q.expression);
  assert.throws(() => parseTinyConfig({ cropSize: 100 }), /cropSize must be a multiple of patchSize/);
  assert.throws(() => parseTinyConfig({ cropSize: 24, patchSize: 8 }), /multiple of pool/);
});

test("vision token order is lib/grounding buildVideoGrid's pooling order (frame-major, windows and cells row-major)", async () => {
  const c = TINY;
  const g = tinyGeometry(c);
  const p = initParams(c, TINY_VOCAB.tokens.length, 1);
  // vitfeat[:, 0] = ViT patch index inside its frame; subk picks that channel → subpatch_keys[n, c, 0].
  p.get("vit.patch.W")!.data.fill(0);
  const pos = p.get("vit.pos")!.data;
  pos.fill(0);
  for (let i = 0; i < g.grid * g.grid; i++) pos[i * c.dVit] = i;
  const subk = p.get("subk.W")!.data;
  subk.fill(0);
  subk[0] = 1;
  const params = uploadParams(p);
  const F = 2;
  const out = await visionOutputs(params, c, new Float32Array(F * 3 * c.cropSize * c.cropSize), F);
  disposeParams(params);
  const grid = buildVideoGrid(64, 48, [0, 0.5], { cropSize: c.cropSize, patchSize: c.patchSize, pool: c.pool });
  const N = F * g.tokensPerFrame;
  assert.equal(grid.nTokens, N);
  for (let k = 0; k < N * g.cells; k++) {
    assert.equal(out.subpatch_keys[k * c.patchDim], grid.tokenPooling[k] % (g.grid * g.grid), `token ${Math.floor(k / g.cells)} cell ${k % g.cells}`);
  }
});

test("teacher-forced forward = query + step-by-step decoding path (all four heads, rotary patch logits)", async () => {
  const c = TINY;
  const g = tinyGeometry(c);
  const params = uploadParams(tinyParams(2));
  const F = 2;
  const N = F * g.tokensPerFrame;
  const C = g.cells;
  const D = c.patchDim;
  const d = c.dModel;
  const ex = tinyExamples(F)[0];
  const lg = forwardLogits(params, c, toDevice(packBatch([ex], c, TINY_VOCAB.tokens.length, { batchSize: 1, nFrames: F, maxPointsPerExample: 4 })));
  const patch = (await lg.patch.data()) as Float32Array;
  const sub = (await lg.subpatch.data()) as Float32Array;
  const loc = (await lg.location.data()) as Float32Array;
  const idl = (await lg.id.data()) as Float32Array;
  const vis = await visionOutputs(params, c, ex.frames, F);
  let { state } = await queryState(params, c, ex.queryIds, vis.image_tokens);
  const inv = rotaryInvFreq(D, c.theta);
  const zeros = new Float32Array(d);
  let maxDiff = 0;
  const cmp = (a: Float32Array, off: number, b: ArrayLike<number>, n: number) => {
    for (let i = 0; i < n; i++) maxDiff = Math.max(maxDiff, Math.abs(a[off + i] - b[i]));
  };
  let o = await stepOutputs(params, c, state, TOKEN.bos, zeros);
  state = o.state_out;
  let prev = 0;
  for (let k = 0; k <= ex.targets.length; k++) {
    const q = rotate(o.patch_query, prev, c.theta, inv);
    const row = new Float32Array(N + 1);
    for (let n = 0; n < N; n++) {
      const kr = rotate(vis.patch_keys.subarray(n * D, (n + 1) * D), n, c.theta, inv);
      row[n] = q.reduce((a, v, i) => a + v * kr[i], 0) / Math.sqrt(D);
    }
    row[N] = q.reduce((a, v, i) => a + v * vis.no_more_points_key[i], 0) / Math.sqrt(D);
    // Classes below the previous patch are masked in training; the rest must agree.
    cmp(patch.subarray(k * (N + 1) + prev), 0, row.subarray(prev), N + 1 - prev);
    if (k === ex.targets.length) break;
    const t = ex.targets[k];
    o = await stepOutputs(params, c, state, TOKEN.patch, vis.image_tokens.slice(t.patch * d, (t.patch + 1) * d));
    state = o.state_out;
    const sl = Array.from({ length: C }, (_, cc) => {
      let s = 0;
      for (let i = 0; i < D; i++) s += o.subpatch_query[i] * vis.subpatch_keys[(t.patch * C + cc) * D + i];
      return s / Math.sqrt(D);
    });
    cmp(sub, k * C, sl, C);
    o = await stepOutputs(params, c, state, TOKEN.subpatch, vis.subpatch_features.slice((t.patch * C + t.subpatch) * d, (t.patch * C + t.subpatch + 1) * d));
    state = o.state_out;
    cmp(loc, k * 9, o.location_logits, 9);
    o = await stepOutputs(params, c, state, TOKEN.location, zeros);
    state = o.state_out;
    cmp(idl, k * c.maxObjects, o.id_logits, c.maxObjects);
    o = await stepOutputs(params, c, state, objectToken(ex.ids[k]), zeros);
    state = o.state_out;
    prev = t.patch;
  }
  assert.equal(state.length / (2 * c.decoderLayers * d), N + ex.queryIds.length + 1 + 4 * ex.targets.length);
  assert.ok(maxDiff < 1e-4, `max |teacher-forced − step| = ${maxDiff}`);
  // The patch mask is in the teacher-forced logits: point 2 (after patch N−3) cannot choose patch 0.
  assert.ok(patch[2 * (N + 1)] < -1e8);
  disposeParams(params);
});

test("jaxBuiltinModel runs inference/builtin's real encode + decode loop on jax weights", async () => {
  const c = { ...TINY, maxPoints: 5 };
  const params = uploadParams(tinyParams(4));
  const model = jaxBuiltinModel(params, c, TINY_VOCAB);
  const F = 2;
  const grid = buildVideoGrid(40, 40, [0, 0.5], { cropSize: c.cropSize, patchSize: c.patchSize, pool: c.pool });
  const ex = tinyExamples(F)[0];
  const enc = await encodeVideo(model, ex.frames, grid);
  const r = await decodePoints(model, enc, ex.queryIds);
  // Untrained weights: whatever it points at obeys the decoder (sorted patches) and the point budget.
  assert.ok(r.points.length <= c.maxPoints);
  assert.equal(r.truncated, r.points.length === c.maxPoints);
  for (let i = 1; i < r.points.length; i++) assert.ok(r.points[i].target.patch >= r.points[i - 1].target.patch);
  disposeParams(params);
});

test("rows sharing a video (rowsPerVideo) give the same logits as one video per row; mismatched frames are refused", async () => {
  const c = TINY;
  const params = uploadParams(tinyParams(4));
  const F = 2;
  const [a, b, e] = tinyExamples(F);
  // b and e are other queries of a's video: same frames array.
  const rows = [a, { ...b, frames: a.frames }, { ...e, frames: a.frames }, undefined];
  const V = TINY_VOCAB.tokens.length;
  const opts = { batchSize: 4, nFrames: F, maxPointsPerExample: 3 };
  const shared = packBatch(rows, c, V, { ...opts, rowsPerVideo: 2 });
  assert.deepEqual(shared.shapes.frames, [2, F, 3, c.cropSize, c.cropSize]);
  const one = packBatch(rows, c, V, opts);
  const got = forwardLogits(params, c, toDevice(shared));
  const want = forwardLogits(params, c, toDevice(one));
  for (const k of ["patch", "subpatch", "location", "id"] as const) {
    const x = (await got[k].data()) as Float32Array;
    const y = (await want[k].data()) as Float32Array;
    // Padding rows differ (zero video vs none): compare the three real rows.
    const n = (x.length / 4) * 3;
    let m = 0;
    for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
    assert.ok(m < 1e-5, `${k}: max |shared − per-row| = ${m}`);
  }
  assert.throws(() => packBatch([a, b], c, V, { ...opts, batchSize: 2, rowsPerVideo: 2 }), /shares batch video 0 with a but has other frames/);
  assert.throws(() => packBatch([a], c, V, { ...opts, batchSize: 3, rowsPerVideo: 2 }), /must divide the batch size 3/);
  disposeParams(params);
});

test("prefixKeyBias: dec.L{j}.imgk (init 0) is added to the image prefix keys only", async () => {
  const c = parseTinyConfig({ ...TINY, prefixKeyBias: true });
  const V = TINY_VOCAB.tokens.length;
  const host = initParams(c, V, 3);
  assert.deepEqual(host.get("dec.L0.imgk")?.shape, [c.dModel]);
  assert.ok(host.get("dec.L1.imgk")?.data.every((v) => v === 0));
  assert.equal(paramShapes(TINY, V).has("dec.L0.imgk"), false);
  // Perturbed weights, so attention is not uniform at the 0.02 init scale (dec.L0.imgk is set below).
  const perturbed = tinyParams(8, 0.3, c);
  const ex = tinyExamples(2)[0];
  const logits = async (bias: number) => {
    const p = new Map(perturbed);
    p.set("dec.L0.imgk", { shape: [c.dModel], data: new Float32Array(c.dModel).fill(bias) });
    const params = uploadParams(p);
    const lg = forwardLogits(params, c, toDevice(packBatch([ex], c, V, { batchSize: 1, nFrames: 2, maxPointsPerExample: 3 })));
    const out = (await lg.patch.data()) as Float32Array;
    disposeParams(params);
    return out;
  };
  const zero = await logits(0);
  const shifted = await logits(0.5);
  assert.ok(zero.some((v, i) => Math.abs(v - shifted[i]) > 1e-4), "a key bias on the image prefix must change the decoder's attention");
});

/**
 * The loss parts of `c` (one training-only part on) and of TINY without the aux parameters, on the same perturbed
 * parameters and batch: the paper's four parts must be unchanged.
 */
async function withAndWithoutAux(c: TinyConfig, exs: ModelExample[]) {
  const V = TINY_VOCAB.tokens.length;
  const withAux = tinyParams(4, 0.3, c);
  const without = new Map([...withAux].filter(([k]) => !k.startsWith("aux.")));
  const pack = () => toDevice(packBatch(exs, c, V, { batchSize: 3, nFrames: 2, maxPointsPerExample: 3 }));
  const pa = uploadParams(withAux);
  const pb = uploadParams(without);
  const partsA = (await lossParts(pa, c, pack()).data()) as Float32Array;
  const partsB = (await lossParts(pb, TINY, pack()).data()) as Float32Array;
  assert.equal(partsA.length, 5);
  assert.equal(partsB.length, 4);
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(partsA[i] - partsB[i]) < 1e-5, `head ${i}: the paper's loss is unchanged`);
  return { pa, pb, partsA, pack };
}

test("bindAux: a 5th loss part = weighted sigmoid cross-entropy of aux.bind scores vs 'token holds a point'; heads unchanged", async () => {
  const V = TINY_VOCAB.tokens.length;
  const w = 0.7;
  const c = parseTinyConfig({ ...TINY, bindAux: w });
  assert.deepEqual(paramShapes(c, V).get("aux.bind.W"), [c.dModel, c.patchDim]);
  assert.ok(initParams(c, V, 1).get("aux.bind.c")?.data.every((v) => v === 0));
  const exs = tinyExamples(2);
  const { pa, pb, partsA, pack } = await withAndWithoutAux(c, exs);
  // The 5th part recomputed on the host from the binding logits.
  const lg = forwardLogits(pa, c, pack());
  const bind = (await lg.bind!.data()) as Float32Array;
  for (const t of [lg.patch, lg.subpatch, lg.location, lg.id]) t.dispose();
  const g = tinyGeometry(c);
  const N = 2 * g.tokensPerFrame;
  const Pm = 4; // 3 points + the terminator slot
  let sum = 0;
  let slots = 0;
  exs.forEach((ex, b) => {
    const member = new Set(ex.targets.map((t) => t.patch));
    for (let k = 0; k <= ex.targets.length; k++) {
      slots++;
      for (let n = 0; n < N; n++) {
        const s = bind[(b * Pm + k) * N + n];
        const y = member.has(n) ? 1 : 0;
        sum += Math.log1p(Math.exp(s)) - y * s;
      }
    }
  });
  const want = (w * sum) / (slots * N);
  assert.ok(Math.abs(partsA[4] - want) < 1e-5, `bind part ${partsA[4]} vs host ${want}`);
  assert.ok(want > 0.05);
  disposeParams(pa);
  disposeParams(pb);
});

test("semAux: an extra loss part = weighted per-attribute mean cross-entropy of aux.sem over labelled tokens; heads unchanged", async () => {
  const V = TINY_VOCAB.tokens.length;
  const w = 0.6;
  const c = parseTinyConfig({ ...TINY, semAux: w });
  const A = TOKEN_ATTRIBUTE_WIDTH;
  assert.deepEqual(paramShapes(c, V).get("aux.sem.W"), [c.dModel, A]);
  const exs = withTokenLabels(tinyExamples(2), 2 * tinyGeometry(c).tokensPerFrame);
  exs[2].tokenLabels = undefined; // an example without labels adds nothing
  const { pa, pb, partsA, pack } = await withAndWithoutAux(c, exs);
  const lg = forwardLogits(pa, c, pack());
  const sem = (await lg.sem!.data()) as Float32Array;
  for (const t of [lg.patch, lg.subpatch, lg.location, lg.id]) t.dispose();
  const N = 2 * tinyGeometry(c).tokensPerFrame;
  let want = 0;
  let offset = 0;
  TOKEN_ATTRIBUTE_CLASSES.forEach((K, g) => {
    let sum = 0;
    let n = 0;
    exs.forEach((ex, b) => {
      const labels = ex.tokenLabels?.[g];
      if (!labels) return;
      for (let t = 0; t < N; t++) {
        if (labels[t] < 0) continue;
        const row = Array.from(sem.subarray((b * N + t) * A + offset, (b * N + t) * A + offset + K));
        const max = Math.max(...row);
        const lse = max + Math.log(row.reduce((acc, v) => acc + Math.exp(v - max), 0));
        sum += lse - row[labels[t]];
        n++;
      }
    });
    want += sum / n;
    offset += K;
  });
  want *= w;
  assert.ok(Math.abs(partsA[4] - want) < 1e-4 * Math.max(1, want), `sem part ${partsA[4]} vs host ${want}`);
  assert.ok(want > 0.5);
  // bindAux and semAux together: bind 5th, sem 6th
  const both = parseTinyConfig({ ...TINY, semAux: w, bindAux: 0.5 });
  const pc = uploadParams(tinyParams(4, 0.3, both));
  const partsC = (await lossParts(pc, both, toDevice(packBatch(exs, both, V, { batchSize: 3, nFrames: 2, maxPointsPerExample: 3 }))).data()) as Float32Array;
  assert.equal(partsC.length, 6);
  disposeParams(pa);
  disposeParams(pb);
  disposeParams(pc);
});
