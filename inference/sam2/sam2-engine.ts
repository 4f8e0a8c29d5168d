// SAM2 video propagation over a four-module ONNX export, with the official semantics of
// facebookresearch/sam2 (`sam2_video_predictor.py`, `sam2_base.py`) rather than those of the public ONNX loops:
// - prompted frames are initial conditioning frames: the decoder sees `vision_feats` (= backbone + no_mem_embed),
//   no memory; their memory is encoded from the binarised mask (`binarize_mask_from_pts_for_mem_enc`);
// - tracked frames: memory attention over every conditioning memory (temporal row 6) and the 6 most recent
//   tracked frames (previous frame = row 0), object pointers of past conditioning frames and up to 15 recent
//   frames with signed offsets; decoder with one padding point (0,0,-1); memory encoder on the RAW `pix_feat`;
// - stored memories are rounded to bfloat16 like the predictor's storage; objects are tracked independently,
//   sharing each frame's encoder output;
// - masks: low-res logits upsampled bilinearly (align_corners=False) to the video size, threshold 0.
import * as ort from "onnxruntime-node";
import { compressRle, rleArea, runsFromMask, type MaskBox } from "../../lib/masks/rle";
import { RuntimeError } from "../runtime";
import { roundToBf16 } from "./bf16";
import { FrameReader, type FrameFile } from "./frames";
import { fillHoles, upsampleMaskLogits, type RgbImage } from "./image";
import { selectMemories, memoryHorizon, NUM_MASKMEM } from "./memory-bank";
import { MemoryWindow } from "./memory-window";
import { releaseModelSet, type Sam2ModelSet } from "./models";
import { choosePipeline, EncoderWorker, pipelineCandidate, PIPELINE_MAX_ENCODER_RATIO, PIPELINE_MIN_ENCODER_MS, type EncodedFrame } from "./encoder-worker";
import { FramePreprocessor } from "./preprocessor";
import { framesRange, groupPrompts, planPropagation, type PropagationPlan } from "./prompts";
import type { FrameMasks, MaskEngine, ObjectMask, PropagateRequest } from "./types";

/** `NO_OBJ_SCORE` in sam2_base.py: logits of a frame where the object is judged absent. */
const NO_OBJ_SCORE = -1024;
/** `dynamic_multimask_stability_delta` / `_thresh` (mask decoder defaults in the video config). */
const STABILITY_DELTA = 0.05;
const STABILITY_THRESH = 0.98;
/** Frames read and preprocessed ahead of the one being encoded (each holds a 3·S² float input, 12 MB at 1024²). */
const PREFETCH = 2;
/**
 * Encoder runs queued ahead of the frame being processed, when the encoder has its worker. With one, the worker
 * idled between finishing frame t+1 and being handed t+2, and any slow run (ffmpeg or the resize competing for the
 * cores) stalled the loop; with two it stays busy. bench:sam2 (SAM2 shapes, 48 frames, 2026-11-22, two runs each):
 * from the video 1.315 / 1.033 → 1.118 / 1.096, in memory 0.943 / 0.993 → 0.903 / 0.974. Costs one more frame's
 * encoder outputs in memory (five tensors, 24 MB at SAM2's sizes).
 */
const ENCODE_AHEAD = 2;
/** `fill_hole_area` set by `build_sam2_video_predictor`. */
const FILL_HOLE_AREA = 8;

export type { EncodedFrame } from "./encoder-worker";

/** A frame ready for `Sam2Modules.encodeFrame`: the encoder input (preprocessed here) or, when the encoder runs on
 * its worker, the frame itself (preprocessed there). */
export type PreparedFrame = { input: Float32Array } | { image: RgbImage } | { file: FrameFile };

/** One decoded mask for one object on one frame. */
export interface DecodedMask {
  lowRes: Float32Array;
  lowH: number;
  lowW: number;
  /** `mask_for_mem` for the memory encoder, `[1, 1, S, S]`. */
  maskForMem: Float32Array;
  maskForMemDims: number[];
  objPtr: Float32Array;
  score: number;
  /** Object-presence logit, when the decoder outputs one. */
  occLogit?: number;
}

/** A memory bank entry (SAM2's per-frame `maskmem_features`, `maskmem_pos_enc`, `obj_ptr`). */
interface MemoryEntry {
  /** Unique per entry (the memory window recognises slots by it). */
  id: number;
  features: Float32Array;
  featureDims: number[];
  posEnc: Float32Array;
  /** posEnc equals the first memory's (SAM2's memory position encoding depends only on the feature size). */
  sharedPos: boolean;
  objPtr: Float32Array;
}

interface ObjectTrack {
  objectId: string;
  cond: Map<number, { mask: DecodedMask; memory: MemoryEntry }>;
  nonCond: Map<number, MemoryEntry>;
  /** This object's `memory_1` inputs (a sliding window over persistent slots; see memory-window.ts). */
  window?: MemoryWindow;
}

