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

/**
 * Pillow's `Image.resize((outW, outH))` (BICUBIC, Pillow ≥ 7 default) of a row-major RGB image: horizontal pass into
 * uint8, then vertical pass, each with Pillow's fixed-point arithmetic (`precompute_coeffs`,
 * `normalize_coeffs_8bpc`, `ImagingResampleHorizontal/Vertical_8bpc`), so the bytes equal Pillow's.
 * Output: with `planes` (3 × outH·outW, NCHW) each byte v of channel c is written as `luts[c·256 + v]` straight from
 * the vertical pass (no intermediate image), else `bytes` (outH·outW·3, row-major RGB) gets the bytes.
 *
 * Self-contained on purpose (no free variables, no helpers outside its body, plain loops only): the preprocessing
 * worker runs this very function from its source text (`String(pillowResample)`), so there is one implementation.
 */
export function pillowResample(src: Uint8Array, inW: number, inH: number, outW: number, outH: number, bytes: Uint8Array | null, planes: Float32Array | null, luts: Float32Array | null): void {
  const PRECISION_BITS = 32 - 8 - 2;
  const HALF = 1 << (PRECISION_BITS - 1);
  /** [ksize, then (xmin, count) per output pixel, then ksize fixed-point weights per output pixel]. */
  const coeffs = (inSize: number, outSize: number): { ksize: number; bounds: Int32Array; kk: Int32Array } => {
    const scale = inSize / outSize;
    const filterscale = scale > 1 ? scale : 1;
    const support = 2 * filterscale;
    const ksize = Math.ceil(support) * 2 + 1;
    const bounds = new Int32Array(outSize * 2);
    const kk = new Int32Array(outSize * ksize);
    const k = new Float64Array(ksize);
    const ss = 1 / filterscale;
    for (let xx = 0; xx < outSize; xx++) {
      const center = (xx + 0.5) * scale;
      // C casts with (int), which truncates toward zero.
      let xmin = Math.trunc(center - support + 0.5);
      if (xmin < 0) xmin = 0;
      let xmax = Math.trunc(center + support + 0.5);
      if (xmax > inSize) xmax = inSize;
      xmax -= xmin;
      let ww = 0;
      for (let x = 0; x < xmax; x++) {
        // Pillow's bicubic kernel, a = -0.5, support 2.
        let t = (x + xmin - center + 0.5) * ss;
        if (t < 0) t = -t;
        const w = t < 1 ? ((-0.5 + 2) * t - (-0.5 + 3)) * t * t + 1 : t < 2 ? (((t - 5) * t + 8) * t - 4) * -0.5 : 0;
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
  };
  let cur = src;
  if (outW !== inW) {
    const c = coeffs(inW, outW);
    const out = new Uint8Array(outW * inH * 3);
    for (let y = 0; y < inH; y++) {
      const row = y * inW * 3;
      let o = y * outW * 3;
      for (let xx = 0; xx < outW; xx++) {
        const n = c.bounds[xx * 2 + 1];
        const kOff = xx * c.ksize;
        let p = row + c.bounds[xx * 2] * 3;
        let r = HALF;
        let g = HALF;
        let b = HALF;
        // Products fit in 31 bits (the weights of one pixel sum to 2^22), as in Pillow's int32 code.
        for (let x = 0; x < n; x++, p += 3) {
          const w = c.kk[kOff + x];
          r += cur[p] * w;
          g += cur[p + 1] * w;
          b += cur[p + 2] * w;
        }
        r >>= PRECISION_BITS;
        g >>= PRECISION_BITS;
        b >>= PRECISION_BITS;
        out[o++] = r < 0 ? 0 : r > 255 ? 255 : r;
        out[o++] = g < 0 ? 0 : g > 255 ? 255 : g;
        out[o++] = b < 0 ? 0 : b > 255 ? 255 : b;
      }
    }
    cur = out;
  }
  const rowLen = outW * 3;
  const plane = outW * outH;
  if (outH === inH) {
    // No vertical pass: the bytes are final.
    if (bytes) bytes.set(cur.subarray(0, rowLen * outH));
    if (planes && luts)
      for (let i = 0, p = 0; i < plane; i++, p += 3) {
        planes[i] = luts[cur[p]];
        planes[plane + i] = luts[256 + cur[p + 1]];
        planes[2 * plane + i] = luts[512 + cur[p + 2]];
      }
    return;
  }
  const c = coeffs(inH, outH);
  // Row-at-a-time accumulation: the same fixed-point sums as Pillow's per-pixel loop, in a cache-friendly order.
  // Up to four non-zero taps (every upscale, and downscales by less than 2×) are summed in registers in one pass.
  const acc = new Int32Array(rowLen);
  const bases = new Int32Array(4);
  const ws = new Int32Array(4);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = c.bounds[yy * 2];
    const n = c.bounds[yy * 2 + 1];
    const kOff = yy * c.ksize;
    let taps = 0;
    for (let y = 0; y < n; y++) if (c.kk[kOff + y] !== 0) taps++;
    if (taps <= 4) {
      let t = 0;
      for (let y = 0; y < n; y++) {
        const w = c.kk[kOff + y];
        if (w === 0) continue;
        bases[t] = (ymin + y) * rowLen;
        ws[t++] = w;
      }
      // Padding taps read a valid row with weight 0 (adds exactly 0).
      for (; t < 4; t++) {
        bases[t] = ymin * rowLen;
        ws[t] = 0;
      }
      const b0 = bases[0], b1 = bases[1], b2 = bases[2], b3 = bases[3];
      const w0 = ws[0], w1 = ws[1], w2 = ws[2], w3 = ws[3];
      for (let i = 0; i < rowLen; i++) acc[i] = HALF + cur[b0 + i] * w0 + cur[b1 + i] * w1 + cur[b2 + i] * w2 + cur[b3 + i] * w3;
    } else {
      acc.fill(HALF);
      for (let y = 0; y < n; y++) {
        const w = c.kk[kOff + y];
        if (w === 0) continue;
        const base = (ymin + y) * rowLen;
        for (let i = 0; i < rowLen; i++) acc[i] += cur[base + i] * w;
      }
    }
    if (planes && luts) {
      // Fused with normalisation: each clipped byte goes through its channel's table into the NCHW planes.
      for (let i = 0, o = yy * outW; i < rowLen; i += 3, o++) {
        let r = acc[i] >> PRECISION_BITS;
        let g = acc[i + 1] >> PRECISION_BITS;
        let b = acc[i + 2] >> PRECISION_BITS;
        r = r < 0 ? 0 : r > 255 ? 255 : r;
        g = g < 0 ? 0 : g > 255 ? 255 : g;
        b = b < 0 ? 0 : b > 255 ? 255 : b;
        planes[o] = luts[r];
        planes[plane + o] = luts[256 + g];
        planes[2 * plane + o] = luts[512 + b];
      }
    }
    if (bytes)
      for (let i = 0, o = yy * rowLen; i < rowLen; i++, o++) {
        const v = acc[i] >> PRECISION_BITS;
        bytes[o] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
  }
}

/** `PIL.Image.resize((outW, outH))` on an RGB image (BICUBIC), byte-exact (see `pillowResample`). */
export function resizeBicubicPil(img: RgbImage, outW: number, outH: number): RgbImage {
  if (outW === img.width && outH === img.height) return { width: outW, height: outH, data: Uint8Array.from(img.data) };
  const data = new Uint8Array(outW * outH * 3);
  pillowResample(img.data, img.width, img.height, outW, outH, data, null, null);
  return { width: outW, height: outH, data };
}

/**
 * Per channel c, the 256 normalised values `luts[c·256 + v]`: v ÷ 255 (float64, stored as float32 like
 * `torch.from_numpy(img_np / 255.0)` into a float32 tensor), then `(x - mean) / std` in float32.
 */
export const NORMALISE_LUTS: Float32Array = Float32Array.from({ length: 768 }, (_, i) => {
  const c = i >> 8;
  return Math.fround(Math.fround(Math.fround((i & 255) / 255) - MEAN[c]) / STD[c]);
});

/**
 * The encoder input `[1, 3, size, size]` float32: stretch to size×size (Pillow bicubic), ÷255, ImageNet mean/std
 * (`NORMALISE_LUTS`). Written into `out` when given (length 3·size², reused across frames), else a new array.
 */
export function preprocessFrame(img: RgbImage, size: number, out: Float32Array = new Float32Array(3 * size * size)): Float32Array {
  if (out.length !== 3 * size * size) throw new RangeError(`preprocessFrame: output holds ${out.length} values, expected 3·${size}² = ${3 * size * size}`);
  pillowResample(img.data, img.width, img.height, size, size, null, out, NORMALISE_LUTS);
  return out;
}

/**
 * Bilinear upsampling of a `lh×lw` logit map to `outH×outW` with PyTorch's `align_corners=False` rule
 * (source = (dst + 0.5)·in/out − 0.5, clamped at 0), thresholded at `> 0`. Returns a row-major 0/1 mask (written
 * into `into` when given, e.g. a reused scratch buffer).
 */
export function upsampleMaskLogits(logits: Float32Array, lh: number, lw: number, outH: number, outW: number, offset = 0, into?: Uint8Array): Uint8Array {
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
  const out = into ? into.fill(0, 0, outH * outW).subarray(0, outH * outW) : new Uint8Array(outH * outW);
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

/** Scratch buffers of `fillHoles` (synchronous, so one set per thread is enough), grown on demand. */
let holeGrid = new Uint8Array(0);
let holeQueue = new Int32Array(0);

/**
 * SAM2 `fill_holes_in_mask_scores(mask, max_area)` (sam2/utils/misc.py, fill_hole_area = 8 in the video
 * predictor): every connected component (8-connectivity, as the cc_torch kernel) of background pixels
 * (logit ≤ 0) with area ≤ maxArea gets the logit 0.1. In place; returns the array.
 */
export function fillHoles(logits: Float32Array, h: number, w: number, maxArea = 8, offset = 0): Float32Array {
  // A grid with a one-cell frame that is never background: neighbours need no bounds checks.
  const W = w + 2;
  const size = (h + 2) * W;
  if (holeGrid.length < size) holeGrid = new Uint8Array(size);
  if (holeQueue.length < h * w) holeQueue = new Int32Array(h * w);
  const grid = holeGrid; // 0 = background not yet visited
  const queue = holeQueue; // BFS queue: a component's cells are queue[0 .. tail) once it is exhausted
  grid.fill(1, 0, W);
  grid.fill(1, size - W, size);
  for (let y = 0; y < h; y++) {
    const g = (y + 1) * W;
    const l = offset + y * w;
    grid[g] = 1;
    grid[g + W - 1] = 1;
    for (let x = 0; x < w; x++) grid[g + 1 + x] = logits[l + x] <= 0 ? 0 : 1;
  }
  const n1 = -W - 1, n2 = -W, n3 = -W + 1, n4 = -1, n5 = 1, n6 = W - 1, n7 = W, n8 = W + 1;
  for (let start = W + 1; start < size - W - 1; start++) {
    if (grid[start] !== 0) continue;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    grid[start] = 1;
    while (head < tail) {
      const p = queue[head++];
      let q = p + n1;
      if (grid[q] === 0) (grid[q] = 1), (queue[tail++] = q);
      q = p + n2;
      if (grid[q] === 0) (grid[q] = 1), (queue[tail++] = q);
      q = p + n3;
      if (grid[q] === 0) (grid[q] = 1), (queue[tail++] = q);
      q = p + n4;
      if (grid[q] === 0) (grid[q] = 1), (queue[tail++] = q);
      q = p + n5;
      if (grid[q] === 0) (grid[q] = 1), (queue[tail++] = q);
      q = p + n6;
      if (grid[q] === 0) (grid[q] = 1), (queue[tail++] = q);
      q = p + n7;
      if (grid[q] === 0) (grid[q] = 1), (queue[tail++] = q);
      q = p + n8;
      if (grid[q] === 0) (grid[q] = 1), (queue[tail++] = q);
    }
    if (tail <= maxArea)
      for (let i = 0; i < tail; i++) {
        const q = queue[i];
        const y = ((q / W) | 0) - 1;
        logits[offset + y * w + (q - (y + 1) * W - 1)] = 0.1;
      }
  }
  return logits;
}
