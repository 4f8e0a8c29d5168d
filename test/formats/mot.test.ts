import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { exportMot, importMot } from "../../lib/formats/mot";
import type { TrackSet } from "../../lib/tracks/types";
import { assertSameDrawing, trackSetArb } from "./arbitrary";

const gt = readFileSync(new URL("../fixtures/formats/gt.txt", import.meta.url), "utf8");
const video = { width: 640, height: 360, fps: 25 };

function ok(text: string, frameCount?: number): TrackSet {
  const r = importMot(text, { ...video, frameCount, fileName: "gt.txt" });
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  return r.value;
}
function err(text: string, frameCount?: number): string {
  const r = importMot(text, { ...video, frameCount, fileName: "gt.txt" });
  assert.equal(r.ok, false);
  return r.ok ? "" : r.error.message;
}

test("import: box centres, 1-based frames, conf 0 = occluded, gaps and the end become outside", () => {
  const set = ok(gt, 6);
  assert.deepEqual(set.video, { ...video, frameCount: 6 });
  const [a, b] = set.objects;
  assert.equal(a.objectId, "1");
  assert.deepEqual(a.keyframes.map((k) => [k.frame, k.x, k.y, k.state]), [
    [0, 100, 50, "visible"],
    [1, 102, 52, "visible"],
    [2, 104, 54, "occluded"],
    [3, 104, 54, "outside"],
  ]);
  assert.deepEqual(b.keyframes.map((k) => [k.frame, k.x, k.y, k.state]), [
    [0, 13, 22, "visible"],
    [1, 14, 23, "visible"],
    [2, 14, 23, "outside"],
    [4, 22, 32, "visible"],
    [5, 22, 32, "outside"],
  ]);
  assert.equal(ok(gt).video.frameCount, 5); // default: the last frame in the file
});

test("export: fixed-size box centred on the point, sorted by frame then id, occluded as conf 0", () => {
  const set: TrackSet = {
    video: { ...video, frameCount: 4 },
    objects: [
      { objectId: "7", keyframes: [{ frame: 1, x: 50, y: 60, state: "visible", source: "human" }, { frame: 3, x: 70, y: 80, state: "occluded", source: "human" }] },
      { objectId: "2", keyframes: [{ frame: 0, x: 5, y: 5, state: "visible", source: "human" }, { frame: 1, x: 5, y: 5, state: "outside", source: "human" }] },
    ],
  };
  assert.equal(
    exportMot(set, { boxSize: 4 }),
    ["1,2,3,3,4,4,1,-1,-1,-1", "2,7,48,58,4,4,1,-1,-1,-1", "3,7,58,68,4,4,1,-1,-1,-1", "4,7,68,78,4,4,0,-1,-1,-1", ""].join("\n"),
  );
  assert.throws(() => exportMot({ ...set, objects: [{ objectId: "car-1", keyframes: [] }] }), /integer object ids/);
});

test("property: TrackSet -> MOT -> TrackSet draws the same points on every frame", () => {
  fc.assert(
    fc.property(trackSetArb(), fc.integer({ min: 1, max: 40 }), (set, box) => {
      const r = importMot(exportMot(set, { boxSize: box }), { ...set.video, frameCount: set.video.frameCount });
      assert.ok(r.ok, r.ok ? "" : r.error.message);
      assertSameDrawing(set, r.value, 1e-9 * 1024, (good, msg) => assert.ok(good, msg));
    }),
    { numRuns: 200 },
  );
});

test("bad rows are errors naming the line and field", () => {
  assert.equal(err("1,1,10,10,5,5,1,-1,-1,-1\n2,1,abc,10,5,5,1,-1,-1,-1\n"), "gt.txt line 2: field 'bb_left' is not a number: 'abc'");
  assert.equal(err("1,1,10,10,5,5,1,-1,-1,-1\n\n1,1,11,10,5,5,1,-1,-1,-1\n"), "gt.txt line 3: id 1 already has a row for frame 1 (line 1)");
  assert.match(err("0,1,10,10,5,5\n"), /^gt\.txt line 1: field 'frame' must be an integer >= 1/);
  assert.match(err("1,1.5,10,10,5,5\n"), /^gt\.txt line 1: field 'id' must be a non-negative integer/);
  assert.match(err("1,1,10,10,-5,5\n"), /^gt\.txt line 1: field 'bb_width' is negative/);
  assert.match(err("1,1,10,10\n"), /^gt\.txt line 1: expected 6 to 10 comma-separated fields/);
  assert.match(err("1,1,10,10,5,5,1,-1,-1,-1,9\n"), /found 11/);
  assert.match(err("1,1,10,10,5,,1\n"), /field 'bb_height' is not a number: ''/);
  assert.match(err("9,1,10,10,5,5\n", 5), /^gt\.txt line 1: field 'frame' 9 is beyond the video's 5 frames/);
  assert.match(err(""), /no rows/);
});

test("columns the point form cannot hold are reported as a warning, not dropped silently", () => {
  const r = importMot("1,1,10,10,5,5,1,1,0.8\n2,1,10,10,5,5,1,-1,-1,-1\n", { ...video });
  assert.ok(r.ok);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0], /1 row\(s\) have values other than -1 in columns 8-10/);
});
