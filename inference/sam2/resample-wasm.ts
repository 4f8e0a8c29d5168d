// Both passes of the Pillow-exact encoder-input resize (`pillowResample` in image.ts) as a WebAssembly SIMD kernel:
// the resize is most of a frame's preprocessing (4 or more fixed-point taps per output byte over 3·S² bytes), the
// part of the SAM2 loop's own CPU time that grows with the input size, and HD frames (downscaled into 1024², up to 9
// taps per output in 1920 → 1024) need it as much as small ones. Same integer arithmetic as the JS pass
// (int32 sums of uint8 × int32 weights + 2^21, >> 22, clamped to 0..255) and the same normalisation tables, so the
// floats are identical (tested against the JS pass).
//
// Six functions, hand-assembled here (a few dozen instructions; no toolchain):
//   vrow(b0, b1, b2, b3, w0, w1, w2, w3, n, dst): for i < n (a multiple of 8) step 8:
//       dst[i..i+8] = clamp((2^21 + Σ_k load8x8_u(b_k + i) · w_k) >> 22, 0, 255)
//   lut(src, pixels, dst0, dst1, dst2, table): deinterleaves an RGB byte row through the per-channel float tables
//       (table + 4·(c·256 + v)) into three float rows.
//   tr3(src, rows, cols, srcStride, dst, dstStride): transposes an image of 3-byte pixels, so the horizontal pass
//       can run as `vrow` over columns.
//   vacc0 / vacc(b0, …, w3, n, acc) and vfin(acc, n, dst): outputs with more than four taps (downscales), four taps
//       per call into an int32 row, then shifted, clamped and narrowed as in vrow.
// `resampleWasmBytes` is self-contained (no free variables): the preprocessing worker gets its bytes from this thread.
import {
  BLOCK, br, brIf, END, I32_ADD as ADD, I32_GE_U as GE_U, I32_MUL as MUL, i32Const as i32c, i32x4Splat as splat, kernelModule, leb, localGet as get, localSet as set, LOOP, simd,
  SIMD_OP as OP, TYPE_I32 as I32, TYPE_V128 as V128,
} from "../../lib/wasm/bytes";
import type { ResampleKernel } from "./image";

