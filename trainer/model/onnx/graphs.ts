// MolmoPoint-Tiny's three contract graphs (inference/builtin/contract.ts) written from its parameters with the
// project's ONNX GraphBuilder. The math is trainer/model/ARCHITECTURE.md, the same as the jax-js model; the parity
// test (test/trainer/export) runs both on the same weights. Shapes are dynamic in n_frames / n_tokens / n_query /
// state_len, so one export serves every video length and query.
import { GraphBuilder } from "../../../lib/onnx/graph-builder";
import { buildVideoGrid } from "../../../lib/grounding";
import type { HostTensor } from "../../ml/safetensors";
import type { TinyConfig } from "../config";

/** Opset 20: LayerNormalization (17), Gelu with approximate="tanh" (20). onnxruntime-node 1.30 runs it. */
export const EXPORT_OPSET = 20;
const LN_EPS = 1e-5;

/** The TinyConfig sizes the graphs need (everything else, e.g. the vocabulary size, comes from the tensor shapes). */
export type GraphDims = Pick<TinyConfig, "cropSize" | "patchSize" | "pool" | "maxFrames" | "dVit" | "dModel" | "heads" | "visionLayers" | "decoderLayers" | "patchDim" | "maxObjects"> & Partial<Pick<TinyConfig, "prefixKeyBias" | "patchStem">>;

/** A parameter by its ARCHITECTURE.md name (row-major values and shape, as in the safetensors checkpoint). */
export type ParamLookup = (name: string) => HostTensor;

/** ViT grid side, tokens per frame, cells per token, and the per-frame pooling table from lib/grounding. */
export function poolingGeometry(d: Pick<GraphDims, "cropSize" | "patchSize" | "pool">): { grid: number; tokensPerFrame: number; cells: number; table: Int32Array } {
  // One frame of lib/grounding's video grid: its token_pooling rows are the per-frame windows (cells row-major,
  // -1 for padding), the same table for every frame up to the frame offset.
  const g = buildVideoGrid(d.cropSize, d.cropSize, [0], { cropSize: d.cropSize, patchSize: d.patchSize, pool: d.pool });
  return { grid: g.mapH, tokensPerFrame: g.tokensPerFrame, cells: g.cells, table: g.tokenPooling };
}

class TinyGraph {
  readonly b: GraphBuilder;
  /** One initializer per parameter, however often the graph reads it (e.g. ln1/Wk/Wv on image and query rows). */
  private readonly consts = new Map<string, string>();
  constructor(
    name: string,
    readonly d: GraphDims,
    readonly p: ParamLookup,
  ) {
    this.b = new GraphBuilder(name, { opset: EXPORT_OPSET, producerName: "groundtrack-trainer-export" });
  }

  param(name: string): string {
    let c = this.consts.get(name);
    if (c === undefined) {
      const t = this.p(name);
      c = this.b.constFloat(t.data, [...t.shape]);
      this.consts.set(name, c);
    }
    return c;
  }

  /** `x·W + b` with the named weight and bias parameters. */
  linear(x: string, w: string, bias: string): string {
    return this.b.add(this.b.matmul(x, this.param(w)), this.param(bias));
  }

  layerNorm(x: string, prefix: string): string {
    return this.b.node("LayerNormalization", [x, this.param(`${prefix}.g`), this.param(`${prefix}.b`)], { axis: -1, epsilon: { float: LN_EPS } });
  }

  /** `[S, dModel] → [heads, S, dh]` (or `[heads, dh, S]` when `keysT`): heads are contiguous dh-chunks. */
  splitHeads(x: string, keysT = false): string {
    const { heads, dModel } = this.d;
    return this.b.transpose(this.b.reshape(x, [-1, heads, dModel / heads]), keysT ? [1, 2, 0] : [1, 0, 2]);
  }

  /**
   * Multi-head attention of queries `q` ([S, d], projected) over keys/values `k`, `v` ([K, d], projected), an
   * optional additive mask `[S, K]` (0 or −1e9), then the output projection of `<prefix>`.
   */
  attend(q: string, k: string, v: string, prefix: string, mask?: string): string {
    const { b } = this;
    const dh = this.d.dModel / this.d.heads;
    let scores = b.mul(b.matmul(this.splitHeads(q), this.splitHeads(k, true)), b.scalar(1 / Math.sqrt(dh))); // [H,S,K]
    if (mask) scores = b.add(scores, mask);
    const probs = b.node("Softmax", [scores], { axis: -1 });
    const o = b.reshape(b.transpose(b.matmul(probs, this.splitHeads(v)), [1, 0, 2]), [-1, this.d.dModel]); // [S,d]
    return this.linear(o, `${prefix}.Wo`, `${prefix}.bo`);
  }

