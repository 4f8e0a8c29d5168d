// THE ONNX contract of the built-in MolmoPoint-architecture model, defined once. The model generator
// (generate-model.ts), the runtime (inference/runtimes/builtin.ts) and the trainer's exporter all use these names,
// dtypes and shapes; CONTRACT.md documents the same thing for people.
//
// A model directory holds three graphs and two JSON files:
//   config.json   – geometry, normalisation, sampling, dims, rotary θ, id classes (BuiltinConfig)
//   vocab.json    – the word vocabulary of query text and the decoder's special tokens (BuiltinVocab)
//   vision.onnx   – frames → image-token features and pointing keys; run ONCE per video (+ sampling + version)
//   query.onnx    – query tokens + image tokens → initial decoder state (prefill); run once per query
//   step.onnx     – one decoder step: state + fed token (+ its additive embedding) → all pointing heads + new state
// Rotary (θ from config) is applied in JS with lib/grounding's helpers, not inside the graphs: keys are rotated once
// per video (`rotatePatchKeys`), the patch query once per step by the previously selected patch's position
// (`PointDecoder.queryRotaryPosition`). Patch logits are `rot(q)·rot(k_n) / sqrt(D)` plus the unrotated
// no-more-points key as the last class (molmo_point.py: norm_logits, PadWithLearnedVector after rotation).
import type { InferenceSession, Tensor } from "onnxruntime-node";
import { z } from "zod";
import { RuntimeError } from "../runtime";

/** Version of this contract; config.json `format` must equal it. */
export const CONTRACT_FORMAT = "groundtrack-molmopoint/1";

/** File names inside a model directory. */
export const MODEL_FILES = {
  config: "config.json",
  vocab: "vocab.json",
  vision: "vision.onnx",
  query: "query.onnx",
  step: "step.onnx",
} as const;

export type GraphName = "vision" | "query" | "step";
export const GRAPH_NAMES: readonly GraphName[] = ["vision", "query", "step"];

/** A dimension: a number fixed by the graph, a config field (resolved per model), or a symbolic (dynamic) size. */
export type ContractDim =
  | { fixed: number }
  | { config: "cropSize" | "dModel" | "patchDim" | "cells" | "stateDim" | "maxObjects" }
  | { symbolic: "n_frames" | "n_tokens" | "n_query" | "state_len" | "state_len_out" };

export interface TensorSpec {
  name: string;
  dtype: Extract<Tensor.Type, "float32" | "int64">;
  dims: ContractDim[];
  /** What the tensor holds, for CONTRACT.md and error messages. */
  doc: string;
}

