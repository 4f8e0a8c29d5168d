// Running the contract's graphs: `encodeVideo` (vision.onnx once per video, keys rotated once with lib/grounding's
// rotary helper) and `decodePoints` (query.onnx, then step.onnx token by token through lib/grounding's
// PointDecoder: its masks applied to the model's logits at every step, greedy argmax as MolmoPoint.generate).
import { performance } from "node:perf_hooks";
import * as ort from "onnxruntime-node";
import { PointDecoder, imagePositionIds, rotate, rotatePatchKeys, rotaryInvFreq, type PointTarget, type VideoGrid } from "../../lib/grounding";
import { RuntimeError } from "../runtime";
import { TOKEN, objectToken } from "./contract";
import type { BuiltinModel } from "./model";

/** Everything a video contributes to decoding, computed once and reused across steps and queries. */
export interface EncodedVideo {
  grid: VideoGrid;
  nTokens: number;
  cells: number;
  imageTokens: Float32Array;
  /** Patch keys rotated by their image position ids, `[nTokens, D]`. */
  rotatedKeys: Float32Array;
  noMoreKey: Float32Array;
  subpatchKeys: Float32Array;
  subpatchFeatures: Float32Array;
  posIds: Int32Array;
}

function tensorData(out: ort.InferenceSession.OnnxValueMapType, name: string, expected: number, file: string): Float32Array {
  const t = out[name];
  if (!t || !(t.data instanceof Float32Array)) throw new RuntimeError("model_invalid", `${file}: output '${name}' is not a float32 tensor`);
  if (t.data.length !== expected) throw new RuntimeError("model_invalid", `${file}: output '${name}' has ${t.data.length} values [${t.dims.join(", ")}], expected ${expected}`);
  return t.data;
}

/** One graph run; a failure inside onnxruntime (shape or type the graph cannot take) names the graph. */
async function runGraph(session: ort.InferenceSession, file: string, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
  try {
    return await session.run(feeds);
  } catch (e) {
    const shapes = Object.entries(feeds).map(([k, t]) => `${k} ${t.type} [${t.dims.join(", ")}]`).join(", ");
    throw new RuntimeError("model_invalid", `${file} failed on ${shapes}: ${(e as Error).message.replace(/\s+/g, " ").trim()}`);
  }
}

/** Runs vision.onnx on preprocessed frames (`[nFrames, 3, S, S]`) and prepares the rotated keys. */
export async function encodeVideo(model: BuiltinModel, frames: Float32Array, grid: VideoGrid): Promise<EncodedVideo> {
  const { config } = model;
  const S = config.image.cropSize;
  const D = config.dims.patchDim;
  const d = config.dims.dModel;
  const N = grid.nTokens;
  const C = grid.cells;
  const out = await runGraph(model.sessions.vision, "vision.onnx", { frames: new ort.Tensor("float32", frames, [grid.nFrames, 3, S, S]) });
  const file = "vision.onnx";
  const keys = tensorData(out, "patch_keys", N * D, file);
  const posIds = imagePositionIds(grid.indexable);
  return {
    grid,
    nTokens: N,
    cells: C,
    imageTokens: tensorData(out, "image_tokens", N * d, file),
    rotatedKeys: rotatePatchKeys(keys, D, grid.indexable, config.rotary.theta, rotaryInvFreq(D, config.rotary.theta)),
    noMoreKey: tensorData(out, "no_more_points_key", D, file),
    subpatchKeys: tensorData(out, "subpatch_keys", N * C * D, file),
    subpatchFeatures: tensorData(out, "subpatch_features", N * C * d, file),
    posIds,
  };
}

export interface DecodedPoint {
  target: PointTarget;
  /** Object id (1-based) from the id head. */
  objectId: number;
}

/** Time split of a decode (for the decoding benchmark). */
export interface DecodeTiming {
  /** Milliseconds inside step.onnx / query.onnx runs. */
  forwardMs: number;
  /** Milliseconds of JS decoding work: masks, rotary, logits, argmax, decoder state. */
  decodeMs: number;
  steps: number;
}

export interface DecodeOptions {
  signal?: AbortSignal;
  /** Called after each complete point with every point so far. */
  onPoint?: (points: readonly DecodedPoint[]) => void;
  timing?: DecodeTiming;
  /** Test hook: called before every step.onnx run. */
  beforeStep?: () => void;
}

export interface DecodeResult {
  points: DecodedPoint[];
  /** True when decoding stopped at config.maxPoints instead of the no-more-points class. */
  truncated: boolean;
}

function argmaxMasked(logits: ArrayLike<number>, mask: Uint8Array): number {
  let best = -1;
  let bestV = -Infinity;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const v = logits[i];
    if (best < 0 || v > bestV) {
      best = i;
      bestV = v;
    }
  }
  return best;
}

function dot(a: Float32Array, b: Float32Array, bOffset: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i] * b[bOffset + i];
  return s;
}

/**
 * `<PATCH>` logits (contract: `rot(q, position)·rot(k_n, n) / sqrt(D)`, then the unrotated no-more-points key as
 * class `nTokens`); masked classes get −∞. `position` is the previous selection's position id.
 */
export function patchLogits(enc: EncodedVideo, query: Float32Array, position: number, mask: Uint8Array, theta: number, out = new Float32Array(enc.nTokens + 1)): Float32Array {
  const D = query.length;
  const N = enc.nTokens;
  const norm = 1 / Math.sqrt(D);
  const q = rotate(query, position, theta, rotaryInvFreq(D, theta));
  const keys = enc.rotatedKeys;
  // Hot loop (N·D multiply-adds per <PATCH>): plain indexed loop over the flat key matrix.
  for (let n = 0, base = 0; n < N; n++, base += D) {
    if (!mask[n]) {
      out[n] = -Infinity;
      continue;
    }
    let acc = 0;
    for (let i = 0; i < D; i++) acc += q[i] * keys[base + i];
    out[n] = acc * norm;
  }
  out[N] = mask[N] ? dot(q, enc.noMoreKey, 0, D) * norm : -Infinity;
  return out;
}

