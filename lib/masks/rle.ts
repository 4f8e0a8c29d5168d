// COCO run-length encoding, bit-compatible with pycocotools (`common/maskApi.c` + `_mask.pyx`).
//
// A COCO RLE walks the mask in column-major (Fortran) order — down each column, then the next
// column — and stores alternating run lengths starting with a (possibly empty) run of zeros.
// The compressed `counts` string packs each run length into 5-bit groups (LEB128-like, ASCII
// 48..111, bit 0x20 = "more groups follow", bit 0x10 of the last group = sign), where every
// count after the third is stored as the delta to the count two positions earlier.
//
// Masks handed to / returned from this module are ROW-major `Uint8Array`s of length h*w
// (index `y * width + x`), which is how decoded images are laid out in JS; the column-major
// walk happens internally. Malformed input never yields a mask: it throws `RleError`.

/** Why an RLE was rejected. */
export type RleErrorCode =
  | "bad-size" // size is not [h, w] with non-negative integers
  | "bad-char" // counts string holds a character outside '0'..'o' (48..111)
  | "truncated" // counts string ends inside a run length (last group had the "more" bit)
  | "value-too-long" // one run length spans more groups than maskApi.c can decode (> 6)
  | "bad-count" // a run length is negative, fractional or above 2^32-1
  | "length-mismatch" // run lengths do not add up to h*w
  | "bad-mask" // encode input has the wrong length
  | "bad-polygon" // polygon has fewer than 3 points or non-finite coordinates
  | "size-mismatch" // two RLEs that must share a size do not
  | "empty"; // merge of zero RLEs

export class RleError extends Error {
  override name = "RleError";
  constructor(
    readonly code: RleErrorCode,
    message: string,
    /** Character offset into the counts string, when the problem is at one place in it. */
    readonly offset?: number,
  ) {
    super(message);
  }
}

/** A compressed COCO RLE, as found in COCO / SA-V / Molmo2 JSON (`counts` is the packed string). */
export interface CocoRle {
  size: [number, number];
  counts: string;
}

/** Either a compressed RLE or pycocotools' "uncompressed" form with a plain `counts` array. */
export interface RleInput {
  size: readonly [number, number] | readonly number[];
  counts: string | readonly number[];
}

/** An RLE with its run lengths unpacked; what every operation here works on. */
export interface RleRuns {
  height: number;
  width: number;
  /** Alternating run lengths, zeros first, column-major. Sums to height*width. */
  counts: number[];
}

const MAX_GROUPS = 6; // maskApi.c shifts an `int` by 5*k; beyond 6 groups that overflows.
const UINT32_MAX = 0xffffffff;

function checkSize(size: unknown): [number, number] {
  if (!Array.isArray(size) || size.length !== 2) throw new RleError("bad-size", `RLE size must be [height, width], got ${JSON.stringify(size)}`);
  const [h, w] = size as unknown[];
  for (const [name, v] of [["height", h], ["width", w]] as const) {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
      throw new RleError("bad-size", `RLE size ${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
    }
  }
  return [h as number, w as number];
}

function checkTotal(counts: readonly number[], h: number, w: number): void {
  let total = 0;
  for (const c of counts) total += c;
  if (total !== h * w) {
    throw new RleError("length-mismatch", `RLE run lengths add up to ${total}, but size ${h}x${w} needs ${h * w}`);
  }
}

/** Unpacks a compressed counts string (maskApi.c `rleFrString`), validating every character. */
export function countsFromString(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    const start = p;
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= s.length) throw new RleError("truncated", `RLE counts string ends inside a run length starting at offset ${start}`, start);
      const code = s.charCodeAt(p);
      if (code < 48 || code > 111) {
        throw new RleError("bad-char", `RLE counts string has invalid character ${JSON.stringify(s[p])} at offset ${p} (allowed: '0'..'o')`, p);
      }
      const c = code - 48;
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (more && k >= MAX_GROUPS) {
        throw new RleError("value-too-long", `RLE run length at offset ${start} spans more than ${MAX_GROUPS} characters`, start);
      }
      if (!more && c & 0x10) x -= 2 ** (5 * k); // sign-extend the last group
    }
    const m = counts.length;
    if (m > 2) x += counts[m - 2];
    if (x < 0 || x > UINT32_MAX) {
      throw new RleError("bad-count", `RLE run length #${m} decodes to ${x} (offset ${start}); run lengths must be in 0..2^32-1`, start);
    }
    counts.push(x);
  }
  return counts;
}

