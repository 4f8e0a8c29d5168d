// MolmoPoint-Tiny forward pass in jax (ARCHITECTURE.md): the vision encoder (patch embedding, 2×2 pooling by
// reshape in lib/grounding buildVideoGrid token order, a bidirectional transformer over the video's tokens), the
// causal NoPE decoder whose every layer also attends to the frozen image prefix, the four heads, rotary patch
// logits with the no-more-points class, and the masked cross-entropies. One fixed padded batch shape per jit.
import { attention, crossEntropySum, gelu, layerNorm, linear, rotary } from "../ml/layers";
import { jax, nn, np, type Tensor } from "../ml/runtime";
import { TOKEN_ATTRIBUTE_SPLITS } from "../data/token-labels";
import { tinyGeometry, type TinyConfig } from "./config";

/** Parameters as jax arrays (ARCHITECTURE.md names). Model functions never consume them. */
export type Params = Record<string, Tensor>;

export function param(params: Params, name: string): Tensor {
  const t = params[name];
  if (!t) throw new Error(`MolmoPoint-Tiny: missing parameter '${name}'`);
  return t.ref;
}

/** Pre-LN transformer block's MLP half input → output (no residual). */
function mlp(params: Params, p: string, x: Tensor): Tensor {
  return linear(gelu(linear(x, param(params, `${p}.mlp.W1`), param(params, `${p}.mlp.b1`))), param(params, `${p}.mlp.W2`), param(params, `${p}.mlp.b2`));
}

function ln(params: Params, p: string, x: Tensor): Tensor {
  return layerNorm(x, param(params, `${p}.g`), param(params, `${p}.b`));
}

function proj(params: Params, p: string, k: "q" | "k" | "v" | "o", x: Tensor): Tensor {
  return linear(x, param(params, `${p}.attn.W${k}`), param(params, `${p}.attn.b${k}`));
}

/** Vision outputs for a batch of videos with the same frame count. */
export interface VisionOut {
  /** `[B, N, dModel]` */
  imageTokens: Tensor;
  /** `[B, N, patchDim]` unrotated */
  patchKeys: Tensor;
  /** `[B, N, C, patchDim]` */
  subpatchKeys: Tensor;
  /** `[B, N, C, dModel]` */
  subpatchFeatures: Tensor;
}

/**
 * frames `[B, F, 3, S, S]` (preprocessed) → vision outputs. Patch pixels are flattened (c, py, px); tokens are
 * frame-major, row-major windows, cells row-major (dh, dw) — buildVideoGrid's order (tested against its table).
 */
export function vision(params: Params, c: TinyConfig, frames: Tensor): VisionOut {
  const [B, F] = frames.shape;
  const g = tinyGeometry(c);
  const G = g.grid;
  const P = c.patchSize;
  const T = g.tokensPerSide;
  const C = g.cells;
  const N = F * g.tokensPerFrame;
  const patches = frames.reshape([B * F, 3, G, P, G, P]).transpose([0, 2, 4, 1, 3, 5]).reshape([B * F, G, G, g.patchPixels]);
  const embedIn = c.patchStem > 0 ? gelu(linear(patches, param(params, "vit.stem.W"), param(params, "vit.stem.b"))) : patches;
  const vit = linear(embedIn, param(params, "vit.patch.W"), param(params, "vit.patch.b")).add(param(params, "vit.pos").reshape([G, G, c.dVit]));
  // [B·F, Ty, dh, Tx, dw, dVit] → [B·F, Ty, Tx, dh, dw, dVit]: windows row-major, cells (dh, dw) row-major.
  const pooled = vit.reshape([B * F, T, c.pool, T, c.pool, c.dVit]).transpose([0, 1, 3, 2, 4, 5]).reshape([B, N, C, c.dVit]);
  let x = linear(pooled.ref.reshape([B, N, C * c.dVit]), param(params, "conn.W"), param(params, "conn.b"));
  const frameEmb = np.split(param(params, "vis.frame"), [F], 0)[0];
  x = x
    .reshape([B, F, g.tokensPerFrame, c.dModel])
    .add(frameEmb.reshape([F, 1, c.dModel]))
    .add(param(params, "vis.tok"))
    .reshape([B, N, c.dModel]);
  for (let i = 0; i < c.visionLayers; i++) {
    const p = `vis.L${i}`;
    const h = ln(params, `${p}.ln1`, x.ref);
    const a = attention(proj(params, p, "q", h.ref), proj(params, p, "k", h.ref), proj(params, p, "v", h), c.heads, null);
    x = x.add(proj(params, p, "o", a));
    x = x.ref.add(mlp(params, p, ln(params, `${p}.ln2`, x)));
  }
  const imageTokens = ln(params, "vis.lnf", x);
  const patchKeys = linear(imageTokens.ref, param(params, "patchk.W"), param(params, "patchk.b"));
  const subpatchKeys = linear(pooled.ref, param(params, "subk.W"), param(params, "subk.b"));
  const subpatchFeatures = linear(pooled, param(params, "subemb.W"), param(params, "subemb.b"));
  return { imageTokens, patchKeys, subpatchKeys, subpatchFeatures };
}

