// The SIMD passes of the encoder-input resize give the same floats as the JS pass (and so as Pillow + the reference
// normalisation): single calls for outputs with at most four taps (upscales), four taps per call into an int32 row
// for more (downscales: HD frames into SAM2's 1024² input), the JS pass only without a vertical resize.
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

/** Counts the kernel's output rows: `rows` made in one call (vrow, ≤ 4 taps), `accumulated` in several (vfin). */
function counting(k: ResampleKernel): { kernel: ResampleKernel; rows: number; accumulated: number } {
  const c = { rows: 0, accumulated: 0, kernel: k };
  c.kernel = {
    ...k,
    memory: k.memory,
    vrow: (...a: Parameters<ResampleKernel["vrow"]>) => (c.rows++, k.vrow(...a)),
    vfin: (...a: Parameters<ResampleKernel["vfin"]>) => (c.accumulated++, k.vfin(...a)),
  };
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
    // One kernel row per output column (horizontal pass) and per output row (vertical pass); without a vertical
    // resize the JS pass runs. Upscales have at most four taps per output: single calls.
    const expected = h !== S ? (w !== S ? S : 0) + S : 0;
    assert.equal(c.rows + c.accumulated, expected, `${w}×${h} → ${S}²: kernel rows`);
    if (w <= S && h < S) assert.equal(c.accumulated, 0, `${w}×${h} → ${S}²: an upscale needs no accumulation`);
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

test("downscales (HD frames, strong reductions: up to 21 taps) accumulate four taps per call and equal the JS pass", () => {
  const k = createResampleKernel();
  assert.ok(k);
  const rnd = seededRandom(3);
  for (const [w, h, S] of [[400, 300, 96], [1280, 720, 1024], [1920, 1080, 1024], [1280, 720, 256], [97, 1001, 64]] as const) {
    const img = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i % 101 === 0 ? 255 : i % 103 === 0 ? 0 : Math.floor(rnd() * 256)));
    const js = new Float32Array(3 * S * S);
    const other = new Float32Array(3 * S * S);
    pillowResample(img, w, h, S, S, null, js, NORMALISE_LUTS);
    const c = counting(k);
    pillowResample(img, w, h, S, S, null, other, NORMALISE_LUTS, c.kernel);
    sameBits(other, js, `${w}×${h} → ${S}²`);
    assert.equal(c.rows + c.accumulated, 2 * S, `${w}×${h} → ${S}²: kernel rows`);
    assert.ok(c.accumulated > 0, `${w}×${h} → ${S}²: accumulated rows`);
  }
});

test("no vertical resize: the JS pass", () => {
  const k = createResampleKernel();
  assert.ok(k);
  const img = Uint8Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 31) % 256);
  const js = new Float32Array(3 * 64 * 64);
  const other = new Float32Array(3 * 64 * 64);
  pillowResample(img, 64, 64, 64, 64, null, js, NORMALISE_LUTS);
  const c = counting(k);
  pillowResample(img, 64, 64, 64, 64, null, other, NORMALISE_LUTS, c.kernel);
  sameBits(other, js, "64×64 → 64²");
  assert.equal(c.rows + c.accumulated, 0);
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
  for (const [w, h, S] of [[320, 240, 256], [30, 20, 64], [400, 300, 96], [64, 96, 96]] as const) {
    const img = Uint8Array.from({ length: w * h * 3 }, () => Math.floor(rnd() * 256));
    const js = new Float32Array(3 * S * S);
    pillowResample(img, w, h, S, S, null, js, NORMALISE_LUTS);
    const untouched = new Float32Array(3 * S * S).fill(Number.NaN);
    const out = pillowResample(img, w, h, S, S, null, untouched, NORMALISE_LUTS, k, true);
    assert.ok(out);
    sameBits(out, js, `${w}×${h} → ${S}²`);
    // With a vertical resize the kernel runs: its memory holds the result and `planes` was not written; without one
    // (64×96 → 96²) the JS pass writes `planes` and returns it.
    const onKernel = h !== S;
    assert.equal(out.buffer === k.memory.buffer, onKernel, `${w}×${h} → ${S}²: result in kernel memory`);
    assert.equal(out === untouched, !onKernel);
    if (onKernel) assert.ok(untouched.every(Number.isNaN));
  }
});
