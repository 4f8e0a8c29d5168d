// Benchmark: MolmoPoint step-wise decoding in the built-in runtime.
// 1. Per point, the JS decoding overhead (lib/grounding masks, rotary of the query, patch/subpatch logits, argmax,
//    decoder state) against the model forward (step.onnx / query.onnx session time), as a ratio.
// 2. Encode once per video (the runtime) against re-encoding the video before every step (what a runtime without
//    the key cache would do): vision.onnx + key rotation run 20 times in the same run, scaled to the step count.
// Model: the generated colour-matching model (inference/builtin/generate-model.ts), 16 frames at 144², D = 96, with
// 1×1 pooling (4096 tokens) and 3×3 pooling (1024 tokens × 9 subpatches). Input: a red block moving across the
// frames, so every frame has points.
// Usage: npm run bench:decoding
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { buildVideoGrid } from "../../lib/grounding";
import { COLOURS } from "../../lib/video";
import { tokenizeQuery } from "../../inference/builtin/contract";
import { decodePoints, encodeVideo, type DecodeTiming } from "../../inference/builtin/decode";
import { preprocessFrame } from "../../inference/builtin/frames";
import { generateBuiltinModel, type GenerateOptions } from "../../inference/builtin/generate-model";
import { loadBuiltinModel, releaseModel } from "../../inference/builtin/model";

const REPEATS = 3;
const REENCODES = 20;

async function run(label: string, opts: GenerateOptions): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "gt-bench-decoding-"));
  try {
    console.log(`\n== ${label}`);
    const config = await generateBuiltinModel(path.join(dir, "m"), opts);
    const model = await loadBuiltinModel(path.join(dir, "m"), { device: "auto", log: (m) => console.log(m) });
    const S = config.image.cropSize;
    const T = config.video.maxFrames;
    const input = new Float32Array(T * 3 * S * S);
    for (let f = 0; f < T; f++) {
      const img = new Uint8Array(S * S * 3).fill(32);
      const x0 = Math.round((f / T) * (S - 30));
      for (let y = 50; y < 80; y++) for (let x = x0; x < x0 + 30; x++) img.set(COLOURS.red, (y * S + x) * 3);
      preprocessFrame({ width: S, height: S, data: img }, config, input, f * 3 * S * S);
    }
    const grid = buildVideoGrid(640, 480, Array.from({ length: T }, (_, i) => i / config.video.samplingFps), { cropSize: S, patchSize: config.image.patchSize, pool: config.image.pool });
    const ids = tokenizeQuery("the red square", model.vocab, config.maxQueryTokens);

    // Warm-up (session initialisation, JIT).
    let enc = await encodeVideo(model, input, grid);
    await decodePoints(model, enc, ids);

    let encodeMs = Infinity;
    for (let r = 0; r < REPEATS; r++) {
      const t0 = performance.now();
      enc = await encodeVideo(model, input, grid);
      encodeMs = Math.min(encodeMs, performance.now() - t0);
    }
    let best: DecodeTiming & { totalMs: number; points: number } = { forwardMs: Infinity, decodeMs: Infinity, steps: 0, totalMs: Infinity, points: 0 };
    for (let r = 0; r < REPEATS; r++) {
      const timing: DecodeTiming = { forwardMs: 0, decodeMs: 0, steps: 0 };
      const t0 = performance.now();
      const res = await decodePoints(model, enc, ids, { timing });
      const totalMs = performance.now() - t0;
      if (totalMs < best.totalMs) best = { ...timing, totalMs, points: res.points.length };
    }
    const { points, steps } = best;
    console.log(`model ${config.version} on ${model.device}: ${T} frames, ${enc.nTokens} image tokens, D=${config.dims.patchDim}, cells=${enc.cells}`);
    console.log(`decoded ${points} points in ${steps} step.onnx runs (+1 query.onnx run), best of ${REPEATS}`);
    console.log(`per point: JS decoding ${(best.decodeMs / points).toFixed(3)} ms, model forward ${(best.forwardMs / points).toFixed(3)} ms (4 steps/point)`);
    console.log(`RATIO decoding overhead / model forward = ${(best.decodeMs / best.forwardMs).toFixed(3)}`);

    // Re-encode per step: the same decode plus a full vision.onnx run + key rotation before each step. The
    // re-encodes are really run (REENCODES of them, timed here) and scaled to the number of steps.
    const n = Math.min(REENCODES, steps);
    const t0 = performance.now();
    for (let s = 0; s < n; s++) await encodeVideo(model, input, grid);
    const perEncode = (performance.now() - t0) / n;
    const cached = encodeMs + best.totalMs;
    const uncached = perEncode * steps + best.totalMs;
    console.log(`encode (vision.onnx + key rotation): best ${encodeMs.toFixed(1)} ms, mean of ${n} re-encodes ${perEncode.toFixed(1)} ms`);
    console.log(`query with keys encoded once: ${cached.toFixed(1)} ms; re-encoding per step: ${uncached.toFixed(0)} ms`);
    console.log(`RATIO encode-once speedup = ${(uncached / cached).toFixed(1)}x`);
    await releaseModel(model);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await run("1×1 pooling: 16×16 tokens per frame", {});
  // Closest to MolmoPoint video geometry (3×3 pooling, 9 subpatches; 64 tokens per frame here, 81 there).
  await run("3×3 pooling: 8×8 tokens per frame, 9 subpatches", { pool: 3, patchSize: 6 });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