/** Each video's vision outputs repeated for the R = B / videos rows that share it (rows of a video are consecutive). */
function repeatRows(v: VisionOut, B: number): VisionOut {
  const V = v.imageTokens.shape[0];
  if (V === B) return v;
  if (B % V !== 0) throw new RangeError(`batch of ${B} rows cannot share ${V} videos evenly`);
  const R = B / V;
  const rep = (t: Tensor) => {
    const [, ...rest] = t.shape;
    return np.broadcastTo(t.reshape([V, 1, ...rest]), [V, R, ...rest]).reshape([B, ...rest]);
  };
  return { imageTokens: rep(v.imageTokens), patchKeys: rep(v.patchKeys), subpatchKeys: rep(v.subpatchKeys), subpatchFeatures: rep(v.subpatchFeatures) };
}

/** Per decoder layer, the K and V rows of the frozen image prefix: `ln1_j(image_tokens)·W + b`. */
export function imagePrefixKV(params: Params, c: TinyConfig, imageTokens: Tensor): Array<{ k: Tensor; v: Tensor }> {
  const out: Array<{ k: Tensor; v: Tensor }> = [];
  for (let j = 0; j < c.decoderLayers; j++) {
    const p = `dec.L${j}`;
    const n = ln(params, `${p}.ln1`, imageTokens.ref);
    const k = proj(params, p, "k", n.ref);
    out.push({ k: c.prefixKeyBias ? k.add(param(params, `${p}.imgk`)) : k, v: proj(params, p, "v", n) });
  }
  imageTokens.dispose();
  return out;
}

/**
 * Decoder layers over new positions `x` `[B, S, d]` that attend to cached K/V rows `[B, Lc, d]` per layer (the image
 * prefix, then earlier positions) and to themselves under `bias` `[B|1, 1, S, Lc + S]`. Returns the final-LN
 * output and each layer's K/V rows of the new positions (the decoder state rows).
 */
export function decoderLayers(params: Params, c: TinyConfig, cache: Array<{ k: Tensor; v: Tensor }>, x: Tensor, bias: Tensor | null): { out: Tensor; rows: Array<{ k: Tensor; v: Tensor }> } {
  const rows: Array<{ k: Tensor; v: Tensor }> = [];
  for (let j = 0; j < c.decoderLayers; j++) {
    const p = `dec.L${j}`;
    const h = ln(params, `${p}.ln1`, x.ref);
    const k = proj(params, p, "k", h.ref);
    const v = proj(params, p, "v", h.ref);
    rows.push({ k: k.ref, v: v.ref });
    const kAll = np.concatenate([cache[j].k, k], 1);
    const vAll = np.concatenate([cache[j].v, v], 1);
    const a = attention(proj(params, p, "q", h), kAll, vAll, c.heads, bias === null ? null : bias.ref);
    x = x.add(proj(params, p, "o", a));
    x = x.ref.add(mlp(params, p, ln(params, `${p}.ln2`, x)));
  }
  bias?.dispose();
  return { out: ln(params, "dec.lnf", x), rows };
}

/** The four heads on final decoder states `[..., d]`. */
export function heads(params: Params, x: Tensor, which: "pq" | "sq" | "loc" | "id"): Tensor {
  return linear(x, param(params, `head.${which}.W`), param(params, `head.${which}.b`));
}

/**
 * A padded teacher-forcing batch (host arrays are built by trainer/data). Pm = points + 1 slots (the last valid
 * slot of an example is its no-more-points target); the decoder input is Q query slots then 4·Pm target slots:
 * slot 4k feeds <bos> (k = 0) or the previous point's <obj_id> and predicts point k's patch; 4k+1 feeds
 * <|token_index|> + image_tokens[p_k] → subpatch; 4k+2 feeds <|vit_index|> + subpatch_features[p_k, s_k] →
 * location; 4k+3 feeds <|vit_loc|> → object id.
 */
