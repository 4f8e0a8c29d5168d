// Adam (Kingma & Ba) with optional global-norm gradient clipping, as pure jax functions so the whole training step
// (value, gradient, update) compiles into one jit. Bias correction is folded into the step size `lrT` the caller
// passes each step (`adamStepSize`), so the compiled step does not depend on the step number.
import { np, type Tensor } from "./runtime";

export type TensorTree = Record<string, Tensor>;

export interface AdamOptions {
  beta1: number;
  beta2: number;
  eps: number;
  /** Clip the global gradient norm to this value (0 = off). */
  clipNorm: number;
}

export const ADAM_DEFAULTS: AdamOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, clipNorm: 1 };

/** `lr · sqrt(1 − β2^t) / (1 − β1^t)` for step t ≥ 1. */
export function adamStepSize(lr: number, t: number, o: AdamOptions = ADAM_DEFAULTS): number {
  return (lr * Math.sqrt(1 - Math.pow(o.beta2, t))) / (1 - Math.pow(o.beta1, t));
}

/** Zero moments shaped like `params`. */
export function adamInit(params: TensorTree): { m: TensorTree; v: TensorTree } {
  const m: TensorTree = {};
  const v: TensorTree = {};
  for (const [k, p] of Object.entries(params)) {
    m[k] = np.zeros(p.shape);
    v[k] = np.zeros(p.shape);
  }
  return { m, v };
}

/**
 * One Adam update. Consumes `params`, `grads`, `m`, `v` and `lrT` (a scalar array); returns the new trees.
 * `p ← p − lrT · m̂ / (sqrt(v̂) + eps)` with m, v the running moments of the (clipped) gradient.
 */
export function adamUpdate(params: TensorTree, grads: TensorTree, m: TensorTree, v: TensorTree, lrT: Tensor, o: AdamOptions = ADAM_DEFAULTS): { params: TensorTree; m: TensorTree; v: TensorTree } {
  const keys = Object.keys(params);
  let scale: Tensor | null = null;
  if (o.clipNorm > 0) {
    let sq: Tensor | null = null;
    for (const k of keys) {
      const s = grads[k].ref.mul(grads[k].ref).sum();
      sq = sq === null ? s : sq.add(s);
    }
    const norm = np.sqrt(sq as Tensor);
    // min(1, clip / norm) without a branch: clip / max(norm, clip).
    scale = np.reciprocal(np.maximum(norm, o.clipNorm)).mul(o.clipNorm);
  }
  const out = { params: {} as TensorTree, m: {} as TensorTree, v: {} as TensorTree };
  for (const k of keys) {
    const g = scale === null ? grads[k] : grads[k].mul(scale.ref);
    const m1 = m[k].mul(o.beta1).add(g.ref.mul(1 - o.beta1));
    const v1 = v[k].mul(o.beta2).add(g.ref.mul(g).mul(1 - o.beta2));
    out.params[k] = params[k].sub(m1.ref.mul(lrT.ref).div(np.sqrt(v1.ref).add(o.eps)));
    out.m[k] = m1;
    out.v[k] = v1;
  }
  scale?.dispose();
  lrT.dispose();
  return out;
}

/**
 * The same update on host arrays, in place: data-parallel training (trainer/model/shard-workers) keeps the weights
 * and moments in the training process, where the shards' gradients arrive as host arrays. A jit update there cost
 * 35–120 ms per step of jax-js dispatch and read-back while the shard processes sat idle; this loop costs a few.
 * `grads[i]` belongs to `params[i]`, `m[i]`, `v[i]`; `lrT` as for adamUpdate. Sums are in float64, values stored
 * in float32, so it agrees with adamUpdate to float32 rounding.
 */
export function adamUpdateHost(params: Float32Array[], grads: readonly Float32Array[], m: Float32Array[], v: Float32Array[], lrT: number, o: AdamOptions = ADAM_DEFAULTS): void {
  let scale = 1;
  if (o.clipNorm > 0) {
    let sq = 0;
    for (const g of grads) for (let j = 0; j < g.length; j++) sq += g[j]! * g[j]!;
    scale = o.clipNorm / Math.max(Math.sqrt(sq), o.clipNorm);
  }
  const { beta1, beta2, eps } = o;
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    const g = grads[i]!;
    const mi = m[i]!;
    const vi = v[i]!;
    if (g.length !== p.length || mi.length !== p.length || vi.length !== p.length) throw new RangeError(`adamUpdateHost: tensor ${i} has ${g.length} gradients for ${p.length} values`);
    for (let j = 0; j < p.length; j++) {
      const gj = g[j]! * scale;
      mi[j] = beta1 * mi[j]! + (1 - beta1) * gj;
      vi[j] = beta2 * vi[j]! + (1 - beta2) * gj * gj;
      p[j] = p[j]! - (mi[j]! * lrT) / (Math.sqrt(vi[j]!) + eps);
    }
  }
}