/** Decodes the points answering a tokenized query on an encoded video. */
export async function decodePoints(model: BuiltinModel, enc: EncodedVideo, queryIds: readonly number[], opts: DecodeOptions = {}): Promise<DecodeResult> {
  const { config, sessions } = model;
  const D = config.dims.patchDim;
  const d = config.dims.dModel;
  const N = enc.nTokens;
  const C = enc.cells;
  const norm = 1 / Math.sqrt(D);
  const timing = opts.timing ?? { forwardMs: 0, decodeMs: 0, steps: 0 };
  const check = () => {
    if (opts.signal?.aborted) throw new RuntimeError("cancelled", "The query was cancelled");
  };
  const imageTokensTensor = new ort.Tensor("float32", enc.imageTokens, [N, d]);
  const zeros = new Float32Array(d);
  let t0 = performance.now();
  const q = await runGraph(sessions.query, "query.onnx", { query_ids: new ort.Tensor("int64", BigInt64Array.from(queryIds.map(BigInt)), [queryIds.length]), image_tokens: imageTokensTensor });
  timing.forwardMs += performance.now() - t0;
  let state = q.state as ort.Tensor;
  if (!state || state.type !== "float32" || state.dims.length !== 2 || state.dims[1] !== config.dims.stateDim) {
    throw new RuntimeError("model_invalid", `query.onnx: output 'state' must be float32 [state_len, ${config.dims.stateDim}], got ${state?.type} [${state?.dims.join(", ")}]`);
  }
  let heads: ort.InferenceSession.OnnxValueMapType = {};
  const step = async (token: number, embedding: Float32Array) => {
    check();
    opts.beforeStep?.();
    const s = performance.now();
    heads = await runGraph(sessions.step, "step.onnx", {
      state,
      token_id: new ort.Tensor("int64", BigInt64Array.of(BigInt(token)), [1]),
      token_embedding: new ort.Tensor("float32", embedding, [1, d]),
    });
    timing.forwardMs += performance.now() - s;
    timing.steps++;
    const next = heads.state_out;
    if (!(next instanceof ort.Tensor) || next.type !== "float32" || next.dims.length !== 2 || next.dims[1] !== config.dims.stateDim) {
      throw new RuntimeError("model_invalid", `step.onnx: output 'state_out' must be float32 [state_len, ${config.dims.stateDim}]`);
    }
    state = next;
  };
  const head = (name: string, n: number) => tensorData(heads, name, n, "step.onnx");

  const decoder = PointDecoder.forGrid(enc.grid);
  const points: DecodedPoint[] = [];
  const logits = new Float32Array(N + 1);
  const subLogits = new Float32Array(C);
  await step(TOKEN.bos, zeros);
  t0 = performance.now();
  decoder.feedText(); // the <bos> / `coords="` text before the first point (native generate cannot point first)
  let truncated = false;
  for (;;) {
    if (decoder.lmRules().patch === "ban") break;
    if (points.length >= config.maxPoints) {
      truncated = true;
      break;
    }
    // <PATCH>: rotate the query by the previous selection's position, dot with the rotated keys + no-more-points key.
    const mask = decoder.patchMask();
    patchLogits(enc, head("patch_query", D), decoder.queryRotaryPosition(enc.posIds), mask, config.rotary.theta, logits);
    const patch = argmaxMasked(logits, mask);
    if (patch < 0) break;
    decoder.feedPatch(patch);
    if (decoder.ended) break;
    timing.decodeMs += performance.now() - t0;
    await step(TOKEN.patch, enc.imageTokens.subarray(patch * d, (patch + 1) * d));
    t0 = performance.now();
    // <SUBPATCH> among the ViT patches pooled into the chosen token.
    const sq = head("subpatch_query", D);
    for (let c = 0; c < C; c++) subLogits[c] = dot(sq, enc.subpatchKeys, (patch * C + c) * D, D) * norm;
    const sub = argmaxMasked(subLogits, decoder.subpatchMask());
    if (sub < 0) throw new RuntimeError("bad_answer", `decoder dead end: no subpatch allowed in token ${patch}`);
    decoder.feedSubpatch(sub);
    timing.decodeMs += performance.now() - t0;
    await step(TOKEN.subpatch, enc.subpatchFeatures.subarray((patch * C + sub) * d, (patch * C + sub + 1) * d));
    t0 = performance.now();
    // <LOCATION>: the model's 3×3 logits under the decoder's mask.
    const loc = argmaxMasked(head("location_logits", 9), decoder.locationMask());
    decoder.feedLocation(loc);
    timing.decodeMs += performance.now() - t0;
    await step(TOKEN.location, zeros);
    t0 = performance.now();
    // Object id: greedy over the id classes, fed back as its token (ordinary text for the decoder).
    const idLogits = head("id_logits", config.maxObjects);
    const objectId = argmaxMasked(idLogits, new Uint8Array(config.maxObjects).fill(1)) + 1;
    timing.decodeMs += performance.now() - t0;
    await step(objectToken(objectId), zeros);
    t0 = performance.now();
    decoder.feedText();
    const target = decoder.targets().at(-1) as PointTarget;
    points.push({ target, objectId });
    opts.onPoint?.(points);
  }
  timing.decodeMs += performance.now() - t0;
  return { points, truncated };
}
