// 1-D rotary embedding of MolmoPoint patch queries/keys (olmo/models/molmo_point/modules.py:
// FlatRotaryEmbedding; HF MolmoPointPatchRope). Computed in float32 like the reference.
import { PATCH_ROTARY_THETA } from "./tokens";

const f32 = Math.fround;
const invFreqCache = new Map<string, Float32Array>();

/**
 * `1 / theta^(arange(0, dim, 2) / dim)` in float32, with a correctly rounded power. The reference's
 * torch CPU `pow` (SLEEF, 1-ULP) differs from this by 1 ULP on a few entries (e.g. 4 of 256 for
 * dim 512); pass the model's own table to {@link rotate} when bit-level agreement matters.
 */
export function rotaryInvFreq(dim: number, theta: number = PATCH_ROTARY_THETA): Float32Array {
  if (!Number.isInteger(dim) || dim < 2 || dim % 2 !== 0) throw new Error(`rotary dim must be a positive even integer, got ${dim}`);
  const key = `${dim}:${theta}`;
  let inv = invFreqCache.get(key);
  if (!inv) {
    inv = new Float32Array(dim / 2);
    for (let i = 0; i < dim / 2; i++) inv[i] = f32(1 / f32(Math.pow(f32(theta), f32(f32(2 * i) / dim))));
    invFreqCache.set(key, inv);
  }
  return inv;
}

/**
 * Rotates one vector by `position`: `x·cos + rotate_half(x)·sin` with `rotate_half(x) = [-x2, x1]`
 * (halves, not interleaved) and angles `position · invFreq` repeated for both halves.
 */
export function rotate(x: Float32Array, position: number, theta: number = PATCH_ROTARY_THETA, invFreq?: Float32Array): Float32Array {
  const dim = x.length;
  const inv = invFreq ?? rotaryInvFreq(dim, theta);
  if (inv.length !== dim / 2) throw new Error(`invFreq has ${inv.length} entries, expected ${dim / 2}`);
  const half = dim / 2;
  const out = new Float32Array(dim);
  const pos = f32(position);
  for (let i = 0; i < half; i++) {
    const ang = f32(pos * inv[i]);
    const c = f32(Math.cos(ang));
    const s = f32(Math.sin(ang));
    const x1 = x[i];
    const x2 = x[i + half];
    out[i] = f32(f32(x1 * c) + f32(-x2 * s));
    out[i + half] = f32(f32(x2 * c) + f32(x1 * s));
  }
  return out;
}

/** Rotates each row of a row-major `[n, dim]` matrix by its own position (keys by their image position id). */
export function rotateRows(
  x: Float32Array,
  dim: number,
  positions: ArrayLike<number>,
  theta: number = PATCH_ROTARY_THETA,
  invFreq?: Float32Array,
): Float32Array {
  if (x.length !== positions.length * dim) throw new Error(`matrix has ${x.length} values, expected ${positions.length}×${dim}`);
  const out = new Float32Array(x.length);
  for (let r = 0; r < positions.length; r++) out.set(rotate(x.subarray(r * dim, (r + 1) * dim), positions[r], theta, invFreq), r * dim);
  return out;
}

/** `image_pos_ids` ("one_d"): position of each image token among indexable tokens, `max(cumsum - 1, 0)`. */
export function imagePositionIds(indexable: Uint8Array): Int32Array {
  const out = new Int32Array(indexable.length);
  let c = 0;
  for (let i = 0; i < indexable.length; i++) {
    c += indexable[i] ? 1 : 0;
    out[i] = Math.max(c - 1, 0);
  }
  return out;
}

/**
 * Rotates the patch keys `[nTokens, dim]` by their position among indexable tokens (non-indexable
 * global-crop tokens get position 0, i.e. are left unrotated). The no-more-points key is appended
 * after rotation in the reference, so it is not part of `keys`.
 */
export function rotatePatchKeys(keys: Float32Array, dim: number, indexable: Uint8Array, theta: number = PATCH_ROTARY_THETA, invFreq?: Float32Array): Float32Array {
  return rotateRows(keys, dim, imagePositionIds(indexable), theta, invFreq);
}
