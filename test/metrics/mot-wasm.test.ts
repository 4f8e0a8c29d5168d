// The WebAssembly parts of `eval mot`: the WAT subset assembler, the sequence box-IoU kernel (against TrackEval's dense
// arithmetic), and the HOTA and CLEAR frame kernels (against their JS forms, bit for bit, on tie-heavy frames that
// exercise isolated entries, enumerated components and the frames handed back to `linearSumAssignment`).
import { test } from "node:test";
import assert from "node:assert/strict";
import { assembleModule, WatError, type WatFunction } from "../../lib/metrics/mot/wat";
import { newlineCount, sequenceIous } from "../../lib/metrics/mot/kernels";
import { clearPass, hotaPasses, positiveMatcher, type HotaMatchTotals } from "../../lib/metrics/mot/frameKernels";
import { PositiveEntries, uniquePositiveMatchingSparse } from "../../lib/metrics/assignment";
import { clearFrameLoop } from "../../lib/metrics/clear";
import { globalAlignment, HOTA_ALPHAS, matchFrames } from "../../lib/metrics/hota";
import { EPS, sparseSimilarityOf } from "../../lib/metrics/similarity";
import type { TrackingSequence } from "../../lib/metrics/types";
import { denseBoxIous, randomBoxes } from "../helpers/box-ious";
import { seededRandom as mulberry32 } from "../../lib/random";

function instantiate(fns: WatFunction[]): Record<string, unknown> {
  return new WebAssembly.Instance(new WebAssembly.Module(assembleModule(fns, 1))).exports;
}

test("wat: locals, labels, loops, if/else with a result, memory, calls and f64 constants", () => {
  const sq: WatFunction = { name: "sq", params: [["x", "f64"]], result: "f64", exported: false, body: "local.get $x local.get $x f64.mul" };
  const sumSquares: WatFunction = {
    name: "sumSquares",
    params: [["n", "i32"]],
    result: "f64",
    locals: [["i", "i32"], ["s", "f64"]],
    body: `
      block $done loop $next
        local.get $i local.get $n i32.ge_s br_if $done
        local.get $s local.get $i f64.convert_i32_s call $sq f64.add local.set $s
        local.get $i i32.const 1 i32.add local.set $i
        br $next
      end end
      local.get $s`,
  };
  const sign: WatFunction = { name: "sign", params: [["x", "i32"]], result: "i32", body: "local.get $x i32.const 0 i32.lt_s if i32 i32.const -1 else i32.const 1 end" };
  const store: WatFunction = {
    name: "store",
    params: [["p", "i32"]],
    result: "f64",
    body: "local.get $p f64.const -2.5e-3 f64.store offset=8 local.get $p i32.const 300 i32.store8 local.get $p f64.load offset=8 local.get $p i32.load8_u f64.convert_i32_u f64.add",
  };
  const e = instantiate([sq, sumSquares, sign, store]) as {
    sumSquares(n: number): number;
    sign(x: number): number;
    store(p: number): number;
    memory: WebAssembly.Memory;
    sq?: unknown;
  };
  assert.equal(e.sumSquares(10), 285);
  assert.equal(e.sign(-7), -1);
  assert.equal(e.sign(7), 1);
  assert.equal(e.store(16), 44 - 2.5e-3); // 300 stored as a byte is 44
  assert.equal(e.sq, undefined, "unexported functions stay internal");
  assert.ok(e.memory instanceof WebAssembly.Memory);
});

test("wat: mistakes are reported with the function and the instruction", () => {
  const bad = (body: string) => () => assembleModule([{ name: "f", params: [], body }], 1);
  assert.throws(bad("i32.frobnicate"), (e: unknown) => e instanceof WatError && /wat f: unknown instruction 'i32.frobnicate'/.test(e.message));
  assert.throws(bad("local.get $nope drop"), /unknown local '\$nope'/);
  assert.throws(bad("block $a br $b end"), /unknown label '\$b'/);
  assert.throws(bad("block $a"), /missing 'end'/);
  assert.throws(bad("end"), /unbalanced 'end'/);
});

test("sequence IoU kernel equals the dense reference frame by frame (values bit-identical, row-major)", () => {
  const rand = mulberry32(5);
  for (let c = 0; c < 6; c++) {
    const T = 1 + Math.floor(rand() * 40);
    const span = c % 2 === 0 ? 200 : 1900;
    // Frame sizes include empty frames and, in the last case, one frame large enough to make the kernel grow memory.
    const a = Array.from({ length: T }, (_, t) => randomBoxes(rand, c === 5 && t === 0 ? 700 : Math.floor(rand() * 60), span));
    const b = Array.from({ length: T }, (_, t) => randomBoxes(rand, c === 5 && t === 0 ? 900 : Math.floor(rand() * 60), span));
    const got = sequenceIous(a, b);
    for (let t = 0; t < T; t++) {
      const frame: [number, number, number][] = [];
      for (let e = got.frameEnd[t]; e < got.frameEnd[t + 1]; e++) frame.push([got.rowCol[4 * e], got.rowCol[4 * e + 1], got.value[2 * e + 1]]);
      assert.deepEqual(frame, denseBoxIous(a[t], b[t]), `case ${c} frame ${t}`);
    }
  }
});

