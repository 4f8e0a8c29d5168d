// Finite-difference gradient check: the analytic gradient of a scalar function of named float32 tensors against
// central differences (f(p + h) − f(p − h)) / 2h on a deterministic sample of entries of every tensor.
import { seededRandom } from "../../lib/random";
import { jax, np, type Tensor } from "./runtime";
import type { HostTensor } from "./safetensors";

export interface GradCheckEntry {
  tensor: string;
  index: number;
  analytic: number;
  numeric: number;
  /** |a − n| / max(|a| + |n|, floor). */
  relError: number;
}

export interface GradCheckResult {
  entries: GradCheckEntry[];
  /** Worst relative error per tensor. */
  worst: Map<string, GradCheckEntry>;
  maxRelError: number;
}

export interface GradCheckOptions {
  /** Entries sampled per tensor (all when the tensor is smaller). */
  samplesPerTensor: number;
  /** Step h (absolute). */
  step: number;
  /** Denominator floor of the relative error (gradients below it are compared absolutely). */
  floor: number;
  seed: number;
}

/**
 * Compares `grad(f)` with central differences. `f` maps a tree of tensors to a scalar and must not consume the
 * tree's tensors (pass `.ref` inside). Both are jit-compiled (one shape).
 */
export async function gradCheck(f: (p: Record<string, Tensor>) => Tensor, params: ReadonlyMap<string, HostTensor>, opts: GradCheckOptions): Promise<GradCheckResult> {
  const up = (m: ReadonlyMap<string, HostTensor>) => {
    const out: Record<string, Tensor> = {};
    for (const [k, t] of m) out[k] = np.array(t.data, { shape: t.shape });
    return out;
  };
  const value = jax.jit((p: Record<string, Tensor>) => f(p));
  const gradient = jax.jit((p: Record<string, Tensor>) => jax.grad((q: Record<string, Tensor>) => f(q))(p));
  const g = gradient(up(params)) as Record<string, Tensor>;
  const rnd = seededRandom(opts.seed);
  const entries: GradCheckEntry[] = [];
  const worst = new Map<string, GradCheckEntry>();
  const evalAt = async (name: string, index: number, delta: number) => {
    const copy = new Map(params);
    const t = params.get(name) as HostTensor;
    const data = Float32Array.from(t.data);
    data[index] = Math.fround(data[index] + delta);
    copy.set(name, { shape: t.shape, data });
    const v = (await (value(up(copy)) as Tensor).data())[0];
    return { v, actualDelta: data[index] - t.data[index] };
  };
  try {
    for (const [name, t] of params) {
      const ga = (await g[name].ref.data()) as Float32Array;
      const n = t.data.length;
      const picks = n <= opts.samplesPerTensor ? Array.from({ length: n }, (_, i) => i) : Array.from({ length: opts.samplesPerTensor }, () => Math.floor(rnd() * n));
      for (const index of picks) {
        const plus = await evalAt(name, index, opts.step);
        const minus = await evalAt(name, index, -opts.step);
        const numeric = (plus.v - minus.v) / (plus.actualDelta - minus.actualDelta);
        const analytic = ga[index];
        const relError = Math.abs(analytic - numeric) / Math.max(Math.abs(analytic) + Math.abs(numeric), opts.floor);
        const e = { tensor: name, index, analytic, numeric, relError };
        entries.push(e);
        const w = worst.get(name);
        if (!w || relError > w.relError) worst.set(name, e);
      }
    }
  } finally {
    jax.tree.dispose(g);
    value.dispose();
    gradient.dispose();
  }
  return { entries, worst, maxRelError: Math.max(0, ...entries.map((e) => e.relError)) };
}