/** Packs run lengths into a counts string (maskApi.c `rleToString`). */
export function countsToString(counts: readonly number[]): string {
  let out = "";
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i];
    if (i > 2) x -= counts[i - 2];
    let more = true;
    while (more) {
      let c = ((x % 32) + 32) % 32; // x & 0x1f on a signed long
      x = Math.floor(x / 32); // arithmetic shift right by 5
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out += String.fromCharCode(c + 48);
    }
  }
  return out;
}

/**
 * Parses and validates an RLE (compressed string or uncompressed array, as `frPyObjects` accepts).
 * Throws `RleError` on anything pycocotools would turn into garbage or a crash.
 */
export function parseRle(rle: RleInput): RleRuns {
  if (rle === null || typeof rle !== "object") throw new RleError("bad-size", "RLE must be an object {size, counts}");
  const [height, width] = checkSize(rle.size);
  let counts: number[];
  if (typeof rle.counts === "string") {
    counts = countsFromString(rle.counts);
  } else if (Array.isArray(rle.counts)) {
    counts = rle.counts.map((c, i) => {
      if (typeof c !== "number" || !Number.isInteger(c) || c < 0 || c > UINT32_MAX) {
        throw new RleError("bad-count", `uncompressed RLE counts[${i}] must be an integer in 0..2^32-1, got ${JSON.stringify(c)}`);
      }
      return c;
    });
  } else {
    throw new RleError("bad-count", "RLE counts must be a string or an array of integers");
  }
  checkTotal(counts, height, width);
  return { height, width, counts };
}

function runsOf(rle: RleInput | RleRuns): RleRuns {
  return "counts" in rle && "height" in rle ? (rle as RleRuns) : parseRle(rle as RleInput);
}

/** Re-packs parsed runs as a compressed COCO RLE. */
export function compressRle(runs: RleRuns): CocoRle {
  return { size: [runs.height, runs.width], counts: countsToString(runs.counts) };
}

/** pycocotools `frPyObjects` for a single RLE dict: uncompressed counts → compressed string. */
export function rleFromUncompressed(rle: RleInput): CocoRle {
  return compressRle(parseRle(rle));
}

/**
 * Encodes a row-major binary mask (pycocotools `encode` on the Fortran-ordered equivalent).
 * Any non-zero byte is foreground (pycocotools would start a new run at every value change,
 * which only differs for non-0/1 input).
 */
export function encodeRle(mask: Uint8Array, height: number, width: number): CocoRle {
  return compressRle(runsFromMask(mask, height, width));
}

/** Inclusive rows y0..y1 and columns x0..x1 of a mask (empty when y1 < y0 or x1 < x0). */
export interface MaskBox {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
}

/**
 * The runs of a row-major mask. With `box`, the caller guarantees the mask is 0 outside it and only the box is read
 * (a small object in an HD frame: a few thousand bytes instead of the whole frame); the runs are the same.
 */
export function runsFromMask(mask: Uint8Array, height: number, width: number, box?: MaskBox): RleRuns {
  checkSize([height, width]);
  if (mask.length !== height * width) {
    throw new RleError("bad-mask", `mask has ${mask.length} bytes, expected height*width = ${height * width}`);
  }
  if (box) return { height, width, counts: stitchColumns(boxFlips(mask, height, width, box), height, width) };
  // Scan rows contiguously, recording per column the rows where the value flips (relative to a
  // virtual 0 above row 0); then stitch the columns together in column-major order.
  const flips: number[][] = Array.from({ length: width }, () => []);
  const above = new Uint8Array(width);
  const flipAt = (y: number, row: number, x0: number, x1: number) => {
    for (let x = x0; x < x1; x++) {
      const v = mask[row + x] !== 0 ? 1 : 0;
      if (v !== above[x]) {
        flips[x].push(y);
        above[x] = v;
      }
    }
  };
  // Fast path: rows that equal the row above (compared 4 bytes at a time) cannot flip anything.
  const words = width % 4 === 0 && mask.byteOffset % 4 === 0 ? new Uint32Array(mask.buffer, mask.byteOffset, mask.length >> 2) : null;
  const rowWords = width >> 2;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    if (!words || y === 0) {
      flipAt(y, row, 0, width);
      continue;
    }
    const cur = row >> 2;
    const prev = cur - rowWords;
    for (let i = 0; i < rowWords; i++) if (words[cur + i] !== words[prev + i]) flipAt(y, row, i * 4, i * 4 + 4);
  }
  return { height, width, counts: stitchColumns(flips, height, width) };
}

