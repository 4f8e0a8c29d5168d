// Browser features jax-js expects, installed BEFORE @jax-js/jax is evaluated (its wasm backend is constructed at
// import time and decides then whether to use shared memory and kernel threads). Imported first by ./runtime.
import { availableParallelism } from "node:os";
import { resolveObjectURL } from "node:buffer";
import { Worker as ThreadWorker } from "node:worker_threads";
type AnyFn = (...args: never[]) => unknown;

/** Iterator helpers (map, filter, toArray, …) on %IteratorPrototype% when the runtime lacks them (Node < 22). */
function installIteratorHelpers(): void {
  const proto = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as Record<string, unknown>;
  if (typeof proto.map === "function") return;
  type It = Iterator<unknown> & Iterable<unknown>;
  const helpers: Record<string, AnyFn> = {
    *map(this: It, f: (v: unknown, i: number) => unknown) { let i = 0; for (const v of this) yield f(v, i++); },
    *filter(this: It, f: (v: unknown, i: number) => boolean) { let i = 0; for (const v of this) if (f(v, i++)) yield v; },
    *flatMap(this: It, f: (v: unknown, i: number) => Iterable<unknown>) { let i = 0; for (const v of this) yield* f(v, i++); },
    *take(this: It, n: number) { if (n <= 0) return; let i = 0; for (const v of this) { yield v; if (++i >= n) return; } },
    *drop(this: It, n: number) { let i = 0; for (const v of this) if (i++ >= n) yield v; },
    toArray(this: It) { return [...this]; },
    forEach(this: It, f: (v: unknown, i: number) => void) { let i = 0; for (const v of this) f(v, i++); },
    some(this: It, f: (v: unknown, i: number) => boolean) { let i = 0; for (const v of this) if (f(v, i++)) return true; return false; },
    every(this: It, f: (v: unknown, i: number) => boolean) { let i = 0; for (const v of this) if (!f(v, i++)) return false; return true; },
    find(this: It, f: (v: unknown, i: number) => boolean) { let i = 0; for (const v of this) if (f(v, i++)) return v; return undefined; },
    reduce(this: It, f: (a: unknown, v: unknown, i: number) => unknown, ...init: unknown[]) {
      let i = 0;
      let acc: unknown;
      let started = init.length > 0;
      if (started) acc = init[0];
      for (const v of this) {
        if (!started) { acc = v; started = true; i++; continue; }
        acc = f(acc, v, i++);
      }
      if (!started) throw new TypeError("Reduce of empty iterator with no initial value");
      return acc;
    },
  };
  for (const [name, fn] of Object.entries(helpers)) Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true });
}

// Runs inside each worker thread: gives the browser-worker source `self`, `onmessage` and `postMessage`.
const WORKER_BOOTSTRAP = `
const { parentPort, workerData } = require("node:worker_threads");
globalThis.self = globalThis;
globalThis.postMessage = (m) => parentPort.postMessage(m);
parentPort.on("message", (data) => { if (typeof self.onmessage === "function") self.onmessage({ data }); });
(0, eval)(workerData.source);
`;

/**
 * A browser-style `Worker(blobUrl)` over `worker_threads`. The blob's source is read asynchronously, so messages
 * posted before the thread exists are queued. A thread keeps the process alive only while it owes a reply.
 */
class NodeBlobWorker {
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: ((e: { message: string }) => void) | null = null;
  private thread: ThreadWorker | null = null;
  private queue: unknown[] = [];
  private pending = 0;
  private closed = false;

  constructor(url: string | URL) {
    const blob = resolveObjectURL(String(url));
    if (!blob) throw new Error(`jax worker shim: ${String(url)} is not a blob URL`);
    void blob.text().then((source) => {
      if (this.closed) return;
      const t = new ThreadWorker(WORKER_BOOTSTRAP, { eval: true, workerData: { source } });
      t.on("message", (data: unknown) => {
        this.pending = Math.max(0, this.pending - 1);
        if (this.pending === 0) t.unref();
        this.onmessage?.({ data });
      });
      t.on("error", (e: Error) => this.onerror?.({ message: e.message }));
      this.thread = t;
      for (const m of this.queue) this.send(m);
      this.queue = [];
      if (this.pending === 0) t.unref();
    });
  }

  postMessage(m: unknown): void {
    this.pending++;
    if (this.thread) this.send(m);
    else this.queue.push(m);
  }

  private send(m: unknown): void {
    const t = this.thread as ThreadWorker;
    t.ref();
    t.postMessage(m);
  }

  terminate(): void {
    this.closed = true;
    void this.thread?.terminate();
  }
}

/** Kernel threads to use: `GROUNDTRACK_JAX_THREADS`, else the CPU count (at most 2 by default on this project's 2-core machines). */
export function jaxThreads(): number {
  const env = process.env.GROUNDTRACK_JAX_THREADS;
  if (env !== undefined) {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`GROUNDTRACK_JAX_THREADS must be an integer in [1, 64], got '${env}'`);
    return n;
  }
  return Math.max(1, Math.min(2, availableParallelism()));
}

/** Installs the Iterator helpers and, for more than one thread, the Worker shim; returns the thread count. */
function installNodeEnv(): number {
  installIteratorHelpers();
  const threads = jaxThreads();
  const g = globalThis as Record<string, unknown>;
  if (threads > 1 && typeof g.Worker === "undefined") {
    g.Worker = NodeBlobWorker;
    const nav = (g.navigator ?? {}) as Record<string, unknown>;
    try {
      Object.defineProperty(nav, "hardwareConcurrency", { value: threads, configurable: true });
    } catch {
      // a read-only navigator (Node ≥ 21) keeps its own value
    }
    if (!g.navigator) g.navigator = nav;
  }
  return threads;
}

/** Kernel threads jax-js was set up with in this process. */
export const JAX_THREADS = installNodeEnv();
