// Writes a small MolmoPoint-architecture model set (config.json, vocab.json, vision/query/step.onnx) with the exact
// contract of contract.ts and hand-set weights that make it a colour matcher, so the runtime can be exercised end to
// end and tests can assert where it points on synthetic videos. Deterministic: the same options give the same bytes.
//
// What the weights compute (D = patchDim = 96, rotary pairs (i, i+48)):
// - vision: per ViT patch the mean colour c; for each of the 8 named colours m_k a saturated indicator
//   sat_k = σ(β(exp(−|c−m_k|²/σ²) − ½)) ("this patch is colour k"); tokens max-pool it over their window.
//   patch key = [sat_k on dims 39+k] + 1 on dim 36; subpatch keys = sat_k of each cell on dims k.
// - query: the colour words of the query (sum of one-hot embeddings, <bos> adds 0.1 to every colour so a query
//   without a colour word matches every colour), normalised by its max → state row 0.
// - step: patch query = W·colours on dims 39+k, −a on dim 84, c0 on dim 47. After rotary the logit of token n is
//   W·Σ q_k sat_k cos(Δ f) − a·sin(Δ f₃₆) (Δ = n − previous patch): matching tokens win, the nearest following one
//   first (so frames are visited in order); with none left the no-more-points key (c0) wins.
//   location logits: the query colours against the chosen ViT patch's 3×3 cell indicators (subpatch_features);
//   id logits: the colour class of the chosen subpatch (state row 1, the last fed embedding) → id k+1.
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { COLOURS } from "../../lib/video";
import { GraphBuilder } from "../sam2/testing/onnx-builder";
import { BuiltinConfigSchema, CONTRACT_FORMAT, MODEL_FILES, SPECIAL_TOKENS, geometry, type BuiltinConfig, type BuiltinVocab } from "./contract";

export interface GenerateOptions {
  /** Pooling window side (default 1: one ViT patch per token). */
  pool?: number;
  cropSize?: number;
  patchSize?: number;
  maxFrames?: number;
  samplingFps?: number;
  maxPoints?: number;
  version?: string;
}

const COLOUR_NAMES = Object.keys(COLOURS) as (keyof typeof COLOURS)[];
const N_COLOURS = COLOUR_NAMES.length;
/** LLM width: 8 colour indicators, then 8 colours × 9 location cells of the chosen ViT patch (subpatch_features). */
const D_MODEL = 8 + 8 * 9;
const PATCH_DIM = 96;
const MAX_OBJECTS = 16;
/** Rotary pair indices (dims i and i + PATCH_DIM/2) used by the hand-set weights. */
const PROXIMITY_PAIR = 36;
const COLOUR_PAIR0 = 39;
const NO_MORE_PAIR = 47;
/** Logit scales (before the contract's division by sqrt(D)). */
const W_COLOUR = 10;
const A_PROXIMITY = 2;
const C_NO_MORE = 4;
/** Colour indicator width (normalised units, ≈ 35 RGB levels at ½) and saturation steepness. */
const SIGMA2 = 0.109;
const BETA = 40;
const WORDS = ["the", "a", "an", "all", "every", "object", "shape", "circle", "square", "triangle", "moving", "left", "right", "up", "down", "big", "small", "and", "of", "in", "on", "that", "is", "which"];

