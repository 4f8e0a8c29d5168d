import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { buildImageGrid, decodeTargets, encodeImagePoints, selectTiling, withTerminator } from "../../lib/grounding";
import { assertClose, loadFixture } from "./fixtures";

interface ImageCase {
  width: number; height: number; maxCrops: number; tiling: [number, number];
  mapShape: [number, number]; poolingShape: [number, number]; mappingSha256: string; poolingSha256: string;
  points: [number, number][]; targets: [number, number, number][]; decoded: [number, number][];
  tokenPooling?: number[]; tokenMapping?: number[];
}
const fx = loadFixture<{ images: ImageCase[]; selectTiling: { h: number; w: number; maxCrops: number; tiling: [number, number] }[] }>("image.json");

const sha = (a: Int32Array) => createHash("sha256").update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest("hex");

test("select_tiling matches the reference on 300 sizes", () => {
  for (const c of fx.selectTiling) assert.deepEqual(selectTiling(c.h, c.w, 266, c.maxCrops), c.tiling, JSON.stringify(c));
});

test(`overlap-and-resize-c2 geometry, targets and decoded points match the reference (${fx.images.length} images)`, () => {
  assert.ok(fx.images.length >= 100);
  for (const c of fx.images) {
    const what = `${c.width}x${c.height} max_crops=${c.maxCrops}`;
    const g = buildImageGrid(c.width, c.height, c.maxCrops);
    assert.deepEqual(g.tiling, c.tiling, what);
    assert.deepEqual([g.mapH, g.mapW], c.mapShape, what);
    assert.deepEqual([g.nTokens, g.cells], c.poolingShape, what);
    if (c.tokenPooling) assert.deepEqual(Array.from(g.tokenPooling), c.tokenPooling, what);
    if (c.tokenMapping) assert.deepEqual(Array.from(g.tokenMapping), c.tokenMapping, what);
    assert.equal(sha(g.tokenMapping), c.mappingSha256, `${what} token_mapping`);
    assert.equal(sha(g.tokenPooling), c.poolingSha256, `${what} token_pooling`);
    const targets = withTerminator(encodeImagePoints(g, c.points));
    assert.deepEqual(targets.map((t) => [t.patch, t.subpatch, t.location]), c.targets, what);
    const decoded = decodeTargets(g, targets);
    assert.equal(decoded.length, c.decoded.length, what);
    decoded.forEach((p, i) => p.forEach((v, j) => assertClose(v, c.decoded[i][j], 1e-6, `${what} decoded[${i}][${j}]`)));
  }
});

test("global-crop tokens come first and are not indexable", () => {
  const g = buildImageGrid(640, 480, 8);
  assert.equal(g.nGlobalTokens, 196);
  assert.equal(g.indexable.slice(0, 196).every((v) => v === 0), true);
  assert.equal(g.indexable.slice(196).every((v) => v === 1), true);
  assert.deepEqual([g.resizedHeight, g.resizedWidth], [644, 644]);
});

test("bad image sizes are clear errors", () => {
  assert.throws(() => buildImageGrid(0, 10, 8), /width must be a positive integer/);
  assert.throws(() => buildImageGrid(10, 10, 0), /maxCrops must be a positive integer/);
});
