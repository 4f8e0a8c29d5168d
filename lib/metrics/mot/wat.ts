// A tiny assembler for a flat subset of the WebAssembly text format, so the MOT evaluator's hot loops can be written
// as readable WAT in our own source and turned into a module at load time (microseconds, no dependency, no build step).
// Why WebAssembly at all: `eval mot` is one short batch run, and V8 spends most of it running these loops unoptimised
// before TurboFan catches up; wasm is compiled once, up front, to machine code (Liftoff).
//
// Supported: one exported memory; functions with i32/i64/f64 params, locals and at most one result; flat (non-folded)
// instructions, one per token group, `;;` comments; `$name`d locals, functions and block/loop/if labels; `block`,
// `loop` and `if` may declare a result type (`if f64 ... else ... end`); loads/stores take an optional `offset=N`.
import { sleb, uleb } from "../../wasm/leb128";

export type WatType = "i32" | "i64" | "f64";

export interface WatFunction {
  name: string;
  params: [string, WatType][];
  result?: WatType;
  locals?: [string, WatType][];
  /** Flat WAT instructions (the function's implicit final `end` is added); locals and functions are named `$name`. */
  body: string;
  exported?: boolean;
}

const TYPE_CODE: Record<WatType, number> = { i32: 0x7f, i64: 0x7e, f64: 0x7c };

type Immediate = "none" | "local" | "label" | "func" | "i32" | "i64" | "f64" | "block" | "mem0" | "mem1" | "mem2" | "mem3" | "zero";

/** Opcode and immediate kind of every instruction the kernels use (memN: natural alignment 2^N). */
const OPS: Record<string, [number[], Immediate]> = {
  unreachable: [[0x00], "none"],
  nop: [[0x01], "none"],
  block: [[0x02], "block"],
  loop: [[0x03], "block"],
  if: [[0x04], "block"],
  else: [[0x05], "none"],
  end: [[0x0b], "none"],
  br: [[0x0c], "label"],
  br_if: [[0x0d], "label"],
  return: [[0x0f], "none"],
  call: [[0x10], "func"],
  drop: [[0x1a], "none"],
  select: [[0x1b], "none"],
  "local.get": [[0x20], "local"],
  "local.set": [[0x21], "local"],
  "local.tee": [[0x22], "local"],
  "i32.load": [[0x28], "mem2"],
  "f64.load": [[0x2b], "mem3"],
  "i32.load8_u": [[0x2d], "mem0"],
  "i32.store": [[0x36], "mem2"],
  "f64.store": [[0x39], "mem3"],
  "i32.store8": [[0x3a], "mem0"],
  "memory.size": [[0x3f], "zero"],
  "memory.grow": [[0x40], "zero"],
  "i32.const": [[0x41], "i32"],
  "i64.const": [[0x42], "i64"],
  "f64.const": [[0x44], "f64"],
  "i32.eqz": [[0x45], "none"],
  "i32.eq": [[0x46], "none"],
  "i32.ne": [[0x47], "none"],
  "i32.lt_s": [[0x48], "none"],
  "i32.lt_u": [[0x49], "none"],
  "i32.gt_s": [[0x4a], "none"],
  "i32.gt_u": [[0x4b], "none"],
  "i32.le_s": [[0x4c], "none"],
  "i32.le_u": [[0x4d], "none"],
  "i32.ge_s": [[0x4e], "none"],
  "i32.ge_u": [[0x4f], "none"],
  "i64.eqz": [[0x50], "none"],
  "i64.ne": [[0x52], "none"],
  "f64.eq": [[0x61], "none"],
  "f64.ne": [[0x62], "none"],
  "f64.lt": [[0x63], "none"],
  "f64.gt": [[0x64], "none"],
  "f64.le": [[0x65], "none"],
  "f64.ge": [[0x66], "none"],
  "i32.popcnt": [[0x69], "none"],
  "i32.add": [[0x6a], "none"],
  "i32.sub": [[0x6b], "none"],
  "i32.mul": [[0x6c], "none"],
  "i32.div_s": [[0x6d], "none"],
  "i32.div_u": [[0x6e], "none"],
  "i32.and": [[0x71], "none"],
  "i32.or": [[0x72], "none"],
  "i32.xor": [[0x73], "none"],
  "i32.shl": [[0x74], "none"],
  "i32.shr_s": [[0x75], "none"],
  "i32.shr_u": [[0x76], "none"],
  "i64.add": [[0x7c], "none"],
  "i64.mul": [[0x7e], "none"],
  "f64.abs": [[0x99], "none"],
  "f64.neg": [[0x9a], "none"],
  "f64.trunc": [[0x9d], "none"],
  "f64.add": [[0xa0], "none"],
  "f64.sub": [[0xa1], "none"],
  "f64.mul": [[0xa2], "none"],
  "f64.div": [[0xa3], "none"],
  "f64.min": [[0xa4], "none"],
  "f64.max": [[0xa5], "none"],
  "i32.wrap_i64": [[0xa7], "none"],
  "i32.trunc_f64_s": [[0xaa], "none"],
  "i64.trunc_f64_s": [[0xb0], "none"],
  "i64.extend_i32_u": [[0xad], "none"],
  "f64.convert_i32_s": [[0xb7], "none"],
  "f64.convert_i32_u": [[0xb8], "none"],
  "f64.convert_i64_s": [[0xb9], "none"],
};

