// MolmoPoint-Tiny's inference computation in jax, graph by graph as the ONNX contract splits it (vision / query /
// step) — the reference the ONNX exporter's parity test compares against — and a jax-backed stand-in for the
// three onnxruntime sessions so inference/builtin/decode.ts's real decoding loop (PointDecoder, rotary, masks)
// runs on jax weights before any export exists.
import * as ort from "onnxruntime-node";
import { np, type Tensor } from "../ml/runtime";
import type { BuiltinConfig, BuiltinVocab } from "../../inference/builtin/contract";
import type { BuiltinModel } from "../../inference/builtin/model";
import { tinyGeometry, toBuiltinConfig, type TinyConfig } from "./config";
import { decoderLayers, heads, imagePrefixKV, param, vision, type Params } from "./forward";
import type { HostParams } from "./params";

/** Uploads host parameters as jax arrays (the caller disposes them with `disposeParams`). */
export function uploadParams(host: HostParams): Params {
  const out: Params = {};
  for (const [k, t] of host) out[k] = np.array(t.data, { shape: t.shape });
  return out;
}

export function disposeParams(p: Params): void {
  for (const t of Object.values(p)) t.dispose();
}

async function host(t: Tensor): Promise<Float32Array> {
  const d = await t.data();
  if (!(d instanceof Float32Array)) throw new Error("expected float32 data");
  return d;
}

/** vision.onnx outputs, row-major host arrays. */
export interface VisionOutputs {
  image_tokens: Float32Array; // [N, dModel]
  patch_keys: Float32Array; // [N, patchDim]
  no_more_points_key: Float32Array; // [1, patchDim]
  subpatch_keys: Float32Array; // [N, C, patchDim]
  subpatch_features: Float32Array; // [N, C, dModel]
}

/** vision.onnx: preprocessed frames `[F, 3, S, S]` → the five outputs. */
export async function visionOutputs(params: Params, c: TinyConfig, frames: Float32Array, nFrames: number): Promise<VisionOutputs> {
  const S = c.cropSize;
  if (frames.length !== nFrames * 3 * S * S) throw new RangeError(`frames hold ${frames.length} values, expected ${nFrames}×3×${S}×${S}`);
  const v = vision(params, c, np.array(frames, { shape: [1, nFrames, 3, S, S] }));
  return {
    image_tokens: await host(v.imageTokens),
    patch_keys: await host(v.patchKeys),
    no_more_points_key: await host(param(params, "nomore")),
    subpatch_keys: await host(v.subpatchKeys),
    subpatch_features: await host(v.subpatchFeatures),
  };
}

/** Concatenates per-layer K/V rows `[1, R, d]` into state rows `[R, 2·L·d]` ([K_0 | V_0 | K_1 | V_1 | …]). */
function stateRows(rows: Array<{ k: Tensor; v: Tensor }>): Tensor {
  const parts = rows.flatMap((r) => [r.k, r.v]);
  const t = np.concatenate(parts, 2);
  return t.reshape([t.shape[1], t.shape[2]]);
}

function embed(params: Params, vocabSize: number, ids: readonly number[]): Tensor {
  const oh = new Float32Array(ids.length * vocabSize);
  ids.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new RangeError(`token id ${id} outside the vocabulary (${vocabSize})`);
    oh[i * vocabSize + id] = 1;
  });
  return np.matmul(np.array(oh, { shape: [1, ids.length, vocabSize] }), param(params, "dec.emb"));
}

/** query.onnx: query ids + image tokens `[N, d]` → state `[N + n_query, stateDim]` (image rows, then query rows). */
export async function queryState(params: Params, c: TinyConfig, queryIds: readonly number[], imageTokens: Float32Array): Promise<{ state: Float32Array; rows: number }> {
  const d = c.dModel;
  const N = imageTokens.length / d;
  const vocabSize = params["dec.emb"].shape[0];
  const nq = queryIds.length;
  const prefix = imagePrefixKV(params, c, np.array(imageTokens, { shape: [1, N, d] }));
  const imageRows = stateRows(prefix.map((p) => ({ k: p.k.ref, v: p.v.ref })));
  const bias = new Float32Array(nq * (N + nq));
  for (let i = 0; i < nq; i++) for (let j = 0; j < nq; j++) if (j > i) bias[i * (N + nq) + N + j] = -1e9;
  const { out, rows } = decoderLayers(params, c, prefix, embed(params, vocabSize, queryIds), np.array(bias, { shape: [1, 1, nq, N + nq] }));
  out.dispose();
  const state = np.concatenate([imageRows, stateRows(rows)], 0);
  return { state: await host(state), rows: N + nq };
}

/** step.onnx outputs. */
export interface StepOutputs {
  patch_query: Float32Array; // [1, patchDim]
  subpatch_query: Float32Array; // [1, patchDim]
  location_logits: Float32Array; // [1, 9]
  id_logits: Float32Array; // [1, maxObjects]
  state_out: Float32Array; // [rows + 1, stateDim]
}

