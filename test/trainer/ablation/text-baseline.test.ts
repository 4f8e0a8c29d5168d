import assert from "node:assert/strict";
import { before, test } from "node:test";
import { seededRandom } from "../../../lib/random";
import { initJax, np } from "../../../trainer/ml/runtime";
import { parseTinyConfig } from "../../../trainer/model/config";
import { initParams, countParams } from "../../../trainer/model/params";
import {
  answerPositions,
  ANSWER_POSITION_RMS,
  greedyDecode,
  initTextBaselineParams,
  isPointingOnly,
  packTextBatch,
  textBatchToDevice,
  textLogits,
  textLoss,
  unusedVisionWeights,
  type TextExample,
} from "../../../trainer/model/text-baseline";
import { createTrainer } from "../../../trainer/model/text-baseline-train";
import type { Params } from "../../../trainer/model/forward";
import { decodeAnswer, encodeAnswer, parseAnswer, TEXT_TOKEN, TEXT_VOCAB_SIZE } from "../../../trainer/model/text-baseline-vocab";

// A very small MolmoPoint-Tiny: 16×16 crops (one token per frame), 2 frames, width 16, one decoder layer.
const c = parseTinyConfig({ cropSize: 16, patchSize: 8, pool: 2, maxFrames: 2, dVit: 8, dModel: 16, heads: 2, visionLayers: 1, decoderLayers: 1, patchDim: 8, maxQueryTokens: 3 });
const VQ = 10;
const F = 2;

function frames(seed: number): Float32Array {
  const r = seededRandom(seed);
  return Float32Array.from({ length: F * 3 * 16 * 16 }, () => r() * 2 - 1);
}

const examples: TextExample[] = [
  { id: "a", frames: frames(1), nFrames: F, queryIds: [2, 7], answer: encodeAnswer('<tracks coords="0.0 1 120 340"></tracks>') },
  { id: "b", frames: frames(2), nFrames: F, queryIds: [2, 8, 9], answer: encodeAnswer('<tracks coords="0.5 1 987 005;1.0 1 986 010"></tracks>') },
];
const maxAnswer = Math.max(...examples.map((e) => e.answer.length));

function upload(host: Map<string, { shape: number[]; data: Float32Array }>): Params {
  const p: Params = {};
  for (const [k, t] of host) p[k] = np.array(t.data, { shape: t.shape });
  return p;
}

before(async () => {
  await initJax({ quiet: true });
});

test("parameters: the shared ones equal MolmoPoint-Tiny's for the same seed; the grounding heads are replaced by the LM head", () => {
  const mp = initParams(c, VQ, 5);
  const tb = initTextBaselineParams(c, VQ, 5);
  for (const [k, t] of mp) {
    if (isPointingOnly(k)) assert.ok(!tb.has(k), k);
    else assert.deepEqual(tb.get(k)?.data, t.data, k);
  }
  assert.deepEqual(tb.get("txt.emb")?.shape, [TEXT_VOCAB_SIZE, 16]);
  assert.deepEqual(tb.get("txt.head.W")?.shape, [16, TEXT_VOCAB_SIZE]);
  const shared = countParams(new Map([...mp].filter(([k]) => !isPointingOnly(k))));
  assert.equal(countParams(tb), shared + 2 * TEXT_VOCAB_SIZE * 16 + TEXT_VOCAB_SIZE);
  assert.ok(![...unusedVisionWeights(c).values()].some((t) => t.data.some((v) => v !== 0)));
});

test("teacher forcing is causal and aligned: logits at answer slot t do not change when later answer tokens change", async () => {
  const params = upload(new Map([...initTextBaselineParams(c, VQ, 3), ...unusedVisionWeights(c)]));
  const ex = examples[1];
  const changed: TextExample = { ...ex, answer: ex.answer.map((id, i) => (i >= 5 ? TEXT_TOKEN.eos + 1 + ((id + 3) % (TEXT_VOCAB_SIZE - 3)) : id)) };
  const run = async (e: TextExample) => {
    const h = packTextBatch([e], c, VQ, { batchSize: 1, nFrames: F, maxAnswer });
    const b = textBatchToDevice(h);
    b.labels.dispose();
    b.count.dispose();
    return (await textLogits(params, c, b).data()) as Float32Array;
  };
  const a = await run(ex);
  const b = await run(changed);
  // Slots 0..5 see <bos> a1..a5 — identical; slot 6 sees the changed a6.
  for (let i = 0; i < 6 * TEXT_VOCAB_SIZE; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `slot ${Math.floor(i / TEXT_VOCAB_SIZE)}`);
  assert.ok(a.slice(6 * TEXT_VOCAB_SIZE, 7 * TEXT_VOCAB_SIZE).some((v, i) => Math.abs(v - b[6 * TEXT_VOCAB_SIZE + i]) > 1e-6));
  for (const t of Object.values(params)) t.dispose();
});

