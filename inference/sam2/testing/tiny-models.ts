// Small, meaningful SAM2 four-module ONNX models with the exact input/output contract of the public exports,
// generated on the fly so tests and benchmarks run the real pipeline without downloading weights.
//
// What they compute (channel layout of the image features: 0-2 colour, 3-5 remembered colour × presence,
// 6 presence, the rest unused):
// - image_encoder: average-pools the normalised image to the feature grid (colour map) and to the two high-res
//   grids; `vision_feats` = `pix_feat` + a constant `no_mem_embed`; constant positional encodings.
// - image_decoder: (absent unless the feature carries no_mem_embed or memory) the object's colour q = (Σ gaussian(positive clicks)·colour + κ·remembered colour) / weights;
//   logits = α(τ² − |colour − q|²) on the high-res colour grid, minus bumps at negative clicks; presence logit
//   from the matched area; `obj_ptr` = [q, present, 0…]; `mask_for_mem` = sigmoid(upsampled logits)·20 − 10.
// - memory_encoder: per cell, mask probability p and p·colour (the object's appearance; wrong if fed a
//   memory-conditioned feature instead of the raw one), constant position and temporal codes.
// - memory_attention: the remembered colour = Σ p·colour / Σ p over every memory frame and object pointer,
//   written into channels 3-6 of `current_vision_feat`.
// So a coloured square is segmented from a click, and on tracked frames (no clicks) only through the memory
// bank: a loop that passes no memory, the wrong tensor or the wrong frame loses the object.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { GraphBuilder } from "./onnx-builder";

export interface TinyModelSpec {
  /** Encoder input side (1024 in real SAM2). */
  imageSize: number;
  /** Feature grid side (64). */
  featSize: number;
  /** Image feature channels (256); at least 8. */
  channels: number;
  /** high_res_feat0 / high_res_feat1 channels (32, 64); at least 3. */
  highRes0Channels: number;
  highRes1Channels: number;
  /** Memory channels (64); at least 4. */
  memChannels: number;
  /** Object pointer size (256); at least 4. */
  ptrDim: number;
  /** Tensor names: the Aimol-l / NVIDIA style ("aimol") or pagarcia/sam2-onnx-cpp's ("pagarcia"). */
  naming: "aimol" | "pagarcia";
  /** Memory attention takes `obj_ptr_offsets` (pagarcia's memory_attention_objptr.onnx). */
  objPtrOffsets: boolean;
  /** Decoder also outputs `occ_logit` and `iou` (NVIDIA style). */
  occlusion: boolean;
  /**
   * Extra 3×3 convolutions (channels → channels, on the feature grid) in the image encoder, for benchmarks that need
   * a real encoder's cost (each is 18·C²·F² FLOP: 4.8 GFLOP at 256×64²). Their result is added times 0, so the
   * outputs are those of the plain model.
   */
  encoderConvs?: number;
}

export const TINY: TinyModelSpec = { imageSize: 128, featSize: 16, channels: 8, highRes0Channels: 4, highRes1Channels: 4, memChannels: 4, ptrDim: 8, naming: "aimol", objPtrOffsets: true, occlusion: true };
/** Real SAM2 tensor shapes (hiera: 1024² input, 256×64² features, 64-channel memory, 256-d pointers). */
export const REALISTIC: TinyModelSpec = { imageSize: 1024, featSize: 64, channels: 256, highRes0Channels: 32, highRes1Channels: 64, memChannels: 64, ptrDim: 256, naming: "pagarcia", objPtrOffsets: true, occlusion: true };
/** REALISTIC shapes with an image encoder of ~19 GFLOP per frame (4 extra 3×3 convolutions), near a real SAM2-tiny encoder's cost. */
export const HEAVY_ENCODER: TinyModelSpec = { ...REALISTIC, encoderConvs: 4 };

/** Identity-like weights [out, in]: output channel o copies input channel o (for o < min(out, in)). */
function embed(out: number, inp: number, offset = 0): Float32Array {
  const w = new Float32Array(out * inp);
  for (let o = 0; o < out; o++) if (o - offset >= 0 && o - offset < inp) w[o * inp + (o - offset)] = 1;
  return w;
}

