// The text-coordinate baseline of the ablation: MolmoPoint-Tiny's vision encoder and decoder (forward.ts, same
// sizes, same initial values for the same seed) with the grounding heads replaced by an ordinary LM head over the
// character/digit vocabulary of Molmo2 track text (text-baseline-vocab.ts). Trained with next-token cross-entropy
// on the answer string; decoded greedily (batched, with a fixed-size KV cache so one jit serves every step).
//
// The shared decoder is NoPE (no positions): grounding tokens do not need them (every slot's kind is in its input),
// but digit-by-digit text does: without them the 2-layer decoder did not learn to tell one number field from the
// next and fell into repeating one digit ("0.0 1 1 2 2 2 2 …" after 200 steps; no answer parsed). So the answer
// slots get parameter-free sinusoidal positions (Molmo2's Qwen decoder has rotary positions), at the scale of the
// token embeddings; the parameter count stays the same.
import { seededRandom } from "../../lib/random";
import { crossEntropySum, linear } from "../ml/layers";
import { jax, np, type Tensor } from "../ml/runtime";
import { tinyGeometry, type TinyConfig } from "./config";
import { decoderLayers, imagePrefixKV, param, vision, type Params } from "./forward";
import { initParams, paramShapes, type HostParams, type ParamShapes } from "./params";
import { TEXT_TOKEN, TEXT_VOCAB_SIZE, teacherForcing } from "./text-baseline-vocab";

/** Parameters only MolmoPoint's grounding heads use: `<PATCH>` keys, no-more-points key, subpatch keys/embedding, heads. */
export function isPointingOnly(name: string): boolean {
  return /^(patchk|subk|subemb|head)\./.test(name) || name === "nomore";
}

/** The baseline's parameters: MolmoPoint-Tiny's minus the pointing-only ones, plus `txt.emb` and the untied LM head. */
export function textBaselineParamShapes(c: TinyConfig, queryVocabSize: number): ParamShapes {
  const m: ParamShapes = new Map();
  for (const [k, s] of paramShapes(c, queryVocabSize)) if (!isPointingOnly(k)) m.set(k, s);
  m.set("txt.emb", [TEXT_VOCAB_SIZE, c.dModel]);
  m.set("txt.head.W", [c.dModel, TEXT_VOCAB_SIZE]);
  m.set("txt.head.b", [TEXT_VOCAB_SIZE]);
  return m;
}

/**
 * Initial parameters for `seed`: the shared ones are exactly MolmoPoint-Tiny's `initParams(c, V, seed)` (same
 * values, so both models of the ablation start from the same encoder and decoder); the text embedding and LM head
 * are N(0, 0.02) — the head N(0, 1/dModel) under `init: "fan-in"` — (bias 0) from a stream derived from the seed.
 */
export function initTextBaselineParams(c: TinyConfig, queryVocabSize: number, seed: number): HostParams {
  const shared = initParams(c, queryVocabSize, seed);
  const rnd = seededRandom((seed ^ 0x5bd1e995) >>> 0);
  const normal = () => Math.sqrt(-2 * Math.log(Math.max(rnd(), 1e-12))) * Math.cos(2 * Math.PI * rnd());
  const out: HostParams = new Map();
  for (const [name, shape] of textBaselineParamShapes(c, queryVocabSize)) {
    const t = shared.get(name);
    if (t) {
      out.set(name, t);
      continue;
    }
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    // Same rule as initParams: under "fan-in", matrices draw N(0, 1/fan_in), embedding tables N(0, 0.02).
    const std = c.init === "fan-in" && name.endsWith(".W") && shape.length === 2 ? 1 / Math.sqrt(shape[0]) : 0.02;
    if (name !== "txt.head.b") for (let i = 0; i < data.length; i++) data[i] = std * normal();
    out.set(name, { shape, data });
  }
  return out;
}

/**
 * `vision()` also computes the grounding keys, which the baseline has no use for: it is given these zero weights
 * (not parameters of the baseline: never trained, never counted) and the outputs are discarded.
 */