export interface TrainBatch {
  /** `[B / R, F, 3, S, S]`: video u serves rows u·R … u·R+R−1 (R = 1: one video per row). */
  frames: Tensor;
  /** `[B, Q + 4·Pm, V]` one-hot fed tokens (zero rows on padding). */
  tokens: Tensor;
  /** `[B, 1, Q + 4·Pm, N + Q + 4·Pm]` additive: 0 where allowed (image prefix; valid causal positions), −1e9 else. */
  attnBias: Tensor;
  /** `[B, Pm, N]` one-hot patch of point k (zero rows for the terminator and padding). */
  pointSel: Tensor;
  /** `[B, Pm, C]` one-hot subpatch of point k (the subpatch labels). */
  cellSel: Tensor;
  /** `[B, Pm, D]` rotary tables of the patch query of slot k (position = previous point's patch, 0 first). */
  qCos: Tensor;
  qSin: Tensor;
  /** `[N, D]` rotary tables of the keys (position = token index). */
  kCos: Tensor;
  kSin: Tensor;
  /** `[B, Pm, N + 1]` additive patch mask (patches before the previous point's patch banned). */
  patchBias: Tensor;
  /** `[B, Pm, N + 1]`, `[B, Pm, 9]`, `[B, Pm, maxObjects]` one-hot labels (zero rows where no target). */
  patchLabels: Tensor;
  locLabels: Tensor;
  idLabels: Tensor;
  /** `[4]` number of targets of each head in the batch (patch, subpatch, location, id), each ≥ 1. */
  counts: Tensor;
  /** Config semAux > 0: `[B / R, N, ΣK]` one-hot token attribute labels (one block per attribute, zero: none)… */
  semLabels?: Tensor;
  /** …and `[attributes]` labelled tokens per attribute, each ≥ 1. */
  semCounts?: Tensor;
}

/** Logits of the four heads for a batch: `[B, Pm, N+1]`, `[B, Pm, C]`, `[B, Pm, 9]`, `[B, Pm, maxObjects]`. */
export interface HeadLogits {
  patch: Tensor;
  subpatch: Tensor;
  location: Tensor;
  id: Tensor;
  /** `[B, Pm, N]` training-only binding logits (config `bindAux` > 0), else null. */
  bind: Tensor | null;
  /** `[B / R, N, ΣK]` training-only token attribute logits (config `semAux` > 0), else null. */
  sem: Tensor | null;
}

/** Teacher-forced forward to the masked head logits (patch mask applied). Consumes the batch. */
export function forwardLogits(params: Params, c: TinyConfig, batch: Omit<TrainBatch, "patchLabels" | "locLabels" | "idLabels" | "counts" | "semLabels" | "semCounts">): HeadLogits {
  const B = batch.tokens.shape[0];
  const perVideo = vision(params, c, batch.frames);
  // Training-only: every image token's category / colour / size logits (aux.sem), once per video.
  const sem = c.semAux > 0 ? linear(perVideo.imageTokens.ref, param(params, "aux.sem.W"), param(params, "aux.sem.b")) : null;
  const vis = repeatRows(perVideo, B);
  const N = vis.imageTokens.shape[1];
  const g = tinyGeometry(c);
  const C = g.cells;
  const d = c.dModel;
  const D = c.patchDim;
  const L = batch.tokens.shape[1];
  const Pm = batch.pointSel.shape[1];
  const Q = L - 4 * Pm;
  // Fed-token embeddings + the contract's token_embedding (image token / subpatch feature of the chosen patch).
  const emb = np.matmul(batch.tokens, param(params, "dec.emb"));
  const imgSel = np.matmul(batch.pointSel.ref, vis.imageTokens.ref);
  const subAll = np.matmul(batch.pointSel.ref, vis.subpatchFeatures.reshape([B, N, C * d])).reshape([B, Pm, C, d]);
  const subSel = subAll.mul(batch.cellSel.ref.reshape([B, Pm, C, 1])).sum(2);
  const zeros = np.zeros([B, Pm, 1, d]);
  const extraT = np.concatenate([zeros.ref, imgSel.reshape([B, Pm, 1, d]), subSel.reshape([B, Pm, 1, d]), zeros], 2).reshape([B, 4 * Pm, d]);
  const extra = np.concatenate([np.zeros([B, Q, d]), extraT], 1);
  const x = emb.add(extra);
  const prefix = imagePrefixKV(params, c, vis.imageTokens);
  const { out, rows } = decoderLayers(params, c, prefix, x, batch.attnBias);
  for (const r of rows) {
    r.k.dispose();
    r.v.dispose();
  }
  const xt = np.split(out, [Q], 1)[1].reshape([B, Pm, 4, d]);
  const [x0, x1, x2, x3] = np.split(xt, 4, 2).map((t) => t.reshape([B, Pm, d]));
  const norm = 1 / Math.sqrt(D);
  // <PATCH>: rot(q, m_prev)·rot(k_n, n)/sqrt(D), then the unrotated no-more-points key as class N.
  // Training-only binding scores (config bindAux): aux.bind(x)·patch_key_n/sqrt(D) + c, unrotated.
  const bind = c.bindAux > 0
    ? np.matmul(linear(x0.ref, param(params, "aux.bind.W"), param(params, "aux.bind.b")), vis.patchKeys.ref.transpose([0, 2, 1])).mul(norm).add(param(params, "aux.bind.c"))
    : null;
  const qr = rotary(heads(params, x0, "pq"), batch.qCos, batch.qSin);
  const kr = rotary(vis.patchKeys, batch.kCos, batch.kSin);
  const toks = np.matmul(qr.ref, kr.transpose([0, 2, 1]));
  const noMore = np.matmul(qr, param(params, "nomore").transpose([1, 0]));
  const patch = np.concatenate([toks, noMore], 2).mul(norm).add(batch.patchBias);
  // <SUBPATCH>: q_s·subpatch_keys[p_k, c]/sqrt(D) over the cells of the target patch.
  const qs = heads(params, x1, "sq").reshape([B, Pm, 1, D]);
  const sk = np.matmul(batch.pointSel, vis.subpatchKeys.reshape([B, N, C * D])).reshape([B, Pm, C, D]);
  const subpatch = sk.mul(qs).sum(3).mul(norm);
  batch.cellSel.dispose();
  return { patch, subpatch, location: heads(params, x2, "loc"), id: heads(params, x3, "id"), bind, sem };
}

