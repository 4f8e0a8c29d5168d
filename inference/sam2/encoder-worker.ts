// The image encoder one frame ahead, on a worker thread with its own onnxruntime session of the same file and
// session options. onnxruntime-node's `session.run` is synchronous on the JS thread that calls it, so with one
// thread the encoder of frame t+1 cannot overlap memory attention / decoder / memory encoder of frame t; here
// it does (the SAM2 video demo prefetches image features the same way). The worker reads the frame's raw RGB file
// itself (FrameReader.leaseFile) and preprocesses it (the same prelude as preprocessor.ts), so neither the frame's
// bytes nor the 12 MB encoder input pass through the loop's thread; the five
// outputs come back as transferred buffers (no copy: the encoder's own output buffers, which the loop would
// otherwise receive from its own session just the same).
//
// Same file, same options, same input bytes: the same floats as the loop's own session (tested). Anything the
// worker cannot do is done on the loop's thread by `fallback` (its preprocessor and encoder session), so errors
// surface exactly as without the worker: a worker that dies, fails to load the model or throws is retired and its
// frames — and all later ones — are encoded there.
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import * as ort from "onnxruntime-node";
import type { FrameFile } from "./frames";
import type { RgbImage } from "./image";
import { moduleBytes, sessionOptions, type Sam2ModelSet } from "./models";
import { preprocessingPrelude, preprocessingWorkerData } from "./preprocessor";

/** The image encoder's outputs for one frame. */
export interface EncodedFrame {
  pixFeat: ort.Tensor;
  highRes0: ort.Tensor;
  highRes1: ort.Tensor;
  visionFeats: ort.Tensor;
  visionPos: ort.Tensor;
}

const SLOTS = ["pixFeat", "highRes0", "highRes1", "visionFeats", "visionPos"] as const;

/**
 * Largest encoder (file + external weights) pipelined by default: a second session holds a second copy of the
 * weights. SAM2.1 tiny, small and base+ encoders are below it (≈130, 160, 330 MB); large (≈850 MB) is not.
 */
export const PIPELINE_MAX_ENCODER_BYTES = 400 * 2 ** 20;

/**
 * An encoder run shorter than this is not worth a worker ("auto" mode): the message round trip, the second
 * session's threads and the output transfer cost more than the overlap gains. Measured (bench:sam2, 2 cores, 48
 * frames, wall loop / replay, node --single-threaded-gc as the server runs): tiny test models (0.3 ms encoder)
 * 7.1 ms per frame pipelined vs 5.5 sequential; SAM2's shapes with an 18 ms encoder 0.85 vs 1.40 (frames in
 * memory) and 1.02 vs 1.56 (from the video); with a ~100 ms encoder 1.12 vs 1.32. (With V8's parallel GC, an earlier
 * session: 25 ms encoder 1.48 vs 1.53, hence the former 20 ms.) A cold first run of the tiny encoder takes ~1 ms.
 */
export const PIPELINE_MIN_ENCODER_MS = 8;

/**
 * Largest encoder time, as a multiple of the loop's own time per frame (its objects' models and JS, timed on the
 * first tracked frame), still pipelined in "auto" mode. An encoder far longer than the rest keeps every core busy by
 * itself (onnxruntime's pool uses them all: ~1.9 of 2 cores for the 100 ms test encoder, ~1.4 for the 12 ms one), so
 * running the rest beside it only adds contention. Measured (2 cores, 48 frames, node --single-threaded-gc,
 * 2026-11-22): the 100 ms encoder against ~35 ms of the rest (ratio 2.1–2.4 on the timed, still cold frame) ran
 * 1.10–1.14× its replay sequential (four runs), 1.13–1.25× pipelined (five); the 12 ms encoder against ~33 ms (0.5 cold)
 * 0.99–1.15× pipelined (four runs, in memory and from the video), 1.43–1.45× sequential (one).
 */
export const PIPELINE_MAX_ENCODER_RATIO = 1.5;

/** "auto" mode's decision from the encoder's time on this thread and the loop's own time per tracked frame (ms). */
export function choosePipeline(encoderMs: number, mainMs: number, minEncoderMs = PIPELINE_MIN_ENCODER_MS, maxRatio = PIPELINE_MAX_ENCODER_RATIO): boolean {
  return encoderMs >= minEncoderMs && encoderMs <= maxRatio * mainMs;
}

/** Whether the loop may pipeline its encoder by default: on the CPU, with a second core, for an encoder that is not
 * huge (the loop then decides after timing its first tracked frame: `choosePipeline`). */
export function pipelineCandidate(models: Sam2ModelSet): boolean {
  return models.device === "cpu" && availableParallelism() >= 2 && moduleBytes(models.encoder.file) <= PIPELINE_MAX_ENCODER_BYTES;
}

function ortPath(): string {
  return createRequire(import.meta.url).resolve("onnxruntime-node");
}