/** Cell-centre coordinates in model-input pixels of an n×n grid over an S×S image, [n², 2] as (x, y). */
function gridCoords(n: number, S: number): Float32Array {
  const g = new Float32Array(n * n * 2);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    g[(i * n + j) * 2] = ((j + 0.5) * S) / n;
    g[(i * n + j) * 2 + 1] = ((i + 0.5) * S) / n;
  }
  return g;
}

const names = (s: TinyModelSpec) =>
  s.naming === "pagarcia"
    ? { image: "input", pixFeat: "image_embeddings", hr0: "high_res_features1", hr1: "high_res_features2", visionFeats: "current_vision_feat", fused: "fused_feat" }
    : { image: "image", pixFeat: "pix_feat", hr0: "high_res_feat0", hr1: "high_res_feat1", visionFeats: "vision_feats", fused: "image_embed" };

export function imageEncoder(s: TinyModelSpec): Uint8Array {
  const n = names(s);
  const { imageSize: S, featSize: F, channels: C } = s;
  const g = new GraphBuilder("image_encoder");
  const img = g.input(n.image, [1, 3, S, S]);
  const col = g.avgPool(img, S / F);
  let pix = g.conv1x1(col, embed(C, 3), C, 3);
  if (s.encoderConvs) {
    // Compute only: small deterministic weights, ReLU between layers, the result added times 0.
    let x = pix;
    for (let l = 0; l < s.encoderConvs; l++) {
      const w = Float32Array.from({ length: C * C * 9 }, (_, i) => (((i * 2654435761 + l) >>> 0) % 1000) / 1000 / (C * 9) - 0.5 / (C * 9));
      x = g.node("Relu", [g.node("Conv", [x, g.constFloat(w, [C, C, 3, 3])], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })]);
    }
    pix = g.add(pix, g.mul(x, g.scalar(0)));
  }
  g.output(n.pixFeat, pix, [1, C, F, F]);
  g.output(n.hr0, g.conv1x1(g.avgPool(img, S / (4 * F)), embed(s.highRes0Channels, 3), s.highRes0Channels, 3), [1, s.highRes0Channels, 4 * F, 4 * F]);
  g.output(n.hr1, g.conv1x1(g.avgPool(img, S / (2 * F)), embed(s.highRes1Channels, 3), s.highRes1Channels, 3), [1, s.highRes1Channels, 2 * F, 2 * F]);
  // no_mem_embed: nonzero only in unused channels, so conditioning and tracked frames differ as in SAM2.
  const noMem = Float32Array.from({ length: C }, (_, c) => (c >= 7 ? 0.02 : 0));
  g.output(n.visionFeats, g.add(pix, g.constFloat(noMem, [1, C, 1, 1])), [1, C, F, F]);
  const pos = Float32Array.from({ length: C }, (_, c) => Math.sin(c + 1) * 0.1);
  g.output("vision_pos_embed", g.node("Expand", [g.constFloat(pos, [1, 1, C]), g.constInt([F * F, 1, C])]), [F * F, 1, C]);
  return g.toBytes();
}

