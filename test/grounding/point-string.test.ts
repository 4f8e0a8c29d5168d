import { test } from "node:test";
import assert from "node:assert/strict";
import {
  buildImageGrid, decodePointsWithIds, decodeTargets, encodeImagePoints, formatHfPoints, formatPointAnswer, hfOffsets, parseHfPoints,
  parsePointIds, withTerminator,
} from "../../lib/grounding";
import { loadFixture } from "./fixtures";

interface MpCase { n: number; ids: number[] | null; label: string; text: string; parsedIds: number[] }
interface HfCase { nPatches: number; nSubpatches: number; noMorePointsClass: boolean; text: string; vitLocId: [number, number, number][] }
const fx = loadFixture<{ molmoPoint: MpCase[]; hf: HfCase[] }>("point-strings.json");

test("MolmoPoint answer strings equal get_point_string and parse back to the same ids", () => {
  for (const c of fx.molmoPoint) {
    const ids = c.ids ?? Array.from({ length: c.n }, (_, i) => i + 1);
    assert.equal(formatPointAnswer(ids, c.label, c.ids ? "tracks" : "points"), c.text);
    assert.deepEqual(parsePointIds(c.text), c.parsedIds);
  }
});

test("HF <POINT_k> triples parse like get_subpatch_ids and format back", () => {
  for (const c of fx.hf) {
    const b = { nPatches: c.nPatches, nSubpatches: c.nSubpatches, noMorePointsClass: c.noMorePointsClass };
    const { targets, ids } = parseHfPoints(c.text, b);
    // get_subpatch_ids yields (vit patch id, location, id); with pooling = arange these are patch*n_sub+subpatch.
    assert.deepEqual(targets.map((t, i) => [t.patch * c.nSubpatches + t.subpatch, t.location, ids[i]]), c.vitLocId);
    const again = parseHfPoints(formatHfPoints(targets, ids, b), b);
    assert.deepEqual(again, { targets, ids });
  }
});

test("HF offsets and invalid triples", () => {
  const b = { nPatches: 10, nSubpatches: 4, noMorePointsClass: true };
  assert.deepEqual(hfOffsets(b), { noMorePoints: 10, subpatchStart: 11, locationStart: 15 });
  assert.equal(formatHfPoints([{ patch: 2, subpatch: 1, location: 8 }], [1], b), "<POINT_2><POINT_12><POINT_23>1<POINT_10>");
  assert.throws(() => parseHfPoints("<POINT_2><POINT_3><POINT_23>1", b), /invalid point triple/);
});

test("decodePointsWithIds zips ids parsed from the answer with decoded points (truncation tolerant)", () => {
  const g = buildImageGrid(640, 480, 8);
  const targets = withTerminator(encodeImagePoints(g, [[10, 10], [600, 400]]));
  const pts = decodeTargets(g, targets);
  assert.deepEqual(decodePointsWithIds(g, targets, formatPointAnswer([1, 2], "cat")), [[1, ...pts[0]], [2, ...pts[1]]]);
  const truncated = formatPointAnswer([1, 2], "cat").slice(0, 60);
  assert.deepEqual(decodePointsWithIds(g, targets, truncated), [[1, ...pts[0]]]);
});
