// Structural truncation check: does the container declare more bytes than the file has?
// A cut-off upload leaves the top-level box / RIFF chunk / Segment claiming its full size. Cheap (a few small
// reads) and exact, so a truncated file is reported as "truncated" rather than as some decode error.
import { open, type FileHandle } from "node:fs/promises";
import type { ContainerKind } from "./sniff";

const TOP_LEVEL_BOXES = new Set(["ftyp", "moov", "mdat", "free", "skip", "wide", "uuid", "pnot", "udta", "meta", "moof", "mfra", "styp", "sidx", "ssix", "prft", "emsg", "pdin", "junk"]);

async function readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, pos);
  return buf.subarray(0, bytesRead);
}

/** EBML variable-length integer at `at`: [value, length], value null for "unknown size" (all ones). */
function vint(b: Uint8Array, at: number, keepMarker: boolean): [number | null, number] | null {
  if (at >= b.length) return null;
  const first = b[at];
  let len = 1;
  while (len <= 8 && !(first & (0x80 >> (len - 1)))) len++;
  if (len > 8 || at + len > b.length) return null;
  let v = keepMarker ? first : first & (0xff >> len);
  let allOnes = v === (0xff >> len);
  for (let i = 1; i < len; i++) {
    v = v * 256 + b[at + i];
    if (b[at + i] !== 0xff) allOnes = false;
  }
  return [!keepMarker && allOnes ? null : v, len];
}

/**
 * The number of bytes the container's top-level structure says the file has, or null when it cannot tell
 * (unknown-size live streams, unrecognised layout). Compare with the real size to detect truncation.
 */
export async function declaredContainerBytes(file: string, kind: ContainerKind): Promise<number | null> {
  const fh = await open(file, "r");
  try {
    const size = (await fh.stat()).size;
    if (kind === "avi") {
      const h = await readAt(fh, 0, 12);
      return h.length < 12 ? null : h.readUInt32LE(4) + 8;
    }
    if (kind === "mp4" || kind === "mov") {
      // Walk top-level boxes; the end of the last box is the declared length.
      let at = 0;
      for (let boxes = 0; at < size && boxes < 10_000; boxes++) {
        const h = await readAt(fh, at, 16);
        if (h.length < 8) return at + 8; // a box header cut in half
        // Only known top-level box types count; anything else is damage, not truncation.
        if (!TOP_LEVEL_BOXES.has(h.subarray(4, 8).toString("latin1"))) return null;
        let len = h.readUInt32BE(0);
        if (len === 1) {
          if (h.length < 16) return at + 16;
          len = Number(h.readBigUInt64BE(8));
        } else if (len === 0) {
          return size; // "extends to end of file"
        }
        if (len < 8) return null;
        at += len;
      }
      return at;
    }
    // Matroska/WebM: EBML header element, then the Segment element with its size.
    const h = await readAt(fh, 0, 64);
    const hdr = vint(h, 4, false);
    if (!hdr || hdr[0] === null) return null;
    const segAt = 4 + hdr[1] + hdr[0];
    const s = await readAt(fh, segAt, 12);
    const id = vint(s, 0, true);
    if (!id || id[0] !== 0x18538067) return null;
    const segSize = vint(s, id[1], false);
    if (!segSize || segSize[0] === null) return null;
    return segAt + id[1] + segSize[1] + segSize[0];
  } finally {
    await fh.close();
  }
}