test("overfitting two examples: the loss falls and greedy decoding (KV cache, jit) reproduces both answers, which parse", async () => {
  const init = new Map([...initTextBaselineParams(c, VQ, 11), ...unusedVisionWeights(c)]);
  const frozen = new Set(unusedVisionWeights(c).keys());
  const trainer = createTrainer(init, (p, batch: ReturnType<typeof textBatchToDevice>) => textLoss(p, c, batch), { lr: 3e-2 });
  const host = packTextBatch(examples, c, VQ, { batchSize: 2, nFrames: F, maxAnswer });
  assert.equal(host.targets, examples[0].answer.length + examples[1].answer.length + 2);
  const losses: number[] = [];
  for (let s = 0; s < 60; s++) losses.push(await trainer.step(textBatchToDevice(host)));
  assert.ok(losses[0] > 2.5, `initial loss ${losses[0]} should be near ln ${TEXT_VOCAB_SIZE}`);
  assert.ok(losses.at(-1)! < 0.1, `final loss ${losses.at(-1)}`);
  // The zero weights of the unused vision outputs get no gradient: Adam leaves them at zero.
  const after = await trainer.hostParams();
  for (const k of frozen) assert.ok(after.get(k)!.data.every((v) => v === 0), k);
  const decoded = await greedyDecode(trainer.params, c, VQ, examples, { maxTokens: maxAnswer + 4, batchSize: 2 });
  assert.deepEqual(decoded.map(decodeAnswer), examples.map((e) => decodeAnswer(e.answer)));
  const parsed = parseAnswer(decodeAnswer(decoded[1]), { width: 320, height: 240, fps: 10 });
  assert.deepEqual(parsed.map((f) => f.frame), [5, 10]);
  assert.ok(Math.abs(parsed[0].points[0].x - 0.987 * 320) < 1e-9 && Math.abs(parsed[0].points[0].y - 0.005 * 240) < 1e-9);
  // Eager decoding (no jit) and a batch size that pads the group give the same answers.
  const eager = await greedyDecode(trainer.params, c, VQ, examples, { maxTokens: maxAnswer + 4, batchSize: 3, jit: false });
  assert.deepEqual(eager, decoded);
  trainer.dispose();
});

test("greedy decoding never emits <pad>/<bos>: a model preferring <bos>, then <eos>, answers the empty string", async () => {
  const host = new Map([...initTextBaselineParams(c, VQ, 4), ...unusedVisionWeights(c)]);
  const bias = host.get("txt.head.b")!.data;
  bias[TEXT_TOKEN.bos] = 100;
  bias[TEXT_TOKEN.pad] = 90;
  bias[TEXT_TOKEN.eos] = 50;
  const params = upload(host);
  const out = await greedyDecode(params, c, VQ, examples, { maxTokens: 5, batchSize: 2, jit: false });
  assert.deepEqual(out, [[], []]);
  for (const t of Object.values(params)) t.dispose();
});

test("answer positions: sinusoids at the token embeddings' scale, distinct per slot", () => {
  const d = 16;
  const pos = answerPositions(300, d);
  for (const t of [0, 1, 7, 299]) {
    const row = pos.subarray(t * d, (t + 1) * d);
    const rms = Math.sqrt(row.reduce((a, v) => a + v * v, 0) / d);
    assert.ok(Math.abs(rms - ANSWER_POSITION_RMS) < 1e-6, `slot ${t}: rms ${rms}`);
  }
  assert.ok(Math.abs(pos[0] - 0) < 1e-9 && Math.abs(pos[1] - ANSWER_POSITION_RMS * Math.SQRT2) < 1e-7, "slot 0: sin 0, cos 0");
  for (let t = 1; t < 300; t++) {
    let diff = 0;
    for (let i = 0; i < d; i++) diff = Math.max(diff, Math.abs(pos[t * d + i] - pos[(t - 1) * d + i]));
    assert.ok(diff > 1e-4, `slots ${t - 1} and ${t} differ`);
  }
});

test("greedy decoding feeds each slot the position teacher forcing gives it: every greedy token is the teacher-forced argmax", async () => {
  // An untrained model whose answers run to the cap: any slot decoded with another slot's position changes logits.
  const host = new Map([...initTextBaselineParams(c, VQ, 21), ...unusedVisionWeights(c)]);
  host.get("txt.head.b")!.data[TEXT_TOKEN.eos] = -100;
  const params = upload(host);
  const cap = 24;
  const decoded = await greedyDecode(params, c, VQ, examples, { maxTokens: cap, batchSize: 2, jit: false });
  for (const [i, ex] of examples.entries()) {
    assert.equal(decoded[i].length, cap);
    // Teacher-force the greedy answer: slot t's logits predict token t (slot 0 holds <bos>).
    const h = packTextBatch([{ ...ex, answer: decoded[i] }], c, VQ, { batchSize: 1, nFrames: F, maxAnswer: cap });
    const b = textBatchToDevice(h);
    b.labels.dispose();
    b.count.dispose();
    const logits = (await textLogits(params, c, b).data()) as Float32Array;
    for (let t = 0; t < cap; t++) {
      let best: number = TEXT_TOKEN.eos;
      for (let v = TEXT_TOKEN.eos + 1; v < TEXT_VOCAB_SIZE; v++) if (logits[t * TEXT_VOCAB_SIZE + v] > logits[t * TEXT_VOCAB_SIZE + best]) best = v;
      assert.equal(best, decoded[i][t], `example ${ex.id}, slot ${t}`);
    }
  }
  for (const t of Object.values(params)) t.dispose();
});