/** Per column, the rows where a mask that is 0 outside `box` flips (relative to a virtual 0 above row 0). */
function boxFlips(mask: Uint8Array, height: number, width: number, box: MaskBox): number[][] {
  const { y0, y1, x0, x1 } = box;
  const inside = (v: number, n: number) => Number.isInteger(v) && v >= 0 && v < n;
  const empty = y1 < y0 || x1 < x0;
  if (!empty && !(inside(y0, height) && inside(y1, height) && inside(x0, width) && inside(x1, width))) {
    throw new RleError("bad-mask", `box rows ${y0}-${y1}, columns ${x0}-${x1} is not inside the ${height}×${width} mask`);
  }
  const none: number[] = [];
  const flips: number[][] = new Array<number[]>(width).fill(none);
  if (empty) return flips;
  for (let x = x0; x <= x1; x++) {
    let f = none;
    let prev = 0;
    for (let y = y0, i = y0 * width + x; y <= y1; y++, i += width) {
      const v = mask[i] !== 0 ? 1 : 0;
      if (v !== prev) {
        if (f === none) f = [];
        f.push(y);
        prev = v;
      }
    }
    // Below the box the mask is 0 again.
    if (prev === 1 && y1 + 1 < height) f.push(y1 + 1);
    flips[x] = f;
  }
  return flips;
}

/** Column-major run lengths from each column's flip rows. */
function stitchColumns(flips: number[][], height: number, width: number): number[] {
  const counts: number[] = [];
  let last = 0; // value at the end of the previous column
  let runStart = 0;
  for (let x = 0; x < width; x++) {
    const f = flips[x];
    const base = x * height;
    let k = 0;
    const first = f.length > 0 && f[0] === 0 ? 1 : 0;
    if (first === 1) k = 1;
    if (first !== last) {
      counts.push(base - runStart);
      runStart = base;
    }
    for (; k < f.length; k++) {
      counts.push(base + f[k] - runStart);
      runStart = base + f[k];
    }
    last = f.length % 2 === 1 ? 1 : 0;
  }
  counts.push(height * width - runStart);
  return counts;
}

/** Decodes to a row-major mask of 0/1 bytes (length height*width). */
export function decodeRle(rle: RleInput | RleRuns): Uint8Array {
  const { height, width, counts } = runsOf(rle);
  const out = new Uint8Array(height * width);
  let idx = 0; // column-major position
  for (let j = 0; j < counts.length; j++) {
    const n = counts[j];
    if (j % 2 === 1) {
      // Fill the run one column segment at a time (no division per pixel).
      let t = idx;
      const end = idx + n;
      while (t < end) {
        const x = Math.floor(t / height);
        const y = t - x * height;
        const len = Math.min(end - t, height - y);
        for (let k = 0, o = y * width + x; k < len; k++, o += width) out[o] = 1;
        t += len;
      }
    }
    idx += n;
  }
  return out;
}

/** Foreground pixel count (maskApi.c `rleArea`). */
export function rleArea(rle: RleInput | RleRuns): number {
  const { counts } = runsOf(rle);
  let a = 0;
  for (let j = 1; j < counts.length; j += 2) a += counts[j];
  return a;
}

/** Whether integer pixel (x, y) is foreground, without decoding; false outside the image. */
export function rleContains(rle: RleRuns, x: number, y: number): boolean {
  if (x < 0 || y < 0 || x >= rle.width || y >= rle.height) return false;
  const target = x * rle.height + y;
  let end = 0;
  for (let j = 0; j < rle.counts.length; j++) {
    end += rle.counts[j];
    if (target < end) return j % 2 === 1;
  }
  return false;
}

/** Tight box [x, y, w, h] (maskApi.c `rleToBbox`, including its uint arithmetic). */
export function rleToBbox(rle: RleInput | RleRuns): [number, number, number, number] {
  const { height: h, width: w, counts } = runsOf(rle);
  const m = Math.floor(counts.length / 2) * 2;
  if (m === 0) return [0, 0, 0, 0];
  let xs = w;
  let ys = h;
  let xe = 0;
  let ye = 0;
  let cc = 0;
  let xp = 0;
  for (let j = 0; j < m; j++) {
    cc = (cc + counts[j]) >>> 0;
    const t = (cc - (j % 2)) >>> 0;
    const y = t % h;
    const x = (t - y) / h;
    if (j % 2 === 0) xp = x;
    else if (xp < x) {
      ys = 0;
      ye = h - 1;
    }
    xs = Math.min(xs, x);
    xe = Math.max(xe, x);
    ys = Math.min(ys, y);
    ye = Math.max(ye, y);
  }
  return [xs, ys, xe - xs + 1, ye - ys + 1];
}

