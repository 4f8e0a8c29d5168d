// safetensors (https://github.com/huggingface/safetensors) for float32 tensors: 8-byte little-endian header
// length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__}, then the raw data.
import { readFile } from "node:fs/promises";

export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/** Serialises tensors (in the map's order) with optional string metadata. */
export function encodeSafetensors(tensors: ReadonlyMap<string, HostTensor>, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new RangeError(`tensor '${name}': shape [${t.shape.join(", ")}] needs ${n} values, has ${t.data.length}`);
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + 4 * n] };
    offset += 4 * n;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned (allowed by the format).
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += " ";
  const head = Buffer.from(json, "utf8");
  const out = Buffer.alloc(8 + head.length + offset);
  out.writeBigUInt64LE(BigInt(head.length), 0);
  head.copy(out, 8);
  let at = 8 + head.length;
  for (const t of tensors.values()) {
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    bytes.copy(out, at);
    at += bytes.length;
  }
  return out;
}

/** Parses a safetensors buffer of F32 tensors; errors name `source` and the offending tensor. */
export function decodeSafetensors(buf: Uint8Array, source = "safetensors"): { tensors: Map<string, HostTensor>; metadata: Record<string, string> } {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 8) throw new RangeError(`${source}: too short for a safetensors header (${b.length} bytes)`);
  const n = Number(b.readBigUInt64LE(0));
  if (8 + n > b.length) throw new RangeError(`${source}: header length ${n} exceeds the file (${b.length} bytes)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(b.subarray(8, 8 + n).toString("utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new RangeError(`${source}: header is not JSON (${(e as Error).message})`);
  }
  const dataStart = 8 + n;
  const tensors = new Map<string, HostTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = v as Record<string, string>;
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e.dtype !== "F32") throw new RangeError(`${source}: tensor '${name}' has dtype ${String(e.dtype)}, only F32 is supported`);
    if (!Array.isArray(e.shape) || !e.shape.every((s) => Number.isInteger(s) && s >= 0)) throw new RangeError(`${source}: tensor '${name}' has an invalid shape`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2) throw new RangeError(`${source}: tensor '${name}' has invalid data_offsets`);
    const [s, t] = off as [number, number];
    const count = (e.shape as number[]).reduce((a, c) => a * c, 1);
    if (t - s !== 4 * count || dataStart + t > b.length) throw new RangeError(`${source}: tensor '${name}' data_offsets [${s}, ${t}] do not match shape [${(e.shape as number[]).join(", ")}] or the file size`);
    // Copy: the data may not be 4-byte aligned inside the file buffer.
    const data = new Float32Array(count);
    Buffer.from(data.buffer).set(b.subarray(dataStart + s, dataStart + t));
    tensors.set(name, { shape: e.shape as number[], data });
  }
  return { tensors, metadata };
}

export async function readSafetensors(file: string): Promise<{ tensors: Map<string, HostTensor>; metadata: Record<string, string> }> {
  return decodeSafetensors(await readFile(file), file);
}