export function unusedVisionWeights(c: TinyConfig): HostParams {
  const out: HostParams = new Map();
  for (const [name, shape] of paramShapes(c, 1)) {
    if (/^(patchk|subk|subemb)\./.test(name)) out.set(name, { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
  }
  return out;
}

/** Per-dimension RMS of the answer positions: the N(0, 0.02) scale of the token embeddings they are added to. */
export const ANSWER_POSITION_RMS = 0.02;

/**
 * Sinusoidal positions `[T, d]` of answer slots 0…T−1 (slot 0 holds <bos>): dimension 2i is sin(t / 10000^(2i/d)),
 * 2i+1 the cosine, scaled to RMS `ANSWER_POSITION_RMS`.
 */
export function answerPositions(T: number, d: number): Float32Array {
  const out = new Float32Array(T * d);
  const scale = ANSWER_POSITION_RMS * Math.SQRT2;
  for (let t = 0; t < T; t++) {
    for (let i = 0; 2 * i < d; i++) {
      const angle = t / Math.pow(10000, (2 * i) / d);
      out[t * d + 2 * i] = scale * Math.sin(angle);
      if (2 * i + 1 < d) out[t * d + 2 * i + 1] = scale * Math.cos(angle);
    }
  }
  return out;
}

/** Image tokens `[B, N, d]` of preprocessed frames `[B, F, 3, S, S]` through MolmoPoint-Tiny's vision encoder. */
function imageTokens(params: Params, c: TinyConfig, frames: Tensor): Tensor {
  const v = vision(params, c, frames);
  v.patchKeys.dispose();
  v.subpatchKeys.dispose();
  v.subpatchFeatures.dispose();
  return v.imageTokens;
}

/** One example as the baseline sees it. */
export interface TextExample {
  id: string;
  /** Preprocessed frames `[F, 3, S, S]`. */
  frames: Float32Array;
  nFrames: number;
  /** tokenizeQuery ids (<bos> first), embedded with `dec.emb`. */
  queryIds: number[];
  /** Answer token ids (text-baseline-vocab `encodeAnswer`), without <bos>/<eos>. */
  answer: number[];
}

/**
 * Teacher-forcing batch. Decoder slots: Q query slots (`dec.emb`), then T answer slots (`txt.emb`) fed `<bos> a1 …
 * an` and predicting `a1 … an <eos>`; unused slots are padding (no key, no target).
 */
export interface TextBatch {
  /** `[B, F, 3, S, S]` */
  frames: Tensor;
  /** `[B, Q, Vq]` one-hot query tokens. */
  query: Tensor;
  /** `[B, T, Vt]` one-hot fed answer tokens. */
  answerIn: Tensor;
  /** `[B, 1, Q + T, N + Q + T]` additive: 0 where allowed (image prefix; valid causal slots), −1e9 else. */
  attnBias: Tensor;
  /** `[B, T, Vt]` one-hot next-token targets (zero rows on padding). */
  labels: Tensor;
  /** `[1]` number of targets in the batch (≥ 1). */
  count: Tensor;
}

export interface HostTextBatch {
  shapes: Record<keyof TextBatch, number[]>;
  arrays: Record<keyof TextBatch, Float32Array>;
  targets: number;
}

const NEG = -1e9;

/** Packs examples into exactly `batchSize` rows of answer length `maxAnswer` (+1 for <eos>); missing rows are padding. */
export function packTextBatch(examples: readonly TextExample[], c: TinyConfig, queryVocabSize: number, opts: { batchSize: number; nFrames: number; maxAnswer: number }): HostTextBatch {
  const g = tinyGeometry(c);
  const { batchSize: B, nFrames: F } = opts;
  if (examples.length > B) throw new RangeError(`${examples.length} examples exceed the batch size ${B}`);
  const S = c.cropSize;
  const N = F * g.tokensPerFrame;
  const Q = c.maxQueryTokens;
  const T = opts.maxAnswer + 1;
  const L = Q + T;
  const Vq = queryVocabSize;
  const Vt = TEXT_VOCAB_SIZE;
  const frame = 3 * S * S;
  const a = {
    frames: new Float32Array(B * F * frame),
    query: new Float32Array(B * Q * Vq),
    answerIn: new Float32Array(B * T * Vt),
    attnBias: new Float32Array(B * L * (N + L)),
    labels: new Float32Array(B * T * Vt),
    count: new Float32Array(1),
  };
  let targets = 0;
  for (let b = 0; b < B; b++) {
    const ex = examples[b];
    const valid = new Uint8Array(L);
    if (ex) {
      if (ex.nFrames !== F || ex.frames.length !== F * frame) throw new RangeError(`example ${ex.id} has ${ex.nFrames} frames (${ex.frames.length} values); the batch needs ${F}×3×${S}×${S}`);
      if (ex.queryIds.length < 1 || ex.queryIds.length > Q) throw new RangeError(`example ${ex.id}: ${ex.queryIds.length} query tokens (1…${Q} allowed)`);
      if (ex.answer.length > opts.maxAnswer) throw new RangeError(`example ${ex.id}: answer of ${ex.answer.length} tokens exceeds the batch's ${opts.maxAnswer}`);
      a.frames.set(ex.frames, b * F * frame);
      ex.queryIds.forEach((id, i) => {
        if (!Number.isInteger(id) || id < 0 || id >= Vq) throw new RangeError(`example ${ex.id}: query token ${id} outside the vocabulary (${Vq})`);
        a.query[(b * Q + i) * Vq + id] = 1;
        valid[i] = 1;
      });
      const { inputs, targets: next } = teacherForcing(ex.answer);
      inputs.forEach((id, t) => {
        if (!Number.isInteger(id) || id < 0 || id >= Vt) throw new RangeError(`example ${ex.id}: answer token ${id} outside the text vocabulary (${Vt})`);
        a.answerIn[(b * T + t) * Vt + id] = 1;
        a.labels[(b * T + t) * Vt + next[t]] = 1;
        valid[Q + t] = 1;
      });
      targets += next.length;
    }
    for (let i = 0; i < L; i++) {
      const row = (b * L + i) * (N + L) + N;
      for (let j = 0; j < L; j++) if (!(valid[j] && j <= i)) a.attnBias[row + j] = NEG;
    }
  }
  a.count[0] = Math.max(1, targets);
  const shapes = {
    frames: [B, F, 3, S, S],
    query: [B, Q, Vq],
    answerIn: [B, T, Vt],
    attnBias: [B, 1, L, N + L],
    labels: [B, T, Vt],
    count: [1],
  };
  return { shapes, arrays: a, targets };
}

export function textBatchToDevice(h: HostTextBatch): TextBatch {
  const out = {} as Record<keyof TextBatch, Tensor>;
  for (const k of Object.keys(h.arrays) as (keyof TextBatch)[]) out[k] = np.array(h.arrays[k], { shape: h.shapes[k] });
  return out as TextBatch;
}

/** Teacher-forced next-token logits `[B, T, Vt]`. Consumes the batch tensors it uses (not `labels`/`count`). */
export function textLogits(params: Params, c: TinyConfig, batch: Pick<TextBatch, "frames" | "query" | "answerIn" | "attnBias">): Tensor {
  const prefix = imagePrefixKV(params, c, imageTokens(params, c, batch.frames));
  const Q = batch.query.shape[1];
  const T = batch.answerIn.shape[1];
  const positions = np.array(answerPositions(T, c.dModel), { shape: [1, T, c.dModel] });
  const x = np.concatenate([np.matmul(batch.query, param(params, "dec.emb")), np.matmul(batch.answerIn, param(params, "txt.emb")).add(positions)], 1);
  const { out, rows } = decoderLayers(params, c, prefix, x, batch.attnBias);
  for (const r of rows) {
    r.k.dispose();
    r.v.dispose();
  }
  const answer = np.split(out, [Q], 1)[1];
  return linear(answer, param(params, "txt.head.W"), param(params, "txt.head.b"));
}

/** Mean next-token cross-entropy over the answer targets of the batch (+ <eos>). Consumes the batch. */
export function textLoss(params: Params, c: TinyConfig, batch: TextBatch): Tensor {
  const { labels, count } = batch;
  return crossEntropySum(textLogits(params, c, batch), labels).div(count.reshape([]));
}

/** Greedy decoding state of a batch: per layer K and V rows `[B, N + Q + Tmax, d]` (answer slots zero until written). */
type DecodeCache = {
  k: Tensor[];
  v: Tensor[];
};

/** Prefill: image prefix + query rows, answer slots zero. */
function prefill(params: Params, c: TinyConfig, frames: Tensor, query: Tensor, queryBias: Tensor, tMax: number): DecodeCache {
  const prefix = imagePrefixKV(params, c, imageTokens(params, c, frames));
  const x = np.matmul(query, param(params, "dec.emb"));
  const [B] = x.shape;
  const keep = prefix.map((p) => ({ k: p.k.ref, v: p.v.ref }));
  const { out, rows } = decoderLayers(params, c, prefix, x, queryBias);
  out.dispose();
  const zeros = () => np.zeros([B, tMax, c.dModel]);
  return {
    k: keep.map((p, j) => np.concatenate([p.k, rows[j].k, zeros()], 1)),
    v: keep.map((p, j) => np.concatenate([p.v, rows[j].v, zeros()], 1)),
  };
}

/**
 * One decoding step for every row: feeds token one-hots `[B, 1, Vt]` at answer slot t (its K/V row is written
 * where `slot` `[1, Lc, 1]` is 1; `position` `[1, 1, d]` is slot t's row of `answerPositions`), attending to the
 * cache under `bias` `[B, 1, 1, Lc + 1]` (the last column is the new position itself). Returns next-token logits
 * `[B, Vt]` and the updated cache. Consumes everything but params.
 */
function decodeStep(params: Params, c: TinyConfig, cache: DecodeCache, token: Tensor, bias: Tensor, slot: Tensor, position: Tensor): { logits: Tensor; cache: DecodeCache } {
  const x = np.matmul(token, param(params, "txt.emb")).add(position);
  const [B] = x.shape;
  const layers = cache.k.map((k, j) => ({ k: k.ref, v: cache.v[j].ref }));
  const { out, rows } = decoderLayers(params, c, layers, x, bias);
  const logits = linear(out, param(params, "txt.head.W"), param(params, "txt.head.b")).reshape([B, TEXT_VOCAB_SIZE]);
  const k = cache.k.map((old, j) => old.add(rows[j].k.mul(slot.ref)));
  const v = cache.v.map((old, j) => old.add(rows[j].v.mul(slot.ref)));
  slot.dispose();
  return { logits, cache: { k, v } };
}

export interface GreedyOptions {
  /** Longest answer generated (tokens, without <eos>). */
  maxTokens: number;
  /** Rows decoded together (fixed shape; the last group is padded). */
  batchSize: number;
  /** Compile the per-step function once (fixed shapes) instead of running it op by op. Default true. */
  jit?: boolean;
}

/** A parameter tree whose every tensor has one extra reference (what a jitted call consumes). */
export function refParams(params: Params): Params {
  const out: Params = {};
  for (const [k, t] of Object.entries(params)) out[k] = t.ref;
  return out;
}

type StepFn = (p: Params, cache: DecodeCache, token: Tensor, bias: Tensor, slot: Tensor, position: Tensor) => { logits: Tensor; cache: DecodeCache };
const jittedSteps = new WeakMap<TinyConfig, StepFn>();

function stepFunction(c: TinyConfig, useJit: boolean): StepFn {
  const eager: StepFn = (p, cache, token, bias, slot, position) => decodeStep(p, c, cache, token, bias, slot, position);
  if (!useJit) return eager;
  let f = jittedSteps.get(c);
  if (!f) {
    const compiled = jax.jit(eager);
    // A jitted call consumes every argument, parameters included.
    f = (p, cache, token, bias, slot, position) => compiled(refParams(p), cache, token, bias, slot, position);
    jittedSteps.set(c, f);
  }
  return f;
}

/** Greedy answer token ids (without <eos>) of each example, in order. */
export async function greedyDecode(params: Params, c: TinyConfig, queryVocabSize: number, examples: readonly TextExample[], opts: GreedyOptions): Promise<number[][]> {
  const out: number[][] = [];
  const B = opts.batchSize;
  const Q = c.maxQueryTokens;
  const tMax = opts.maxTokens + 1;
  const g = tinyGeometry(c);
  const step = stepFunction(c, opts.jit ?? true);
  const positions = answerPositions(tMax, c.dModel);
  for (let start = 0; start < examples.length; start += B) {
    const group = examples.slice(start, start + B);
    const F = group[0].nFrames;
    const N = F * g.tokensPerFrame;
    const Lc = N + Q + tMax;
    // Prefill with the teacher-forcing packer (answers empty): query rows causal, padding never a key.
    const host = packTextBatch(group.map((e) => ({ ...e, answer: [] })), c, queryVocabSize, { batchSize: B, nFrames: F, maxAnswer: 0 });
    const qBias = new Float32Array(B * Q * (N + Q));
    for (let b = 0; b < B; b++) for (let i = 0; i < Q; i++) {
      const src = (b * (Q + 1) + i) * (N + Q + 1);
      qBias.set(host.arrays.attnBias.subarray(src, src + N + Q), (b * Q + i) * (N + Q));
    }
    let cache = prefill(
      params, c,
      np.array(host.arrays.frames, { shape: host.shapes.frames }),
      np.array(host.arrays.query, { shape: host.shapes.query }),
      np.array(qBias, { shape: [B, 1, Q, N + Q] }),
      tMax,
    );
    const keyValid = new Uint8Array(B * Lc);
    for (let b = 0; b < B; b++) {
      keyValid.fill(1, b * Lc, b * Lc + N);
      const q = group[b]?.queryIds.length ?? 1;
      keyValid.fill(1, b * Lc + N, b * Lc + N + q);
    }
    const ids: number[][] = group.map(() => []);
    const done = new Uint8Array(B);
    for (let b = group.length; b < B; b++) done[b] = 1;
    let prev = new Array<number>(B).fill(TEXT_TOKEN.bos);
    for (let t = 0; t < tMax && !done.every(Boolean); t++) {
      const tok = new Float32Array(B * TEXT_VOCAB_SIZE);
      const bias = new Float32Array(B * (Lc + 1));
      for (let b = 0; b < B; b++) {
        tok[b * TEXT_VOCAB_SIZE + prev[b]] = 1;
        for (let j = 0; j < Lc; j++) if (!keyValid[b * Lc + j]) bias[b * (Lc + 1) + j] = NEG;
      }
      const slot = new Float32Array(Lc);
      slot[N + Q + t] = 1;
      const position = np.array(positions.slice(t * c.dModel, (t + 1) * c.dModel), { shape: [1, 1, c.dModel] });
      const r = step(params, cache, np.array(tok, { shape: [B, 1, TEXT_VOCAB_SIZE] }), np.array(bias, { shape: [B, 1, 1, Lc + 1] }), np.array(slot, { shape: [1, Lc, 1] }), position);
      cache = r.cache;
      const logits = await r.logits.data();
      for (let b = 0; b < B; b++) {
        keyValid[b * Lc + N + Q + t] = 1;
        // Greedy over what an answer can hold: <eos> and the text pieces (<pad>/<bos> are never outputs).
        let best: number = TEXT_TOKEN.eos;
        for (let v = TEXT_TOKEN.eos + 1; v < TEXT_VOCAB_SIZE; v++) if (logits[b * TEXT_VOCAB_SIZE + v] > logits[b * TEXT_VOCAB_SIZE + best]) best = v;
        prev[b] = best;
        if (done[b]) continue;
        if (best === TEXT_TOKEN.eos || t === tMax - 1) done[b] = 1;
        else ids[b].push(best);
      }
    }
    for (const k of [...cache.k, ...cache.v]) k.dispose();
    out.push(...ids);
  }
  return out;
}
