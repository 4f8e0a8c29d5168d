// trainer/ml layers, Adam and safetensors against values computed by hand.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { ADAM_DEFAULTS, adamStepSize, adamUpdate, adamUpdateHost } from "../../../trainer/ml/adam";
import { attention, crossEntropySum, gelu, layerNorm, linear, rotary } from "../../../trainer/ml/layers";
import { initJax, np, type Tensor } from "../../../trainer/ml/runtime";
import { decodeSafetensors, encodeSafetensors } from "../../../trainer/ml/safetensors";
import { seededRandom } from "../../../lib/random";

before(async () => {
  await initJax({ quiet: true });
});

const arr = (v: number[], shape: number[]) => np.array(new Float32Array(v), { shape });
async function values(t: Tensor): Promise<number[]> {
  return Array.from((await t.data()) as Float32Array);
}
function close(actual: number[], expected: number[], tol = 1e-5): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= tol, `[${i}] ${a} vs ${expected[i]}`));
}

test("linear is x·W + b with W stored [in, out]", async () => {
  // [1, 2] · [[1, 2, 3], [4, 5, 6]] + [0.5, 0, -1] = [9.5, 12, 14]
  close(await values(linear(arr([1, 2], [1, 2]), arr([1, 2, 3, 4, 5, 6], [2, 3]), arr([0.5, 0, -1], [3]))), [9.5, 12, 14]);
});

test("layerNorm: biased variance, eps 1e-5, gain and shift", async () => {
  // x = [1, 2, 3, 6]: mean 3, variance (4 + 1 + 0 + 9)/4 = 3.5
  const s = Math.sqrt(3.5 + 1e-5);
  const expected = [-2 / s, -1 / s, 0, 3 / s].map((v, i) => v * [1, 2, 1, 0.5][i] + [0, 0, 1, -1][i]);
  close(await values(layerNorm(arr([1, 2, 3, 6], [1, 4]), arr([1, 2, 1, 0.5], [4]), arr([0, 0, 1, -1], [4]))), expected);
});

test("gelu is the tanh approximation", async () => {
  const xs = [-3, -1, 0, 0.5, 2];
  const ref = xs.map((x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))));
  close(await values(gelu(arr(xs, [5]))), ref);
});

test("attention: per-head softmax(q·kᵀ/sqrt(dh) + bias)·v", async () => {
  // One head of width 2, two keys; the second key is masked for the first query.
  const q = [1, 0, 0, 1];
  const k = [1, 0, 0, 2];
  const v = [10, 0, 0, 20];
  const bias = [0, -1e9, 0, 0];
  const out = await values(attention(arr(q, [1, 2, 2]), arr(k, [1, 2, 2]), arr(v, [1, 2, 2]), 1, arr(bias, [1, 1, 2, 2])));
  // query 0 sees key 0 only → v0; query 1: scores [0, 2]/sqrt2 → softmax weights.
  const s = [0, 2 / Math.SQRT2];
  const e = s.map(Math.exp);
  const w = e.map((x) => x / (e[0] + e[1]));
  close(out, [10, 0, 10 * w[0], 20 * w[1]]);
  // Two heads of width 1 are independent.
  const two = await values(attention(arr([1, 1], [1, 1, 2]), arr([1, -1, 2, 3], [1, 2, 2]), arr([1, 2, 3, 4], [1, 2, 2]), 2, null));
  const h0 = [Math.exp(1), Math.exp(2)];
  const h1 = [Math.exp(-1), Math.exp(3)];
  close(two, [(1 * h0[0] + 3 * h0[1]) / (h0[0] + h0[1]), (2 * h1[0] + 4 * h1[1]) / (h1[0] + h1[1])]);
});

test("rotary: x·cos + rotate_half(x)·sin with halves (not interleaved)", async () => {
  const x = [1, 2, 3, 4];
  const c = [0.5, 0.25, 0.5, 0.25];
  const s = [0.1, 0.2, 0.1, 0.2];
  // rotate_half([1,2,3,4]) = [-3, -4, 1, 2]
  close(await values(rotary(arr(x, [4]), arr(c, [4]), arr(s, [4]))), [1 * 0.5 - 3 * 0.1, 2 * 0.25 - 4 * 0.2, 3 * 0.5 + 1 * 0.1, 4 * 0.25 + 2 * 0.2]);
});

test("crossEntropySum: −Σ labels·log softmax, zero rows ignored", async () => {
  const logits = [1, 2, 3, 0, 0, 0];
  const labels = [0, 0, 1, 0, 0, 0];
  const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
  close(await values(crossEntropySum(arr(logits, [2, 3]), arr(labels, [2, 3]))), [lse - 3]);
});

