// Indexed (palette) PNG reading and writing for label maps such as DAVIS annotations.
// pngjs always expands to RGBA, which loses the palette index that *is* the object id, so this module
// decodes the PNG stream itself (node:zlib) and returns the raw per-pixel values exactly as
// PIL's `np.array(Image.open(path))` does for palette ("P") and 8/1-bit grayscale ("L"/"1") images.
import { crc32, deflateSync, inflateSync } from "node:zlib";

export interface LabelImage {
  width: number;
  height: number;
  /** Row-major per-pixel value: the palette index (palette PNGs) or the gray level (grayscale PNGs). */
  data: Uint8Array;
  /** RGB triplets of the PLTE chunk, or null for grayscale images. */
  palette: Uint8Array | null;
}

/** A PNG that cannot be read as a label map; the message names the file when one was given. */
export class PngFormatError extends Error {
  override name = "PngFormatError";
}

const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);

// Adam7 passes: x start, y start, x step, y step.
const ADAM7: ReadonlyArray<readonly [number, number, number, number]> = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/** Undoes the per-scanline filters of one (sub)image in place; returns the offset after it. */
function unfilter(raw: Uint8Array, offset: number, rowBytes: number, rows: number, bpp: number, where: string): number {
  let prev = -1;
  for (let y = 0; y < rows; y++) {
    const ft = raw[offset];
    const s = offset + 1;
    const e = s + rowBytes;
    // One loop per filter type keeps the hot path (type 0: nothing to do) branch-free.
    switch (ft) {
      case 0:
        break;
      case 1:
        for (let i = s + bpp; i < e; i++) raw[i] = (raw[i] + raw[i - bpp]) & 0xff;
        break;
      case 2:
        if (prev >= 0) for (let i = s, j = prev; i < e; i++, j++) raw[i] = (raw[i] + raw[j]) & 0xff;
        break;
      case 3:
        for (let i = s, j = prev; i < e; i++, j++) {
          const left = i - s >= bpp ? raw[i - bpp] : 0;
          const up = prev >= 0 ? raw[j] : 0;
          raw[i] = (raw[i] + ((left + up) >> 1)) & 0xff;
        }
        break;
      case 4:
        for (let i = s, j = prev; i < e; i++, j++) {
          const hasLeft = i - s >= bpp;
          const left = hasLeft ? raw[i - bpp] : 0;
          const up = prev >= 0 ? raw[j] : 0;
          const upLeft = prev >= 0 && hasLeft ? raw[j - bpp] : 0;
          raw[i] = (raw[i] + paeth(left, up, upLeft)) & 0xff;
        }
        break;
      default:
        throw new PngFormatError(`${where}: invalid filter type ${ft} on scanline ${y}`);
    }
    prev = s;
    offset = e;
  }
  return offset;
}

function sample(raw: Uint8Array, rowStart: number, x: number, bitDepth: number): number {
  if (bitDepth === 8) return raw[rowStart + x];
  const perByte = 8 / bitDepth;
  const byte = raw[rowStart + Math.floor(x / perByte)];
  const shift = 8 - bitDepth * ((x % perByte) + 1);
  return (byte >> shift) & ((1 << bitDepth) - 1);
}

/**
 * Decodes a palette PNG (bit depth 1/2/4/8) or an 8-bit / 1-bit grayscale PNG into per-pixel values.
 * `name` (usually the file path) prefixes every error message.
 */
