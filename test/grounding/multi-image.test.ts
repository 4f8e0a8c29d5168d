import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { buildMultiImageGrid, decodeMultiImageTarget, encodeMultiImagePoints, PointDecoder, withTerminator } from "../../lib/grounding";
import { assertClose, loadFixture } from "./fixtures";

interface Case {
  sizes: [number, number][]; maxCrops: number; nTokens: number; poolingSha256: string;
  points: [number, number, number][]; targets: [number, number, number][]; decoded: [number, number, number][];
}
const fx = loadFixture<{ multiImage: Case[] }>("multi-image.json");

test(`image groups: token pooling, targets and decoded points match the reference (${fx.multiImage.length} groups)`, () => {
  for (const [k, c] of fx.multiImage.entries()) {
    const what = `group ${k} ${JSON.stringify(c.sizes)} max_crops=${c.maxCrops}`;
    const g = buildMultiImageGrid(c.sizes, c.maxCrops);
    assert.equal(g.nTokens, c.nTokens, what);
    const tp = g.tokenPooling;
    assert.equal(createHash("sha256").update(Buffer.from(tp.buffer, tp.byteOffset, tp.byteLength)).digest("hex"), c.poolingSha256, what);
    const targets = withTerminator(encodeMultiImagePoints(g, c.points));
    assert.deepEqual(targets.map((t) => [t.patch, t.subpatch, t.location]), c.targets, what);
    const decoded = targets.map((t) => decodeMultiImageTarget(g, t)).filter((p): p is number[] => p !== null);
    assert.equal(decoded.length, c.decoded.length, what);
    decoded.forEach((p, i) => p.forEach((v, j) => assertClose(v, c.decoded[i][j], 1e-6, `${what} decoded[${i}][${j}]`)));
  }
});

test("image groups: a decoder over the group masks every image's global crop", () => {
  const g = buildMultiImageGrid([[640, 480], [100, 100]], 8);
  const d = PointDecoder.forGrid(g);
  d.feedText();
  const m = d.patchMask();
  for (const [k, img] of g.images.entries()) {
    assert.equal(m.slice(g.tokenOffsets[k], g.tokenOffsets[k] + img.nGlobalTokens).includes(1), false);
    assert.equal(m[g.tokenOffsets[k] + img.nGlobalTokens], 1);
  }
  assert.throws(() => encodeMultiImagePoints(g, [[2, 1, 1]]), /points\[0\]: image index 2 outside \[0, 2\)/);
});
