// Container detection from magic bytes (never from the file name).

export type ContainerKind = "mp4" | "mov" | "webm" | "mkv" | "avi";

/** Bytes of the file head that `sniffContainer` needs (EBML headers put DocType within the first few dozen bytes). */
export const SNIFF_BYTES = 4096;

const ascii = (b: Uint8Array, from: number, len: number) =>
  from + len <= b.length ? String.fromCharCode(...b.subarray(from, from + len)) : "";

/** QuickTime files written before ftyp existed start directly with one of these atoms. */
const QT_LEADING_ATOMS = new Set(["moov", "mdat", "wide", "free", "skip", "pnot"]);

/**
 * Identifies the container from the first bytes of a file: ISO-BMFF (`ftyp` box; brand `qt  ` → mov),
 * Matroska/WebM (EBML magic, then the DocType element), AVI (`RIFF....AVI `). Anything else → null.
 */
export function sniffContainer(head: Uint8Array): ContainerKind | null {
  if (head.length < 12) return null;
  const box = ascii(head, 4, 4);
  if (box === "ftyp") {
    const brand = ascii(head, 8, 4);
    return brand === "qt  " ? "mov" : "mp4";
  }
  if (QT_LEADING_ATOMS.has(box)) {
    const size = ((head[0] << 24) >>> 0) + (head[1] << 16) + (head[2] << 8) + head[3];
    if (size >= 8) return "mov";
  }
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) {
    const docType = ebmlDocType(head);
    if (docType === "webm") return "webm";
    if (docType === "matroska") return "mkv";
    return null;
  }
  if (ascii(head, 0, 4) === "RIFF" && (ascii(head, 8, 4) === "AVI " || ascii(head, 8, 4) === "AVIX")) return "avi";
  return null;
}

/** Reads an EBML variable-length integer; returns [value, length] or null. */
function vint(b: Uint8Array, at: number, keepMarker: boolean): [number, number] | null {
  if (at >= b.length) return null;
  const first = b[at];
  let len = 1;
  while (len <= 8 && !(first & (0x80 >> (len - 1)))) len++;
  if (len > 8 || at + len > b.length) return null;
  let v = keepMarker ? first : first & (0xff >> len);
  for (let i = 1; i < len; i++) v = v * 256 + b[at + i];
  return [v, len];
}

function ebmlDocType(b: Uint8Array): string | null {
  // EBML header element: id 0x1A45DFA3, size, then child elements; DocType has id 0x4282.
  const hdrSize = vint(b, 4, false);
  if (!hdrSize) return null;
  let at = 4 + hdrSize[1];
  const end = Math.min(b.length, at + hdrSize[0]);
  while (at < end) {
    const id = vint(b, at, true);
    if (!id) return null;
    const size = vint(b, at + id[1], false);
    if (!size) return null;
    const dataAt = at + id[1] + size[1];
    if (id[0] === 0x4282) return ascii(b, dataAt, Math.min(size[0], 64)).replace(/\0+$/, "");
    at = dataAt + size[0];
  }
  return null;
}

/** File extensions that a container of each kind may legitimately carry. */
export const EXTENSIONS: Record<ContainerKind, readonly string[]> = {
  mp4: ["mp4", "m4v", "mov", "qt"],
  mov: ["mov", "qt", "mp4", "m4v"],
  webm: ["webm", "mkv"],
  mkv: ["mkv", "webm"],
  avi: ["avi"],
};