export function imageDecoder(s: TinyModelSpec): Uint8Array {
  const { imageSize: S, featSize: F, channels: C } = s;
  const L = 4 * F;
  const g = new GraphBuilder("image_decoder");
  const pc = g.input("point_coords", ["num_labels", "num_points", 2]);
  const pl = g.input("point_labels", ["num_labels", "num_points"]);
  const ie = g.input("image_embed", [1, C, F, F]);
  const h0 = g.input("high_res_feats_0", [1, s.highRes0Channels, L, L]);
  const h1 = g.input("high_res_feats_1", [1, s.highRes1Channels, 2 * F, 2 * F]);
  /** Σ over points of label `label` of a gaussian (σ = one high-res cell) at each cell of an n×n grid: [N, n²]. */
  const bumps = (n: number, label: number, sigma: number) => {
    const diff = g.sub(g.constFloat(gridCoords(n, S), [n * n, 2]), g.node("Unsqueeze", [pc, g.constInt([2])])); // [N,P,n²,2]
    const d2 = g.reduceSum(g.mul(diff, diff), [3]); // [N,P,n²]
    const w = g.node("Exp", [g.mul(d2, g.scalar(-1 / (2 * sigma * sigma)))]);
    const sel = g.node("Unsqueeze", [g.node("Cast", [g.node("Equal", [pl, g.scalar(label)])], { to: 1 }), g.constInt([2])]); // [N,P,1]
    return g.reduceSum(g.mul(w, sel), [1]); // [N,n²]
  };
  // The clicked colour, sampled on the high-res colour grid around each positive click.
  const hcol = g.slice(g.reshape(h0, [s.highRes0Channels, L * L]), 0, 0, 3); // [3,L²]
  const wPos = bumps(L, 1, S / L);
  const qPts = g.node("MatMul", [wPos, g.node("Transpose", [hcol], { perm: [1, 0] })]); // [N,3]
  const wSum = g.reduceSum(wPos, [1], 1); // [N,1]
  // The remembered colour (channels 3-6 of the memory-conditioned feature; zero on conditioning frames).
  const feat = g.reshape(ie, [C, F * F]);
  const mem = g.reshape(g.reduceMean(g.slice(feat, 0, 3, 7), [1]), [1, 4]);
  const qNum = g.add(qPts, g.slice(mem, 1, 0, 3));
  const qDen = g.add(g.add(wSum, g.slice(mem, 1, 3, 4)), g.scalar(1e-6));
  const q = g.div(qNum, qDen); // [N,3]
  const dd = g.sub(hcol, g.node("Unsqueeze", [q, g.constInt([2])])); // [N,3,L²]
  const dist2 = g.reduceSum(g.mul(dd, dd), [1]); // [N,L²]
  const tau2 = 0.6 * 0.6;
  let logit = g.mul(g.sub(g.scalar(tau2), dist2), g.scalar(20));
  logit = g.sub(logit, g.mul(bumps(L, 0, S / F), g.scalar(40)));
  // high_res_feats_1 is consumed (as real decoders do) without changing the result.
  logit = g.add(logit, g.mul(g.reduceMean(h1, [0, 1, 2, 3]), g.scalar(0)));
  const frac = g.reduceMean(g.node("Sigmoid", [logit]), [1], 1); // [N,1]
  // Features must carry no_mem_embed (channel 7) or memory (channel 6): the raw backbone feature on a
  // conditioning frame (another public-loop bug) makes the object "absent".
  const featOk = g.reshape(g.reduceMean(g.add(g.slice(feat, 0, 6, 7), g.slice(feat, 0, 7, 8)), [0, 1]), [1, 1]);
  const occ = g.node("Min", [
    g.node("Min", [g.sub(g.mul(qDen, g.scalar(10)), g.scalar(1)), g.sub(g.mul(frac, g.scalar(1000)), g.scalar(1))]),
    g.sub(g.mul(featOk, g.scalar(1000)), g.scalar(1)),
  ]); // [N,1]
  const pred = g.reshape(logit, [-1, 1, L, L]);
  g.output("pred_mask", pred, ["num_labels", 1, L, L]);
  const up = g.node("Resize", [pred, "", g.constFloat([1, 1, S / L, S / L], [4])], { mode: "linear" });
  g.output("mask_for_mem", g.sub(g.mul(g.node("Sigmoid", [up]), g.scalar(20)), g.scalar(10)), ["num_labels", 1, S, S]);
  const present = g.node("Cast", [g.node("Greater", [occ, g.scalar(0)])], { to: 1 }); // [N,1]
  const ptr4 = g.node("Concat", [g.mul(q, present), present], { axis: 1 }); // [N,4]
  g.output("obj_ptr", g.node("MatMul", [ptr4, g.constFloat(embed(4, s.ptrDim), [4, s.ptrDim])]), ["num_labels", s.ptrDim]);
  if (s.occlusion) {
    g.output("occ_logit", occ, ["num_labels", 1]);
    g.output("iou", g.mul(g.node("Sigmoid", [occ]), g.scalar(0.9)), ["num_labels", 1]);
  }
  return g.toBytes();
}

