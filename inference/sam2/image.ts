// SAM2 image pre- and post-processing, as the official video predictor does it (facebookresearch/sam2):
// - input: `sam2/utils/misc.py` `_load_img_as_tensor` — PIL `Image.resize((S, S))` (a plain stretch, Pillow's
//   default BICUBIC filter with antialiasing), ÷255, then `(x - mean) / std` in float32, NCHW;
// - output: `_get_orig_video_res_output` — `F.interpolate(low_res_logits, (H, W), mode="bilinear",
//   align_corners=False)`, then the demo backend thresholds at `> 0`.

/** An 8-bit RGB image, row-major, 3 bytes per pixel. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** ImageNet statistics used by SAM2 (`img_mean`, `img_std` in sam2_video_predictor / misc.py). */
const MEAN = [0.485, 0.456, 0.406].map(Math.fround);
const STD = [0.229, 0.224, 0.225].map(Math.fround);

// ---- Pillow's resampling (libImaging/Resample.c), bit-exact for 8-bit RGB --------------------------------------

const PRECISION_BITS = 32 - 8 - 2;

/** Pillow's bicubic kernel (a = -0.5), support 2. */
function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

interface Coeffs {
  ksize: number;
  /** [xmin, count] per output pixel. */
  bounds: Int32Array;
  /** Fixed-point weights, ksize per output pixel. */
  kk: Int32Array;
}

