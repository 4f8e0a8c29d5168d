// COCO RLE parity with pycocotools (fixtures produced by cocoapi's maskApi.c; see test/fixtures/masks/rle/README.md).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import {
  countsFromString,
  countsToString,
  decodeRle,
  encodeRle,
  parseRle,
  rleArea,
  rleContains,
  RleError,
  rleFromBbox,
  rleFromPolygon,
  rleFromUncompressed,
  rleIou,
  rleIouMatrix,
  rleMerge,
  rleToBbox,
  runsFromMask,
  type RleInput,
} from "../../lib/masks/rle";

interface Fixture {
  masks: Array<{ height: number; width: number; mask: string; counts: string; area: number; bbox: number[] }>;
  uncompressed: Array<{ size: [number, number]; counts: number[]; compressed: string; area: number; bbox: number[] }>;
  polygons: Array<{ height: number; width: number; polygon: number[]; counts: string; area: number; bbox: number[] }>;
  boxes: Array<{ height: number; width: number; bbox_in: number[]; counts: string }>;
  groups: Array<{ height: number; width: number; rles: RleInput[]; iscrowd: boolean[]; iou: number[][]; merges: Array<{ select: number[]; union: string; intersection: string }> }>;
  cross_size: { dt: RleInput[]; gt: RleInput[]; iscrowd: boolean[]; iou: number[][] };
}
const fx = JSON.parse(readFileSync(new URL("../fixtures/masks/rle/pycocotools_cases.json", import.meta.url), "utf8")) as Fixture;

const maskOf = (s: string) => Uint8Array.from(s, (c) => (c === "1" ? 1 : 0));

test("encode/decode/area/toBbox match pycocotools on every fixture mask", () => {
  assert.ok(fx.masks.length >= 50);
  for (const c of fx.masks) {
    const where = `${c.height}x${c.width} ${c.mask.slice(0, 20)}`;
    const rle = encodeRle(maskOf(c.mask), c.height, c.width);
    assert.deepEqual(rle, { size: [c.height, c.width], counts: c.counts }, where);
    assert.deepEqual(Array.from(decodeRle({ size: [c.height, c.width], counts: c.counts })), Array.from(maskOf(c.mask)), where);
    assert.equal(rleArea(rle), c.area, where);
    assert.deepEqual(rleToBbox(rle), c.bbox, where);
  }
});

test("frPyObjects on uncompressed counts, area and bbox (incl. zero-length runs) match pycocotools", () => {
  for (const c of fx.uncompressed) {
    const rle = rleFromUncompressed({ size: c.size, counts: c.counts });
    assert.equal(rle.counts, c.compressed, JSON.stringify(c.counts));
    assert.deepEqual(countsFromString(c.compressed), c.counts);
    assert.equal(rleArea(rle), c.area);
    assert.deepEqual(rleToBbox(rle), c.bbox, JSON.stringify(c.counts));
  }
});

test("polygon and box rasterization match pycocotools frPyObjects", () => {
  for (const c of fx.polygons) {
    const rle = rleFromPolygon(c.polygon, c.height, c.width);
    assert.equal(rle.counts, c.counts, JSON.stringify(c.polygon));
    assert.equal(rleArea(rle), c.area);
    assert.deepEqual(rleToBbox(rle), c.bbox);
  }
  for (const c of fx.boxes) assert.equal(rleFromBbox(c.bbox_in, c.height, c.width).counts, c.counts, JSON.stringify(c.bbox_in));
});

test("iou (with crowd) and merge (union/intersection) match pycocotools", () => {
  for (const g of fx.groups) {
    const got = rleIouMatrix(g.rles, g.rles, g.iscrowd);
    for (let i = 0; i < g.rles.length; i++) {
      for (let j = 0; j < g.rles.length; j++) assert.ok(Math.abs(got[i][j] - g.iou[i][j]) <= 1e-12, `iou[${i}][${j}] ${got[i][j]} vs ${g.iou[i][j]}`);
    }
    for (const m of g.merges) {
      const sel = m.select.map((k) => g.rles[k]);
      assert.equal(rleMerge(sel).counts, m.union, `union ${m.select}`);
      assert.equal(rleMerge(sel, true).counts, m.intersection, `intersection ${m.select}`);
    }
  }
  const c = fx.cross_size;
  assert.deepEqual(rleIouMatrix(c.dt, c.gt, c.iscrowd), c.iou);
});

test("encode/decode round-trips and agrees with a direct pixel walk (property)", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 12 }), fc.array(fc.boolean(), { minLength: 144, maxLength: 144 }), (h, w, bits) => {
      const mask = Uint8Array.from(bits.slice(0, h * w), (b) => (b ? 1 : 0));
      const rle = encodeRle(mask, h, w);
      assert.deepEqual(Array.from(decodeRle(rle)), Array.from(mask));
      const runs = parseRle(rle);
      assert.equal(countsToString(runs.counts), rle.counts);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) assert.equal(rleContains(runs, x, y), mask[y * w + x] === 1);
      assert.equal(rleContains(runs, -1, 0), false);
      assert.equal(rleContains(runs, w, 0), false);
      assert.equal(rleArea(rle), mask.reduce((a, b) => a + b, 0));
    }),
    { numRuns: 300 },
  );
});