/**
 * Which mask of a multi-mask decoder output SAM2 keeps. `count` masks per object:
 * 1 → that one; 3 (multimask tokens only) → best predicted IoU; 4 (all tokens) → with `multimask`, best IoU
 * among tokens 1..3, else token 0 if its stability score ≥ 0.98, else the best of 1..3
 * (`MaskDecoder._dynamic_multimask_via_stability`).
 */
export function chooseMask(logits: Float32Array, count: number, plane: number, iou: Float32Array | undefined, multimask: boolean): number {
  if (count <= 1) return 0;
  const best = (from: number) => {
    if (!iou) return from;
    let b = from;
    for (let k = from + 1; k < count; k++) if (iou[k] > iou[b]) b = k;
    return b;
  };
  if (count !== 4) return best(0);
  if (multimask) return best(1);
  let inter = 0;
  let union = 0;
  for (let i = 0; i < plane; i++) {
    const v = logits[i];
    if (v > STABILITY_DELTA) inter++;
    if (v > -STABILITY_DELTA) union++;
  }
  const stability = union > 0 ? inter / union : 1;
  return stability >= STABILITY_THRESH ? 0 : best(1);
}

function bytesOf(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function f32(data: Float32Array, dims: number[]): ort.Tensor {
  return new ort.Tensor("float32", data, dims);
}

/** A tensor of the input's declared element type (float32 unless the export says int64/int32). */
function typed(values: number[], dims: number[], type: string | undefined): ort.Tensor {
  if (type === "int64") return new ort.Tensor("int64", BigInt64Array.from(values.map((v) => BigInt(Math.round(v)))), dims);
  if (type === "int32") return new ort.Tensor("int32", Int32Array.from(values.map(Math.round)), dims);
  return new ort.Tensor("float32", Float32Array.from(values), dims);
}

function inputType(session: ort.InferenceSession, name: string | undefined): string | undefined {
  const m = session.inputMetadata.find((x) => x.name === name);
  return m && m.isTensor ? m.type : undefined;
}

function data(t: ort.Tensor | undefined, what: string): Float32Array {
  if (!t) throw new RuntimeError("model_invalid", `SAM2 model produced no '${what}'`);
  if (t.type !== "float32") throw new RuntimeError("model_invalid", `SAM2 output '${what}' is ${t.type}, expected float32`);
  return t.data as Float32Array;
}

/** The model calls, one method per module, taking and returning plain arrays. */
export class Sam2Modules {
  /** `temporal_code` (maskmem_tpos_enc) rows, `[7][memDim]`, taken from the memory encoder's first run. */
  private temporalCode: Float32Array | undefined;
  /** The first memory's `maskmem_pos_enc`, and it plus each temporal row (built on first use). */
  private firstPos: Float32Array | undefined;
  private readonly posWithRow = new Map<number, Float32Array>();
  /** Whole `memory_pos_embed` inputs by temporal-row list, when every memory has the shared position encoding. */
  private readonly posByRows = new Map<string, Float32Array>();

  /** Resize + normalisation on a worker thread (see preprocessor.ts). */
  readonly preprocessor: FramePreprocessor;
  private nextMemoryId = 0;
  /** Memory windows of finished propagations, reused (each holds slots of 1 MB at SAM2's sizes). */
  private readonly windows: MemoryWindow[] = [];

  /** A memory window for `slotSize`-float memories (from the pool when one is free). Memory ids never repeat, so a
   * reused window's old slots are simply never matched. */
  acquireWindow(slotSize: number): MemoryWindow {
    const i = this.windows.findIndex((w) => w.slotSize === slotSize);
    return i >= 0 ? this.windows.splice(i, 1)[0] : new MemoryWindow(slotSize, 16);
  }

  releaseWindow(w: MemoryWindow): void {
    if (this.windows.length < 8) this.windows.push(w);
  }

  /** The image encoder on its own worker (encoder-worker.ts), when the loop is (or may become) pipelined. */
  encoderWorker: EncoderWorker | undefined;
  /** "auto" mode before its decision: frames are encoded here (timed) and the worker waits, loaded. */
  private undecided: boolean;
  /** "auto" mode: the fastest encoder run here so far (ms), and the decision's inputs once taken. */
  private encoderMs = Infinity;
  decision: { encoderMs: number; mainMs: number; pipelined: boolean } | undefined;

  /**
   * @param preprocessWorker false: preprocess on the calling thread (identical results, slower loop).
   * @param pipeline true: encode frames on a worker with a second encoder session, one frame ahead of the loop
   *   (identical results); false: on this thread; "auto" (default, when `pipelineCandidate`): frames are encoded here
   *   until the loop has timed one tracked frame's own work, then `choosePipeline` decides (`settle`).
   */
  constructor(
    readonly models: Sam2ModelSet,
    preprocessWorker = true,
    pipeline: boolean | "auto" = preprocessWorker && pipelineCandidate(models) ? "auto" : false,
    private readonly minEncoderMs = PIPELINE_MIN_ENCODER_MS,
    private readonly maxEncoderRatio = PIPELINE_MAX_ENCODER_RATIO,
    private readonly log: (msg: string) => void = () => {},
  ) {
    this.preprocessor = new FramePreprocessor(models.imageSize, preprocessWorker);
    this.undecided = pipeline === "auto";
    if (pipeline) {
      this.encoderWorker = new EncoderWorker(models, (source) => this.encodeHere(source));
      this.encoderWorker.start();
    }
  }

  /** Whether frames are encoded on the worker (decided). */
  get pipelined(): boolean {
    return this.encoderWorker !== undefined && !this.undecided;
  }

  /** Whether "auto" mode is still timing (the loop then encodes one frame at a time, without prefetch). */
  get deciding(): boolean {
    return this.undecided;
  }

  /** "auto" mode: decides from the fastest encoder run so far and `mainMs`, the loop's own time for one tracked frame
   * (its objects' memory attention, decoder, memory encoder and mask output, with no encoder run in between). */
  settle(mainMs: number): void {
    if (!this.undecided) return;
    this.undecided = false;
    const pipelined = choosePipeline(this.encoderMs, mainMs, this.minEncoderMs, this.maxEncoderRatio);
    this.decision = { encoderMs: this.encoderMs, mainMs, pipelined };
    const times = `encoder ${this.encoderMs.toFixed(1)} ms, the rest of a tracked frame ${mainMs.toFixed(1)} ms`;
    this.log(
      pipelined
        ? `sam2: image encoder on a worker thread, one frame ahead (${times})`
        : `sam2: image encoder on the loop's thread (${times}: ${this.encoderMs < this.minEncoderMs ? "too short to be worth a worker" : "long enough to keep the cores busy by itself"})`,
    );
    if (!pipelined) {
      const w = this.encoderWorker;
      this.encoderWorker = undefined;
      void w?.close();
    }
  }

  /** Encoder input preparation for the frame `image`: preprocessing here, or nothing when the worker encodes. */
  async prepareFrame(image: RgbImage): Promise<PreparedFrame> {
    return this.encoderWorker ? { image } : { input: await this.prepare(image) };
  }

  /**
   * Frame `frame` of `reader`, prepared for its encoder run. With the encoder on its worker (decided), the worker
   * reads the frame's file itself: the bytes (2.7 MB at 1280×720) never pass through this thread, which otherwise
   * spent ~1.3 ms per 720p frame in readFile and more in garbage collection (CPU profile, 2026-11-22).
   */
  async prepareFrom(reader: FrameReader, frame: number, ahead: 1 | -1 = 1): Promise<PreparedFrame> {
    if (this.pipelined) {
      const source = await reader.leaseFile(frame, ahead);
      return "path" in source ? { file: source } : { image: source };
    }
    return this.prepareFrame(await reader.read(frame, ahead));
  }

  /** The encoder outputs of a prepared frame (on the encoder worker when there is one). */
  encodeFrame(frame: PreparedFrame): Promise<EncodedFrame> {
    if ("input" in frame) return this.encodeInput(frame.input);
    if ("file" in frame) {
      const file = frame.file;
      const enc = this.pipelined ? (this.encoderWorker as EncoderWorker).encode(file) : file.load().then((img) => this.encode(img));
      return enc.finally(() => file.release());
    }
    if (this.undecided) return this.encodeTimed(frame.image);
    return this.encoderWorker ? this.encoderWorker.encode(frame.image) : this.encodeHere(frame.image);
  }

  /** "auto" before the decision: encodes here, timing the encoder run. */
  private async encodeTimed(source: RgbImage): Promise<EncodedFrame> {
    const input = await this.prepare(source);
    const t0 = performance.now();
    const enc = await this.encodeInput(input);
    this.encoderMs = Math.min(this.encoderMs, performance.now() - t0);
    return enc;
  }

  /** Preprocessing and encoder on this thread's session (the encoder worker's fallback). */
  private async encodeHere(source: RgbImage): Promise<EncodedFrame> {
    return this.encodeInput(await this.prepare(source));
  }

  async close(): Promise<void> {
    await this.encoderWorker?.close();
    await this.preprocessor.close();
  }

  /** The encoder input of `img` (resized and normalised on the preprocessing worker). */
  prepare(img: RgbImage): Promise<Float32Array> {
    return this.preprocessor.run(img);
  }

  /** Image encoder on a prepared input; the input buffer goes back to the pool once the model has read it. */
  async encodeInput(input: Float32Array): Promise<EncodedFrame> {
    const S = this.models.imageSize;
    const e = this.models.encoder;
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await e.session.run({ [e.inputs.image]: f32(input, [1, 3, S, S]) });
    } finally {
      this.preprocessor.release(input);
    }
    const o = e.outputs;
    return { pixFeat: out[o.pixFeat], highRes0: out[o.highRes0], highRes1: out[o.highRes1], visionFeats: out[o.visionFeats], visionPos: out[o.visionPos] };
  }

  async encode(img: RgbImage): Promise<EncodedFrame> {
    if (this.undecided) return this.encodeTimed(img);
    return this.encoderWorker ? this.encoderWorker.encode(img) : this.encodeHere(img);
  }

  /** Decoder on `imageEmbed` with points already in model-input pixels (labels 1/0, or -1 padding). */
  async decode(enc: EncodedFrame, imageEmbed: ort.Tensor, points: Array<[number, number, number]>, clicks: number): Promise<DecodedMask> {
    const d = this.models.decoder;
    const s = d.session;
    // Fixed-size prompt exports (e.g. pagarcia's video_decoder_init, P = 8) get SAM2's padding points (0, 0, -1).
    const shape = d.inputShapes[d.inputs.pointCoords] ?? [];
    const fixedP = typeof shape[1] === "number" ? shape[1] : undefined;
    if (fixedP !== undefined) {
      if (points.length > fixedP) throw new RuntimeError("model_invalid", `${d.file}: takes at most ${fixedP} points per object, got ${points.length}`);
      points = [...points, ...Array.from({ length: fixedP - points.length }, (): [number, number, number] => [0, 0, -1])];
    }
    const P = points.length;
    const feeds: Record<string, ort.Tensor> = {
      [d.inputs.pointCoords]: typed(points.flatMap(([x, y]) => [x, y]), [1, P, 2], inputType(s, d.inputs.pointCoords)),
      [d.inputs.pointLabels]: typed(points.map((p) => p[2]), [1, P], inputType(s, d.inputs.pointLabels)),
      [d.inputs.imageEmbed]: imageEmbed,
      [d.inputs.highRes0]: enc.highRes0,
      [d.inputs.highRes1]: enc.highRes1,
    };
    const out = await s.run(feeds);
    const pred = out[d.outputs.predMask];
    const logits = data(pred, d.outputs.predMask);
    const [, count = 1, lowH, lowW] = pred.dims.length === 4 ? pred.dims : [1, 1, pred.dims[pred.dims.length - 2], pred.dims[pred.dims.length - 1]];
    const plane = lowH * lowW;
    const iou = d.outputs.iou ? data(out[d.outputs.iou], d.outputs.iou) : undefined;
    // multimask_output_in_sam with multimask_max_pt_num = 1 (and multimask_output_for_tracking on tracked frames).
    const k = chooseMask(logits, count, plane, iou, clicks <= 1);
    // Views, not copies: every run returns fresh output buffers.
    const lowRes = logits.subarray(k * plane, (k + 1) * plane);
    // `_run_single_frame_inference`: small background holes of the stored low-res mask are filled.
    fillHoles(lowRes, lowH, lowW, FILL_HOLE_AREA);
    const mfm = out[d.outputs.maskForMem];
    const mfmAll = data(mfm, d.outputs.maskForMem);
    const mfmPlane = mfm.dims[mfm.dims.length - 1] * mfm.dims[mfm.dims.length - 2];
    const mfmCount = mfmAll.length / mfmPlane;
    const maskForMem = mfmAll.subarray((mfmCount === count ? k : 0) * mfmPlane, ((mfmCount === count ? k : 0) + 1) * mfmPlane);
    const ptrAll = data(out[d.outputs.objPtr], d.outputs.objPtr);
    const ptrCount = out[d.outputs.objPtr].dims.length === 3 ? out[d.outputs.objPtr].dims[1] : 1;
    const ptrDim = ptrAll.length / ptrCount;
    const objPtr = ptrAll.subarray((ptrCount === count ? k : 0) * ptrDim, ((ptrCount === count ? k : 0) + 1) * ptrDim);
    let occLogit: number | undefined;
    if (d.outputs.occLogit) occLogit = data(out[d.outputs.occLogit], d.outputs.occLogit)[0];
    let score = iou ? iou[Math.min(k, iou.length - 1)] : occLogit !== undefined ? 1 / (1 + Math.exp(-occLogit)) : 1;
    if (occLogit !== undefined && !(occLogit > 0)) {
      // (fillHoles above cannot have changed anything here: the whole plane becomes one background region.)
      // pred_obj_scores: an absent object's masks become NO_OBJ_SCORE, whose sigmoid·20−10 is −10 for memory.
      lowRes.fill(NO_OBJ_SCORE);
      maskForMem.fill(-10);
      score = 1 / (1 + Math.exp(-occLogit));
    }
    return { lowRes, lowH, lowW, maskForMem, maskForMemDims: [1, 1, mfm.dims[mfm.dims.length - 2], mfm.dims[mfm.dims.length - 1]], objPtr, score, occLogit };
  }

  /**
   * @param fromPoints prompted frame: like `propagate_in_video_preflight`, the memory is encoded from the stored
   *   (hole-filled) low-res mask upsampled bilinearly to S×S and binarised (`binarize_mask_from_pts_for_mem_enc`):
   *   ±10 after the ×20 − 10 scaling. Tracked frames use the decoder's own `mask_for_mem` (sigmoid, not filled).
   */
  async encodeMemory(enc: EncodedFrame, mask: DecodedMask, fromPoints: boolean): Promise<MemoryEntry> {
    const m = this.models.memoryEncoder;
    let mfm = mask.maskForMem;
    if (fromPoints) {
      const [, , sh, sw] = mask.maskForMemDims;
      const bin = upsampleMaskLogits(mask.lowRes, mask.lowH, mask.lowW, sh, sw);
      mfm = new Float32Array(bin.length);
      for (let i = 0; i < bin.length; i++) mfm[i] = bin[i] ? 10 : -10;
    }
    const feeds: Record<string, ort.Tensor> = {
      [m.inputs.maskForMem]: f32(mfm, mask.maskForMemDims),
      // SAM2 `_encode_new_memory` always takes the raw backbone feature, not the memory-conditioned one.
      [m.inputs.pixFeat]: enc.pixFeat,
    };
    if (m.inputs.occLogit) feeds[m.inputs.occLogit] = f32(Float32Array.of(mask.occLogit ?? 10), [1, 1]);
    const out = await m.session.run(feeds);
    const feat = out[m.outputs.features];
    if (!this.temporalCode) this.temporalCode = data(out[m.outputs.temporalCode], m.outputs.temporalCode).slice();
    const posEnc = data(out[m.outputs.posEnc], m.outputs.posEnc);
    if (!this.firstPos) this.firstPos = posEnc;
    // Byte equality (memcmp): identical bytes give identical sums with the temporal rows, so the cache is exact.
    const sharedPos = bytesOf(posEnc).equals(bytesOf(this.firstPos));
    // A shared encoding is kept once (the first), not once per stored memory.
    const id = this.nextMemoryId++;
    if (this.nextMemoryId > 0x7fffffff) this.nextMemoryId = 0; // windows live for one propagation, far shorter
    return { id, features: roundToBf16(data(feat, m.outputs.features)), featureDims: [...feat.dims], posEnc: sharedPos ? this.firstPos : posEnc, sharedPos, objPtr: mask.objPtr };
  }

  /** `memory_pos_embed`: per picked memory, maskmem_pos_enc [hw, 1, memDim] + maskmem_tpos_enc[7 - t_pos - 1]. */
  private assemblePositions(picks: ReturnType<typeof selectMemories>, memory: (f: number) => MemoryEntry, hw: number, memDim: number, tc: Float32Array): Float32Array {
    const M = picks.spatial.length;
    const n = hw * memDim;
    const pos = new Float32Array(M * n);
    const rowLen = tc.length / NUM_MASKMEM;
    for (let i = 0; i < M; i++) {
      const p = picks.spatial[i];
      const e = memory(p.frame);
      const base = i * n;
      const cached = e.sharedPos ? this.posWithRow.get(p.tposRow) : undefined;
      if (cached) {
        pos.set(cached, base);
        continue;
      }
      const row = tc.subarray(p.tposRow * rowLen, (p.tposRow + 1) * rowLen);
      const src = e.posEnc;
      for (let j = 0, c = 0; j < n; j++) {
        pos[base + j] = src[j] + row[c];
        if (++c === memDim) c = 0;
      }
      if (e.sharedPos) this.posWithRow.set(p.tposRow, pos.slice(base, base + n));
    }
    return pos;
  }

  /**
   * Memory attention for `frame` over the picked memories; returns the fused feature for the decoder.
   * @param window where `memory_1` is assembled (reused across frames; without one, a fresh concatenation)
   */
  async attend(enc: EncodedFrame, picks: ReturnType<typeof selectMemories>, memory: (f: number) => MemoryEntry, window?: MemoryWindow): Promise<ort.Tensor> {
    const a = this.models.attention;
    const tc = this.temporalCode;
    if (!tc) throw new RuntimeError("model_invalid", "memory attention called before any memory was encoded");
    const first = memory(picks.spatial[0].frame);
    const [, memDim, mh, mw] = first.featureDims;
    const hw = mh * mw;
    const M = picks.spatial.length;
    const picked = picks.spatial.map((p) => memory(p.frame));
    let feats: Float32Array;
    if (window && window.slotSize === memDim * hw) feats = window.assemble(picked);
    else {
      feats = new Float32Array(M * memDim * hw);
      for (let i = 0; i < M; i++) feats.set(picked[i].features, i * memDim * hw);
    }
    // When every memory has the shared position encoding, the assembled positions depend only on the temporal rows
    // (the same 7 rows on every steady-state frame): built once per row list and fed as is (inputs are read-only).
    const shared = picks.spatial.every((p) => memory(p.frame).sharedPos);
    const key = shared ? picks.spatial.map((p) => p.tposRow).join(",") : undefined;
    let pos = key === undefined ? undefined : this.posByRows.get(key);
    if (!pos) {
      pos = this.assemblePositions(picks, memory, hw, memDim, tc);
      if (key !== undefined) {
        if (this.posByRows.size >= 32) this.posByRows.clear();
        this.posByRows.set(key, pos);
      }
    }
    const feeds: Record<string, ort.Tensor> = {
      [a.inputs.currentVisionFeat]: enc.visionFeats,
      [a.inputs.currentVisionPos]: enc.visionPos,
      [a.inputs.memory1]: f32(feats, [M, memDim, mh, mw]),
      [a.inputs.memoryPos]: f32(pos, [M * hw, 1, memDim]),
    };
    if (a.inputs.memory0) {
      const shape = a.inputShapes[a.inputs.memory0] ?? [];
      const ptrDim = typeof shape[shape.length - 1] === "number" ? (shape[shape.length - 1] as number) : first.objPtr.length;
      // Object pointers need their temporal positions projected inside the graph (`obj_ptr_offsets`); an export
      // without that input cannot place them, so it gets none (K = 0), as the research note recommends.
      const ptrs = a.inputs.objPtrOffsets ? picks.pointers : [];
      const mem0 = new Float32Array(ptrs.length * ptrDim);
      ptrs.forEach((p, i) => mem0.set(memory(p.frame).objPtr.subarray(0, ptrDim), i * ptrDim));
      feeds[a.inputs.memory0] = f32(mem0, [ptrs.length, ptrDim]);
      if (a.inputs.objPtrOffsets) {
        // pagarcia's graph divides offsets by a fixed 15; SAM2 divides by min(num_frames, 16) - 1. Pre-scaling
        // makes the graph compute SAM2's value (float offsets only).
        const type = inputType(a.session, a.inputs.objPtrOffsets);
        const scale = type === "float32" && picks.tDiffMax > 0 ? 15 / picks.tDiffMax : 1;
        feeds[a.inputs.objPtrOffsets] = typed(ptrs.map((p) => p.offset * scale), [ptrs.length], type);
      }
    }
    const out = await a.session.run(feeds);
    return out[a.outputs.fused];
  }
}

