// SAM2 image pre- and post-processing, as the official video predictor does it (facebookresearch/sam2):
// - input: `sam2/utils/misc.py` `_load_img_as_tensor` — PIL `Image.resize((S, S))` (a plain stretch, Pillow's
//   default BICUBIC filter with antialiasing), ÷255, then `(x - mean) / std` in float32, NCHW;
// - output: `_get_orig_video_res_output` — `F.interpolate(low_res_logits, (H, W), mode="bilinear",
//   align_corners=False)`, then the demo backend thresholds at `> 0`.
import type { MaskBox } from "../../lib/masks/rle";

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
 * With `wasm` (the SIMD kernel of resample-wasm.ts) both passes of the `planes` output run there (outputs with up to
 * four non-zero taps in one call, more — downscales — four taps per call into an int32 row): the same integer sums
 * and tables, so the same floats. The planes are then built in the kernel's memory and copied into `planes`; with
 * `inKernelMemory` they are not copied (12 MB at 1024²) and the returned view of the kernel's memory holds them
 * (valid until the kernel's next call).
 *
 * Returns the array holding the planes (`planes`, or that view), or null for `bytes` output.
 *
 * Self-contained on purpose (no free variables, no helpers outside its body, plain loops only): the preprocessing
 * worker runs this very function from its source text (`String(pillowResample)`), so there is one implementation.
 */
export function pillowResample(
  src: Uint8Array,
  inW: number,
  inH: number,
  outW: number,
  outH: number,
  bytes: Uint8Array | null,
  planes: Float32Array | null,
  luts: Float32Array | null,
  wasm: ResampleKernel | null = null,
  inKernelMemory = false,
): Float32Array | null {
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
  if (wasm && planes && luts && !bytes && outH !== inH) {
    // The SIMD path: both passes as kernel row operations over rows of bytes (the horizontal one over the columns of
    // the transposed image).
    const ch = outW !== inW ? coeffs(inW, outW) : null;
    const cv = coeffs(inH, outH);
    const rowLen = outW * 3;
    const plane = outW * outH;
    const align = (n: number) => (n + 15) & ~15;
    // Kernel memory: tables (768 floats), one byte row, the source, the transposed source and its horizontally
    // resized columns (rows padded to a multiple of 8 bytes), the horizontally resized image, an int32 accumulator
    // row, the float planes; 8-byte loads may read up to 8 bytes past a region's last row.
    const n8 = (rowLen + 7) & ~7;
    const n8T = (inH * 3 + 7) & ~7;
    const rowAt = 3072;
    const srcAt = align(rowAt + n8 + 8);
    const srcTAt = align(srcAt + inW * inH * 3 + 8);
    const hTAt = align(srcTAt + inW * n8T + 8);
    const imgAt = align(hTAt + (ch ? outW * n8T : 0) + 8);
    const accAt = align(imgAt + inH * rowLen + 8);
    const planesAt = align(accAt + 4 * Math.max(n8, n8T) + 32);
    const need = planesAt + 3 * plane * 4;
    const have = wasm.memory.buffer.byteLength;
    if (need > have) wasm.memory.grow(Math.ceil((need - have) / 65536));
    const heap = wasm.memory.buffer;
    new Float32Array(heap, 0, 768).set(luts.subarray(0, 768));
    const tb = new Int32Array(Math.max(cv.ksize, ch ? ch.ksize : 0) + 4);
    const tw = new Int32Array(tb.length);
    /** Output `o` of `cc` into `n` bytes at `dst`: its non-zero taps, rows at `base + (first + t)·stride`. */
    const resampleRow = (cc: { ksize: number; bounds: Int32Array; kk: Int32Array }, o: number, base: number, stride: number, n: number, dst: number) => {
      const first = cc.bounds[o * 2];
      const count = cc.bounds[o * 2 + 1];
      let t = 0;
      for (let k = 0; k < count; k++) {
        const wk = cc.kk[o * cc.ksize + k];
        if (wk === 0) continue;
        tb[t] = base + (first + k) * stride;
        tw[t++] = wk;
      }
      // Padding taps read a valid row with weight 0 (adds exactly 0).
      const groups = Math.max(1, Math.ceil(t / 4));
      for (let p = t; p < groups * 4; p++) {
        tb[p] = base + first * stride;
        tw[p] = 0;
      }
      if (groups === 1) {
        wasm.vrow(tb[0], tb[1], tb[2], tb[3], tw[0], tw[1], tw[2], tw[3], n, dst);
        return;
      }
      for (let g = 0; g < groups; g++) {
        const q = g * 4;
        (g === 0 ? wasm.vacc0 : wasm.vacc)(tb[q], tb[q + 1], tb[q + 2], tb[q + 3], tw[q], tw[q + 1], tw[q + 2], tw[q + 3], n, accAt);
      }
      wasm.vfin(accAt, n, dst);
    };
    if (ch) {
      new Uint8Array(heap, srcAt, inW * inH * 3).set(src.subarray(0, inW * inH * 3));
      wasm.tr3(srcAt, inH, inW, inW * 3, srcTAt, n8T);
      for (let xx = 0; xx < outW; xx++) resampleRow(ch, xx, srcTAt, n8T, n8T, hTAt + xx * n8T);
      wasm.tr3(hTAt, outW, inH, n8T, imgAt, rowLen);
    } else new Uint8Array(heap, imgAt, inH * rowLen).set(src.subarray(0, inH * rowLen));
    for (let yy = 0; yy < outH; yy++) {
      resampleRow(cv, yy, imgAt, rowLen, n8, rowAt);
      const o = planesAt + yy * outW * 4;
      wasm.lut(rowAt, outW, o, o + plane * 4, o + 2 * plane * 4, 0);
    }
    const result = new Float32Array(heap, planesAt, 3 * plane);
    if (inKernelMemory) return result;
    planes.set(result);
    return planes;
  }
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
    return planes;
  }
  const c = coeffs(inH, outH);
  // Row-at-a-time accumulation: the same fixed-point sums as Pillow's per-pixel loop, in a cache-friendly order.
  // Up to four non-zero taps (upscales) are summed in registers in one pass.
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
      if (planes && luts && !bytes) {
        // One pass: sums, clipping and the normalisation tables, straight into the NCHW planes.
        for (let i = 0, o = yy * outW; i < rowLen; i += 3, o++) {
          let r = (HALF + cur[b0 + i] * w0 + cur[b1 + i] * w1 + cur[b2 + i] * w2 + cur[b3 + i] * w3) >> PRECISION_BITS;
          let g = (HALF + cur[b0 + i + 1] * w0 + cur[b1 + i + 1] * w1 + cur[b2 + i + 1] * w2 + cur[b3 + i + 1] * w3) >> PRECISION_BITS;
          let b = (HALF + cur[b0 + i + 2] * w0 + cur[b1 + i + 2] * w1 + cur[b2 + i + 2] * w2 + cur[b3 + i + 2] * w3) >> PRECISION_BITS;
          r = r < 0 ? 0 : r > 255 ? 255 : r;
          g = g < 0 ? 0 : g > 255 ? 255 : g;
          b = b < 0 ? 0 : b > 255 ? 255 : b;
          planes[o] = luts[r];
          planes[plane + o] = luts[256 + g];
          planes[2 * plane + o] = luts[512 + b];
        }
        continue;
      }
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
  return planes;
}