export interface GraphSpec {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

const fixed = (n: number): ContractDim => ({ fixed: n });
const cfg = (k: Extract<ContractDim, { config: string }>["config"]): ContractDim => ({ config: k });
const sym = (k: Extract<ContractDim, { symbolic: string }>["symbolic"]): ContractDim => ({ symbolic: k });

/**
 * Tensor names, dtypes and shapes of the three graphs. `n_tokens = n_frames × tokensPerFrame` (frame-major, then
 * row-major pooled windows, exactly lib/grounding `buildVideoGrid`'s token order); `cells = pool²`.
 */
export const CONTRACT: Readonly<Record<GraphName, GraphSpec>> = {
  vision: {
    inputs: [
      { name: "frames", dtype: "float32", dims: [sym("n_frames"), fixed(3), cfg("cropSize"), cfg("cropSize")], doc: "sampled frames, RGB, resized to cropSize² (bilinear, no aspect preservation), (v/255 − mean)/std" },
    ],
    outputs: [
      { name: "image_tokens", dtype: "float32", dims: [sym("n_tokens"), cfg("dModel")], doc: "pooled image-token features (LLM width); fed back as the embedding of a chosen <PATCH>" },
      { name: "patch_keys", dtype: "float32", dims: [sym("n_tokens"), cfg("patchDim")], doc: "unrotated <PATCH> keys, one per image token" },
      { name: "no_more_points_key", dtype: "float32", dims: [fixed(1), cfg("patchDim")], doc: "learned no-more-points key (never rotated)" },
      { name: "subpatch_keys", dtype: "float32", dims: [sym("n_tokens"), cfg("cells"), cfg("patchDim")], doc: "<SUBPATCH> keys of the ViT patches pooled into each token (row-major window cells)" },
      { name: "subpatch_features", dtype: "float32", dims: [sym("n_tokens"), cfg("cells"), cfg("dModel")], doc: "embedding of a chosen <SUBPATCH> (projected ViT patch feature)" },
    ],
  },
  query: {
    inputs: [
      { name: "query_ids", dtype: "int64", dims: [sym("n_query")], doc: "query token ids from vocab.json: <bos> then the words (tokenizeQuery)" },
      { name: "image_tokens", dtype: "float32", dims: [sym("n_tokens"), cfg("dModel")], doc: "vision.onnx image_tokens of the same video" },
    ],
    outputs: [{ name: "state", dtype: "float32", dims: [sym("state_len"), cfg("stateDim")], doc: "initial decoder state (e.g. a flattened KV cache); opaque to the runtime" }],
  },
  step: {
    inputs: [
      { name: "state", dtype: "float32", dims: [sym("state_len"), cfg("stateDim")], doc: "decoder state from query.onnx or the previous step" },
      { name: "token_id", dtype: "int64", dims: [fixed(1)], doc: "the token just generated: <bos>, <|token_index|>, <|vit_index|>, <|vit_loc|> or an object-id token <obj_k>" },
      { name: "token_embedding", dtype: "float32", dims: [fixed(1), cfg("dModel")], doc: "added to the token's embedding: image_tokens[patch] after <|token_index|>, subpatch_features[patch, subpatch] after <|vit_index|>, zeros otherwise" },
    ],
    outputs: [
      { name: "patch_query", dtype: "float32", dims: [fixed(1), cfg("patchDim")], doc: "unrotated <PATCH> query (read after <bos> and after an object id)" },
      { name: "subpatch_query", dtype: "float32", dims: [fixed(1), cfg("patchDim")], doc: "<SUBPATCH> query (read after <|token_index|>)" },
      { name: "location_logits", dtype: "float32", dims: [fixed(1), fixed(9)], doc: "3×3 <LOCATION> logits, index = row + 3·column (read after <|vit_index|>)" },
      { name: "id_logits", dtype: "float32", dims: [fixed(1), cfg("maxObjects")], doc: "object-id logits, class k = object id k+1 (read after <|vit_loc|>)" },
      { name: "state_out", dtype: "float32", dims: [sym("state_len_out"), cfg("stateDim")], doc: "state to feed to the next step" },
    ],
  },
};

/** Special tokens every vocab.json starts with, in this order (ids 0…5), followed by `<obj_1>…<obj_maxObjects>`. */
export const SPECIAL_TOKENS = ["<pad>", "<unk>", "<bos>", "<|token_index|>", "<|vit_index|>", "<|vit_loc|>"] as const;
export const TOKEN = { pad: 0, unk: 1, bos: 2, patch: 3, subpatch: 4, location: 5, firstObject: 6 } as const;

const positiveInt = z.number().int().positive();

/** config.json. */
export const BuiltinConfigSchema = z
  .object({
    format: z.literal(CONTRACT_FORMAT),
    /** Model version; keyframe sources are `model:<version>`, the engine id `built-in:<version>`. */
    version: z.string().regex(/^[A-Za-z0-9._+-]{1,64}$/, "letters, digits and . _ + - only"),
    image: z.object({
      /** Frames are resized to cropSize × cropSize (378 in Molmo2). */
      cropSize: positiveInt,
      /** ViT patch side in pixels (14). cropSize must be a multiple. */
      patchSize: positiveInt,
      /** Pooling window side (3 for video): tokens pool pool×pool ViT patches. */
      pool: positiveInt,
      mean: z.tuple([z.number(), z.number(), z.number()]),
      std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
    }),
    video: z.object({
      /** Frames the model sees at most. */
      maxFrames: positiveInt,
      /** Tracking sampling rate (lib/grounding sampleForTracking); uniform_last_frame at this max fps when the native fps is not a multiple. */
      samplingFps: z.number().positive(),
    }),
    dims: z.object({
      /** LLM width: image_tokens, subpatch_features, token_embedding. */
      dModel: positiveInt,
      /** D of the patch/subpatch queries and keys (even: rotary pairs halves). */
      patchDim: positiveInt.refine((v) => v % 2 === 0, "patchDim must be even (rotary)"),
      /** Width of the opaque decoder state rows. */
      stateDim: positiveInt,
    }),
    rotary: z.object({ theta: z.number().positive() }),
    /** Object-id classes of the id head. */
    maxObjects: positiveInt,
    /** Longest query in tokens including <bos>; longer queries are truncated. */
    maxQueryTokens: positiveInt,
    /** Decoding stops after this many points (a point = PATCH SUBPATCH LOCATION ID). */
    maxPoints: positiveInt,
  })
  .refine((c) => c.image.cropSize % c.image.patchSize === 0, { message: "image.cropSize must be a multiple of image.patchSize", path: ["image", "cropSize"] });
export type BuiltinConfig = z.infer<typeof BuiltinConfigSchema>;

/** vocab.json: `tokens[i]` is token id i. */
export const BuiltinVocabSchema = z.object({
  format: z.literal("groundtrack-word-vocab/1"),
  tokens: z.array(z.string().min(1)).min(SPECIAL_TOKENS.length + 1),
});
export type BuiltinVocab = z.infer<typeof BuiltinVocabSchema>;

/** ViT patches per side, tokens per side and per frame, cells per token. */
export function geometry(c: BuiltinConfig): { grid: number; tokensPerSide: number; tokensPerFrame: number; cells: number } {
  const grid = c.image.cropSize / c.image.patchSize;
  const tokensPerSide = Math.ceil(grid / c.image.pool);
  return { grid, tokensPerSide, tokensPerFrame: tokensPerSide * tokensPerSide, cells: c.image.pool * c.image.pool };
}

/** Value of a config-bound dimension. */
export function configDim(c: BuiltinConfig, k: Extract<ContractDim, { config: string }>["config"]): number {
  switch (k) {
    case "cropSize": return c.image.cropSize;
    case "dModel": return c.dims.dModel;
    case "patchDim": return c.dims.patchDim;
    case "stateDim": return c.dims.stateDim;
    case "maxObjects": return c.maxObjects;
    case "cells": return geometry(c).cells;
  }
}

/** The contract's checks on a vocabulary for a config (special tokens in place, one `<obj_k>` per id class). */
export function checkVocab(vocab: BuiltinVocab, c: BuiltinConfig, file: string = MODEL_FILES.vocab): void {
  SPECIAL_TOKENS.forEach((t, i) => {
    if (vocab.tokens[i] !== t) throw new RuntimeError("model_invalid", `${file}: tokens[${i}] must be '${t}', got '${vocab.tokens[i]}'`);
  });
  for (let k = 1; k <= c.maxObjects; k++) {
    const at = TOKEN.firstObject + k - 1;
    if (vocab.tokens[at] !== `<obj_${k}>`) throw new RuntimeError("model_invalid", `${file}: tokens[${at}] must be '<obj_${k}>' (maxObjects ${c.maxObjects}), got '${vocab.tokens[at]}'`);
  }
  const seen = new Map<string, number>();
  vocab.tokens.forEach((t, i) => {
    const prev = seen.get(t);
    if (prev !== undefined) throw new RuntimeError("model_invalid", `${file}: token '${t}' appears twice (ids ${prev} and ${i})`);
    seen.set(t, i);
  });
}

/** Token id of object id `id` (1-based). */
export function objectToken(id: number): number {
  return TOKEN.firstObject + id - 1;
}

/**
 * The query tokenizer: NFKC, lower case, words = maximal runs of letters/digits; a word missing from the vocabulary
 * is looked up without a trailing "s" (plurals), else `<unk>`. Result: `<bos>` + words, at most `maxTokens` ids.
 */
export function tokenizeQuery(text: string, vocab: BuiltinVocab, maxTokens: number): number[] {
  const index = vocabIndex(vocab);
  const ids: number[] = [TOKEN.bos];
  for (const m of text.normalize("NFKC").toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    if (ids.length >= maxTokens) break;
    const w = m[0];
    const id = index.get(w) ?? (w.length > 1 && w.endsWith("s") ? index.get(w.slice(0, -1)) : undefined) ?? TOKEN.unk;
    ids.push(id);
  }
  return ids;
}

const indexCache = new WeakMap<BuiltinVocab, Map<string, number>>();
function vocabIndex(vocab: BuiltinVocab): Map<string, number> {
  let m = indexCache.get(vocab);
  if (!m) {
    m = new Map();
    // Special and object tokens are never produced by the word splitter, so they cannot collide with words.
    vocab.tokens.forEach((t, i) => m?.set(t, i));
    indexCache.set(vocab, m);
  }
  return m;
}

function describeDims(dims: readonly (number | string)[]): string {
  return `[${dims.join(", ")}]`;
}

/**
 * Checks a loaded session against the contract of `graph`: every input/output present with the contract's dtype
 * and rank, fixed and config-bound dimensions equal where the model declares them (symbolic dimensions may be any
 * name or size). Throws `RuntimeError("model_invalid")` naming the file, the tensor and what differs.
 */
export function validateSession(
  session: Pick<InferenceSession, "inputNames" | "outputNames" | "inputMetadata" | "outputMetadata">,
  graph: GraphName,
  config: BuiltinConfig,
  file: string = MODEL_FILES[graph],
): void {
  const spec = CONTRACT[graph];
  const problems: string[] = [];
  for (const [kind, specs, names, meta] of [
    ["input", spec.inputs, session.inputNames, session.inputMetadata],
    ["output", spec.outputs, session.outputNames, session.outputMetadata],
  ] as const) {
    for (const t of specs) {
      if (!names.includes(t.name)) {
        problems.push(`missing ${kind} '${t.name}' (${t.dtype} ${describeDims(t.dims.map(dimLabel))}); the graph's ${kind}s are [${names.join(", ")}]`);
        continue;
      }
      const m = meta.find((x) => x.name === t.name);
      if (!m) continue;
      if (!m.isTensor) {
        problems.push(`${kind} '${t.name}' must be a tensor`);
        continue;
      }
      if (m.type !== t.dtype) problems.push(`${kind} '${t.name}' has dtype ${m.type}, the contract requires ${t.dtype}`);
      // An empty shape means "not declared": nothing to check.
      if (m.shape.length === 0) continue;
      if (m.shape.length !== t.dims.length) {
        problems.push(`${kind} '${t.name}' has rank ${m.shape.length} ${describeDims(m.shape)}, the contract requires rank ${t.dims.length} ${describeDims(t.dims.map(dimLabel))}`);
        continue;
      }
      t.dims.forEach((d, i) => {
        const want = "fixed" in d ? d.fixed : "config" in d ? configDim(config, d.config) : null;
        const have = m.shape[i];
        if (want !== null && typeof have === "number" && have >= 0 && have !== want) {
          problems.push(`${kind} '${t.name}' dimension ${i} is ${have}, the contract requires ${want} (${dimLabel(d)})`);
        }
      });
    }
    if (kind === "input") {
      const extra = names.filter((n) => !specs.some((t) => t.name === n));
      if (extra.length) problems.push(`unexpected input${extra.length > 1 ? "s" : ""} ${extra.map((n) => `'${n}'`).join(", ")} (the runtime feeds only ${specs.map((t) => `'${t.name}'`).join(", ")})`);
    }
  }
  if (problems.length) {
    throw new RuntimeError("model_invalid", `${file} does not match the built-in model contract (${CONTRACT_FORMAT}, see inference/builtin/CONTRACT.md): ${problems.join("; ")}`);
  }
}

/** Human-readable label of a contract dimension. */
export function dimLabel(d: ContractDim): string {
  return "fixed" in d ? String(d.fixed) : "config" in d ? d.config : d.symbolic;
}
