// Grayscale images and Gaussian image pyramids for the Lucas–Kanade tracker. Intensities are 0–255 floats.
// Pyramid levels use OpenCV's pyrDown kernel ([1 4 6 4 1]/16, separable, replicated border, then every second
// pixel), so level L is the image at 1/2^L scale.

export interface GrayImage {
  width: number;
  height: number;
  /** Row-major intensities, length width * height. */
  data: Float32Array;
}

export function grayImage(width: number, height: number, data?: Float32Array): GrayImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`image size must be positive integers, got ${width}x${height}`);
  const d = data ?? new Float32Array(width * height);
  if (d.length !== width * height) throw new RangeError(`image data has ${d.length} values, expected ${width}x${height}=${width * height}`);
  return { width, height, data: d };
}

/** ITU-R BT.601 luma of interleaved RGB (3 channels) or RGBA (4 channels) bytes. */
export function grayFromRgb(width: number, height: number, rgb: Uint8Array, channels: 3 | 4 = 3, out?: Float32Array): GrayImage {
  const n = width * height;
  if (rgb.length < n * channels) throw new RangeError(`pixel buffer has ${rgb.length} bytes, expected ${n * channels} for ${width}x${height}x${channels}`);
  const d = out && out.length === n ? out : new Float32Array(n);
  for (let i = 0, j = 0; i < n; i++, j += channels) d[i] = 0.299 * rgb[j] + 0.587 * rgb[j + 1] + 0.114 * rgb[j + 2];
  return { width, height, data: d };
}

/** 8-bit grayscale bytes (e.g. ffmpeg `-pix_fmt gray`) as a float image. */
export function grayFromBytes(width: number, height: number, bytes: Uint8Array, out?: Float32Array): GrayImage {
  const n = width * height;
  if (bytes.length < n) throw new RangeError(`gray buffer has ${bytes.length} bytes, expected ${n}`);
  const d = out && out.length === n ? out : new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = bytes[i];
  return { width, height, data: d };
}

/** Half-size image: 5-tap Gaussian blur with replicated border, keeping even rows and columns (OpenCV pyrDown). */
export function pyrDown(src: GrayImage, tmp?: Float32Array): GrayImage {
  const { width: w, height: h, data: s } = src;
  const dw = Math.max(1, (w + 1) >> 1);
  const dh = Math.max(1, (h + 1) >> 1);
  // Horizontal pass on every source row, only at even columns.
  const row = tmp && tmp.length >= dw * h ? tmp : new Float32Array(dw * h);
  const last = w - 1;
  for (let y = 0; y < h; y++) {
    const o = y * w;
    const r = y * dw;
    for (let x = 0; x < dw; x++) {
      const c = 2 * x;
      const xm2 = c - 2 < 0 ? 0 : c - 2;
      const xm1 = c - 1 < 0 ? 0 : c - 1;
      const xp1 = c + 1 > last ? last : c + 1;
      const xp2 = c + 2 > last ? last : c + 2;
      row[r + x] = s[o + xm2] + 4 * s[o + xm1] + 6 * s[o + (c > last ? last : c)] + 4 * s[o + xp1] + s[o + xp2];
    }
  }
  const out = new Float32Array(dw * dh);
  const lastY = h - 1;
  for (let y = 0; y < dh; y++) {
    const c = 2 * y;
    const ym2 = (c - 2 < 0 ? 0 : c - 2) * dw;
    const ym1 = (c - 1 < 0 ? 0 : c - 1) * dw;
    const y0 = (c > lastY ? lastY : c) * dw;
    const yp1 = (c + 1 > lastY ? lastY : c + 1) * dw;
    const yp2 = (c + 2 > lastY ? lastY : c + 2) * dw;
    const o = y * dw;
    for (let x = 0; x < dw; x++) out[o + x] = (row[ym2 + x] + 4 * row[ym1 + x] + 6 * row[y0 + x] + 4 * row[yp1 + x] + row[yp2 + x]) / 256;
  }
  return { width: dw, height: dh, data: out };
}

/** levels[0] is the image itself; each next level is pyrDown of the previous (stops early below 8 px). */
export function buildPyramid(image: GrayImage, levels: number): GrayImage[] {
  if (!Number.isInteger(levels) || levels < 1) throw new RangeError(`pyramid levels must be a positive integer, got ${levels}`);
  const out = [image];
  let tmp: Float32Array | undefined;
  while (out.length < levels) {
    const top = out[out.length - 1];
    if (top.width < 16 || top.height < 16) break;
    tmp = tmp ?? new Float32Array(((top.width + 1) >> 1) * top.height);
    out.push(pyrDown(top, tmp));
  }
  return out;
}

/**
 * Bilinear sample of an n×n patch centred on (cx, cy) into `out` (row-major), coordinates clamped to the image
 * (replicated border). The tracker samples the previous frame with one extra ring (n = window + 2) and takes
 * Scharr derivatives on the patch itself: derivative and bilinear interpolation are both linear with the same
 * weights for every pixel of the patch, so they commute and this equals interpolating full-image derivatives
 * (away from the border) without computing derivative images.
 */
export function samplePatch(img: GrayImage, cx: number, cy: number, n: number, out: Float32Array): void {
  const { width: w, height: h, data } = img;
  const x0 = cx - (n - 1) / 2;
  const y0 = cy - (n - 1) / 2;
  const fx0 = Math.floor(x0);
  const fy0 = Math.floor(y0);
  const ax = x0 - fx0;
  const ay = y0 - fy0;
  const w00 = (1 - ax) * (1 - ay);
  const w10 = ax * (1 - ay);
  const w01 = (1 - ax) * ay;
  const w11 = ax * ay;
  const lastX = w - 1;
  const lastY = h - 1;
  let k = 0;
  if (fx0 >= 0 && fy0 >= 0 && fx0 + n < w && fy0 + n < h) {
    for (let j = 0; j < n; j++) {
      let p = (fy0 + j) * w + fx0;
      for (let i = 0; i < n; i++, p++) out[k++] = w00 * data[p] + w10 * data[p + 1] + w01 * data[p + w] + w11 * data[p + w + 1];
    }
    return;
  }
  for (let j = 0; j < n; j++) {
    let ya = fy0 + j;
    let yb = ya + 1;
    ya = ya < 0 ? 0 : ya > lastY ? lastY : ya;
    yb = yb < 0 ? 0 : yb > lastY ? lastY : yb;
    for (let i = 0; i < n; i++) {
      let xa = fx0 + i;
      let xb = xa + 1;
      xa = xa < 0 ? 0 : xa > lastX ? lastX : xa;
      xb = xb < 0 ? 0 : xb > lastX ? lastX : xb;
      out[k++] = w00 * data[ya * w + xa] + w10 * data[ya * w + xb] + w01 * data[yb * w + xa] + w11 * data[yb * w + xb];
    }
  }
}