/** The exports of the SIMD resize kernel (resample-wasm.ts). */
export interface ResampleKernel {
  vrow(b0: number, b1: number, b2: number, b3: number, w0: number, w1: number, w2: number, w3: number, n: number, dst: number): void;
  lut(src: number, pixels: number, dst0: number, dst1: number, dst2: number, table: number): void;
  tr3(src: number, rows: number, cols: number, srcStride: number, dst: number, dstStride: number): void;
  vacc0(b0: number, b1: number, b2: number, b3: number, w0: number, w1: number, w2: number, w3: number, n: number, acc: number): void;
  vacc(b0: number, b1: number, b2: number, b3: number, w0: number, w1: number, w2: number, w3: number, n: number, acc: number): void;
  vfin(acc: number, n: number, dst: number): void;
  memory: WebAssembly.Memory;
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
 * into `into` when given, e.g. a reused scratch buffer). With `box` it also gives the rows and columns it
 * interpolated (empty when y1 < y0): the mask is 0 outside them (what `runsFromMask`'s box needs).
 *
 * Only pixels that can come out positive are interpolated: an output pixel is a convex combination (weights ≥ 0)
 * of four source logits, so when all four are ≤ 0 it is ≤ 0 and stays 0. Per source row the columns holding a
 * value that is not ≤ 0 (positive or NaN) are bounded, and each output row interpolates only the output columns
 * reading those — exactly the pixels the full computation could set (masks are mostly background).
 */
export function upsampleMaskLogits(logits: Float32Array, lh: number, lw: number, outH: number, outW: number, offset = 0, into?: Uint8Array, box?: MaskBox): Uint8Array {
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
  // First and last column of each source row whose value is not ≤ 0 (lo > hi: the row is all ≤ 0).
  const lo = new Int32Array(lh);
  const hi = new Int32Array(lh);
  for (let r = 0; r < lh; r++) {
    const base = offset + r * lw;
    let a = 0;
    while (a < lw && logits[base + a] <= 0) a++;
    let b = lw - 1;
    while (b > a && logits[base + b] <= 0) b--;
    lo[r] = a;
    hi[r] = a < lw ? b : -1;
  }
  const out = into ? into.fill(0, 0, outH * outW).subarray(0, outH * outW) : new Uint8Array(outH * outW);
  // The rows and columns that were interpolated (every 1 lies inside), empty when by1 < by0.
  let by0 = outH;
  let by1 = -1;
  let bx0 = outW;
  let bx1 = -1;
  // Each source row is interpolated along x once per needed column range (the same double arithmetic per pixel
  // as interpolating in place), then output rows blend two of them.
  let rowA = new Float64Array(outW);
  let rowB = new Float64Array(outW);
  let haveA = -1;
  let haveB = -1;
  let spanA0 = 0, spanA1 = -1, spanB0 = 0, spanB1 = -1;
  const fill = (row: Float64Array, r: number, from: number, to: number) => {
    const base = offset + r * lw;
    for (let x = from; x <= to; x++) row[x] = logits[base + x0[x]] * (1 - fx[x]) + logits[base + x1[x]] * fx[x];
  };
  for (let y = 0; y < outH; y++) {
    const src = Math.max(0, Math.fround(Math.fround((y + 0.5) * sy) - 0.5));
    const i = Math.floor(src);
    const ya = Math.min(i, lh - 1);
    const yb = Math.min(i + 1, lh - 1);
    const cLo = Math.min(lo[ya], lo[yb]);
    const cHi = Math.max(hi[ya], hi[yb]);
    if (cLo > cHi) continue; // both source rows ≤ 0 everywhere
    // Output columns reading a source column in [cLo, cHi] (x0, x1 are non-decreasing).
    let xs = 0;
    while (xs < outW && x1[xs] < cLo) xs++;
    let xe = outW - 1;
    while (xe >= xs && x0[xe] > cHi) xe--;
    if (xs > xe) continue;
    if (y < by0) by0 = y;
    by1 = y;
    if (xs < bx0) bx0 = xs;
    if (xe > bx1) bx1 = xe;
    const fy = Math.fround(src - i);
    if (haveA !== ya) {
      if (haveB === ya) {
        const t = rowA;
        rowA = rowB;
        rowB = t;
        haveA = haveB;
        spanA0 = spanB0;
        spanA1 = spanB1;
        haveB = -1;
      } else {
        haveA = ya;
        spanA0 = 0;
        spanA1 = -1;
      }
    }
    if (spanA0 > xs || spanA1 < xe) {
      fill(rowA, ya, xs, xe);
      spanA0 = xs;
      spanA1 = xe;
    }
    if (haveB !== yb) {
      haveB = yb;
      spanB0 = 0;
      spanB1 = -1;
    }
    if (spanB0 > xs || spanB1 < xe) {
      fill(rowB, yb, xs, xe);
      spanB0 = xs;
      spanB1 = xe;
    }
    const o = y * outW;
    for (let x = xs; x <= xe; x++) if (rowA[x] * (1 - fy) + rowB[x] * fy > 0) out[o + x] = 1;
  }
  if (box) {
    box.y0 = by0;
    box.y1 = by1;
    box.x0 = bx0;
    box.x1 = bx1;
  }
  return out;
}

/** Scratch run tables of `fillHoles` (synchronous, so one set per thread is enough), grown on demand. */
let runStart = new Int32Array(0);
let runEnd = new Int32Array(0);
let runParent = new Int32Array(0);
let runArea = new Int32Array(0);
let runRow = new Int32Array(0);

function findRoot(parent: Int32Array, r: number): number {
  while (parent[r] !== r) {
    parent[r] = parent[parent[r]];
    r = parent[r];
  }
  return r;
}

/**
 * SAM2 `fill_holes_in_mask_scores(mask, max_area)` (sam2/utils/misc.py, fill_hole_area = 8 in the video
 * predictor): every connected component (8-connectivity, as the cc_torch kernel) of background pixels
 * (logit ≤ 0) with area ≤ maxArea gets the logit 0.1. In place; returns the array.
 * Components are built from horizontal runs of background (union-find over runs of adjacent rows), so the cost is
 * one comparison per pixel plus the number of runs.
 */
export function fillHoles(logits: Float32Array, h: number, w: number, maxArea = 8, offset = 0): Float32Array {
  const maxRuns = h * Math.ceil(w / 2) + h;
  if (runStart.length < maxRuns) {
    runStart = new Int32Array(maxRuns);
    runEnd = new Int32Array(maxRuns);
    runParent = new Int32Array(maxRuns);
    runArea = new Int32Array(maxRuns);
    runRow = new Int32Array(maxRuns);
  }
  const runY = runRow;
  const start = runStart;
  const end = runEnd;
  const parent = runParent;
  let n = 0;
  let prevFirst = 0;
  let prevCount = 0;
  for (let y = 0; y < h; y++) {
    const row = offset + y * w;
    const first = n;
    let x = 0;
    while (x < w) {
      if (!(logits[row + x] <= 0)) {
        x++;
        continue;
      }
      const s0 = x;
      while (x < w && logits[row + x] <= 0) x++;
      start[n] = s0;
      end[n] = x; // exclusive
      runY[n] = y;
      parent[n] = n;
      n++;
    }
    // 8-connected to a run of the row above when their column ranges overlap or touch diagonally.
    let p = prevFirst;
    const prevEnd = prevFirst + prevCount;
    for (let r = first; r < n; r++) {
      while (p < prevEnd && end[p] < start[r]) p++;
      for (let q = p; q < prevEnd && start[q] <= end[r]; q++) {
        const a = findRoot(parent, r);
        const b = findRoot(parent, q);
        if (a !== b) parent[a] = b;
      }
    }
    prevFirst = first;
    prevCount = n - first;
  }
  const area = runArea;
  area.fill(0, 0, n);
  for (let r = 0; r < n; r++) area[findRoot(parent, r)] += end[r] - start[r];
  for (let r = 0; r < n; r++) {
    if (area[findRoot(parent, r)] > maxArea) continue;
    const y = runY[r];
    const base = offset + y * w;
    for (let x = start[r]; x < end[r]; x++) logits[base + x] = 0.1;
  }
  return logits;
}
