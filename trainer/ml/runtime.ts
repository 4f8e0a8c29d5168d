// The ONE module that talks to @jax-js/jax (swap the autodiff library here). Node 20 needs two things jax-js
// expects from a browser: ES2025 Iterator helpers (its einsum parser maps over `matchAll`) and a global web
// `Worker` (its wasm backend only starts kernel threads when `Worker` exists). Both are installed before the
// backend is initialised; `initJax()` picks the wasm device and logs the thread count.
import { JAX_THREADS, jaxThreads } from "./node-env";
import * as jax from "@jax-js/jax";

export { jax, JAX_THREADS, jaxThreads };
export const np = jax.numpy;
export const nn = jax.nn;
export type Tensor = jax.Array;

let initialised: Promise<{ device: string; threads: number }> | null = null;

/**
 * Initialises jax-js on the wasm device once and logs
 * `jax-js wasm, N kernel threads` unless `quiet`.
 */
export function initJax(opts: { quiet?: boolean } = {}): Promise<{ device: string; threads: number }> {
  if (!initialised) {
    initialised = (async () => {
      const threads = JAX_THREADS;
      const got = await jax.init("wasm");
      if (!got.includes("wasm")) throw new Error(`jax-js: the wasm device is unavailable (got ${got.join(", ") || "none"})`);
      jax.defaultDevice("wasm");
      const info = { device: "wasm", threads };
      if (!opts.quiet) console.error(`[jax] jax-js ${info.device}, ${threads} kernel thread${threads > 1 ? "s" : ""}`);
      return info;
    })();
  }
  return initialised;
}