/** Worker script: the preprocessing prelude, then one frame at a time through the encoder session. */
function workerSource(): string {
  return [
    ...preprocessingPrelude(),
    "const ort = require(workerData.ort);",
    "const S = workerData.size;",
    // Reused for every frame: frames are handled one at a time (session.run reads its input after a setImmediate).
    "const input = new Float32Array(3 * S * S);",
    "const ready = ort.InferenceSession.create(workerData.file, workerData.options);",
    "ready.catch(() => {});",
    "let queue = Promise.resolve();",
    'const fs = require("node:fs");',
    "let fileBuf = new Uint8Array(0);",
    "function readFrameFile(file, bytes) {",
    "  if (fileBuf.length < bytes) fileBuf = new Uint8Array(bytes);",
    '  const fd = fs.openSync(file, "r");',
    "  try {",
    "    const size = fs.fstatSync(fd).size;",
    '    if (size !== bytes) throw new Error("a frame file of " + size + " bytes, expected " + bytes);',
    "    let got = 0;",
    "    while (got < bytes) { const n = fs.readSync(fd, fileBuf, got, bytes - got, got); if (n === 0) break; got += n; }",
    '    if (got !== bytes) throw new Error("a frame file cut short at " + got + " of " + bytes + " bytes");',
    "  } finally { fs.closeSync(fd); }",
    "  return fileBuf.subarray(0, bytes);",
    "}",
    'parentPort.on("message", (m) => { queue = queue.then(() => (m.close ? shutdown() : handle(m))); });',
    // Exits only once the session load has settled: a thread terminated while onnxruntime is still creating its
    // session gets a native callback into a dead environment, which aborts the whole process.
    "async function shutdown() {",
    "  try { const session = await ready; await session.release(); } catch {}",
    "  process.exit(0);",
    "}",
    "async function handle(m) {",
    "  let session;",
    "  try { session = await ready; } catch (e) {",
    '    return parentPort.postMessage({ id: m.id, fatal: "cannot load " + workerData.file + " on the encoder worker: " + String((e && e.message) || e) });',
    "  }",
    "  try {",
    // With the SIMD kernel the input is fed from the kernel's memory, not copied out (12 MB at 1024²): frames are
    // handled one at a time, so it stays valid until the run has read it.
    "    let src;",
    "    if (m.file !== undefined) {",
    // A frame file is read here, into a buffer reused for every frame: its bytes never pass through the loop's
    // thread. A file that cannot be read or has the wrong size goes back to the loop, which reads it itself and
    // reports what is wrong (the worker is not at fault).
    "      try { src = readFrameFile(m.file, m.width * m.height * 3); } catch (e) { return parentPort.postMessage({ id: m.id, unreadable: String((e && e.message) || e) }); }",
    "    } else src = new Uint8Array(m.src);",
    "    const x = pillowResample(src, m.width, m.height, S, S, null, input, luts, kernel, true);",
    '    const out = await session.run({ [workerData.inputName]: new ort.Tensor("float32", x, [1, 3, S, S]) });',
    "    const outputs = [];",
    "    const transfer = [];",
    "    for (const name of workerData.outputNames) {",
    "      const t = out[name];",
    // Not what the loop expects: its own thread runs the frame and reports it the usual way.
    '      if (!t || t.type !== "float32") return parentPort.postMessage({ id: m.id, unsupported: name });',
    "      let v = t.data;",
    // Whole buffers move without a copy; a view into a larger or already listed buffer is copied first.
    "      if (v.byteOffset !== 0 || v.byteLength !== v.buffer.byteLength || transfer.includes(v.buffer)) v = v.slice();",
    "      outputs.push({ dims: t.dims, data: v });",
    "      transfer.push(v.buffer);",
    "    }",
    "    parentPort.postMessage({ id: m.id, outputs }, transfer);",
    "  } catch (e) {",
    "    parentPort.postMessage({ id: m.id, error: String((e && e.stack) || e) });",
    "  }",
    "}",
  ].join("\n");
}

/** How long a closing worker may take to finish its frames and session load before it is terminated anyway. */
const SHUTDOWN_GRACE_MS = 30_000;

