// bfloat16 rounding of stored memories (SAM2's predictor keeps `maskmem_features` as bf16: `tensor.to(torch.bfloat16)`,
// round to nearest even). Every tracked frame rounds one memory per object (262,144 floats at SAM2's sizes), on the
// loop's thread, which is the critical path of a pipelined loop: the scalar JS loop takes ~1.1 ms per memory, a
// WebAssembly SIMD kernel (four lanes, the same integer arithmetic) ~0.3 ms including the copies into and out of
// its memory (measured here). The JS loop stays as the reference and the fallback where SIMD is unavailable.
import { BLOCK, br, brIf, END, I32_ADD, I32_GE_U, i32Const as i32c, i32x4Splat as splat, kernelModule, localGet as get, localSet as set, LOOP, simd, SIMD_OP as OP, TYPE_V128 } from "../../lib/wasm/bytes";

/** Rounds float32 values to bfloat16 in place (round to nearest even; inf and NaN unchanged). The reference. */
export function roundToBf16Scalar(a: Float32Array): Float32Array {
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
  for (let i = 0; i < u.length; i++) {
    const x = u[i];
    if ((x & 0x7f800000) === 0x7f800000) continue; // inf / nan unchanged
    u[i] = ((x + 0x7fff + ((x >>> 16) & 1)) & 0xffff0000) >>> 0;
  }
  return a;
}

/**
 * The module's bytes, hand-assembled (no toolchain). One function, `bf16(ptr, end)`: for each 16-byte vector v in
 * [ptr, end): r = (v + 0x7fff + ((v >>> 16) & 1)) & 0xffff0000 per lane, kept where the exponent is not all ones
 * (`v128.bitselect(v, r, (v & 0x7f800000) == 0x7f800000)`).
 */
export function bf16WasmBytes(): Uint8Array<ArrayBuffer> {
  const ALIGN16 = 4; // memarg alignment 2^4
  // params 0 ptr, 1 end (i32); local 2 v (v128)
  const code: number[] = [...BLOCK, ...LOOP];
  code.push(...get(0), ...get(1), I32_GE_U, ...brIf(1)); // ptr >= end (unsigned) → exit
  code.push(...get(0)); // store address
  code.push(...get(0), ...simd(OP.V128_LOAD, ALIGN16, 0), ...set(2));
  code.push(...get(2)); // bitselect's first operand: v
  code.push(...get(2), ...splat(0x7fff), ...simd(OP.I32X4_ADD));
  code.push(...get(2), ...i32c(16), ...simd(OP.I32X4_SHR_U), ...splat(1), ...simd(OP.V128_AND), ...simd(OP.I32X4_ADD));
  code.push(...splat(0xffff0000), ...simd(OP.V128_AND)); // second operand: r
  code.push(...get(2), ...splat(0x7f800000), ...simd(OP.V128_AND), ...splat(0x7f800000), ...simd(OP.I32X4_EQ)); // mask
  code.push(...simd(OP.V128_BITSELECT), ...simd(OP.V128_STORE, ALIGN16, 0));
  code.push(...get(0), ...i32c(16), I32_ADD, ...set(0), ...br(0), END, END, END); // ptr += 16; loop; end of loop, block, function
  return kernelModule([{ name: "bf16", params: 2, locals: [[1, TYPE_V128]], code }]);
}

interface Bf16Kernel {
  memory: WebAssembly.Memory;
  bf16: (ptr: number, end: number) => void;
}

/** This thread's kernel (created on first use); null where WebAssembly SIMD is unavailable. */
let kernel: Bf16Kernel | null | undefined;

function createKernel(): Bf16Kernel | null {
  try {
    return new WebAssembly.Instance(new WebAssembly.Module(bf16WasmBytes())).exports as unknown as Bf16Kernel;
  } catch {
    return null;
  }
}

function thisThreadsKernel(): Bf16Kernel | null {
  if (kernel === undefined) kernel = createKernel();
  return kernel;
}

/** Whether this thread rounds with the SIMD kernel. */
export function bf16KernelAvailable(): boolean {
  return thisThreadsKernel() !== null;
}

/** Rounds float32 values to bfloat16 in place, as `roundToBf16Scalar` (bit-identical), with the SIMD kernel when
 * there is one. @param useKernel false: the scalar loop (tests) */
export function roundToBf16(a: Float32Array, useKernel = true): Float32Array {
  const k = useKernel ? thisThreadsKernel() : null;
  const whole = a.length & ~3;
  if (!k || whole === 0) return roundToBf16Scalar(a);
  const bytes = whole * 4;
  if (k.memory.buffer.byteLength < bytes) k.memory.grow(Math.ceil((bytes - k.memory.buffer.byteLength) / 65536));
  const view = new Float32Array(k.memory.buffer, 0, whole);
  view.set(a.subarray(0, whole));
  k.bf16(0, bytes);
  a.set(view);
  if (whole < a.length) roundToBf16Scalar(a.subarray(whole));
  return a;
}
