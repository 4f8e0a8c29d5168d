import { test } from "node:test";
import assert from "node:assert/strict";
import { imagePositionIds, rotate, rotaryInvFreq, rotatePatchKeys, rotateRows } from "../../lib/grounding";
import { assertClose, loadFixture } from "./fixtures";

interface RotCase { dim: number; x: number[][]; positions: number[]; flat: number[][]; hf: number[][]; invFreq: number[] }
const fx = loadFixture<{ theta: number; cases: RotCase[] }>("rotary.json");

const ulp = (v: number) => {
  const b = new Float32Array([v]);
  const i = new Int32Array(b.buffer);
  i[0] += 1;
  return b[0] - v;
};

test("inverse frequencies are within 1 float32 ULP of the reference (torch SLEEF pow)", () => {
  let differing = 0;
  for (const c of fx.cases) {
    const inv = rotaryInvFreq(c.dim, fx.theta);
    c.invFreq.forEach((v, i) => {
      assert.ok(Math.abs(inv[i] - v) <= ulp(v), `dim ${c.dim} [${i}] ${inv[i]} vs ${v}`);
      if (inv[i] !== v) differing++;
    });
  }
  assert.ok(differing < 20, `${differing} entries differ`);
});

test("rotate with the model's inverse frequencies matches FlatRotaryEmbedding and HF MolmoPointPatchRope within 1e-6", () => {
  for (const c of fx.cases) {
    const x = Float32Array.from(c.x.flat());
    const out = rotateRows(x, c.dim, c.positions, fx.theta, Float32Array.from(c.invFreq));
    for (let r = 0; r < c.positions.length; r++) {
      for (let j = 0; j < c.dim; j++) {
        assertClose(out[r * c.dim + j], c.flat[r][j], 1e-6, `dim ${c.dim} pos ${c.positions[r]} [${j}] flat`);
        assertClose(out[r * c.dim + j], c.hf[r][j], 1e-6, `dim ${c.dim} pos ${c.positions[r]} [${j}] hf`);
      }
    }
  }
});

test("rotate with the computed table matches the reference within 1e-6 at small positions", () => {
  for (const c of fx.cases) {
    c.positions.forEach((p, r) => {
      if (p > 17) return;
      const out = rotate(Float32Array.from(c.x[r]), p, fx.theta);
      out.forEach((v, j) => assertClose(v, c.flat[r][j], 1e-6, `dim ${c.dim} pos ${p} [${j}]`));
    });
  }
});

test("q·k after rotation depends only on the position offset", () => {
  const q = Float32Array.from({ length: 16 }, (_, i) => Math.sin(i + 1));
  const k = Float32Array.from({ length: 16 }, (_, i) => Math.cos(2 * i));
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);
  const d1 = dot(rotate(q, 5), rotate(k, 12));
  const d2 = dot(rotate(q, 105), rotate(k, 112));
  assertClose(d1, d2, 1e-4, "relative");
  assert.throws(() => rotate(new Float32Array(3), 1), /even/);
});

test("image position ids count indexable tokens only", () => {
  assert.deepEqual(Array.from(imagePositionIds(new Uint8Array([0, 0, 1, 1, 1]))), [0, 0, 0, 1, 2]);
});

test("patch keys are rotated by their indexable position; global tokens stay unrotated", () => {
  const dim = 8;
  const keys = Float32Array.from({ length: 4 * dim }, (_, i) => Math.cos(i));
  const out = rotatePatchKeys(keys, dim, new Uint8Array([0, 1, 1, 1]));
  assert.deepEqual(Array.from(out.subarray(0, 2 * dim)), Array.from(keys.subarray(0, 2 * dim)));
  assert.deepEqual(Array.from(out.subarray(2 * dim, 3 * dim)), Array.from(rotate(keys.subarray(2 * dim, 3 * dim), 1)));
  assert.deepEqual(Array.from(out.subarray(3 * dim)), Array.from(rotate(keys.subarray(3 * dim), 2)));
});