  /** tanh-approximate GELU, as trainer/ml/layers `gelu`. */
  gelu(x: string): string {
    return this.b.node("Gelu", [x], { approximate: "tanh" });
  }

  mlp(x: string, prefix: string): string {
    return this.linear(this.gelu(this.linear(x, `${prefix}.W1`, `${prefix}.b1`)), `${prefix}.W2`, `${prefix}.b2`);
  }

  /** Pre-LN self-attention block: `x += attn(ln1 x)`, `x += mlp(ln2 x)`. */
  block(x: string, prefix: string, mask?: string): string {
    const { b } = this;
    const xn = this.layerNorm(x, `${prefix}.ln1`);
    const q = this.linear(xn, `${prefix}.attn.Wq`, `${prefix}.attn.bq`);
    const k = this.linear(xn, `${prefix}.attn.Wk`, `${prefix}.attn.bk`);
    const v = this.linear(xn, `${prefix}.attn.Wv`, `${prefix}.attn.bv`);
    const h = b.add(x, this.attend(q, k, v, `${prefix}.attn`, mask));
    return b.add(h, this.mlp(this.layerNorm(h, `${prefix}.ln2`), `${prefix}.mlp`));
  }
}

/** vision.onnx: frames `[n_frames, 3, S, S]` → image_tokens, patch_keys, no_more_points_key, subpatch_keys/_features. */
export function visionGraph(d: GraphDims, p: ParamLookup): Uint8Array {
  const t = new TinyGraph("vision", d, p);
  const { b } = t;
  const P = d.patchSize;
  const { grid: G, tokensPerFrame, cells, table } = poolingGeometry(d);
  const frames = b.input("frames", ["n_frames", 3, d.cropSize, d.cropSize]);
  // ViT patch embedding of the CHW crop, patch pixels flattened (c, py, px): [T,3,G,P,G,P] → [T,G,G,3,P,P].
  const patches = b.reshape(b.transpose(b.reshape(frames, [-1, 3, G, P, G, P]), [0, 2, 4, 1, 3, 5]), [-1, G * G, 3 * P * P]);
  const embedIn = d.patchStem ? t.gelu(t.linear(patches, "vit.stem.W", "vit.stem.b")) : patches; // optional nonlinear stem
  const vit = b.add(t.linear(embedIn, "vit.patch.W", "vit.patch.b"), t.param("vit.pos")); // [T, G², dVit]
  // Pooling windows: gather the cells of every token of a frame (the same per-frame table for every frame).
  // TinyConfig requires pool | grid, so no window hangs over the grid (lib/grounding would mark such cells −1).
  if (table.some((v) => v < 0)) throw new RangeError(`ViT grid ${G} is not a multiple of pool ${d.pool}: padded pooling windows are not part of MolmoPoint-Tiny`);
  const idx = b.constInt(Array.from(table), [tokensPerFrame, cells]);
  const cellFeat = b.gather(vit, idx, 1); // [T, tpf, C, dVit]
  const cellsN = b.reshape(cellFeat, [-1, cells, d.dVit]); // [N, C, dVit]
  const pooled = t.linear(b.reshape(cellFeat, [-1, tokensPerFrame, cells * d.dVit]), "conn.W", "conn.b"); // [T, tpf, dModel]
  // Learned frame (first n_frames rows) and in-frame token embeddings.
  const nFrames = b.shape(frames, 0, 1);
  const frameEmb = b.unsqueeze(b.sliceDynamic(t.param("vis.frame"), 0, b.constInt([0]), nFrames), [1]); // [T,1,dModel]
  let x = b.reshape(b.add(b.add(pooled, frameEmb), t.param("vis.tok")), [-1, d.dModel]); // [N, dModel]
  for (let i = 0; i < d.visionLayers; i++) x = t.block(x, `vis.L${i}`); // bidirectional over every image token
  const imageTokens = t.layerNorm(x, "vis.lnf");
  b.output("image_tokens", imageTokens, ["n_tokens", d.dModel]);
  b.output("patch_keys", t.linear(imageTokens, "patchk.W", "patchk.b"), ["n_tokens", d.patchDim]);
  b.output("no_more_points_key", t.param("nomore"), [1, d.patchDim]);
  b.output("subpatch_keys", t.linear(cellsN, "subk.W", "subk.b"), ["n_tokens", cells, d.patchDim]);
  b.output("subpatch_features", t.linear(cellsN, "subemb.W", "subemb.b"), ["n_tokens", cells, d.dModel]);
  return b.toBytes();
}

/** Decoder K and V of normalised inputs at layer j. */
function keyValue(t: TinyGraph, xn: string, j: number): [string, string] {
  return [t.linear(xn, `dec.L${j}.attn.Wk`, `dec.L${j}.attn.bk`), t.linear(xn, `dec.L${j}.attn.Wv`, `dec.L${j}.attn.bv`)];
}