/** Box IoU as maskApi.c `bbIou` (crowd: divide by the detection's area). */
export function bboxIou(dt: readonly number[], gt: readonly number[], crowd = false): number {
  const w = Math.min(dt[2] + dt[0], gt[2] + gt[0]) - Math.max(dt[0], gt[0]);
  if (w <= 0) return 0;
  const h = Math.min(dt[3] + dt[1], gt[3] + gt[1]) - Math.max(dt[1], gt[1]);
  if (h <= 0) return 0;
  const i = w * h;
  const da = dt[2] * dt[3];
  const u = crowd ? da : da + gt[2] * gt[3] - i;
  return i / u;
}

function runIou(dt: RleRuns, gt: RleRuns, crowd: boolean): number {
  const ka = dt.counts.length;
  const kb = gt.counts.length;
  let ca = dt.counts[0];
  let cb = gt.counts[0];
  let va = false;
  let vb = false;
  let a = 1;
  let b = 1;
  let inter = 0;
  let union = 0;
  let ct = 1;
  while (ct > 0) {
    const c = Math.min(ca, cb);
    if (va || vb) {
      union += c;
      if (va && vb) inter += c;
    }
    ct = 0;
    ca -= c;
    if (!ca && a < ka) {
      ca = dt.counts[a++];
      va = !va;
    }
    ct += ca;
    cb -= c;
    if (!cb && b < kb) {
      cb = gt.counts[b++];
      vb = !vb;
    }
    ct += cb;
  }
  if (inter === 0) union = 1;
  else if (crowd) union = rleArea(dt);
  return inter / union;
}

/**
 * pycocotools `iou(dt, gt, iscrowd)`: matrix [dt][gt]. Mirrors maskApi.c exactly, including the
 * box-IoU pre-filter and -1 for a dt/gt pair whose sizes differ.
 */
export function rleIouMatrix(dt: ReadonlyArray<RleInput | RleRuns>, gt: ReadonlyArray<RleInput | RleRuns>, iscrowd: readonly boolean[] = []): number[][] {
  const D = dt.map(runsOf);
  const G = gt.map(runsOf);
  const db = D.map((r) => rleToBbox(r));
  const gb = G.map((r) => rleToBbox(r));
  return D.map((d, i) =>
    G.map((g, j) => {
      const crowd = iscrowd[j] === true;
      if (bboxIou(db[i], gb[j], crowd) <= 0) return 0;
      if (d.height !== g.height || d.width !== g.width) return -1;
      return runIou(d, g, crowd);
    }),
  );
}

/** IoU of two masks of the same size (crowd: intersection over dt's area). */
export function rleIou(dt: RleInput | RleRuns, gt: RleInput | RleRuns, opts: { crowd?: boolean } = {}): number {
  const d = runsOf(dt);
  const g = runsOf(gt);
  if (d.height !== g.height || d.width !== g.width) {
    throw new RleError("size-mismatch", `cannot compare RLEs of size ${d.height}x${d.width} and ${g.height}x${g.width}`);
  }
  return rleIouMatrix([d], [g], [opts.crowd === true])[0][0];
}

/** Union (or intersection) of RLEs of one size (maskApi.c `rleMerge`). */
export function rleMerge(rles: ReadonlyArray<RleInput | RleRuns>, intersect = false): CocoRle {
  return compressRle(mergeRuns(rles.map(runsOf), intersect));
}

export function mergeRuns(R: readonly RleRuns[], intersect = false): RleRuns {
  if (R.length === 0) throw new RleError("empty", "cannot merge zero RLEs");
  const { height: h, width: w } = R[0];
  let cnts = R[0].counts.slice();
  for (let i = 1; i < R.length; i++) {
    const B = R[i];
    if (B.height !== h || B.width !== w) {
      throw new RleError("size-mismatch", `cannot merge RLE #${i} of size ${B.height}x${B.width} into ${h}x${w}`);
    }
    const A = cnts;
    const out: number[] = [];
    let ca = A[0];
    let cb = B.counts[0];
    let v = false;
    let va = false;
    let vb = false;
    let a = 1;
    let b = 1;
    let cc = 0;
    let ct = 1;
    while (ct > 0) {
      const c = Math.min(ca, cb);
      cc += c;
      ct = 0;
      ca -= c;
      if (!ca && a < A.length) {
        ca = A[a++];
        va = !va;
      }
      ct += ca;
      cb -= c;
      if (!cb && b < B.counts.length) {
        cb = B.counts[b++];
        vb = !vb;
      }
      ct += cb;
      const vp: boolean = v;
      v = intersect ? va && vb : va || vb;
      if (v !== vp || ct === 0) {
        out.push(cc);
        cc = 0;
      }
    }
    cnts = out;
  }
  return { height: h, width: w, counts: cnts };
}