/** step.onnx: state `[R, stateDim]` + fed token (+ its additive embedding `[d]`) → heads and `state_out`. */
export async function stepOutputs(params: Params, c: TinyConfig, state: Float32Array, tokenId: number, tokenEmbedding: Float32Array): Promise<StepOutputs> {
  const d = c.dModel;
  const L = c.decoderLayers;
  const stateDim = 2 * L * d;
  const R = state.length / stateDim;
  if (!Number.isInteger(R)) throw new RangeError(`state holds ${state.length} values, not a multiple of stateDim ${stateDim}`);
  if (tokenEmbedding.length !== d) throw new RangeError(`token_embedding has ${tokenEmbedding.length} values, expected ${d}`);
  const vocabSize = params["dec.emb"].shape[0];
  const st = np.array(state, { shape: [1, R, stateDim] });
  const cols = np.split(st, 2 * L, 2);
  const cache = Array.from({ length: L }, (_, j) => ({ k: cols[2 * j], v: cols[2 * j + 1] }));
  const x = embed(params, vocabSize, [tokenId]).add(np.array(tokenEmbedding, { shape: [1, 1, d] }));
  const { out, rows } = decoderLayers(params, c, cache, x, null);
  const newRow = await host(stateRows(rows));
  const stateOut = new Float32Array(state.length + stateDim);
  stateOut.set(state);
  stateOut.set(newRow, state.length);
  return {
    patch_query: await host(heads(params, out.ref, "pq")),
    subpatch_query: await host(heads(params, out.ref, "sq")),
    location_logits: await host(heads(params, out.ref, "loc")),
    id_logits: await host(heads(params, out, "id")),
    state_out: stateOut,
  };
}

type Feeds = Record<string, ort.Tensor>;

function f32(feeds: Feeds, name: string): { data: Float32Array; dims: readonly number[] } {
  const t = feeds[name];
  if (!t || !(t.data instanceof Float32Array)) throw new Error(`missing float32 input '${name}'`);
  return { data: t.data, dims: t.dims };
}

function ids(feeds: Feeds, name: string): number[] {
  const t = feeds[name];
  if (!t || !(t.data instanceof BigInt64Array)) throw new Error(`missing int64 input '${name}'`);
  return Array.from(t.data, Number);
}

/**
 * A `BuiltinModel` whose three "sessions" run the jax functions above (same names, dtypes and shapes as the
 * contract), so `encodeVideo`/`decodePoints` decode exactly as the runtime would with the exported graphs.
 */
export function jaxBuiltinModel(params: Params, c: TinyConfig, vocab: BuiltinVocab): BuiltinModel {
  const config: BuiltinConfig = toBuiltinConfig(c);
  const g = tinyGeometry(c);
  const session = (run: (feeds: Feeds) => Promise<Record<string, ort.Tensor>>) => ({ run }) as unknown as ort.InferenceSession;
  const vision = session(async (feeds) => {
    const fr = f32(feeds, "frames");
    const F = fr.dims[0];
    const v = await visionOutputs(params, c, fr.data, F);
    const N = F * g.tokensPerFrame;
    return {
      image_tokens: new ort.Tensor("float32", v.image_tokens, [N, c.dModel]),
      patch_keys: new ort.Tensor("float32", v.patch_keys, [N, c.patchDim]),
      no_more_points_key: new ort.Tensor("float32", v.no_more_points_key, [1, c.patchDim]),
      subpatch_keys: new ort.Tensor("float32", v.subpatch_keys, [N, g.cells, c.patchDim]),
      subpatch_features: new ort.Tensor("float32", v.subpatch_features, [N, g.cells, c.dModel]),
    };
  });
  const query = session(async (feeds) => {
    const q = await queryState(params, c, ids(feeds, "query_ids"), f32(feeds, "image_tokens").data);
    return { state: new ort.Tensor("float32", q.state, [q.rows, config.dims.stateDim]) };
  });
  const step = session(async (feeds) => {
    const o = await stepOutputs(params, c, f32(feeds, "state").data, ids(feeds, "token_id")[0], f32(feeds, "token_embedding").data);
    return {
      patch_query: new ort.Tensor("float32", o.patch_query, [1, c.patchDim]),
      subpatch_query: new ort.Tensor("float32", o.subpatch_query, [1, c.patchDim]),
      location_logits: new ort.Tensor("float32", o.location_logits, [1, 9]),
      id_logits: new ort.Tensor("float32", o.id_logits, [1, c.maxObjects]),
      state_out: new ort.Tensor("float32", o.state_out, [o.state_out.length / config.dims.stateDim, config.dims.stateDim]),
    };
  });
  return { dir: "(jax)", config, vocab, device: "cpu", sessions: { vision, query, step } };
}
