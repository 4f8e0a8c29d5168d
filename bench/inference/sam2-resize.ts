// The SAM2 encoder input (Pillow-exact bicubic resize to 1024² + normalisation, `pillowResample`) with the
// WebAssembly SIMD kernel against the JS pass (Pillow's own fixed-point arithmetic, the reference) on frames of common
// video sizes, in the same run; the outputs are checked bit for bit. Upscales take single kernel calls per output
// row, downscales (HD frames) four taps per call into an int32 row.
// Usage: npm run bench:sam2-resize [-- --repeats N]
import { parseArgs } from "node:util";
import { NORMALISE_LUTS, pillowResample } from "../../inference/sam2/image";
import { createResampleKernel } from "../../inference/sam2/resample-wasm";

const { values } = parseArgs({ options: { repeats: { type: "string" } } });
const REPEATS = Number(values.repeats ?? 5);
const S = 1024;
const kernel = createResampleKernel();
if (!kernel) throw new Error("bench: WebAssembly SIMD is unavailable");

function time(run: () => void): number {
  run(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    run();
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)];
}

console.log(`SAM2 encoder input (→ ${S}², normalised), SIMD kernel vs the JS pass, median of ${REPEATS}`);
for (const [w, h] of [[320, 240], [640, 480], [1280, 720], [1920, 1080]]) {
  const img = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 7919 + (i >> 7)) % 256);
  const js = new Float32Array(3 * S * S);
  const simd = new Float32Array(3 * S * S);
  const jsMs = time(() => pillowResample(img, w, h, S, S, null, js, NORMALISE_LUTS));
  const simdMs = time(() => pillowResample(img, w, h, S, S, null, simd, NORMALISE_LUTS, kernel));
  if (!Buffer.from(js.buffer).equals(Buffer.from(simd.buffer))) throw new Error(`bench: ${w}×${h}: the kernel's floats differ from the JS pass`);
  console.log(`  ${w}×${h}: kernel ${simdMs.toFixed(1)} ms, JS ${jsMs.toFixed(1)} ms → ${(jsMs / simdMs).toFixed(1)}× faster (identical floats)`);
}