const trunc = Math.trunc; // C (int) cast of a double

/**
 * Rasterizes one polygon [x0, y0, x1, y1, ...] (maskApi.c `rleFrPoly`, pycocotools `frPyObjects`
 * on a polygon list gives one RLE per polygon; merge them for a multi-part object).
 */
export function rleFromPolygon(xy: readonly number[], height: number, width: number): CocoRle {
  return compressRle(polygonRuns(xy, height, width));
}

export function polygonRuns(xy: readonly number[], height: number, width: number): RleRuns {
  const [h, w] = checkSize([height, width]);
  const k = Math.floor(xy.length / 2);
  if (k < 1 || xy.slice(0, 2 * k).some((v) => typeof v !== "number" || !Number.isFinite(v))) {
    throw new RleError("bad-polygon", "polygon must be a flat list [x0, y0, x1, y1, ...] of finite numbers");
  }
  const scale = 5;
  const x: number[] = [];
  const y: number[] = [];
  for (let j = 0; j < k; j++) x.push(trunc(scale * xy[2 * j] + 0.5));
  x.push(x[0]);
  for (let j = 0; j < k; j++) y.push(trunc(scale * xy[2 * j + 1] + 0.5));
  y.push(y[0]);
  const u: number[] = [];
  const v: number[] = [];
  for (let j = 0; j < k; j++) {
    let xs = x[j];
    let xe = x[j + 1];
    let ys = y[j];
    let ye = y[j + 1];
    const dx = Math.abs(xe - xs);
    const dy = Math.abs(ys - ye);
    const flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
    if (flip) {
      [xs, xe] = [xe, xs];
      [ys, ye] = [ye, ys];
    }
    const s = dx >= dy ? (ye - ys) / dx : (xe - xs) / dy;
    if (dx >= dy) {
      for (let d = 0; d <= dx; d++) {
        const t = flip ? dx - d : d;
        u.push(t + xs);
        v.push(trunc(ys + s * t + 0.5));
      }
    } else {
      for (let d = 0; d <= dy; d++) {
        const t = flip ? dy - d : d;
        v.push(t + ys);
        u.push(trunc(xs + s * t + 0.5));
      }
    }
  }
  // points along the y-boundary, downsampled back to pixel resolution
  const bx: number[] = [];
  const by: number[] = [];
  for (let j = 1; j < u.length; j++) {
    if (u[j] === u[j - 1]) continue;
    let xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
    xd = (xd + 0.5) / scale - 0.5;
    if (Math.floor(xd) !== xd || xd < 0 || xd > w - 1) continue;
    let yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
    yd = (yd + 0.5) / scale - 0.5;
    if (yd < 0) yd = 0;
    else if (yd > h) yd = h;
    yd = Math.ceil(yd);
    bx.push(xd);
    by.push(yd);
  }
  const a: number[] = bx.map((xv, j) => (xv * h + by[j]) >>> 0);
  a.push((h * w) >>> 0);
  a.sort((p, q) => p - q);
  let prev = 0;
  for (let j = 0; j < a.length; j++) {
    const t = a[j];
    a[j] -= prev;
    prev = t;
  }
  const b: number[] = [a[0]];
  let j = 1;
  while (j < a.length) {
    if (a[j] > 0) b.push(a[j++]);
    else {
      j++;
      if (j < a.length) b[b.length - 1] += a[j++];
    }
  }
  return { height: h, width: w, counts: b };
}

/** Box [x, y, w, h] → RLE (maskApi.c `rleFrBbox`, via the polygon rasterizer like pycocotools). */
export function rleFromBbox(bbox: readonly number[], height: number, width: number): CocoRle {
  const [xs, ys, bw, bh] = bbox;
  const xe = xs + bw;
  const ye = ys + bh;
  return rleFromPolygon([xs, ys, xs, ye, xe, ye, xe, ys], height, width);
}