/** The video-size binary mask of `toObjectMask`, reused: it is consumed (counted, RLE-encoded) at once. */
let maskScratch = new Uint8Array(0);
const boxScratch: MaskBox = { y0: 0, y1: -1, x0: 0, x1: -1 };

function toObjectMask(objectId: string, m: DecodedMask, height: number, width: number): ObjectMask {
  if (maskScratch.length < height * width) maskScratch = new Uint8Array(height * width);
  const bin = upsampleMaskLogits(m.lowRes, m.lowH, m.lowW, height, width, 0, maskScratch, boxScratch);
  // Runs read only the interpolated box, and the area comes from them (foreground runs are the odd ones): passes over
  // every pixel took ~0.4 + 0.9 ms per object at 720p, 1 + 2 ms at 1080p.
  const runs = runsFromMask(bin, height, width, boxScratch);
  const rle = compressRle(runs);
  return { objectId, rle: { size: [rle.size[0], rle.size[1]], counts: rle.counts }, score: m.score, area: rleArea(runs) };
}

/**
 * The encoder side of one propagation pass. onnxruntime-node runs each model synchronously on the JS thread, so
 * the loop's own work must happen elsewhere or in between: frames are read and preprocessed (worker thread) up to
 * PREFETCH frames ahead, and the next ENCODE_AHEAD frames' encoder runs are queued while this frame's objects are decoded.
 * Promises are dropped once consumed, so only the frames in the pipeline stay in memory.
 */
