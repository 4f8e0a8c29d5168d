// LEB128 integer encodings of the WebAssembly binary format, shared by the modules the project assembles itself
// (lib/metrics/mot/wat.ts, and lib/wasm/bytes.ts for the SAM2 SIMD kernels).

/** Unsigned LEB128 of `n` (a non-negative 32-bit integer), appended to `out`. */
export function uleb(n: number, out: number[]): void {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
}

/** Signed LEB128 of `n` (a 32-bit integer), appended to `out`. */
export function sleb(n: number, out: number[]): void {
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}
