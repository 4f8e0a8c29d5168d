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
import { i32Const as i32c, kernelModule, leb, localGet as get, localSet as set, simd, TYPE_I32 as I32, TYPE_V128 as V128 } from "../../lib/wasm/bytes";
import type { ResampleKernel } from "./image";

/** The module's bytes (built on each call: a few hundred bytes, microseconds). */
export function resampleWasmBytes(): Uint8Array<ArrayBuffer> {
  const ADD = 0x6a;
  const MUL = 0x6c;
  const GE_U = 0x4f;
  const BLOCK = [0x02, 0x40];
  const LOOP = [0x03, 0x40];
  const END = 0x0b;
  const brIf = (d: number) => [0x0d, d];
  const br = (d: number) => [0x0c, d];
  // SIMD opcodes (WebAssembly SIMD, prefix 0xfd).
  const LOAD8X8_U = 0x02;
  const I32X4_SPLAT = 0x11;
  const EXT_LOW_U = 0xa9;
  const EXT_HIGH_U = 0xaa;
  const I32X4_SHR_S = 0xac;
  const I32X4_ADD = 0xae;
  const I32X4_MUL = 0xb5;
  const I32X4_MIN_S = 0xb6;
  const I32X4_MAX_S = 0xb8;
  const I16X8_NARROW_S = 0x85;
  const I8X16_NARROW_U = 0x66;
  const STORE64_LANE = 0x5b;

  // vrow: params 0-3 row addresses, 4-7 weights, 8 n, 9 dst; locals 10 i (i32), 11-14 splatted weights,
  // 15 lo, 16 hi, 17 bytes (v128).
  const vrow: number[] = [];
  for (let k = 0; k < 4; k++) vrow.push(...get(4 + k), ...simd(I32X4_SPLAT), ...set(11 + k));
  vrow.push(...i32c(0), ...set(10));
  vrow.push(...BLOCK, ...LOOP);
  vrow.push(...get(10), ...get(8), GE_U, ...brIf(1));
  vrow.push(...i32c(1 << 21), ...simd(I32X4_SPLAT), ...set(15));
  vrow.push(...i32c(1 << 21), ...simd(I32X4_SPLAT), ...set(16));
  for (let k = 0; k < 4; k++) {
    vrow.push(...get(k), ...get(10), ADD, ...simd(LOAD8X8_U, 0, 0), ...set(17));
    vrow.push(...get(15), ...get(17), ...simd(EXT_LOW_U), ...get(11 + k), ...simd(I32X4_MUL), ...simd(I32X4_ADD), ...set(15));
    vrow.push(...get(16), ...get(17), ...simd(EXT_HIGH_U), ...get(11 + k), ...simd(I32X4_MUL), ...simd(I32X4_ADD), ...set(16));
  }
  const clamp = (l: number) => [
    ...get(l), ...i32c(22), ...simd(I32X4_SHR_S),
    ...i32c(0), ...simd(I32X4_SPLAT), ...simd(I32X4_MAX_S),
    ...i32c(255), ...simd(I32X4_SPLAT), ...simd(I32X4_MIN_S),
  ];
  vrow.push(...get(9), ...get(10), ADD);
  vrow.push(...clamp(15), ...clamp(16), ...simd(I16X8_NARROW_S));
  vrow.push(...get(17), ...simd(I8X16_NARROW_U)); // the high half (any bytes) is not stored
  vrow.push(...simd(STORE64_LANE, 0, 0, 0));
  vrow.push(...get(10), ...i32c(8), ADD, ...set(10), ...br(0), END, END, END);

  // vacc0 / vacc: the same sums for outputs with more than four taps, four at a time, into an int32 accumulator row
  // (vacc0 starts it at 2^21, vacc adds to it; integer sums, so the grouping does not change them); vfin then
  // shifts, clamps and narrows it like vrow. params 0-3 row addresses, 4-7 weights, 8 n, 9 acc; locals 10 i,
  // 11-14 splatted weights, 15 lo, 16 hi, 17 bytes (v128), 18 a (i32: acc + 4i).
  const V128_LOAD = 0x00;
  const V128_STORE = 0x0b;
  const vaccCode = (first: boolean): number[] => {
    const c: number[] = [];
    for (let k = 0; k < 4; k++) c.push(...get(4 + k), ...simd(I32X4_SPLAT), ...set(11 + k));
    c.push(...i32c(0), ...set(10));
    c.push(...BLOCK, ...LOOP);
    c.push(...get(10), ...get(8), GE_U, ...brIf(1));
    c.push(...get(9), ...get(10), ...i32c(4), MUL, ADD, ...set(18));
    if (first) {
      c.push(...i32c(1 << 21), ...simd(I32X4_SPLAT), ...set(15));
      c.push(...i32c(1 << 21), ...simd(I32X4_SPLAT), ...set(16));
    } else {
      c.push(...get(18), ...simd(V128_LOAD, 4, 0), ...set(15));
      c.push(...get(18), ...simd(V128_LOAD, 4, 16), ...set(16));
    }
    for (let k = 0; k < 4; k++) {
      c.push(...get(k), ...get(10), ADD, ...simd(LOAD8X8_U, 0, 0), ...set(17));
      c.push(...get(15), ...get(17), ...simd(EXT_LOW_U), ...get(11 + k), ...simd(I32X4_MUL), ...simd(I32X4_ADD), ...set(15));
      c.push(...get(16), ...get(17), ...simd(EXT_HIGH_U), ...get(11 + k), ...simd(I32X4_MUL), ...simd(I32X4_ADD), ...set(16));
    }
    c.push(...get(18), ...get(15), ...simd(V128_STORE, 4, 0));
    c.push(...get(18), ...get(16), ...simd(V128_STORE, 4, 16));
    c.push(...get(10), ...i32c(8), ADD, ...set(10), ...br(0), END, END, END);
    return c;
  };
  // vfin: params 0 acc, 1 n, 2 dst; locals 3 i, 4 a (i32), 5 v (v128).
  const clampTop = [
    ...i32c(22), ...simd(I32X4_SHR_S),
    ...i32c(0), ...simd(I32X4_SPLAT), ...simd(I32X4_MAX_S),
    ...i32c(255), ...simd(I32X4_SPLAT), ...simd(I32X4_MIN_S),
  ];
  const vfin: number[] = [...i32c(0), ...set(3), ...BLOCK, ...LOOP, ...get(3), ...get(1), GE_U, ...brIf(1)];
  vfin.push(...get(0), ...get(3), ...i32c(4), MUL, ADD, ...set(4));
  vfin.push(...get(2), ...get(3), ADD); // store address
  vfin.push(...get(4), ...simd(V128_LOAD, 4, 0), ...clampTop, ...get(4), ...simd(V128_LOAD, 4, 16), ...clampTop, ...simd(I16X8_NARROW_S), ...set(5));
  vfin.push(...get(5), ...get(5), ...simd(I8X16_NARROW_U), ...simd(STORE64_LANE, 0, 0, 0));
  vfin.push(...get(3), ...i32c(8), ADD, ...set(3), ...br(0), END, END, END);

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