/** Asks the worker to exit when its queue is done; the process stays alive until it has. */
async function exitWhenIdle(w: Worker): Promise<void> {
  const exited = new Promise<void>((resolve) => w.once("exit", () => resolve()));
  w.ref();
  w.postMessage({ close: true });
  const timer = setTimeout(() => void w.terminate(), SHUTDOWN_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

interface Pending {
  /** The frame as given; a file is read on this thread (`load`) when this thread must encode it. */
  source: RgbImage | FrameFile;
  resolve: (e: EncodedFrame) => void;
  reject: (e: Error) => void;
}

type WorkerReply =
  | { id: number; outputs: Array<{ dims: number[]; data: Float32Array }> }
  | { id: number; unsupported: string }
  | { id: number; unreadable: string }
  | { id: number; error: string }
  | { id: number; fatal: string };

export class EncoderWorker {
  private worker: Worker | undefined;
  /** Set once the worker is retired (or closed): everything goes to `fallback` from then on. */
  private retired = false;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Frames the worker encoded (the benchmark checks the loop made exactly the recorded calls). */
  runs = 0;
  /** Why the worker was retired, if it was. */
  failure: string | undefined;

  /** @param fallback encodes a frame on the loop's thread (its preprocessor and encoder session) */
  constructor(private readonly models: Sam2ModelSet, private readonly fallback: (source: RgbImage) => Promise<EncodedFrame>) {}

  /** Starts the worker and its session load now (the first frame need not wait for it). */
  start(): void {
    if (!this.retired) this.ensureWorker();
  }

  /**
   * The encoder outputs of `source`: an image (the caller's bytes are not modified or kept) or a frame file, which
   * the worker reads itself (the caller releases it once this settles).
   */
  encode(source: RgbImage | FrameFile): Promise<EncodedFrame> {
    const w = this.retired ? undefined : this.ensureWorker();
    if (!w) return this.encodeHere(source);
    const id = this.nextId++;
    return new Promise<EncodedFrame>((resolve, reject) => {
      this.pending.set(id, { source, resolve, reject });
      if (this.pending.size === 1) w.ref(); // keep the process alive only while a frame is being encoded
      if ("path" in source) {
        w.postMessage({ id, file: source.path, width: source.width, height: source.height });
        return;
      }
      // A copy goes to the worker (transferred): the caller's bytes stay here for the fallback.
      const copy = new Uint8Array(source.data);
      w.postMessage({ id, src: copy.buffer, width: source.width, height: source.height }, [copy.buffer]);
    });
  }

  /** `source` encoded on the loop's thread (a file is read here first). */
  private async encodeHere(source: RgbImage | FrameFile): Promise<EncodedFrame> {
    return this.fallback("path" in source ? await source.load() : source);
  }

  /** Stops the worker once the frames sent to it are done and its session load has settled (the worker's shutdown()). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.retired = true;
    if (w) await exitWhenIdle(w);
    for (const [id, p] of [...this.pending]) {
      this.pending.delete(id);
      p.reject(new Error("SAM2 encoder worker closed while a frame was being encoded"));
    }
  }

  private ensureWorker(): Worker | undefined {
    if (this.worker) return this.worker;
    const e = this.models.encoder;
    try {
      const w = new Worker(workerSource(), {
        eval: true,
        workerData: {
          ...preprocessingWorkerData(),
          ort: ortPath(),
          file: e.file,
          options: sessionOptions(this.models.device, this.models.tuning),
          size: this.models.imageSize,
          inputName: e.inputs.image,
          outputNames: SLOTS.map((s) => e.outputs[s]),
        },
      });
      w.unref();
      w.on("message", (m: WorkerReply) => this.onReply(w, m));
      const fail = (err?: Error) => this.retire(w, err ? `encoder worker failed: ${err.message}` : "encoder worker exited");
      w.on("error", fail);
      w.on("exit", () => fail());
      this.worker = w;
      return w;
    } catch (err) {
      this.retired = true;
      this.failure = `encoder worker could not start: ${(err as Error).message}`;
      return undefined;
    }
  }

  private onReply(w: Worker, m: WorkerReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    // A closing worker stays referenced until it has exited (exitWhenIdle).
    if (this.pending.size === 0 && this.worker === w) w.unref();
    if ("outputs" in m) {
      this.runs++;
      const t = m.outputs.map((o) => new ort.Tensor("float32", o.data, o.dims));
      p.resolve({ pixFeat: t[0], highRes0: t[1], highRes1: t[2], visionFeats: t[3], visionPos: t[4] });
      return;
    }
    // This frame is done on the loop's thread: an unexpected output type fails there as it would without the worker,
    // and a frame file the worker could not read is read (and its fault reported) there.
    this.encodeHere(p.source).then(p.resolve, p.reject);
    if ("unreadable" in m) return;
    if ("error" in m) this.retire(w, `encoder worker error: ${m.error.split("\n")[0]}`, true);
    else if ("fatal" in m) this.retire(w, m.fatal, true);
  }

  /**
   * The worker is not used again; frames it had are encoded on the loop's thread. One that answered with an error is
   * still running and may be inside `session.run` for a frame queued after it: it is asked to exit when idle, because
   * terminating a thread while onnxruntime runs for it aborts the whole process (a native callback into a dead
   * environment: "terminate called after throwing an instance of 'Napi::Error'", seen in CI).
   */
  private retire(w: Worker, why: string, alive = false): void {
    if (this.worker !== w) return;
    this.worker = undefined;
    this.retired = true;
    this.failure = why;
    if (alive) void exitWhenIdle(w);
    else void w.terminate();
    for (const [id, p] of [...this.pending]) {
      this.pending.delete(id);
      this.encodeHere(p.source).then(p.resolve, p.reject);
    }
  }
}