export function decodeLabelPng(bytes: Uint8Array, name = "PNG"): LabelImage {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new PngFormatError(`${name}: not a PNG file (bad signature)`);
  let pos = 8;
  let width = 0;
  let height = 0;
  let bitDepth = 0;
  let colorType = -1;
  let interlace = 0;
  let palette: Uint8Array | null = null;
  const idat: Buffer[] = [];
  let sawEnd = false;
  while (pos < buf.length) {
    if (pos + 8 > buf.length) throw new PngFormatError(`${name}: truncated PNG (chunk header cut at byte ${pos})`);
    const len = buf.readUInt32BE(pos);
    const type = buf.toString("latin1", pos + 4, pos + 8);
    if (pos + 12 + len > buf.length) throw new PngFormatError(`${name}: truncated PNG (${type} chunk at byte ${pos} needs ${len} bytes)`);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    const crc = buf.readUInt32BE(pos + 8 + len);
    if (crc32(buf.subarray(pos + 4, pos + 8 + len)) !== crc) throw new PngFormatError(`${name}: corrupt PNG (CRC mismatch in ${type} chunk at byte ${pos})`);
    pos += 12 + len;
    if (type === "IHDR") {
      if (len !== 13) throw new PngFormatError(`${name}: corrupt PNG (IHDR length ${len})`);
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      bitDepth = data[8];
      colorType = data[9];
      interlace = data[12];
      if (data[10] !== 0 || data[11] !== 0) throw new PngFormatError(`${name}: unsupported PNG compression/filter method`);
    } else if (type === "PLTE") {
      palette = new Uint8Array(data);
    } else if (type === "IDAT") {
      idat.push(data);
    } else if (type === "IEND") {
      sawEnd = true;
      break;
    }
  }
  if (colorType < 0) throw new PngFormatError(`${name}: corrupt PNG (no IHDR chunk)`);
  if (width === 0 || height === 0) throw new PngFormatError(`${name}: PNG has zero size ${width}x${height}`);
  const indexed = colorType === 3 && [1, 2, 4, 8].includes(bitDepth);
  // PIL maps 8-bit gray to mode "L" and 1-bit gray to mode "1" (values 0/1); both keep raw values.
  const gray = colorType === 0 && (bitDepth === 8 || bitDepth === 1);
  if (!indexed && !gray) {
    const kinds: Record<number, string> = { 0: "grayscale", 2: "RGB", 4: "grayscale+alpha", 6: "RGBA", 3: "palette" };
    throw new PngFormatError(
      `${name}: not an indexed PNG (${kinds[colorType] ?? `color type ${colorType}`}, ${bitDepth}-bit); label maps must be palette PNGs (or 8-bit grayscale)`,
    );
  }
  if (indexed && palette === null) throw new PngFormatError(`${name}: corrupt PNG (palette image without PLTE chunk)`);
  if (idat.length === 0) throw new PngFormatError(`${name}: truncated PNG (no image data)`);
  let raw: Uint8Array;
  try {
    const inflated = inflateSync(Buffer.concat(idat));
    raw = new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength);
  } catch (e) {
    throw new PngFormatError(`${name}: ${sawEnd ? "corrupt" : "truncated"} PNG (image data does not decompress: ${(e as Error).message})`);
  }
  const out = new Uint8Array(width * height);
  const bytesFor = (w: number) => Math.ceil((w * bitDepth) / 8);
  if (interlace === 0) {
    const rowBytes = bytesFor(width);
    if (raw.length < (rowBytes + 1) * height) throw new PngFormatError(`${name}: truncated PNG (image data holds ${raw.length} of ${(rowBytes + 1) * height} bytes)`);
    unfilter(raw, 0, rowBytes, height, 1, name);
    for (let y = 0; y < height; y++) {
      const rs = y * (rowBytes + 1) + 1;
      if (bitDepth === 8) out.set(raw.subarray(rs, rs + width), y * width);
      else for (let x = 0; x < width; x++) out[y * width + x] = sample(raw, rs, x, bitDepth);
    }
  } else if (interlace === 1) {
    let offset = 0;
    for (const [x0, y0, dx, dy] of ADAM7) {
      const pw = Math.ceil((width - x0) / dx);
      const ph = Math.ceil((height - y0) / dy);
      if (pw <= 0 || ph <= 0) continue;
      const rowBytes = bytesFor(pw);
      if (raw.length < offset + (rowBytes + 1) * ph) throw new PngFormatError(`${name}: truncated PNG (interlaced image data too short)`);
      const start = offset;
      offset = unfilter(raw, offset, rowBytes, ph, 1, name);
      for (let y = 0; y < ph; y++) {
        const rs = start + y * (rowBytes + 1) + 1;
        for (let x = 0; x < pw; x++) out[(y0 + y * dy) * width + x0 + x * dx] = sample(raw, rs, x, bitDepth);
      }
    }
  } else {
    throw new PngFormatError(`${name}: unsupported PNG interlace method ${interlace}`);
  }
  return { width, height, data: out, palette };
}

/** The PASCAL VOC / DAVIS colour map (`davis2017.utils.color_map`), 256 RGB triplets. */
export function davisPalette(): Uint8Array {
  const cmap = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    let r = 0;
    let g = 0;
    let b = 0;
    let c = i;
    for (let j = 0; j < 8; j++) {
      r |= (c & 1) << (7 - j);
      g |= ((c >> 1) & 1) << (7 - j);
      b |= ((c >> 2) & 1) << (7 - j);
      c >>= 3;
    }
    cmap.set([r, g, b], i * 3);
  }
  return cmap;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Encodes an 8-bit palette PNG (colour type 3) whose pixel values are the given indices. */
export function encodeIndexedPng(width: number, height: number, data: Uint8Array, palette: Uint8Array = davisPalette()): Buffer {
  if (data.length !== width * height) throw new RangeError(`encodeIndexedPng: ${data.length} values for ${width}x${height}`);
  if (palette.length % 3 !== 0 || palette.length === 0 || palette.length > 768) throw new RangeError("encodeIndexedPng: palette must hold 1..256 RGB triplets");
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 3;
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  return Buffer.concat([SIGNATURE, chunk("IHDR", ihdr), chunk("PLTE", palette), chunk("IDAT", deflateSync(raw)), chunk("IEND", new Uint8Array(0))]);
}
