// The SIMD bf16 rounding of stored memories is bit-identical to the scalar reference (round to nearest even, inf and
// NaN payloads untouched) on every kind of float, any length and any offset.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bf16KernelAvailable, bf16WasmBytes, roundToBf16, roundToBf16Scalar } from "../../../inference/sam2/bf16";
import { seededRandom } from "../../../lib/random";

function bitsDiffer(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let n = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) n++;
  return n;
}

test("the module validates and the kernel is used on Node 20", () => {
  assert.ok(WebAssembly.validate(bf16WasmBytes()));
  assert.ok(bf16KernelAvailable());
});

test("SIMD rounding equals the scalar reference bit for bit: ties, carries, subnormals, inf, NaN payloads, any length", () => {
  const rnd = seededRandom(7);
  const n = 262_144 + 3;
  const src = new Float32Array(n);
  const u = new Uint32Array(src.buffer);
  for (let i = 0; i < n; i++) {
    const kind = i % 7;
    // Random bit patterns cover every exponent (specials included); the others hit the rounding cases exactly.
    if (kind === 0) u[i] = Math.floor(rnd() * 2 ** 32) >>> 0;
    else if (kind === 1) u[i] = ((Math.floor(rnd() * 2 ** 16) << 16) | 0x8000) >>> 0; // exact ties (even and odd)
    else if (kind === 2) u[i] = ((Math.floor(rnd() * 2 ** 16) << 16) | 0x7fff) >>> 0; // just below a tie
    else if (kind === 3) u[i] = (0x7f7f0000 | Math.floor(rnd() * 0x10000)) >>> 0; // near FLT_MAX: rounds to inf
    else if (kind === 4) u[i] = Math.floor(rnd() * 0x00800000) >>> 0; // subnormals
    else if (kind === 5) u[i] = (0x7f800000 | Math.floor(rnd() * 0x00800000) | (rnd() < 0.5 ? 0x80000000 : 0)) >>> 0; // inf / NaN
    else src[i] = (rnd() - 0.5) * 2 ** Math.floor(rnd() * 60 - 30);
  }
  const reference = roundToBf16Scalar(src.slice());
  for (const len of [n, 262_144, 1, 2, 3, 4, 5, 8, 1001]) {
    const a = src.slice(0, len);
    assert.equal(bitsDiffer(roundToBf16(a), reference.subarray(0, len)), 0, `length ${len}`);
  }
  // A view at an offset inside a larger buffer: only the view changes.
  const big = src.slice();
  const view = big.subarray(5, 5 + 1000);
  roundToBf16(view);
  assert.equal(bitsDiffer(view, reference.subarray(5, 1005)), 0);
  assert.equal(bitsDiffer(big.subarray(0, 5), src.subarray(0, 5)), 0);
  assert.equal(bitsDiffer(big.subarray(1005), src.subarray(1005)), 0);
  // The scalar path of the same function agrees too (it is the fallback without SIMD).
  assert.equal(bitsDiffer(roundToBf16(src.slice(), false), reference), 0);
});
