// Byte-level pieces of the WebAssembly binary format for the SIMD kernels the project hand-assembles
// (inference/sam2/resample-wasm.ts, inference/sam2/bf16.ts): instruction encodings and module sections.
import { sleb, uleb } from "./leb128";

/** Unsigned LEB128 bytes of `n`. */
export function leb(n: number): number[] {
  const out: number[] = [];
  uleb(n, out);
  return out;
}

/** `i32.const v` (v taken as a signed 32-bit integer). */
export function i32Const(v: number): number[] {
  const out = [0x41];
  sleb(v | 0, out);
  return out;
}

export const localGet = (i: number): number[] => [0x20, ...leb(i)];
export const localSet = (i: number): number[] => [0x21, ...leb(i)];
/** A SIMD instruction (prefix 0xfd) with its immediates. */
export const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...leb(op), ...imm];

/** Control instructions and the i32 arithmetic the kernels' loops use (blocks and loops without results). */
export const BLOCK = [0x02, 0x40];
export const LOOP = [0x03, 0x40];
export const END = 0x0b;
export const br = (depth: number): number[] => [0x0c, depth];
export const brIf = (depth: number): number[] => [0x0d, depth];
export const I32_GE_U = 0x4f;
export const I32_ADD = 0x6a;
export const I32_MUL = 0x6c;

/** The SIMD opcodes (after the 0xfd prefix) the kernels use. */
export const SIMD_OP = {
  V128_LOAD: 0x00,
  LOAD8X8_U: 0x02,
  V128_STORE: 0x0b,
  I32X4_SPLAT: 0x11,
  I32X4_EQ: 0x37,
  V128_AND: 0x4e,
  V128_BITSELECT: 0x52,
  STORE64_LANE: 0x5b,
  I8X16_NARROW_I16X8_U: 0x66,
  I16X8_NARROW_I32X4_S: 0x85,
  I32X4_EXTEND_LOW_I16X8_U: 0xa9,
  I32X4_EXTEND_HIGH_I16X8_U: 0xaa,
  I32X4_SHR_S: 0xac,
  I32X4_SHR_U: 0xad,
  I32X4_ADD: 0xae,
  I32X4_MUL: 0xb5,
  I32X4_MIN_S: 0xb6,
  I32X4_MAX_S: 0xb8,
} as const;

/** `i32x4.splat` of the constant `v`. */
export const i32x4Splat = (v: number): number[] => [...i32Const(v), ...simd(SIMD_OP.I32X4_SPLAT)];

export const TYPE_I32 = 0x7f;
export const TYPE_V128 = 0x7b;

const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const name = (s: string): number[] => [...leb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];

/** One exported function of a kernel module: its i32 parameter count, its locals and its code (ending with the
 * function's own `end`). */
export interface KernelFunction {
  name: string;
  params: number;
  locals: Array<[count: number, type: number]>;
  code: number[];
}

/**
 * A module of functions taking only i32 parameters and returning nothing, plus one exported memory named "memory"
 * (1 page to start; the caller grows it).
 */
export function kernelModule(functions: readonly KernelFunction[]): Uint8Array<ArrayBuffer> {
  const arities = [...new Set(functions.map((f) => f.params))];
  const types = arities.map((n) => [0x60, ...vec(Array.from({ length: n }, () => [TYPE_I32])), 0x00]);
  const bodies = functions.map((f) => {
    const b = [...vec(f.locals.map(([n, t]) => [...leb(n), t])), ...f.code];
    return [...leb(b.length), ...b];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(3, vec(functions.map((f) => leb(arities.indexOf(f.params))))),
    ...section(5, vec([[0x00, 0x01]])),
    ...section(7, vec([...functions.map((f, i) => [...name(f.name), 0x00, ...leb(i)]), [...name("memory"), 0x02, 0x00]])),
    ...section(10, vec(bodies)),
  ]);
}
