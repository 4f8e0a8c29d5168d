// The encoder input of each frame (Pillow-exact S×S resize + normalisation, `image.ts`), computed on a worker
// thread. onnxruntime-node runs `session.run` synchronously on the JS thread, so preprocessing there would add to
// every frame's time; on a worker it overlaps the previous frame's model runs and the loop approaches the models'
// own time. The worker writes into shared staging slots (SharedArrayBuffer, one per frame in flight) and this
// thread copies each result into a pooled buffer of its own (onnxruntime-node refuses shared memory as input):
// handing 12 MB ArrayBuffers back and forth instead would count as a fresh 12 MB external allocation on this
// thread per frame and trigger extra garbage collections (measured: ~5 ms of GC pauses per frame at 1024²),
// far more than the ~1 ms copy.
//
// The worker evaluates the source text of `pillowResample` itself (one implementation). If the worker cannot start
// or dies, the same function runs on this thread: results are identical either way, only slower.
import { Worker } from "node:worker_threads";
import { NORMALISE_LUTS, pillowResample, type ResampleKernel, type RgbImage } from "./image";
import { createResampleKernel, resampleWasmBytes } from "./resample-wasm";

/** What a preprocessing worker needs in its `workerData` (`preprocessingPrelude`). */
export function preprocessingWorkerData(): { luts: typeof NORMALISE_LUTS; wasm: Uint8Array } {
  return { luts: NORMALISE_LUTS, wasm: resampleWasmBytes() };
}

/**
 * The start of a preprocessing worker's script (CommonJS, as `eval` workers are): the kernel's own source and the
 * SIMD kernel from `workerData` (`preprocessingWorkerData`). Shared by this file's worker and the encoder worker
 * (encoder-worker.ts): one implementation of the frame input.
 */
export function preprocessingPrelude(): string[] {
  return [
    '"use strict";',
    'const { parentPort, workerData } = require("node:worker_threads");',
    // Bundlers that keep function names (esbuild keepNames) may call this helper inside the function text.
    "var __name = (f) => f;",
    `const pillowResample = ${String(pillowResample)};`,
    "const luts = workerData.luts;",
    // The SIMD vertical pass (resample-wasm.ts); without WebAssembly SIMD the JS pass computes the same floats.
    "let kernel = null;",
    "try { kernel = new WebAssembly.Instance(new WebAssembly.Module(workerData.wasm)).exports; } catch (e) { kernel = null; }",
  ];
}

/** Worker script: the shared prelude plus a message loop writing the encoder input into the frame's shared slot. */
function workerSource(): string {
  return [
    ...preprocessingPrelude(),
    'parentPort.on("message", (m) => {',
    "  try {",
    "    pillowResample(new Uint8Array(m.src, 0, m.length), m.width, m.height, m.size, m.size, null, new Float32Array(m.slot), luts, kernel);",
    "    parentPort.postMessage({ id: m.id });",
    "  } catch (e) {",
    "    parentPort.postMessage({ id: m.id, error: String((e && e.stack) || e) });",
    "  }",
    "});",
  ].join("\n");
}

/** Shared memory for one frame in flight: the source image the worker reads and the result it writes. */
interface Slot {
  src: Uint8Array;
  out: Float32Array;
}

interface Pending {
  source: RgbImage;
  /** This thread's buffer the result goes to. */
  out: Float32Array;
  slot: Slot;
  resolve: (out: Float32Array) => void;
  reject: (e: Error) => void;
}

export class FramePreprocessor {
  private worker: Worker | undefined;
  /** Set once the worker failed: from then on everything runs on this thread. */
  private inline: boolean;
  private readonly pending = new Map<number, Pending>();
  /** Results handed out and given back (`release`), reused for later frames. */
  private readonly pool: Float32Array[] = [];
  /** Shared staging slots not in use (one is created per frame in flight, then reused). */
  private readonly slots: Slot[] = [];
  private nextId = 0;
  /** The SIMD kernel on this thread (inline preprocessing), created on first use; null: unavailable. */
  private kernel: ResampleKernel | null | undefined;

