// Differentiable layers over jax-js arrays. Convention: every function CONSUMES its tensor arguments (as jax-js
// ops do); pass `t.ref` to keep using a tensor afterwards.
import { nn, np, type Tensor } from "./runtime";

/** `x·W + b` with W stored `[in, out]` (x may have any leading dims). */
export function linear(x: Tensor, W: Tensor, b: Tensor): Tensor {
  return np.matmul(x, W).add(b);
}

/** LayerNorm over the last axis: `(x − μ)/sqrt(var + eps)·g + b` with the biased variance of the centred values. */
export function layerNorm(x: Tensor, g: Tensor, b: Tensor, eps = 1e-5): Tensor {
  const mu = x.ref.mean(-1, { keepdims: true });
  const xc = x.sub(mu);
  const variance = xc.ref.mul(xc.ref).mean(-1, { keepdims: true });
  return xc.div(np.sqrt(variance.add(eps))).mul(g).add(b);
}

/** GELU, tanh approximation (ONNX `Gelu(approximate="tanh")`). */
export function gelu(x: Tensor): Tensor {
  return nn.gelu(x, { approximate: true });
}

/** Swaps the halves of the last axis with a sign: `[-x2, x1]` (rotary `rotate_half`, halves not interleaved). */
export function rotateHalf(x: Tensor): Tensor {
  const d = x.shape[x.shape.length - 1];
  const [x1, x2] = np.split(x, [d / 2], -1);
  return np.concatenate([x2.neg(), x1], -1);
}

/** Rotary embedding with precomputed tables: `x·cos + rotate_half(x)·sin` (cos/sin broadcast against x). */
export function rotary(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  return x.ref.mul(cos).add(rotateHalf(x).mul(sin));
}

/**
 * Multi-head attention `softmax(q·kᵀ/sqrt(dh) + bias)·v` on `[B, S, d]` queries and `[B, Sk, d]` keys/values.
 * `bias` (additive, broadcast to `[B, heads, S, Sk]`) masks with large negative values; null = no mask.
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, heads: number, bias: Tensor | null): Tensor {
  const [B, S, d] = q.shape;
  const Sk = k.shape[1];
  const dh = d / heads;
  const qh = q.reshape([B, S, heads, dh]).transpose([0, 2, 1, 3]);
  const kh = k.reshape([B, Sk, heads, dh]).transpose([0, 2, 3, 1]);
  const vh = v.reshape([B, Sk, heads, dh]).transpose([0, 2, 1, 3]);
  let scores = np.matmul(qh, kh).mul(1 / Math.sqrt(dh));
  if (bias) scores = scores.add(bias);
  const p = nn.softmax(scores, -1);
  return np.matmul(p, vh).transpose([0, 2, 1, 3]).reshape([B, S, d]);
}

/** Softmax cross-entropy summed over rows: `−Σ labels·logSoftmax(logits)` (labels one-hot, all-zero rows ignored). */
export function crossEntropySum(logits: Tensor, labels: Tensor): Tensor {
  return nn.logSoftmax(logits, -1).mul(labels).sum().neg();
}