test("runs from a box: a mask that is 0 outside the box gives the runs of the whole-mask scan (property)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 14 }),
      fc.integer({ min: 1, max: 14 }),
      fc.array(fc.constantFrom(0, 1, 1, 255), { minLength: 196, maxLength: 196 }),
      fc.array(fc.nat(13), { minLength: 4, maxLength: 4 }),
      (h, w, vals, [a, b, c, d]) => {
        const y0 = Math.min(a, h - 1);
        const y1 = Math.min(Math.max(b, y0), h - 1);
        const x0 = Math.min(c, w - 1);
        const x1 = Math.min(Math.max(d, x0), w - 1);
        const mask = new Uint8Array(h * w);
        for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) mask[y * w + x] = vals[y * 14 + x];
        const whole = runsFromMask(mask, h, w);
        assert.deepEqual(runsFromMask(mask, h, w, { y0, y1, x0, x1 }), whole);
        // A larger box than needed, and an empty one for an empty mask.
        assert.deepEqual(runsFromMask(mask, h, w, { y0: 0, y1: h - 1, x0: 0, x1: w - 1 }), whole);
        if (whole.counts.length === 1) assert.deepEqual(runsFromMask(mask, h, w, { y0: 0, y1: -1, x0: 0, x1: -1 }), whole);
      },
    ),
    { numRuns: 400 },
  );
  assert.throws(() => runsFromMask(new Uint8Array(12), 3, 4, { y0: 0, y1: 3, x0: 0, x1: 1 }), (e: Error) => e instanceof RleError && /not inside the 3×4 mask/.test(e.message));
});

test("any non-zero byte is foreground, on both the word-at-a-time and the byte path (property)", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10 }), fc.constantFrom(4, 8, 12, 5, 7), fc.array(fc.constantFrom(0, 1, 255, 7), { minLength: 120, maxLength: 120 }), (h, w, vals) => {
      const mask = Uint8Array.from(vals.slice(0, h * w));
      const binary = Uint8Array.from(mask, (v) => (v !== 0 ? 1 : 0));
      assert.deepEqual(encodeRle(mask, h, w), encodeRle(binary, h, w));
      assert.deepEqual(Array.from(decodeRle(encodeRle(mask, h, w))), Array.from(binary));
      // an unaligned view takes the byte path and must agree
      const shifted = new Uint8Array(mask.length + 1);
      shifted.set(mask, 1);
      assert.deepEqual(encodeRle(shifted.subarray(1), h, w), encodeRle(binary, h, w));
    }),
    { numRuns: 300 },
  );
});

test("pair iou and merge reject size mismatches instead of returning pycocotools' -1 / empty RLE", () => {
  const a = encodeRle(new Uint8Array(4).fill(1), 2, 2);
  const b = encodeRle(new Uint8Array(6).fill(1), 2, 3);
  assert.equal(rleIou(a, a), 1);
  assert.throws(() => rleIou(a, b), (e: unknown) => e instanceof RleError && e.code === "size-mismatch");
  assert.throws(() => rleMerge([a, b]), (e: unknown) => e instanceof RleError && e.code === "size-mismatch");
  assert.throws(() => rleMerge([]), (e: unknown) => e instanceof RleError && e.code === "empty");
});

test("malformed RLEs raise a typed RleError naming what is wrong", () => {
  const bad: Array<[RleInput, string, number | undefined]> = [
    [{ size: [2, 2], counts: "0z" }, "bad-char", 1],
    [{ size: [2, 2], counts: "4 " }, "bad-char", 1],
    [{ size: [2, 2], counts: "0\u00e9" }, "bad-char", 1],
    [{ size: [2, 2], counts: "0P" }, "truncated", 1], // 'P' = 0x20 continuation bit with nothing after
    [{ size: [2, 2], counts: "oooooo0" }, "value-too-long", 0],
    [{ size: [2, 2], counts: "O" }, "bad-count", 0], // a negative first run length
    [{ size: [2, 2], counts: "3" }, "length-mismatch", undefined],
    [{ size: [2, 2], counts: "5" }, "length-mismatch", undefined],
    [{ size: [2, 2], counts: [1, -3, 6] }, "bad-count", undefined],
    [{ size: [2, 2], counts: [1.5, 2.5] }, "bad-count", undefined],
    [{ size: [2], counts: "4" }, "bad-size", undefined],
    [{ size: [-1, 2], counts: "0" }, "bad-size", undefined],
    [{ size: [2, 2.5], counts: "0" }, "bad-size", undefined],
  ];
  for (const [rle, code, offset] of bad) {
    assert.throws(
      () => decodeRle(rle),
      (e: unknown) => e instanceof RleError && e.code === code && e.offset === offset && e.message.length > 10,
      `${JSON.stringify(rle)} should fail with ${code}`,
    );
  }
  assert.throws(() => encodeRle(new Uint8Array(5), 2, 2), (e: unknown) => e instanceof RleError && e.code === "bad-mask");
  assert.throws(() => rleFromPolygon([], 5, 5), (e: unknown) => e instanceof RleError && e.code === "bad-polygon");
});

test("delta coding handles runs that shrink (negative deltas) and long runs", () => {
  const counts = [123456, 7890, 500000, 1, 2, 3, 4, 5, 1000000, 868639];
  const s = countsToString(counts);
  assert.deepEqual(countsFromString(s), counts);
});
