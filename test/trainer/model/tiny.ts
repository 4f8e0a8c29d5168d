// A tiny MolmoPoint-Tiny setup shared by the trainer tests: small config, perturbed parameters (so every tensor
// has a sizeable gradient), and hand-made examples.
import { seededRandom } from "../../../lib/random";
import { buildVocab, parseTinyConfig, tinyGeometry, type TinyConfig } from "../../../trainer/model/config";
import type { ModelExample } from "../../../trainer/model/batch";
import { TOKEN_ATTRIBUTE_CLASSES } from "../../../trainer/data/token-labels";
import { initParams, type HostParams } from "../../../trainer/model/params";

export const TINY: TinyConfig = parseTinyConfig({
  cropSize: 16, patchSize: 4, pool: 2, maxFrames: 3, dVit: 8, dModel: 16, heads: 2, mlpRatio: 2,
  visionLayers: 1, decoderLayers: 2, patchDim: 8, maxObjects: 4, maxQueryTokens: 5,
});
export const TINY_VOCAB = buildVocab(TINY);

/** initParams, then every tensor perturbed by U(−a, a) so biases, LN and the no-more key are not at 0/1. */
export function tinyParams(seed = 1, a = 0.3, config: TinyConfig = TINY): HostParams {
  const p = initParams(config, TINY_VOCAB.tokens.length, seed);
  const rnd = seededRandom(seed + 99);
  for (const t of p.values()) for (let i = 0; i < t.data.length; i++) t.data[i] += a * (2 * rnd() - 1);
  return p;
}

/** Examples on `nFrames` frames with random pixels; points sorted by patch (two share a patch). */
export function tinyExamples(nFrames = 2, seed = 5): ModelExample[] {
  const g = tinyGeometry(TINY);
  const N = nFrames * g.tokensPerFrame;
  const rnd = seededRandom(seed);
  const frames = () => Float32Array.from({ length: nFrames * 3 * TINY.cropSize * TINY.cropSize }, () => 2 * rnd() - 1);
  return [
    { id: "a", frames: frames(), nFrames, queryIds: [2, 30, 31, 25], targets: [{ patch: 1, subpatch: 2, location: 4 }, { patch: N - 3, subpatch: 0, location: 8 }, { patch: N - 3, subpatch: 3, location: 1 }], ids: [1, 2, 1] },
    { id: "b", frames: frames(), nFrames, queryIds: [2, 27], targets: [{ patch: 0, subpatch: 1, location: 0 }, { patch: N - 1, subpatch: 2, location: 5 }], ids: [1, 2] },
    { id: "c", frames: frames(), nFrames, queryIds: [2, 29, 33], targets: [], ids: [] },
  ];
}

/** The examples with seeded random token labels (−1 … K−1 per attribute) over `tokens` image tokens. */
export function withTokenLabels(examples: ModelExample[], tokens: number, seed = 8): ModelExample[] {
  const rnd = seededRandom(seed);
  for (const ex of examples) ex.tokenLabels = TOKEN_ATTRIBUTE_CLASSES.map((K) => Int8Array.from({ length: tokens }, () => Math.floor(rnd() * (K + 1)) - 1));
  return examples;
}