  /** @param useWorker false: compute on the calling thread (same results; for tiny inputs or no worker support). */
  constructor(readonly size: number, useWorker = true) {
    this.inline = !useWorker;
  }

  /** The encoder input `[1, 3, S, S]` for `source`; give it back with `release` once the encoder has run. */
  run(source: RgbImage): Promise<Float32Array> {
    const n = 3 * this.size * this.size;
    const out = this.pool.pop() ?? new Float32Array(n);
    const worker = this.inline ? undefined : this.ensureWorker();
    if (!worker) {
      try {
        return Promise.resolve(this.compute(source, out));
      } catch (e) {
        return Promise.reject(e as Error);
      }
    }
    const bytes = source.data;
    let slot = this.slots.pop() ?? { src: new Uint8Array(0), out: new Float32Array(new SharedArrayBuffer(4 * n)) };
    if (slot.src.length < bytes.length) slot = { src: new Uint8Array(new SharedArrayBuffer(bytes.length)), out: slot.out };
    // The source goes through shared memory too (a copy, so the caller keeps its image and a crashed worker's
    // frames can be redone here): a structured clone per frame would cost more.
    slot.src.set(bytes);
    const id = this.nextId++;
    return new Promise<Float32Array>((resolve, reject) => {
      this.pending.set(id, { source, out, slot, resolve, reject });
      if (this.pending.size === 1) worker.ref(); // keep the process alive only while a frame is being prepared
      worker.postMessage({
        id,
        src: slot.src.buffer,
        length: bytes.length,
        width: source.width,
        height: source.height,
        size: this.size,
        slot: slot.out.buffer,
      });
    });
  }

  /** Returns an encoder input to the pool (after `session.run` has resolved, the model no longer reads it). */
  release(buf: Float32Array): void {
    if (buf.length === 3 * this.size * this.size && this.pool.length < 4 && !this.pool.includes(buf)) this.pool.push(buf);
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.inline = true;
    if (w) await w.terminate();
    this.failPending();
  }

  private compute(img: RgbImage, out: Float32Array): Float32Array {
    if (this.kernel === undefined) this.kernel = createResampleKernel();
    pillowResample(img.data, img.width, img.height, this.size, this.size, null, out, NORMALISE_LUTS, this.kernel);
    return out;
  }

  private ensureWorker(): Worker | undefined {
    if (this.worker) return this.worker;
    try {
      const w = new Worker(workerSource(), { eval: true, workerData: preprocessingWorkerData() });
      w.unref();
      w.on("message", (m: { id: number; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (this.pending.size === 0) w.unref();
        // A failure inside the worker (e.g. a bundler that rewrote the kernel's text) is redone here, where it throws
        // with a proper stack if it is real; the worker is not used again.
        try {
          p.resolve(m.error === undefined ? (p.out.set(p.slot.out), p.out) : this.compute(p.source, p.out));
        } catch (e) {
          p.reject(e as Error);
        }
        this.slots.push(p.slot);
        if (m.error !== undefined && this.worker === w) {
          this.worker = undefined;
          this.inline = true;
          void w.terminate();
          this.failPending();
        }
      });
      const fail = () => {
        if (this.worker !== w) return;
        this.worker = undefined;
        this.inline = true;
        this.failPending();
      };
      w.on("error", fail);
      w.on("exit", fail);
      this.worker = w;
      return w;
    } catch {
      this.inline = true;
      return undefined;
    }
  }

  /** Frames that were with the worker when it stopped are computed here instead. */
  private failPending(): void {
    for (const [id, p] of [...this.pending]) {
      this.pending.delete(id);
      // The slot is not reused: a dying worker may still be writing it.
      try {
        p.resolve(this.compute(p.source, p.out));
      } catch (e) {
        p.reject(e as Error);
      }
    }
  }
}