/** A random sequence with few-valued similarities (many ties) and crowded frames (large components). */
function tieHeavySequence(rand: () => number, T: number, nG: number, nT: number): TrackingSequence {
  const levels = [0, 0, 0, 0.04, 0.05, 0.05 - 1e-16, 0.3, 0.5, 0.5, 0.7, 0.95, 1];
  const pick = (n: number, k: number) => {
    const ids = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
    return Int32Array.from(ids.slice(0, k));
  };
  const gtIds: Int32Array[] = [];
  const trackerIds: Int32Array[] = [];
  const similarity: Float64Array[] = [];
  let numGtDets = 0;
  let numTrackerDets = 0;
  for (let t = 0; t < T; t++) {
    const crowded = rand() < 0.2;
    const G = Math.min(nG, Math.floor(rand() * (crowded ? nG + 1 : 5)));
    const H = Math.min(nT, Math.floor(rand() * (crowded ? nT + 1 : 5)));
    gtIds.push(pick(nG, G));
    trackerIds.push(pick(nT, H));
    const S = new Float64Array(G * H);
    for (let k = 0; k < S.length; k++) S[k] = levels[Math.floor(rand() * levels.length)] * (rand() < (crowded ? 0.6 : 0.3) ? 1 : 0);
    similarity.push(S);
    numGtDets += G;
    numTrackerDets += H;
  }
  return { numTimesteps: T, numGtIds: nG, numTrackerIds: nT, numGtDets, numTrackerDets, gtIds, trackerIds, similarity };
}

test("HOTA kernel equals the JS globalAlignment + matchFrames bit for bit (ties, crowded frames, solver fallback)", () => {
  const rand = mulberry32(9);
  const thresholds = HOTA_ALPHAS.map((a) => a - EPS);
  for (let c = 0; c < 12; c++) {
    const data = tieHeavySequence(rand, 20 + Math.floor(rand() * 60), 3 + Math.floor(rand() * 12), 3 + Math.floor(rand() * 14));
    const sp = sparseSimilarityOf(data);
    const gtIdCount = new Float64Array(data.numGtIds);
    const trackerIdCount = new Float64Array(data.numTrackerIds);
    const want = matchFrames(data, sp, globalAlignment(data, sp, gtIdCount, trackerIdCount));
    const got = hotaPasses({ ...data, ...sp }, thresholds);
    assert.deepEqual([...got.gtIdCount], [...gtIdCount], `case ${c} GT id counts`);
    assert.deepEqual([...got.trackerIdCount], [...trackerIdCount], `case ${c} tracker id counts`);
    assert.deepEqual([...got.tp], [...want.tp], `case ${c} tp`);
    assert.deepEqual([...got.fn], [...want.fn], `case ${c} fn`);
    assert.deepEqual([...got.fp], [...want.fp], `case ${c} fp`);
    assert.deepEqual([...got.loc], [...want.loc], `case ${c} loc`);
    assert.deepEqual(got.keys, want.keys, `case ${c} pairs`);
    const perPair = (m: HotaMatchTotals) => m.keys.map((_, p) => [...m.counts.subarray(m.offsets[p], m.offsets[p] + HOTA_ALPHAS.length)]);
    assert.deepEqual(perPair(got), perPair(want), `case ${c} counts`);
  }
});

test("CLEAR kernel equals the JS frame loop bit for bit (ties, continued matches, solver fallback)", () => {
  const rand = mulberry32(13);
  for (let c = 0; c < 12; c++) {
    const data = tieHeavySequence(rand, 20 + Math.floor(rand() * 60), 3 + Math.floor(rand() * 12), 3 + Math.floor(rand() * 14));
    for (const threshold of [0.5, 0.3, 1]) {
      const want = clearFrameLoop(data, threshold);
      const got = clearPass({ ...data, ...sparseSimilarityOf(data) }, threshold - EPS);
      const plain = (f: typeof got) => ({ ...f, gtIdCount: [...f.gtIdCount], gtMatchedCount: [...f.gtMatchedCount], gtFragCount: [...f.gtFragCount] });
      assert.deepEqual(plain(got), plain(want), `case ${c} threshold ${threshold}`);
    }
  }
});

test("kernel positive matcher equals uniquePositiveMatchingSparse (same pairs, same refusals)", () => {
  const rand = mulberry32(17);
  const matcher = positiveMatcher(12, 12, 144);
  let refused = 0;
  for (let c = 0; c < 400; c++) {
    const G = 1 + Math.floor(rand() * 12);
    const H = 1 + Math.floor(rand() * 12);
    const density = rand() * 0.5;
    const e = new PositiveEntries();
    for (let i = 0; i < G; i++) for (let j = 0; j < H; j++) if (rand() < density) e.push(i, j, [0.5, 0.6, 0.75, 0.9, 1][Math.floor(rand() * 5)]);
    matcher.rows.set(e.rows.subarray(0, e.length));
    matcher.cols.set(e.cols.subarray(0, e.length));
    matcher.values.set(e.values.subarray(0, e.length));
    const got = matcher.solve(e.length, G, H);
    const want = uniquePositiveMatchingSparse(e, G, H);
    if (!want) refused++;
    assert.deepEqual(got && [[...got.rows], [...got.cols]], want && [[...want.rows], [...want.cols]], `case ${c}`);
  }
  assert.ok(refused > 10 && refused < 390, `both outcomes exercised (${refused} refused)`);
});

test("newline count kernel (four bytes at a time, then the tail) equals a byte-by-byte count", () => {
  const rand = mulberry32(99);
  for (let len = 0; len < 200; len++) {
    // Newlines, bytes next to 10 in value (9, 11, 0x8a, 0x0a00 halves) and anything else.
    const bytes = Uint8Array.from({ length: len }, () => [10, 10, 9, 11, 0x8a, 0, 255, 44, 48][Math.floor(rand() * 9)]);
    let want = 0;
    for (const b of bytes) if (b === 10) want++;
    assert.equal(newlineCount(bytes), want, `length ${len}`);
  }
  assert.equal(newlineCount(new Uint8Array(4096).fill(10)), 4096);
});