class EncoderPipeline {
  private readonly inputs = new Map<number, Promise<PreparedFrame>>();
  private readonly encoded = new Map<number, Promise<EncodedFrame>>();
  private preparedTo = -1;
  private encodedTo = -1;
  private k = 0;

  /** @param todo the pass's frames that need an encoder run, in processing order */
  constructor(
    private readonly todo: readonly number[],
    private readonly reverse: boolean,
    private readonly reader: FrameReader,
    private readonly modules: Sam2Modules,
    private readonly inflight: Set<Promise<unknown>>,
  ) {}

  /** Starts reading and preprocessing the first frames (before the pass begins); with the encoder on its worker
   * and `encode`, their encoder runs too (the worker would otherwise be idle until the pass reaches them). */
  prefetch(encode = true): void {
    this.prepare(PREFETCH);
    if (encode) this.startEncoding();
  }

  /** With the encoder on its worker, queues the pass's first encoder runs. */
  startEncoding(): void {
    if (this.modules.pipelined) this.encode(ENCODE_AHEAD - 1);
  }

  /** The encoder output of `frame` when it is the next frame needing one, else undefined. */
  async next(frame: number): Promise<EncodedFrame | undefined> {
    if (this.todo[this.k] !== frame) return undefined;
    this.encode(this.k);
    const current = this.encoded.get(this.k) as Promise<EncodedFrame>;
    this.encoded.delete(this.k);
    const enc = await current;
    this.k++;
    // While "auto" mode times this frame's own work, the next frame's encoder run must not run in between.
    if (!this.modules.deciding) this.encode(this.k + ENCODE_AHEAD - 1);
    this.prepare(this.k + PREFETCH);
    return enc;
  }

