// Shared by the export tests: a tiny MolmoPoint-Tiny config, perturbed random-init weights (nothing trivially
// zero: non-zero biases, LN shifts and no-more-points key) written as a trainer weights directory.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { seededRandom } from "../../../lib/random";
import { encodeSafetensors } from "../../../trainer/ml/safetensors";
import { buildVocab, parseTinyConfig, type TinyConfig } from "../../../trainer/model/config";
import { initParams, type HostParams } from "../../../trainer/model/params";
import { WEIGHTS_FILES } from "../../../trainer/model/export-onnx";
import type { BuiltinVocab } from "../../../inference/builtin/contract";

/** Small enough for a fast test, every structural feature on: 2×2 pooling, 2 decoder layers, 4 heads. */
export const TEST_TINY: TinyConfig = parseTinyConfig({
  version: "tiny-test",
  cropSize: 32,
  patchSize: 8,
  pool: 2,
  maxFrames: 4,
  dVit: 16,
  dModel: 32,
  heads: 4,
  mlpRatio: 2,
  visionLayers: 1,
  decoderLayers: 2,
  patchDim: 16,
  maxObjects: 4,
  maxQueryTokens: 6,
  maxPoints: 12,
});

/** initParams plus uniform noise on every tensor (weights ~0.15 so activations are O(1) through the layers). */
export function perturbedParams(c: TinyConfig, vocab: BuiltinVocab, seed: number): HostParams {
  const p = initParams(c, vocab.tokens.length, seed);
  const rnd = seededRandom(seed + 1);
  for (const [name, t] of p) {
    const scale = /\.W\d?$|\.W[qkvo]$/.test(name) ? 0.15 : 0.3;
    for (let i = 0; i < t.data.length; i++) t.data[i] += scale * (2 * rnd() - 1);
  }
  return p;
}

/** Writes a weights directory (config.json, vocab.json, model.safetensors) and returns its parts. */
export async function writeWeightsDir(dir: string, c: TinyConfig = TEST_TINY, seed = 7): Promise<{ vocab: BuiltinVocab; params: HostParams }> {
  const vocab = buildVocab(c);
  const params = perturbedParams(c, vocab, seed);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, WEIGHTS_FILES.config), JSON.stringify(c, null, 2));
  await writeFile(path.join(dir, WEIGHTS_FILES.vocab), JSON.stringify(vocab));
  await writeFile(path.join(dir, WEIGHTS_FILES.weights), encodeSafetensors(params));
  return { vocab, params };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Largest |value| (to show a comparison is not between near-zero tensors). */
export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}