/** The module's bytes (built on each call: a few hundred bytes, microseconds). */
export function resampleWasmBytes(): Uint8Array<ArrayBuffer> {
  // vrow, vacc0, vacc share their parameters and locals: params 0-3 row addresses, 4-7 weights, 8 n, 9 dst (vrow) or
  // acc (vacc*); locals 10 i (i32), 11-14 splatted weights, 15 lo, 16 hi, 17 bytes (v128), 18 a (i32: acc + 4i).
  /** The loop head: splatted weights, i = 0, exit when i ≥ n. */
  const rowLoopHead = (): number[] => {
    const c: number[] = [];
    for (let k = 0; k < 4; k++) c.push(...get(4 + k), ...simd(OP.I32X4_SPLAT), ...set(11 + k));
    c.push(...i32c(0), ...set(10), ...BLOCK, ...LOOP, ...get(10), ...get(8), GE_U, ...brIf(1));
    return c;
  };
  /** lo / hi (8 int32 sums of bytes i..i+8) += Σ_k load8x8_u(b_k + i) · w_k. */
  const addTaps: number[] = [];
  for (let k = 0; k < 4; k++) {
    addTaps.push(...get(k), ...get(10), ADD, ...simd(OP.LOAD8X8_U, 0, 0), ...set(17));
    addTaps.push(...get(15), ...get(17), ...simd(OP.I32X4_EXTEND_LOW_I16X8_U), ...get(11 + k), ...simd(OP.I32X4_MUL), ...simd(OP.I32X4_ADD), ...set(15));
    addTaps.push(...get(16), ...get(17), ...simd(OP.I32X4_EXTEND_HIGH_I16X8_U), ...get(11 + k), ...simd(OP.I32X4_MUL), ...simd(OP.I32X4_ADD), ...set(16));
  }
  /** The int32 vector on the stack → (v >> 22) clamped to 0..255. */
  const clampTop = [...i32c(22), ...simd(OP.I32X4_SHR_S), ...splat(0), ...simd(OP.I32X4_MAX_S), ...splat(255), ...simd(OP.I32X4_MIN_S)];
  /** Narrows two clamped int32 vectors on the stack to bytes (with `filler` as the unused high half) and stores the
   * low 8 bytes at the address below them. */
  const narrowStore = (filler: number): number[] => [
    ...simd(OP.I16X8_NARROW_I32X4_S), ...get(filler), ...simd(OP.I8X16_NARROW_I16X8_U), ...simd(OP.STORE64_LANE, 0, 0, 0),
  ];
  const rowLoopTail = (counter: number) => [...get(counter), ...i32c(8), ADD, ...set(counter), ...br(0), END, END, END];

  const vrow: number[] = [...rowLoopHead(), ...splat(1 << 21), ...set(15), ...splat(1 << 21), ...set(16), ...addTaps];
  vrow.push(...get(9), ...get(10), ADD, ...get(15), ...clampTop, ...get(16), ...clampTop, ...narrowStore(17)); // the high half (any bytes) is not stored
  vrow.push(...rowLoopTail(10));

  // vacc0 / vacc: the same sums for outputs with more than four taps, four at a time, into an int32 accumulator row
  // at acc (vacc0 starts it at 2^21, vacc adds to it; integer sums, so the grouping does not change them); vfin
  // then shifts, clamps and narrows it like vrow.
  const vaccCode = (first: boolean): number[] => {
    const c: number[] = [...rowLoopHead(), ...get(9), ...get(10), ...i32c(4), MUL, ADD, ...set(18)];
    if (first) c.push(...splat(1 << 21), ...set(15), ...splat(1 << 21), ...set(16));
    else c.push(...get(18), ...simd(OP.V128_LOAD, 4, 0), ...set(15), ...get(18), ...simd(OP.V128_LOAD, 4, 16), ...set(16));
    c.push(...addTaps);
    c.push(...get(18), ...get(15), ...simd(OP.V128_STORE, 4, 0), ...get(18), ...get(16), ...simd(OP.V128_STORE, 4, 16));
    c.push(...rowLoopTail(10));
    return c;
  };
  // vfin: params 0 acc, 1 n, 2 dst; locals 3 i, 4 a (i32), 5 filler (v128, never stored).
  const vfin: number[] = [...i32c(0), ...set(3), ...BLOCK, ...LOOP, ...get(3), ...get(1), GE_U, ...brIf(1)];
  vfin.push(...get(0), ...get(3), ...i32c(4), MUL, ADD, ...set(4));
  vfin.push(...get(2), ...get(3), ADD); // store address
  vfin.push(...get(4), ...simd(OP.V128_LOAD, 4, 0), ...clampTop, ...get(4), ...simd(OP.V128_LOAD, 4, 16), ...clampTop, ...narrowStore(5));
  vfin.push(...rowLoopTail(3));

  // lut: params 0 src, 1 pixels, 2-4 dst rows, 5 table; locals 6 p (i32).
  // tr3: params 0 src, 1 rows, 2 cols, 3 srcStride, 4 dst, 5 dstStride; locals 6 r, 7 c, 8 s, 9 d.
  const tr3: number[] = [...i32c(0), ...set(6), ...BLOCK, ...LOOP, ...get(6), ...get(1), GE_U, ...brIf(1)];
  tr3.push(...get(0), ...get(6), ...get(3), MUL, ADD, ...set(8)); // s = src + r·srcStride
  tr3.push(...get(4), ...get(6), ...i32c(3), MUL, ADD, ...set(9)); // d = dst + 3r
  tr3.push(...i32c(0), ...set(7), ...BLOCK, ...LOOP, ...get(7), ...get(2), GE_U, ...brIf(1));
  for (let b = 0; b < 3; b++) tr3.push(...get(9), ...get(8), 0x2d, 0, b, 0x3a, 0, b); // d[b] = s[b] (load8_u / store8)
  tr3.push(...get(8), ...i32c(3), ADD, ...set(8), ...get(9), ...get(5), ADD, ...set(9));
  tr3.push(...get(7), ...i32c(1), ADD, ...set(7), ...br(0), END, END);
  tr3.push(...get(6), ...i32c(1), ADD, ...set(6), ...br(0), END, END, END);

  const lut: number[] = [...i32c(0), ...set(6), ...BLOCK, ...LOOP, ...get(6), ...get(1), GE_U, ...brIf(1)];
  for (let c = 0; c < 3; c++) {
    // dst_c + 4p  ←  f32 at table + 4·(c·256 + src[3p + c])
    lut.push(...get(2 + c), ...get(6), ...i32c(4), MUL, ADD);
    lut.push(...get(5), ...get(0), ...get(6), ...i32c(3), MUL, ADD, 0x2d, 0, c, ...i32c(4), MUL, ADD); // i32.load8_u offset=c
    lut.push(0x2a, 2, ...leb(c * 1024)); // f32.load offset=c·1024
    lut.push(0x38, 2, 0); // f32.store
  }
  lut.push(...get(6), ...i32c(1), ADD, ...set(6), ...br(0), END, END, END);

  return kernelModule([
    { name: "vrow", params: 10, locals: [[1, I32], [7, V128]], code: vrow },
    { name: "vacc0", params: 10, locals: [[1, I32], [7, V128], [1, I32]], code: vaccCode(true) },
    { name: "vacc", params: 10, locals: [[1, I32], [7, V128], [1, I32]], code: vaccCode(false) },
    { name: "vfin", params: 3, locals: [[2, I32], [1, V128]], code: vfin },
    { name: "lut", params: 6, locals: [[1, I32]], code: lut },
    { name: "tr3", params: 6, locals: [[4, I32]], code: tr3 },
  ]);
}

/** The kernel on this thread, or null where WebAssembly SIMD is unavailable (the JS pass is used then). */
export function createResampleKernel(bytes: Uint8Array<ArrayBuffer> = resampleWasmBytes()): ResampleKernel | null {
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    return instance.exports as unknown as ResampleKernel;
  } catch {
    return null;
  }
}