  private started<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    // Awaited (and its error raised) when its frame comes; settled promises leave the set.
    p.then(
      () => this.inflight.delete(p),
      () => this.inflight.delete(p),
    );
    return p;
  }

  private prepare(k: number): void {
    while (this.preparedTo < Math.min(k, this.todo.length - 1)) {
      const j = ++this.preparedTo;
      this.inputs.set(j, this.started(this.modules.prepareFrom(this.reader, this.todo[j], this.reverse ? -1 : 1)));
    }
  }

  /** Queues the encoder runs of every frame up to `k`. */
  private encode(k: number): void {
    k = Math.min(k, this.todo.length - 1);
    this.prepare(k);
    while (this.encodedTo < k) {
      const j = ++this.encodedTo;
      const input = this.inputs.get(j) as Promise<PreparedFrame>;
      this.inputs.delete(j);
      this.encoded.set(j, this.started(input.then((x) => this.modules.encodeFrame(x))));
    }
  }
}

export class Sam2MaskEngine implements MaskEngine {
  readonly engine: string;
  private readonly modules: Sam2Modules;

  /**
   * @param opts.preprocessWorker false: frames preprocessed on this thread (and no encoder worker)
   * @param opts.pipeline true: the image encoder runs one frame ahead on a worker (second session); false: on this
   *   thread's session. Default "auto" on the CPU with two cores or more and an encoder of at most
   *   PIPELINE_MAX_ENCODER_BYTES: the first tracked frame is processed sequentially and timed, then the loop is
   *   pipelined if the encoder's run took at least `pipelineMinEncoderMs` (default PIPELINE_MIN_ENCODER_MS) and at
   *   most `pipelineMaxEncoderRatio` (default PIPELINE_MAX_ENCODER_RATIO) times the rest of that frame's work
   *   (`choosePipeline`), else it stays sequential. Masks are identical in every mode.
   * @param opts.log where "auto" says what it decided, and on which times
   */
  constructor(
    private readonly models: Sam2ModelSet,
    opts: { preprocessWorker?: boolean; pipeline?: boolean; pipelineMinEncoderMs?: number; pipelineMaxEncoderRatio?: number; log?: (msg: string) => void } = {},
  ) {
    this.engine = `sam2:${models.variant}@${models.device}`;
    const preprocessWorker = opts.preprocessWorker ?? true;
    const pipeline = opts.pipeline ?? (preprocessWorker && pipelineCandidate(models) ? "auto" : false);
    this.modules = new Sam2Modules(models, preprocessWorker, pipeline, opts.pipelineMinEncoderMs, opts.pipelineMaxEncoderRatio, opts.log);
  }