export function memoryEncoder(s: TinyModelSpec): Uint8Array {
  const { imageSize: S, featSize: F, channels: C, memChannels: Cm } = s;
  const g = new GraphBuilder("memory_encoder");
  const mfm = g.input("mask_for_mem", [1, 1, S, S]);
  const pix = g.input("pix_feat", [1, C, F, F]);
  const prob = g.avgPool(g.div(g.add(mfm, g.scalar(10)), g.scalar(20)), S / F); // [1,1,F,F] mask probability
  // Only cells (almost) fully inside the mask carry the appearance, so edges do not blend in the background.
  const p = g.mul(g.node("Relu", [g.sub(prob, g.scalar(0.9))]), g.scalar(10));
  // Channels 3-5 are zero in the raw backbone feature but hold the remembered colour in a memory-conditioned
  // one: fed the fused feature (a public-loop bug), the remembered colour doubles and tracking is lost.
  const colour = g.add(g.slice(pix, 1, 0, 3), g.slice(pix, 1, 3, 6));
  const f4 = g.node("Concat", [g.mul(colour, p), p], { axis: 1 }); // [1,4,F,F]
  g.output("maskmem_features", g.conv1x1(f4, embed(Cm, 4), Cm, 4), [1, Cm, F, F]);
  const pos = Float32Array.from({ length: Cm }, (_, c) => Math.cos(c + 1) * 0.1);
  g.output("maskmem_pos_enc", g.node("Expand", [g.constFloat(pos, [1, 1, Cm]), g.constInt([F * F, 1, Cm])]), [F * F, 1, Cm]);
  const tc = Float32Array.from({ length: 7 * Cm }, (_, i) => 0.01 * (Math.floor(i / Cm) + 1));
  g.output("temporal_code", g.constFloat(tc, [7, 1, 1, Cm]), [7, 1, 1, Cm]);
  return g.toBytes();
}

export function memoryAttention(s: TinyModelSpec): Uint8Array {
  const n = names(s);
  const { featSize: F, channels: C, memChannels: Cm, ptrDim: D } = s;
  const g = new GraphBuilder("memory_attention");
  const cvf = g.input("current_vision_feat", [1, C, F, F]);
  const cvp = g.input("current_vision_pos_embed", [F * F, 1, C]);
  const m0 = g.input("memory_0", ["num_obj_ptr", D]);
  const m1 = g.input("memory_1", ["num_mem_frames", Cm, F, F]);
  const mpe = g.input("memory_pos_embed", ["num_mem_tokens", 1, Cm]);
  const offsets = s.objPtrOffsets ? g.input("obj_ptr_offsets", ["num_obj_ptr"]) : undefined;
  const spatial = g.slice(g.reduceSum(m1, [0, 2, 3]), 0, 0, 4); // [4] = Σ p·colour, Σ p
  const pointers = g.slice(g.reduceSum(m0, [0]), 0, 0, 4); // [4] = Σ q·present, Σ present
  const tot = g.add(spatial, pointers);
  const den = g.slice(tot, 0, 3, 4);
  const pres = g.node("Min", [den, g.scalar(1)]);
  const colour = g.mul(g.div(g.slice(tot, 0, 0, 3), g.add(den, g.scalar(1e-6))), pres);
  const parts = [g.constFloat([0, 0, 0], [3]), colour, pres];
  if (C > 7) parts.push(g.constFloat(new Float32Array(C - 7), [C - 7]));
  const v = g.reshape(g.node("Concat", parts, { axis: 0 }), [1, C, 1, 1]);
  // Position inputs are consumed (as real attention does) without changing the result.
  let zero = g.add(g.reduceSum(mpe, [0, 1, 2]), g.reduceSum(cvp, [0, 1, 2]));
  if (offsets) zero = g.add(zero, g.reduceSum(offsets, [0]));
  g.output(n.fused, g.add(g.add(cvf, v), g.mul(zero, g.scalar(0))), [1, C, F, F]);
  return g.toBytes();
}

/** Writes image_encoder.onnx, image_decoder.onnx, memory_attention(_objptr).onnx and memory_encoder.onnx to `dir`. */
export function writeTinyModels(dir: string, spec: Partial<TinyModelSpec> = {}): Record<"image_encoder" | "image_decoder" | "memory_attention" | "memory_encoder", string> {
  const s = { ...TINY, ...spec };
  mkdirSync(dir, { recursive: true });
  const files = {
    image_encoder: path.join(dir, "image_encoder.onnx"),
    image_decoder: path.join(dir, "image_decoder.onnx"),
    memory_attention: path.join(dir, s.objPtrOffsets ? "memory_attention_objptr.onnx" : "memory_attention.onnx"),
    memory_encoder: path.join(dir, "memory_encoder.onnx"),
  };
  writeFileSync(files.image_encoder, imageEncoder(s));
  writeFileSync(files.image_decoder, imageDecoder(s));
  writeFileSync(files.memory_attention, memoryAttention(s));
  writeFileSync(files.memory_encoder, memoryEncoder(s));
  writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({ variant: `tiny-${s.imageSize}-${s.naming}` }));
  return files;
}