function name(s: string, out: number[]): void {
  uleb(s.length, out);
  for (let k = 0; k < s.length; k++) out.push(s.charCodeAt(k));
}

function section(id: number, content: number[], out: number[]): void {
  out.push(id);
  uleb(content.length, out);
  for (const b of content) out.push(b);
}

/** Thrown for a mistake in kernel source (names the function and instruction). */
export class WatError extends Error {
  override name = "WatError";
}

function assembleBody(fn: WatFunction, funcIndex: Map<string, number>): number[] {
  const locals = new Map<string, number>();
  for (const [n] of fn.params) locals.set(n, locals.size);
  for (const [n] of fn.locals ?? []) locals.set(n, locals.size);
  const code: number[] = [];
  // Local declarations: one run per local (simple and valid).
  const decl = fn.locals ?? [];
  uleb(decl.length, code);
  for (const [, t] of decl) {
    uleb(1, code);
    code.push(TYPE_CODE[t]);
  }
  const tokens = fn.body
    .replace(/;;[^\n]*/g, "")
    .split(/\s+/)
    .filter((t) => t !== "");
  const labels: (string | null)[] = [];
  const fail = (msg: string): never => {
    throw new WatError(`wat ${fn.name}: ${msg}`);
  };
  for (let p = 0; p < tokens.length; p++) {
    const op = tokens[p];
    const spec = OPS[op];
    if (!spec) fail(`unknown instruction '${op}'`);
    const [bytes, imm] = spec;
    code.push(...bytes);
    const arg = (): string => (p + 1 < tokens.length ? tokens[++p] : fail(`${op} needs an argument`));
    switch (imm) {
      case "none":
        if (op === "end") {
          if (labels.length === 0) fail("unbalanced 'end'");
          labels.pop();
        }
        break;
      case "zero":
        code.push(0);
        break;
      case "local": {
        const n = arg();
        const idx = locals.get(n.replace(/^\$/, ""));
        if (idx === undefined) fail(`unknown local '${n}'`);
        uleb(idx!, code);
        break;
      }
      case "func": {
        const n = arg();
        const idx = funcIndex.get(n.replace(/^\$/, ""));
        if (idx === undefined) fail(`unknown function '${n}'`);
        uleb(idx!, code);
        break;
      }
      case "label": {
        const n = arg();
        const depth = labels.length - 1 - labels.lastIndexOf(n);
        if (!n.startsWith("$") || depth >= labels.length) fail(`unknown label '${n}'`);
        uleb(depth, code);
        break;
      }
      case "i32": {
        const v = Number(arg());
        if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 32) fail(`bad i32 constant in ${op}`);
        sleb(v | 0, code);
        break;
      }
      case "i64": {
        // Small constants only (|v| < 2^31), enough for the kernels.
        const v = Number(arg());
        if (!Number.isInteger(v) || Math.abs(v) >= 2 ** 31) fail(`bad i64 constant in ${op}`);
        sleb(v, code);
        break;
      }
      case "f64": {
        const text = arg();
        const v = text === "nan" ? NaN : text === "inf" ? Infinity : text === "-inf" ? -Infinity : Number(text);
        if (Number.isNaN(v) && text !== "nan") fail(`bad f64 constant in ${op}`);
        code.push(...new Uint8Array(new Float64Array([v]).buffer));
        break;
      }
      case "block": {
        let label: string | null = null;
        if (p + 1 < tokens.length && tokens[p + 1].startsWith("$")) label = tokens[++p];
        let type = 0x40;
        if (p + 1 < tokens.length && (tokens[p + 1] === "i32" || tokens[p + 1] === "i64" || tokens[p + 1] === "f64")) type = TYPE_CODE[tokens[++p] as WatType];
        code.push(type);
        labels.push(label);
        break;
      }
      default: {
        // Memory access: align (log2, natural) then offset.
        let offset = 0;
        if (p + 1 < tokens.length && tokens[p + 1].startsWith("offset=")) offset = Number(tokens[++p].slice(7));
        if (!Number.isInteger(offset) || offset < 0) fail(`bad offset in ${op}`);
        uleb(Number(imm.slice(3)), code);
        uleb(offset, code);
      }
    }
  }
  if (labels.length !== 0) fail("missing 'end'");
  code.push(0x0b);
  const out: number[] = [];
  uleb(code.length, out);
  for (const b of code) out.push(b);
  return out;
}