test("adam: one step by hand (bias correction folded into the step size, clipping by global norm)", async () => {
  const o = { ...ADAM_DEFAULTS, clipNorm: 0 };
  const up = adamUpdate({ w: arr([1, -2], [2]) }, { w: arr([0.5, -4], [2]) }, { w: arr([0, 0], [2]) }, { w: arr([0, 0], [2]) }, np.array(adamStepSize(0.1, 1, o)), o);
  // t = 1: m = 0.1 g, v = 0.001 g²; lrT = 0.1·sqrt(0.001)/0.1; update = lrT·m/(sqrt(v)+eps) ≈ 0.1·sign(g)
  const g = [0.5, -4];
  const lrT = adamStepSize(0.1, 1, o);
  const expect = [1, -2].map((p, i) => p - (lrT * 0.1 * g[i]) / (Math.sqrt(0.001 * g[i] * g[i]) + 1e-8));
  close(await values(up.params.w), expect, 1e-6);
  close(await values(up.m.w), g.map((x) => 0.1 * x), 1e-7);
  close(await values(up.v.w), g.map((x) => 0.001 * x * x), 1e-7);
  // Clipping at norm 1: the gradient (3, 4) (norm 5) becomes (0.6, 0.8).
  const c = { ...ADAM_DEFAULTS, clipNorm: 1 };
  const clipped = adamUpdate({ w: arr([0, 0], [2]) }, { w: arr([3, 4], [2]) }, { w: arr([0, 0], [2]) }, { w: arr([0, 0], [2]) }, np.array(1), c);
  close(await values(clipped.m.w), [0.06, 0.08], 1e-6);
  clipped.params.w.dispose();
  clipped.v.w.dispose();
});

test("adam on host arrays (data-parallel training) follows the jax update over steps, with clipping active", async () => {
  const rnd = seededRandom(11);
  const shapes: Record<string, number[]> = { a: [3, 5], b: [7], c: [2, 2, 2] };
  const draw = (n: number, s: number) => Float32Array.from({ length: n }, () => s * (2 * rnd() - 1));
  const size = (k: string) => shapes[k]!.reduce((x, y) => x * y, 1);
  const keys = Object.keys(shapes);
  const hp = keys.map((k) => draw(size(k), 1));
  const hm = keys.map((k) => new Float32Array(size(k)));
  const hv = keys.map((k) => new Float32Array(size(k)));
  let p = Object.fromEntries(keys.map((k, i) => [k, arr([...hp[i]!], shapes[k]!)]));
  let m = Object.fromEntries(keys.map((k) => [k, np.zeros(shapes[k]!)]));
  let v = Object.fromEntries(keys.map((k) => [k, np.zeros(shapes[k]!)]));
  const o = { ...ADAM_DEFAULTS, clipNorm: 1 };
  for (let t = 1; t <= 5; t++) {
    // Gradient norms ~1–4: the clip scales some steps and not others.
    const g = keys.map((k) => draw(size(k), t % 2 ? 0.2 : 1));
    const up = adamUpdate(p, Object.fromEntries(keys.map((k, i) => [k, arr([...g[i]!], shapes[k]!)])), m, v, np.array(adamStepSize(0.05, t, o)), o);
    adamUpdateHost(hp, g, hm, hv, adamStepSize(0.05, t, o), o);
    ({ params: p, m, v } = up);
    for (const [i, k] of keys.entries()) {
      close(await values(p[k]!.ref), [...hp[i]!], 2e-6);
      close(await values(m[k]!.ref), [...hm[i]!], 1e-7);
      close(await values(v[k]!.ref), [...hv[i]!], 1e-7);
    }
  }
  for (const t of [p, m, v]) for (const x of Object.values(t)) x.dispose();
  assert.throws(() => adamUpdateHost([new Float32Array(2)], [new Float32Array(3)], [new Float32Array(2)], [new Float32Array(2)], 0.1), /3 gradients for 2 values/);
});

test("safetensors: round trip bit-exact, 8-byte aligned data, clear errors", () => {
  const t = new Map([
    ["a.W", { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 1e-30, Number.MAX_VALUE > 0 ? 3.4e38 : 0, -0]) }],
    ["b", { shape: [1], data: Float32Array.from([Math.PI]) }],
  ]);
  const buf = encodeSafetensors(t, { step: "7" });
  const headerLen = Number(buf.readBigUInt64LE(0));
  assert.equal((8 + headerLen) % 8, 0);
  const back = decodeSafetensors(buf, "x.safetensors");
  assert.equal(back.metadata.step, "7");
  assert.deepEqual([...back.tensors.keys()], ["a.W", "b"]);
  for (const [k, v] of t) {
    assert.deepEqual(back.tensors.get(k)?.shape, v.shape);
    assert.deepEqual(Buffer.from(back.tensors.get(k)!.data.buffer), Buffer.from(v.data.buffer));
  }
  assert.throws(() => encodeSafetensors(new Map([["bad", { shape: [2, 2], data: new Float32Array(3) }]])), /tensor 'bad': shape \[2, 2\] needs 4 values, has 3/);
  assert.throws(() => decodeSafetensors(buf.subarray(0, 20), "cut.safetensors"), /cut\.safetensors: header length/);
  const truncated = buf.subarray(0, buf.length - 4);
  assert.throws(() => decodeSafetensors(truncated, "short.safetensors"), /short\.safetensors: tensor 'b' data_offsets/);
});