/**
 * query.onnx: query_ids `[n_query]` + image_tokens `[n_tokens, dModel]` → state `[n_tokens + n_query, 2·L·dModel]`,
 * rows `[K_0 | V_0 | K_1 | V_1 | …]`: the image prefix (frozen at every layer), then the query positions.
 */
export function queryGraph(d: GraphDims, p: ParamLookup): Uint8Array {
  const t = new TinyGraph("query", d, p);
  const { b } = t;
  const ids = b.input("query_ids", ["n_query"], "int64");
  const image = b.input("image_tokens", ["n_tokens", d.dModel]);
  let x = b.gather(t.param("dec.emb"), ids, 0); // [nq, dModel]
  // Query position i sees every image token and query positions ≤ i: column c allowed iff c ≤ i + n_tokens.
  const nq = b.shape(ids, 0, 1);
  const nTok = b.shape(image, 0, 1);
  const ones = b.node("Expand", [b.constFloat([1], [1, 1]), b.concat([nq, b.add(nq, nTok)], 0)]);
  const allowed = b.node("Trilu", [ones, b.node("Squeeze", [nTok])], { upper: 0 });
  const mask = b.mul(b.sub(allowed, b.scalar(1)), b.scalar(1e9));
  const imageRows: string[] = [];
  const queryRows: string[] = [];
  for (let j = 0; j < d.decoderLayers; j++) {
    const pre = `dec.L${j}`;
    const [kImg0, vImg] = keyValue(t, t.layerNorm(image, `${pre}.ln1`), j);
    const kImg = d.prefixKeyBias ? b.add(kImg0, t.param(`${pre}.imgk`)) : kImg0;
    const xn = t.layerNorm(x, `${pre}.ln1`);
    const [k, v] = keyValue(t, xn, j);
    imageRows.push(kImg, vImg);
    queryRows.push(k, v);
    // The last layer's output is not needed: the state holds only K/V.
    if (j === d.decoderLayers - 1) break;
    const q = t.linear(xn, `${pre}.attn.Wq`, `${pre}.attn.bq`);
    const h = b.add(x, t.attend(q, b.concat([kImg, k], 0), b.concat([vImg, v], 0), `${pre}.attn`, mask));
    x = b.add(h, t.mlp(t.layerNorm(h, `${pre}.ln2`), `${pre}.mlp`));
  }
  const state = b.concat([b.concat(imageRows, 1), b.concat(queryRows, 1)], 0);
  b.output("state", state, ["state_len", 2 * d.decoderLayers * d.dModel]);
  return b.toBytes();
}

/**
 * step.onnx: one decoder position. Embedding `dec.emb[token_id] + token_embedding`, each layer attends over the
 * state's K/V rows and its own; heads on `dec.lnf`; `state_out = concat(state, new row)`.
 */
export function stepGraph(d: GraphDims, p: ParamLookup): Uint8Array {
  const t = new TinyGraph("step", d, p);
  const { b } = t;
  const stateDim = 2 * d.decoderLayers * d.dModel;
  const state = b.input("state", ["state_len", stateDim]);
  const token = b.input("token_id", [1], "int64");
  const emb = b.input("token_embedding", [1, d.dModel]);
  let x = b.add(b.gather(t.param("dec.emb"), token, 0), emb); // [1, dModel]
  const row: string[] = [];
  for (let j = 0; j < d.decoderLayers; j++) {
    const pre = `dec.L${j}`;
    const xn = t.layerNorm(x, `${pre}.ln1`);
    const q = t.linear(xn, `${pre}.attn.Wq`, `${pre}.attn.bq`);
    const [k, v] = keyValue(t, xn, j);
    row.push(k, v);
    const at = 2 * j * d.dModel;
    const kAll = b.concat([b.slice(state, 1, at, at + d.dModel), k], 0);
    const vAll = b.concat([b.slice(state, 1, at + d.dModel, at + 2 * d.dModel), v], 0);
    const h = b.add(x, t.attend(q, kAll, vAll, `${pre}.attn`));
    x = b.add(h, t.mlp(t.layerNorm(h, `${pre}.ln2`), `${pre}.mlp`));
  }
  const xf = t.layerNorm(x, "dec.lnf");
  b.output("patch_query", t.linear(xf, "head.pq.W", "head.pq.b"), [1, d.patchDim]);
  b.output("subpatch_query", t.linear(xf, "head.sq.W", "head.sq.b"), [1, d.patchDim]);
  b.output("location_logits", t.linear(xf, "head.loc.W", "head.loc.b"), [1, 9]);
  b.output("id_logits", t.linear(xf, "head.id.W", "head.id.b"), [1, d.maxObjects]);
  b.output("state_out", b.concat([state, b.concat(row, 1)], 0), ["state_len_out", stateDim]);
  return b.toBytes();
}