/** The config the generator writes for these options. */
export function generatedConfig(opts: GenerateOptions = {}): BuiltinConfig {
  const config = BuiltinConfigSchema.parse({
    format: CONTRACT_FORMAT,
    version: opts.version ?? `gen-colour-p${opts.pool ?? 1}`,
    image: { cropSize: opts.cropSize ?? 144, patchSize: opts.patchSize ?? 9, pool: opts.pool ?? 1, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    video: { maxFrames: opts.maxFrames ?? 16, samplingFps: opts.samplingFps ?? 2 },
    dims: { dModel: D_MODEL, patchDim: PATCH_DIM, stateDim: D_MODEL },
    rotary: { theta: 50000 },
    maxObjects: MAX_OBJECTS,
    maxQueryTokens: 16,
    maxPoints: opts.maxPoints ?? 512,
  });
  const g = geometry(config);
  if (g.grid % config.image.pool !== 0) throw new Error(`generated model: ViT grid ${g.grid} must be a multiple of pool ${config.image.pool}`);
  if (config.image.patchSize % 3 !== 0) throw new Error(`generated model: patchSize ${config.image.patchSize} must be a multiple of 3 (3×3 location cells)`);
  return config;
}

/** The generated vocabulary: special tokens, object ids, colour names, a few common words. */
export function generatedVocab(config: BuiltinConfig): BuiltinVocab {
  const objects = Array.from({ length: config.maxObjects }, (_, k) => `<obj_${k + 1}>`);
  return { format: "groundtrack-word-vocab/1", tokens: [...SPECIAL_TOKENS, ...objects, ...COLOUR_NAMES, ...WORDS] };
}

/** Named colours in the model's normalised input space. */
function normalisedColours(config: BuiltinConfig): number[][] {
  return COLOUR_NAMES.map((n) => COLOURS[n].map((v, ch) => (v / 255 - config.image.mean[ch]) / config.image.std[ch]));
}

function colourEmbedding(rows: number, cols: number, colOf: (k: number) => number, scale = 1): Float32Array {
  const m = new Float32Array(rows * cols);
  for (let k = 0; k < N_COLOURS; k++) m[k * cols + colOf(k)] = scale;
  return m;
}

/** σ(β(exp(−|c−m_k|²/σ²) − ½)) for the 8 named colours m_k: [T,3,h,w] mean colours → [T,8,h,w]. */
function saturatedIndicator(b: GraphBuilder, c: string, config: BuiltinConfig): string {
  const cc = b.reduceSum(b.mul(c, c), [1], 1);
  const m = normalisedColours(config);
  const w = new Float32Array(N_COLOURS * 3);
  const bias = new Float32Array(N_COLOURS);
  m.forEach((col, k) => {
    col.forEach((v, ch) => (w[k * 3 + ch] = -2 * v));
    bias[k] = col.reduce((s, v) => s + v * v, 0);
  });
  const d2 = b.add(b.add(b.conv1x1(c, w, N_COLOURS, 3), cc), b.constFloat(bias, [1, N_COLOURS, 1, 1]));
  const ind = b.node("Exp", [b.mul(d2, b.scalar(-1 / SIGMA2))]);
  return b.node("Sigmoid", [b.mul(b.sub(ind, b.scalar(0.5)), b.scalar(BETA))]);
}

function visionGraph(config: BuiltinConfig): Uint8Array {
  const { patchSize: p, pool } = config.image;
  const { grid: G, tokensPerSide: H, cells } = geometry(config);
  const b = new GraphBuilder("vision");
  const frames = b.input("frames", ["n_frames", 3, config.image.cropSize, config.image.cropSize]);
  const c = b.avgPool(frames, p); // [T,3,G,G] mean colour per ViT patch
  const sat = saturatedIndicator(b, c, config); // [T,8,G,G]
  const pooled = pool === 1 ? sat : b.node("MaxPool", [sat], { kernel_shape: [pool, pool], strides: [pool, pool] });
  const tok = b.reshape(b.node("Transpose", [pooled], { perm: [0, 2, 3, 1] }), [-1, N_COLOURS]); // [N,8]
  const toModel = b.constFloat(colourEmbedding(N_COLOURS, D_MODEL, (k) => k), [N_COLOURS, D_MODEL]);
  b.output("image_tokens", b.node("MatMul", [tok, toModel]), ["n_tokens", D_MODEL]);
  const keyBias = new Float32Array(PATCH_DIM);
  keyBias[PROXIMITY_PAIR] = 1;
  const toKey = b.constFloat(colourEmbedding(N_COLOURS, PATCH_DIM, (k) => COLOUR_PAIR0 + k), [N_COLOURS, PATCH_DIM]);
  b.output("patch_keys", b.add(b.node("MatMul", [tok, toKey]), b.constFloat(keyBias, [1, PATCH_DIM])), ["n_tokens", PATCH_DIM]);
  const nmp = new Float32Array(PATCH_DIM);
  nmp[NO_MORE_PAIR] = 1;
  b.output("no_more_points_key", b.constFloat(nmp, [1, PATCH_DIM]), [1, PATCH_DIM]);
  // Cells of each token in row-major window order: [T,8,H,pool,H,pool] → [T,H,H,pool,pool,8] → [N,cells,8].
  const cellsT = b.node("Transpose", [b.reshape(sat, [-1, N_COLOURS, H, pool, H, pool])], { perm: [0, 2, 4, 3, 5, 1] });
  const cell = b.reshape(cellsT, [-1, cells, N_COLOURS]);
  const toSubKey = b.constFloat(colourEmbedding(N_COLOURS, PATCH_DIM, (k) => k), [N_COLOURS, PATCH_DIM]);
  b.output("subpatch_keys", b.node("MatMul", [cell, toSubKey]), ["n_tokens", cells, PATCH_DIM]);
  // The same indicators on the 3×3 location cells of every ViT patch, ordered as <LOCATION> (row + 3·column):
  // [T,8,3G,3G] → [T,8,H,pool,3,H,pool,3] (t,k,tr,dh,sy,tc,dw,sx) → [t,tr,tc,dh,dw,k,sx,sy] → [N,cells,72].
  const loc = saturatedIndicator(b, b.avgPool(frames, p / 3), config);
  const locT = b.node("Transpose", [b.reshape(loc, [-1, N_COLOURS, H, pool, 3, H, pool, 3])], { perm: [0, 2, 5, 3, 6, 1, 7, 4] });
  const locCells = b.reshape(locT, [-1, cells, N_COLOURS * 9]);
  const toModelCell = b.constFloat(colourEmbedding(N_COLOURS, N_COLOURS, (k) => k), [N_COLOURS, N_COLOURS]);
  b.output("subpatch_features", b.node("Concat", [b.node("MatMul", [cell, toModelCell]), locCells], { axis: 2 }), ["n_tokens", cells, D_MODEL]);
  if (G % pool !== 0) throw new Error("unreachable: checked in generatedConfig");
  return b.toBytes();
}

function queryGraph(config: BuiltinConfig, vocab: BuiltinVocab): Uint8Array {
  const b = new GraphBuilder("query");
  const ids = b.input("query_ids", ["n_query"], "int64");
  const image = b.input("image_tokens", ["n_tokens", D_MODEL]);
  const V = vocab.tokens.length;
  const emb = new Float32Array(V * D_MODEL);
  for (let k = 0; k < N_COLOURS; k++) {
    emb[SPECIAL_TOKENS.indexOf("<bos>") * D_MODEL + k] = 0.1;
    emb[vocab.tokens.indexOf(COLOUR_NAMES[k]) * D_MODEL + k] = 1;
  }
  const s = b.reduceSum(b.node("Gather", [b.constFloat(emb, [V, D_MODEL]), ids], { axis: 0 }), [0], 1); // [1,16]
  const mx = b.node("ReduceMax", [s], { axes: [1], keepdims: 1 });
  const qc = b.div(s, b.add(mx, b.scalar(1e-6)));
  // The image tokens would be prefilled here by a transformer; this model's state only needs the query colours.
  // A zero-weighted term keeps the input a real dependency of the graph.
  const none = b.mul(b.reduceSum(image, [0, 1], 1), b.scalar(0));
  const row0 = b.add(qc, none);
  b.output("state", b.node("Concat", [row0, b.constFloat(new Float32Array(D_MODEL), [1, D_MODEL])], { axis: 0 }), ["state_len", config.dims.stateDim]);
  return b.toBytes();
}

function stepGraph(config: BuiltinConfig, vocab: BuiltinVocab): Uint8Array {
  const b = new GraphBuilder("step");
  const sqrtD = Math.sqrt(PATCH_DIM);
  const state = b.input("state", ["state_len", config.dims.stateDim]);
  const token = b.input("token_id", [1], "int64");
  const emb = b.input("token_embedding", [1, D_MODEL]);
  const row0 = b.slice(state, 0, 0, 1);
  const row1 = b.slice(state, 0, 1, 2);
  // Row 1 remembers the embedding of the last chosen <PATCH>/<SUBPATCH> (what the id head reads).
  const gates = new Float32Array(vocab.tokens.length);
  gates[SPECIAL_TOKENS.indexOf("<|token_index|>")] = 1;
  gates[SPECIAL_TOKENS.indexOf("<|vit_index|>")] = 1;
  const gate = b.node("Gather", [b.constFloat(gates, [vocab.tokens.length, 1]), token], { axis: 0 }); // [1,1]
  const newRow1 = b.add(b.mul(gate, emb), b.mul(b.sub(b.scalar(1), gate), row1));
  b.output("state_out", b.node("Concat", [row0, newRow1], { axis: 0 }), ["state_len_out", config.dims.stateDim]);
  const pq = colourEmbedding(D_MODEL, PATCH_DIM, (k) => COLOUR_PAIR0 + k, W_COLOUR * sqrtD);
  const pqBias = new Float32Array(PATCH_DIM);
  pqBias[PROXIMITY_PAIR + PATCH_DIM / 2] = -A_PROXIMITY * sqrtD;
  pqBias[NO_MORE_PAIR] = C_NO_MORE * sqrtD;
  b.output("patch_query", b.add(b.node("MatMul", [row0, b.constFloat(pq, [D_MODEL, PATCH_DIM])]), b.constFloat(pqBias, [1, PATCH_DIM])), [1, PATCH_DIM]);
  const sq = colourEmbedding(D_MODEL, PATCH_DIM, (k) => k, W_COLOUR * sqrtD);
  b.output("subpatch_query", b.node("MatMul", [row0, b.constFloat(sq, [D_MODEL, PATCH_DIM])]), [1, PATCH_DIM]);
  // Location: the query colours against the chosen ViT patch's 3×3 cell indicators (row 1 after <|vit_index|>),
  // plus a tiny centre preference for patches with no clear cell.
  const cellsOfChoice = b.reshape(b.slice(newRow1, 1, N_COLOURS, D_MODEL), [N_COLOURS, 9]);
  const centre = new Float32Array(9);
  centre[4] = 1e-3;
  b.output("location_logits", b.add(b.node("MatMul", [b.slice(row0, 1, 0, N_COLOURS), cellsOfChoice]), b.constFloat(centre, [1, 9])), [1, 9]);
  const idW = colourEmbedding(D_MODEL, config.maxObjects, (k) => k);
  const idBias = new Float32Array(config.maxObjects);
  idBias[N_COLOURS] = 0.5; // nothing coloured chosen → id 9 ("something else")
  b.output("id_logits", b.add(b.node("MatMul", [newRow1, b.constFloat(idW, [D_MODEL, config.maxObjects])]), b.constFloat(idBias, [1, config.maxObjects])), [1, config.maxObjects]);
  return b.toBytes();
}

/**
 * Writes the generated model set into `dir` (created; files replaced atomically one by one) and returns its config.
 */
export async function generateBuiltinModel(dir: string, opts: GenerateOptions = {}): Promise<BuiltinConfig> {
  const config = generatedConfig(opts);
  if (config.maxObjects <= N_COLOURS) throw new Error("unreachable: id classes must exceed the colour count");
  const vocab = generatedVocab(config);
  await mkdir(dir, { recursive: true });
  const files: [string, Uint8Array | string][] = [
    [MODEL_FILES.vision, visionGraph(config)],
    [MODEL_FILES.query, queryGraph(config, vocab)],
    [MODEL_FILES.step, stepGraph(config, vocab)],
    [MODEL_FILES.vocab, JSON.stringify(vocab, null, 1) + "\n"],
    // config.json last: a directory with a config is complete.
    [MODEL_FILES.config, JSON.stringify(config, null, 2) + "\n"],
  ];
  for (const [name, data] of files) {
    const tmp = path.join(dir, `.${name}.tmp`);
    try {
      await writeFile(tmp, data);
      await rename(tmp, path.join(dir, name));
    } finally {
      await rm(tmp, { force: true });
    }
  }
  return config;
}

// `node --import tsx inference/builtin/generate-model.ts [dir] [--pool N]`: writes the model (default models/builtin).
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const poolAt = args.indexOf("--pool");
  const pool = poolAt >= 0 ? Number(args.splice(poolAt, 2)[1]) : undefined;
  const dir = args[0] ?? path.join("models", "builtin");
  generateBuiltinModel(dir, { pool }).then(
    (c) => console.log(`[builtin] wrote generated model ${c.version} to ${dir}`),
    (e: unknown) => {
      console.error(`[builtin] cannot generate the model: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