/**
 * Modules assembled by an earlier run of the same build, by their exact input (JSON of pages and functions), and
 * whether to keep what this process assembles. cli/bin.mjs fills and saves this next to its precompiled build:
 * assembling costs ~20 ms of cold JS per run, a lookup by the exact input text well under one.
 */
let assemblyCache: Map<string, Uint8Array<ArrayBuffer>> | null = null;
let recording: Map<string, Uint8Array<ArrayBuffer>> | null = null;

/** Serves `assembleModule` from modules assembled before (each entry: exact input key, module bytes). */
export function useAssemblyCache(entries: readonly (readonly [string, Uint8Array])[]): void {
  assemblyCache = new Map(entries.map(([key, bytes]) => [key, Uint8Array.from(bytes)]));
}

/** From now on keeps every module `assembleModule` makes; returns the live list (for saving at the end of a run). */
export function recordAssemblies(): Map<string, Uint8Array<ArrayBuffer>> {
  recording ??= new Map();
  return recording;
}

/** Assembles a module with one exported memory `memory` (initially `pages` 64 KiB pages) and the given functions. */
export function assembleModule(functions: WatFunction[], pages: number): Uint8Array<ArrayBuffer> {
  if (!assemblyCache && !recording) return assemble(functions, pages);
  const key = JSON.stringify([pages, functions]);
  const hit = assemblyCache?.get(key);
  if (hit) return hit.slice();
  const bytes = assemble(functions, pages);
  recording?.set(key, bytes.slice());
  return bytes;
}

function assemble(functions: WatFunction[], pages: number): Uint8Array<ArrayBuffer> {
  const funcIndex = new Map(functions.map((f, k) => [f.name, k]));
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  // Type section: one signature per function (duplicates are allowed).
  const types: number[] = [];
  uleb(functions.length, types);
  for (const f of functions) {
    types.push(0x60);
    uleb(f.params.length, types);
    for (const [, t] of f.params) types.push(TYPE_CODE[t]);
    if (f.result) types.push(1, TYPE_CODE[f.result]);
    else types.push(0);
  }
  section(1, types, out);
  const funcs: number[] = [];
  uleb(functions.length, funcs);
  functions.forEach((_, k) => uleb(k, funcs));
  section(3, funcs, out);
  const mem: number[] = [1, 0x00];
  uleb(pages, mem);
  section(5, mem, out);
  const exports: number[] = [];
  const exported = functions.filter((f) => f.exported !== false);
  uleb(exported.length + 1, exports);
  name("memory", exports);
  exports.push(0x02, 0);
  for (const f of exported) {
    name(f.name, exports);
    exports.push(0x00);
    uleb(funcIndex.get(f.name)!, exports);
  }
  section(7, exports, out);
  const code: number[] = [];
  uleb(functions.length, code);
  for (const f of functions) code.push(...assembleBody(f, funcIndex));
  section(10, code, out);
  return Uint8Array.from(out);
}