/** `precompute_coeffs` + `normalize_coeffs_8bpc`. */
function precomputeCoeffs(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 2 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    // C casts with (int), which truncates toward zero.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubic((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < ksize; x++) {
      const v = x < xmax ? (ww !== 0 ? k[x] / ww : k[x]) : 0;
      kk[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

function clip8(v: number): number {
  const s = v >> PRECISION_BITS;
  return s < 0 ? 0 : s > 255 ? 255 : s;
}

/**
 * `PIL.Image.resize((outW, outH))` on an RGB image (BICUBIC, Pillow ≥ 7 default): horizontal pass into uint8,
 * then vertical pass, each with Pillow's fixed-point arithmetic, so the output bytes equal Pillow's.
 */
export function resizeBicubicPil(img: RgbImage, outW: number, outH: number): RgbImage {
  const { width: inW, height: inH } = img;
  let src = img.data;
  let curW = inW;
  if (outW !== inW) {
    const c = precomputeCoeffs(inW, outW);
    const out = new Uint8Array(outW * inH * 3);
    for (let y = 0; y < inH; y++) {
      const row = y * inW * 3;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = c.bounds[xx * 2];
        const n = c.bounds[xx * 2 + 1];
        const kOff = xx * c.ksize;
        let r = 1 << (PRECISION_BITS - 1);
        let g = r;
        let b = r;
        for (let x = 0; x < n; x++) {
          const w = c.kk[kOff + x];
          const p = row + (xmin + x) * 3;
          // Products fit in 31 bits (255 · 2^22 · ksize would not, but weights sum to 2^22), as in Pillow's int32 code.
          r += src[p] * w;
          g += src[p + 1] * w;
          b += src[p + 2] * w;
        }
        const o = (y * outW + xx) * 3;
        out[o] = clip8(r);
        out[o + 1] = clip8(g);
        out[o + 2] = clip8(b);
      }
    }
    src = out;
    curW = outW;
  }
  if (outH !== inH) {
    const c = precomputeCoeffs(inH, outH);
    const rowLen = curW * 3;
    const out = new Uint8Array(rowLen * outH);
    // Row-at-a-time accumulation: the same fixed-point sums as Pillow's per-pixel loop, in a cache-friendly order.
    const acc = new Int32Array(rowLen);
    for (let yy = 0; yy < outH; yy++) {
      const ymin = c.bounds[yy * 2];
      const n = c.bounds[yy * 2 + 1];
      const kOff = yy * c.ksize;
      acc.fill(1 << (PRECISION_BITS - 1));
      for (let y = 0; y < n; y++) {
        const w = c.kk[kOff + y];
        if (w === 0) continue;
        const base = (ymin + y) * rowLen;
        for (let i = 0; i < rowLen; i++) acc[i] += src[base + i] * w;
      }
      const o = yy * rowLen;
      for (let i = 0; i < rowLen; i++) {
        const v = acc[i] >> PRECISION_BITS;
        out[o + i] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
    src = out;
  }
  return { width: outW, height: outH, data: src === img.data ? Uint8Array.from(src) : src };
}

/**
 * The encoder input `[1, 3, size, size]` float32: stretch to size×size (Pillow bicubic), ÷255 (float64, stored as
 * float32 like `torch.from_numpy(img_np / 255.0)` into a float32 tensor), then `(x - mean) / std` in float32.
 */
export function preprocessFrame(img: RgbImage, size: number): Float32Array {
  const r = img.width === size && img.height === size ? img : resizeBicubicPil(img, size, size);
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  // 256-entry lookup per channel: identical values, 1/3 of the work per pixel.
  const [l0, l1, l2] = [0, 1, 2].map((c) => Float32Array.from({ length: 256 }, (_, v) => Math.fround(Math.fround(Math.fround(v / 255) - MEAN[c]) / STD[c])));
  const d: Uint8Array = r.data;
  const p1 = plane;
  const p2 = 2 * plane;
  for (let i = 0, p = 0; i < plane; i++, p += 3) {
    out[i] = l0[d[p]];
    out[p1 + i] = l1[d[p + 1]];
    out[p2 + i] = l2[d[p + 2]];
  }
  return out;
}

/**
 * Bilinear upsampling of a `lh×lw` logit map to `outH×outW` with PyTorch's `align_corners=False` rule
 * (source = (dst + 0.5)·in/out − 0.5, clamped at 0), thresholded at `> 0`. Returns a row-major 0/1 mask.
 */
export function upsampleMaskLogits(logits: Float32Array, lh: number, lw: number, outH: number, outW: number, offset = 0): Uint8Array {
  const sy = Math.fround(lh / outH);
  const sx = Math.fround(lw / outW);
  const x0 = new Int32Array(outW);
  const x1 = new Int32Array(outW);
  const fx = new Float32Array(outW);
  for (let x = 0; x < outW; x++) {
    const src = Math.max(0, Math.fround(Math.fround((x + 0.5) * sx) - 0.5));
    const i = Math.floor(src);
    x0[x] = Math.min(i, lw - 1);
    x1[x] = Math.min(i + 1, lw - 1);
    fx[x] = src - i;
  }
  const out = new Uint8Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    const src = Math.max(0, Math.fround(Math.fround((y + 0.5) * sy) - 0.5));
    const i = Math.floor(src);
    const ya = Math.min(i, lh - 1);
    const yb = Math.min(i + 1, lh - 1);
    const fy = Math.fround(src - i);
    const ra = offset + ya * lw;
    const rb = offset + yb * lw;
    for (let x = 0; x < outW; x++) {
      const a = logits[ra + x0[x]] * (1 - fx[x]) + logits[ra + x1[x]] * fx[x];
      const b = logits[rb + x0[x]] * (1 - fx[x]) + logits[rb + x1[x]] * fx[x];
      if (a * (1 - fy) + b * fy > 0) out[y * outW + x] = 1;
    }
  }
  return out;
}

/**
 * SAM2 `fill_holes_in_mask_scores(mask, max_area)` (sam2/utils/misc.py, fill_hole_area = 8 in the video
 * predictor): every connected component (8-connectivity, as the cc_torch kernel) of background pixels
 * (logit ≤ 0) with area ≤ maxArea gets the logit 0.1. In place; returns the array.
 */
export function fillHoles(logits: Float32Array, h: number, w: number, maxArea = 8, offset = 0): Float32Array {
  const n = h * w;
  const seen = new Uint8Array(n);
  // BFS queue: a component's pixels are queue[0 .. tail) once it is exhausted.
  const queue = new Int32Array(n);
  for (let start = 0; start < n; start++) {
    if (seen[start] || !(logits[offset + start] <= 0)) continue;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    seen[start] = 1;
    while (head < tail) {
      const p = queue[head++];
      const x = p % w;
      const y = (p - x) / w;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w || (dx === 0 && dy === 0)) continue;
          const q = yy * w + xx;
          if (!seen[q] && logits[offset + q] <= 0) {
            seen[q] = 1;
            queue[tail++] = q;
          }
        }
      }
    }
    if (tail <= maxArea) for (let i = 0; i < tail; i++) logits[offset + queue[i]] = 0.1;
  }
  return logits;
}