/**
 * The paper's loss: per head, the mean cross-entropy over its targets in the batch (4 values, summed by `loss`).
 * With `bindAux` > 0 a 5th value: bindAux × the binding loss (sigmoid cross-entropy per image token, mean over
 * tokens and <PATCH> slots; positives = tokens holding any point of the example).
 */
export function lossParts(params: Params, c: TinyConfig, batch: TrainBatch): Tensor {
  const { patchLabels, locLabels, idLabels, counts } = batch;
  const subLabels = batch.cellSel.ref;
  const member = c.bindAux > 0 ? np.clip(batch.pointSel.ref.sum(1, { keepdims: true }), 0, 1) : null;
  const slots = c.bindAux > 0 ? patchLabels.ref.sum(2, { keepdims: true }) : null;
  const logits = forwardLogits(params, c, batch);
  const parts = [
    crossEntropySum(logits.patch, patchLabels),
    crossEntropySum(logits.subpatch, subLabels),
    crossEntropySum(logits.location, locLabels),
    crossEntropySum(logits.id, idLabels),
  ];
  const main = np.stack(parts).div(counts);
  const out = [main];
  if (logits.bind && member && slots) {
    const N = logits.bind.shape[2];
    // softplus(s) − y·s = −[y·log σ(s) + (1−y)·log(1−σ(s))], on valid <PATCH> slots only.
    const bce = nn.softplus(logits.bind.ref).sub(logits.bind.mul(member)).mul(slots.ref).sum();
    out.push(bce.div(slots.sum().mul(N)).mul(c.bindAux).reshape([1]));
  }
  if (logits.sem) {
    if (!batch.semLabels || !batch.semCounts) throw new Error("config semAux > 0 needs semLabels and semCounts in the batch");
    // Mean cross-entropy over the labelled tokens of each attribute, summed over attributes, times semAux.
    const groups = np.split(logits.sem, [...TOKEN_ATTRIBUTE_SPLITS], 2);
    const labels = np.split(batch.semLabels, [...TOKEN_ATTRIBUTE_SPLITS], 2);
    const ce = np.stack(groups.map((g, i) => crossEntropySum(g, labels[i]))).div(batch.semCounts);
    out.push(ce.sum().mul(c.semAux).reshape([1]));
  }
  return out.length === 1 ? main : np.concatenate(out, 0);
}

/**
 * What a training step differentiates: the loss (the sum of lossParts), the parts themselves as aux (for the
 * per-head curves), and the gradients. Consumes `params` (pass `jax.tree.ref(p)` to keep them).
 */
export function lossAndGrad(params: Params, c: TinyConfig, batch: TrainBatch): [[Tensor, Tensor], Params] {
  return jax.valueAndGrad((p: Params) => {
    const parts = lossParts(p, c, batch);
    return [parts.ref.sum(), parts] as [Tensor, Tensor];
  }, { hasAux: true })(params) as [[Tensor, Tensor], Params];
}

/** Scalar training loss. */
export function loss(params: Params, c: TinyConfig, batch: TrainBatch): Tensor {
  return lossParts(params, c, batch).sum();
}
