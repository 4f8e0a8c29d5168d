// The SIMD vertical pass of the encoder-input resize gives the same floats as the JS pass (and so as Pillow + the
// reference normalisation), and is used exactly where every output row has at most four taps (vertical upscales,
// the usual case: video frames are smaller than SAM2's 1024² input).
import assert from "node:assert/strict";
import { test } from "node:test";
import { NORMALISE_LUTS, pillowResample, type ResampleKernel } from "../../../inference/sam2/image";
import { createResampleKernel, resampleWasmBytes } from "../../../inference/sam2/resample-wasm";
import { seededRandom } from "../../../lib/random";

function sameBits(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, what);
  let diff = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) diff++;
  assert.equal(diff, 0, `${what}: ${diff} values differ`);
}

/** Counts the kernel's row calls. */
function counting(k: ResampleKernel): { kernel: ResampleKernel; rows: number } {
  const c = { rows: 0, kernel: k };
  c.kernel = { memory: k.memory, lut: k.lut, tr3: k.tr3, vrow: (...a: Parameters<ResampleKernel["vrow"]>) => (c.rows++, k.vrow(...a)) };
  return c;
}

test("the module validates; the kernel's floats equal the JS pass (upscale, mild downscale, odd sizes, every byte value)", () => {
  assert.ok(WebAssembly.validate(resampleWasmBytes()));
  const k = createResampleKernel();
  assert.ok(k, "WebAssembly SIMD is available on Node 20");
  const rnd = seededRandom(41);
  const cases: Array<[number, number, number]> = [[320, 240, 1024], [37, 53, 64], [1, 1, 16], [3, 500, 96], [640, 480, 1024], [150, 90, 128], [7, 300, 160], [96, 40, 96], [1023, 1, 1024]];
  for (const [w, h, S] of cases) {
    const img = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i % 97 === 0 ? 255 : i % 89 === 0 ? 0 : Math.floor(rnd() * 256)));
    const js = new Float32Array(3 * S * S);
    const simd = new Float32Array(3 * S * S).fill(Number.NaN);
    pillowResample(img, w, h, S, S, null, js, NORMALISE_LUTS);
    const c = counting(k);
    pillowResample(img, w, h, S, S, null, simd, NORMALISE_LUTS, c.kernel);
    sameBits(simd, js, `${w}×${h} → ${S}²`);
    // Upscales have at most four taps per output pixel: one kernel call per output column (horizontal pass) and
    // per output row (vertical pass); a downscale in either direction takes the JS passes.
    const expected = w <= S && h < S ? (w < S ? S : 0) + S : 0;
    assert.equal(c.rows, expected, `${w}×${h} → ${S}²: kernel calls`);
  }
  // Every byte value in every channel, through a vertical upscale (no horizontal pass) and through both passes.
  const ramp = Uint8Array.from({ length: 256 * 2 * 3 }, (_, i) => Math.floor(i / 3) % 256);
  for (const W of [256, 300]) {
    const a = new Float32Array(3 * W * 16);
    const b = new Float32Array(3 * W * 16);
    pillowResample(ramp, 256, 2, W, 16, null, a, NORMALISE_LUTS);
    pillowResample(ramp, 256, 2, W, 16, null, b, NORMALISE_LUTS, k);
    sameBits(b, a, `byte ramp → ${W}×16`);
  }
});

test("rows with more than four taps (vertical downscales) and no vertical resize use the JS pass", () => {
  const k = createResampleKernel();
  assert.ok(k);
  const rnd = seededRandom(3);
  for (const [w, h, S] of [[400, 300, 96], [64, 64, 64]] as const) {
    const img = Uint8Array.from({ length: w * h * 3 }, () => Math.floor(rnd() * 256));
    const js = new Float32Array(3 * S * S);
    const other = new Float32Array(3 * S * S);
    pillowResample(img, w, h, S, S, null, js, NORMALISE_LUTS);
    const c = counting(k);
    pillowResample(img, w, h, S, S, null, other, NORMALISE_LUTS, c.kernel);
    sameBits(other, js, `${w}×${h} → ${S}²`);
    assert.equal(c.rows, 0);
  }
});

test("the kernel's memory grows for a larger frame and stays correct for a smaller one after it", () => {
  const k = createResampleKernel();
  assert.ok(k);
  const rnd = seededRandom(8);
  for (const [w, h, S] of [[16, 12, 32], [320, 240, 512], [20, 10, 48]] as const) {
    const img = Uint8Array.from({ length: w * h * 3 }, () => Math.floor(rnd() * 256));
    const js = new Float32Array(3 * S * S);
    const simd = new Float32Array(3 * S * S);
    pillowResample(img, w, h, S, S, null, js, NORMALISE_LUTS);
    pillowResample(img, w, h, S, S, null, simd, NORMALISE_LUTS, k);
    sameBits(simd, js, `${w}×${h} → ${S}²`);
  }
});

test("inKernelMemory: the planes are returned in the kernel's memory (not copied into `planes`); without SIMD, in `planes`", () => {
  const k = createResampleKernel();
  assert.ok(k);
  const rnd = seededRandom(12);
  for (const [w, h, S] of [[320, 240, 256], [30, 20, 64], [400, 300, 96]] as const) {
    const img = Uint8Array.from({ length: w * h * 3 }, () => Math.floor(rnd() * 256));
    const js = new Float32Array(3 * S * S);
    pillowResample(img, w, h, S, S, null, js, NORMALISE_LUTS);
    const untouched = new Float32Array(3 * S * S).fill(Number.NaN);
    const out = pillowResample(img, w, h, S, S, null, untouched, NORMALISE_LUTS, k, true);
    assert.ok(out);
    sameBits(out, js, `${w}×${h} → ${S}²`);
    // Upscales run on the kernel: its memory holds the result and `planes` was not written; the downscale (400×300
    // → 96²) takes the JS pass, which writes `planes` and returns it.
    const upscale = w <= S && h < S;
    assert.equal(out.buffer === k.memory.buffer, upscale, `${w}×${h} → ${S}²: result in kernel memory`);
    assert.equal(out === untouched, !upscale);
    if (upscale) assert.ok(untouched.every(Number.isNaN));
  }
});
