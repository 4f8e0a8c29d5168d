// MolmoPoint-Tiny hyper-parameters (ARCHITECTURE.md), the contract config.json built from them, and the word
// vocabulary of the synthetic generator's queries.
import { z } from "zod";
import { CONTRACT_FORMAT, SPECIAL_TOKENS, BuiltinConfigSchema, type BuiltinConfig, type BuiltinVocab } from "../../inference/builtin/contract";
import { SYNTH_CATEGORIES } from "../synth/shapes";
import { COLOUR_NAMES, SIZE_CLASSES } from "../synth/scene";

const positiveInt = z.number().int().positive();

export const TinyConfigSchema = z
  .object({
    version: z.string().regex(/^[A-Za-z0-9._+-]{1,64}$/).default("tiny-1"),
    cropSize: positiveInt.default(96),
    patchSize: positiveInt.default(8),
    pool: positiveInt.default(2),
    maxFrames: positiveInt.default(8),
    samplingFps: z.number().positive().default(2),
    dVit: positiveInt.default(64),
    /**
     * Width of a nonlinear patch stem (0 = none, the linear ViT patch embedding): patch pixels → GELU(linear → stem)
     * → `vit.patch`. A linear embedding of 8-px patches cannot make shape features that the pooled tokens then
     * compare; with the semantic loss the stem lifted shape recognition on object tokens (ARCHITECTURE.md).
     */
    patchStem: z.number().int().min(0).default(0),
    dModel: positiveInt.default(96),
    heads: positiveInt.default(4),
    mlpRatio: positiveInt.default(4),
    visionLayers: z.number().int().min(0).default(1),
    decoderLayers: positiveInt.default(2),
    patchDim: positiveInt.refine((v) => v % 2 === 0, "patchDim must be even (rotary halves)").default(64),
    theta: z.number().positive().default(50000),
    /**
     * A learned per-layer vector added to the decoder keys of the image prefix (`dec.L{j}.imgk`): lets attention
     * tell the many image rows from the few query-text rows (without it the text is diluted ~N/|query| at init).
     */
    prefixKeyBias: z.boolean().default(false),
    /**
     * Weight initialisation: "normal-0.02" (GPT-2's N(0, 0.02) for every weight) or "fan-in" (matrices
     * N(0, 1/fan_in), embedding tables N(0, 0.02)). At dModel 64, 0.02 is ~6× below fan-in scale: products of two
     * such matrices (Wq·Wk, head.pq·patchk) start near zero and text↔image matching learns very slowly.
     */
    init: z.enum(["normal-0.02", "fan-in"]).default("normal-0.02"),
    /**
     * Weight of a training-only auxiliary loss (0 = the paper's loss alone): at every <PATCH> slot a separate
     * projection of the decoder state (`aux.bind`) scores every image-token key, and a sigmoid cross-entropy asks it
     * to mark the tokens holding any GT point of the query in the whole video. Every matching token is a positive,
     * so query↔key binding gets dense supervision instead of one softmax target per step. Not exported: the ONNX
     * graphs and the inference contract are unchanged.
     */
    bindAux: z.number().min(0).default(0),
    /**
     * Weight of a training-only semantic loss (0 = off): a linear head on every image token (`aux.sem`) predicts the
     * category, colour and size class of the object covering it, or background (trainer/data/token-labels; labels
     * from the synthetic masks, none for other data). Dense supervision for telling shapes apart, which the pointing
     * loss teaches only through a few tokens per query. Not exported.
     */
    semAux: z.number().min(0).default(0),
    maxObjects: positiveInt.default(16),
    maxQueryTokens: positiveInt.default(12),
    maxPoints: positiveInt.default(512),
    mean: z.tuple([z.number(), z.number(), z.number()]).default([0.5, 0.5, 0.5]),
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).default([0.5, 0.5, 0.5]),
  })
  .refine((c) => c.cropSize % c.patchSize === 0, { message: "cropSize must be a multiple of patchSize", path: ["cropSize"] })
  // The jax pooling is a reshape: windows never hang over the grid (no −1 cells).
  .refine((c) => (c.cropSize / c.patchSize) % c.pool === 0, { message: "cropSize/patchSize must be a multiple of pool", path: ["pool"] })
  .refine((c) => c.dModel % c.heads === 0, { message: "dModel must be a multiple of heads", path: ["heads"] });
export type TinyConfig = z.output<typeof TinyConfigSchema>;
export type TinyConfigInput = z.input<typeof TinyConfigSchema>;

/** Parses a TinyConfig (defaults filled); errors name the field. */
export function parseTinyConfig(input: unknown, source = "TinyConfig"): TinyConfig {
  const r = TinyConfigSchema.safeParse(input);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new RangeError(`${source}: ${i.path.join(".") || "(root)"}: ${i.message}`);
  }
  return r.data;
}

/** Derived sizes. */
export function tinyGeometry(c: TinyConfig): { grid: number; tokensPerSide: number; tokensPerFrame: number; cells: number; patchPixels: number } {
  const grid = c.cropSize / c.patchSize;
  const tokensPerSide = grid / c.pool;
  return { grid, tokensPerSide, tokensPerFrame: tokensPerSide * tokensPerSide, cells: c.pool * c.pool, patchPixels: 3 * c.patchSize * c.patchSize };
}

/** The contract config.json of this model (`stateDim = 2·decoderLayers·dModel`: one K|V pair per layer). */
export function toBuiltinConfig(c: TinyConfig): BuiltinConfig {
  return BuiltinConfigSchema.parse({
    format: CONTRACT_FORMAT,
    version: c.version,
    image: { cropSize: c.cropSize, patchSize: c.patchSize, pool: c.pool, mean: c.mean, std: c.std },
    video: { maxFrames: c.maxFrames, samplingFps: c.samplingFps },
    dims: { dModel: c.dModel, patchDim: c.patchDim, stateDim: 2 * c.decoderLayers * c.dModel },
    rotary: { theta: c.theta },
    maxObjects: c.maxObjects,
    maxQueryTokens: c.maxQueryTokens,
    maxPoints: c.maxPoints,
  });
}

/** Words of the synthetic queries (trainer/synth/queries.ts): plurals reach the singular through tokenizeQuery. */
export function synthWords(): string[] {
  return ["the", "shape", "moving", "left", "right", "up", "down", ...SIZE_CLASSES, ...COLOUR_NAMES, ...SYNTH_CATEGORIES];
}

/** vocab.json: special tokens, `<obj_1..maxObjects>`, then the query words. */
export function buildVocab(c: TinyConfig, words: readonly string[] = synthWords()): BuiltinVocab {
  const tokens = [...SPECIAL_TOKENS, ...Array.from({ length: c.maxObjects }, (_, i) => `<obj_${i + 1}>`)];
  for (const w of words) if (!tokens.includes(w)) tokens.push(w);
  return { format: "groundtrack-word-vocab/1", tokens };
}