  /** Whether the image encoder runs one frame ahead on its worker (false until "auto" has decided), what "auto"
   * decided on (the encoder's and the rest of a frame's times, ms), how many
   * frames it encoded, and why it stopped, if it did. */
  get pipeline(): { enabled: boolean; decision: Sam2Modules["decision"]; workerRuns: number; failure: string | undefined } {
    const w = this.modules.encoderWorker;
    return { enabled: this.modules.pipelined, decision: this.modules.decision, workerRuns: w?.runs ?? 0, failure: w?.failure };
  }

  async propagate(req: PropagateRequest): Promise<FrameMasks[]> {
    const { width: W, height: H, frameCount: N } = req.video.meta;
    const groups = groupPrompts(req.prompts, W, H, N);
    const prompted = [...new Set(groups.flatMap((g) => [...g.frames.keys()]))].sort((a, b) => a - b);
    const plan = planPropagation(req, prompted, N);
    const S = this.models.imageSize;
    const reader = new FrameReader(req.video, framesRange(plan, prompted));
    const inflight = new Set<Promise<unknown>>();
    const check = () => {
      if (req.signal?.aborted) throw new RuntimeError("cancelled", "SAM2 propagation was cancelled");
    };
    // Frames where every object has its prompted (conditioning) output need no encoder run: SAM2 reuses that output.
    const pipelineFor = (pass: PropagationPlan["passes"][number]) =>
      new EncoderPipeline(pass.frames.filter((f) => groups.some((g) => !g.frames.has(f))), pass.reverse, reader, this.modules, inflight);
    const tracks: ObjectTrack[] = groups.map((g) => ({ objectId: g.objectId, cond: new Map(), nonCond: new Map() }));
    try {
      // The prompted frames are needed first: the first one goes to the preprocessing worker before anything
      // else (queued behind prefetched frames it would wait for them), each next one while the previous one is
      // processed. The first pass's frames are read and preprocessed while the prompted frames are processed.
      const prepared = new Map<number, Promise<PreparedFrame>>();
      const prepare = (k: number) => {
        if (k < prompted.length && !prepared.has(k)) prepared.set(k, started(this.modules.prepareFrom(reader, prompted[k])));
      };
      const started = <T>(p: Promise<T>): Promise<T> => {
        inflight.add(p);
        p.then(
          () => inflight.delete(p),
          () => inflight.delete(p),
        );
        return p;
      };
      prepare(0);
      const pipelines = plan.passes.slice(0, 1).map(pipelineFor);
      // The pass's frames are read ahead now, but their encoder runs are queued only behind the last prompted
      // frame's: queued first, they ran before it on the worker and delayed the first result (at 1280×720 by
      // ~150 ms, 2026-11-22).
      pipelines[0]?.prefetch(false);
      // Conditioning frames first (SAM2 `add_new_points_or_box` on untracked frames, then the preflight's
      // memory encoding), one encoder run per prompted frame shared by its objects.
      for (const [k, f] of prompted.entries()) {
        check();
        prepare(k);
        const input = prepared.get(k) as Promise<PreparedFrame>;
        prepared.delete(k);
        prepare(k + 1);
        const encoding = this.modules.encodeFrame(await input);
        if (k === prompted.length - 1) pipelines[0]?.startEncoding();
        const enc = await encoding;
        for (const [i, g] of groups.entries()) {
          const pts = g.frames.get(f);
          if (!pts) continue;
          const scaled = pts.map(([x, y, l]): [number, number, number] => [(x / W) * S, (y / H) * S, l]);
          const mask = await this.modules.decode(enc, enc.visionFeats, scaled, pts.length);
          const memory = await this.modules.encodeMemory(enc, mask, true);
          tracks[i].cond.set(f, { mask, memory });
        }
      }
      const results = new Map<number, FrameMasks>();
      for (const [p, pass] of plan.passes.entries()) {
        const pipeline = pipelines.shift() ?? pipelineFor(pass);
        for (const [i, f] of pass.frames.entries()) {
          check();
          const enc = await pipeline.next(f);
          // On the last frame of a pass, the next pass's first frames start being read and preprocessed.
          if (i === pass.frames.length - 1 && p + 1 < plan.passes.length) {
            const following = pipelineFor(plan.passes[p + 1]);
            following.prefetch();
            pipelines.push(following);
          }
          const masks: ObjectMask[] = [];
          // "auto" mode decides once it has timed the loop's own work on one tracked frame (see Sam2Modules.settle).
          const timing = enc && this.modules.deciding ? performance.now() : undefined;
          for (const t of tracks) {
            const cond = t.cond.get(f);
            let mask: DecodedMask;
            if (cond) mask = cond.mask;
            else if (!enc) throw new Error("internal: tracked frame without an encoder output");
            else {
              const picks = selectMemories(f, pass.reverse, [...t.cond.keys()], (x) => t.nonCond.has(x), N);
              const memory = (x: number) => (t.cond.get(x)?.memory ?? t.nonCond.get(x)) as MemoryEntry;
              const slot = memory(picks.spatial[0].frame).features.length;
              if (!t.window || t.window.slotSize !== slot) {
                if (t.window) this.modules.releaseWindow(t.window);
                t.window = this.modules.acquireWindow(slot);
              }
              const fused = await this.modules.attend(enc, picks, memory, t.window);
              mask = await this.modules.decode(enc, fused, [[0, 0, -1]], 0);
              t.nonCond.set(f, await this.modules.encodeMemory(enc, mask, false));
              // Keep only memories a later frame can still pick: near this frame, or near the start frame
              // (the reverse pass of "both" attends to the forward pass's first frames, as in SAM2).
              for (const x of t.nonCond.keys()) if (Math.abs(x - f) > memoryHorizon() && Math.abs(x - plan.start) > memoryHorizon()) t.nonCond.delete(x);
            }
            masks.push(toObjectMask(t.objectId, mask, H, W));
          }
          if (timing !== undefined) this.modules.settle(performance.now() - timing);
          const fm: FrameMasks = { frame: f, masks };
          results.set(f, fm);
          req.onFrame?.(fm);
        }
      }
      return [...results.values()].sort((a, b) => a.frame - b.frame);
    } finally {
      // A frame still being encoded (after a cancel or an error) must finish before its frames are deleted.
      await Promise.allSettled(inflight);
      await reader.close();
      for (const t of tracks) if (t.window) this.modules.releaseWindow(t.window);
    }
  }

  /** Stops the engine's worker threads but keeps the models loaded (for an engine sharing its model set with
   * another, which releases them). */
  async closeWorkers(): Promise<void> {
    await this.modules.close();
  }

  async close(): Promise<void> {
    await this.modules.close();
    await releaseModelSet(this.models);
  }
}
