// The full MolmoPoint-Tiny loss: jax-js gradients against float32 central differences, on a sample of entries of
// EVERY parameter tensor; and the checker itself flags a wrong gradient.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { gradCheck } from "../../../trainer/ml/gradcheck";
import { initJax, jax, np, type Tensor } from "../../../trainer/ml/runtime";
import { loss } from "../../../trainer/model/forward";
import { packBatch, toDevice } from "../../../trainer/model/batch";
import { parseTinyConfig, tinyGeometry } from "../../../trainer/model/config";
import { TINY, TINY_VOCAB, tinyExamples, tinyParams, withTokenLabels } from "../model/tiny";

before(async () => {
  await initJax({ quiet: true });
});

const host = packBatch(tinyExamples(), TINY, TINY_VOCAB.tokens.length, { batchSize: 3, nFrames: 2, maxPointsPerExample: 3 });
const OPTS = { samplesPerTensor: 2, step: 1e-2, floor: 1e-2, seed: 7 };

test("analytic gradients of the full loss match central differences for every parameter tensor", async () => {
  const params = tinyParams();
  const r = await gradCheck((p) => loss(p, TINY, toDevice(host)), params, OPTS);
  assert.equal(r.worst.size, params.size, "every tensor was checked");
  const bad = [...r.worst.values()].filter((e) => e.relError > 2e-2);
  assert.deepEqual(bad, [], `entries with relative error > 2e-2: ${JSON.stringify(bad)}`);
  // Not vacuous: most sampled gradients are well above the floor.
  const sizeable = r.entries.filter((e) => Math.abs(e.analytic) > 1e-2).length;
  assert.ok(sizeable > r.entries.length / 2, `${sizeable} of ${r.entries.length} gradients exceed 1e-2`);
  console.log(`gradcheck: ${r.entries.length} entries over ${r.worst.size} tensors, max relative error ${r.maxRelError.toExponential(2)}`);
});

test("with the training-only binding loss (bindAux) the gradients still match, aux.bind included", async () => {
  const c = parseTinyConfig({ ...TINY, bindAux: 0.5 });
  const params = tinyParams(2, 0.3, c);
  const r = await gradCheck((p) => loss(p, c, toDevice(packBatch(tinyExamples(), c, TINY_VOCAB.tokens.length, { batchSize: 3, nFrames: 2, maxPointsPerExample: 3 }))), params, OPTS);
  assert.equal(r.worst.size, params.size);
  assert.ok(r.worst.has("aux.bind.W") && r.worst.has("aux.bind.c"));
  const bad = [...r.worst.values()].filter((e) => e.relError > 2e-2);
  assert.deepEqual(bad, [], `entries with relative error > 2e-2: ${JSON.stringify(bad)}`);
});

test("with the training-only semantic loss (semAux) and a patch stem the gradients still match, aux.sem and vit.stem included", async () => {
  const c = parseTinyConfig({ ...TINY, semAux: 0.5, patchStem: 6 });
  const params = tinyParams(2, 0.3, c);
  const exs = withTokenLabels(tinyExamples(), 2 * tinyGeometry(c).tokensPerFrame);
  const r = await gradCheck((p) => loss(p, c, toDevice(packBatch(exs, c, TINY_VOCAB.tokens.length, { batchSize: 3, nFrames: 2, maxPointsPerExample: 3 }))), params, OPTS);
  assert.equal(r.worst.size, params.size);
  assert.ok(r.worst.has("aux.sem.W") && r.worst.has("aux.sem.b") && r.worst.has("vit.stem.W") && r.worst.has("vit.stem.b"));
  const bad = [...r.worst.values()].filter((e) => e.relError > 2e-2);
  assert.deepEqual(bad, [], `entries with relative error > 2e-2: ${JSON.stringify(bad)}`);
});

test("the checker flags a wrong gradient (value of the loss, gradient of half of it)", async () => {
  const params = new Map([...tinyParams()].filter(([k]) => k.startsWith("head.") || k === "nomore"));
  const rest = new Map([...tinyParams()].filter(([k]) => !params.has(k)));
  const wrong = (p: Record<string, Tensor>): Tensor => {
    const all = { ...p, ...Object.fromEntries([...rest].map(([k, t]) => [k, np.array(t.data, { shape: t.shape })])) };
    const l = loss(all, TINY, toDevice(host));
    return jax.lax.stopGradient(l.ref).mul(0.5).add(l.mul(0.5));
  };
  const r = await gradCheck(wrong, params, OPTS);
  assert.ok(r.maxRelError > 0.2, `max relative error ${r.maxRelError} should expose the halved gradient`);
});
