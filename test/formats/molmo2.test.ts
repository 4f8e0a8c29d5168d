import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { exportMolmo2, importMolmo2 } from "../../lib/formats/molmo2";
import type { TrackSet } from "../../lib/tracks/types";
import { assertSameDrawing, drawn, keyframeFrames, trackSetArb } from "./arbitrary";

const text = readFileSync(new URL("../fixtures/formats/tracks_molmo2.txt", import.meta.url), "utf8");
const video = { width: 640, height: 360, fps: 2, frameCount: 4 };

function ok(t: string, v = video): TrackSet {
  const r = importMolmo2(t, { ...v, fileName: "tracks.txt" });
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  return r.value;
}
const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;

test("import: 0-1000 coordinates to pixels, frame = round(time * fps), absence after appearance = outside", () => {
  const set = ok(text);
  assert.equal(set.expression, "the dogs");
  const got = set.objects.map((o) => [o.objectId, o.keyframes.map((k) => [k.frame, k.x, k.y, k.state])]);
  const want = [
    ["1", [[0, 64, 72, "visible"], [1, 70.4, 75.6, "visible"], [2, 76.8, 79.2, "visible"]]],
    ["2", [[0, 320, 180, "visible"], [1, 320, 180, "outside"], [2, 332.8, 187.2, "visible"]]],
  ] as const;
  assert.equal(got.length, want.length);
  got.forEach(([id, ks], i) => {
    assert.equal(id, want[i][0]);
    const wk = want[i][1];
    assert.equal((ks as unknown[]).length, wk.length);
    (ks as [number, number, number, string][]).forEach((k, j) => {
      assert.equal(k[0], wk[j][0]);
      assert.ok(close(k[1], wk[j][1]) && close(k[2], wk[j][2]), `${k} vs ${wk[j]}`);
      assert.equal(k[3], wk[j][3]);
    });
  });
});

test("export: the Molmo2 writer's text (html-v2, 1-decimal times, occluded points skipped)", () => {
  const set: TrackSet = {
    video: { width: 1000, height: 1000, fps: 2, frameCount: 6 },
    expression: "debug",
    objects: [
      { objectId: "5", keyframes: [{ frame: 0, x: 259, y: 340, state: "visible", source: "human" }, { frame: 2, x: 138, y: 427, state: "visible", source: "human" }, { frame: 4, x: 248, y: 335, state: "occluded", source: "human" }] },
    ],
  };
  assert.equal(exportMolmo2(set, { samplingFps: 1 }), '<tracks coords="0.0 1 259 340;1.0 1 138 427">debug</tracks>');
  assert.equal(exportMolmo2(set, { samplingFps: 1, format: "html-v1" }), '<tracks coords="0.0 1 259 340\t1.0 1 138 427">debug</tracks>');
  assert.equal(exportMolmo2(set, { frames: [1] }), '<tracks coords="0.5 1 198 384">debug</tracks>');
});

test("round trip of the fixture text is exact", () => {
  assert.equal(exportMolmo2(ok(text)), text.trim());
});

test("property: TrackSet -> Molmo2 text -> TrackSet draws the same visible points (to 1/1000 of the frame)", () => {
  fc.assert(
    fc.property(trackSetArb({ states: ["visible", "outside"], maxObjects: 1 }), (set) => {
      const one: TrackSet = { ...set, objects: set.objects.map((o) => ({ ...o, objectId: "1" })) };
      const back = ok(exportMolmo2(one), one.video);
      // The text omits frames where nothing is visible, so an exit is only kept when another object is visible
      // on that frame: compare on the frames the text holds.
      const written = keyframeFrames(one).filter((f) => drawn(one, "1")[f] !== null);
      assertSameDrawing(one, back, 0.5, (good, msg) => assert.ok(good, msg), written);
    }),
    { numRuns: 200 },
  );
});

test("an exit survives when another object is visible on that frame", () => {
  const set: TrackSet = {
    video: { width: 1000, height: 1000, fps: 1, frameCount: 3 },
    objects: [
      { objectId: "1", keyframes: [{ frame: 0, x: 100, y: 100, state: "visible", source: "human" }, { frame: 1, x: 100, y: 100, state: "outside", source: "human" }] },
      { objectId: "2", keyframes: [{ frame: 0, x: 500, y: 500, state: "visible", source: "human" }] },
    ],
  };
  const back = ok(exportMolmo2(set), set.video);
  assert.deepEqual(drawn(back, "1"), [["visible", 100, 100], null, null]);
  assert.deepEqual(drawn(back, "2"), [["visible", 500, 500], ["visible", 500, 500], ["visible", 500, 500]]);
});

test("text with coords but no usable point is reported, 'There are none.' is an empty set", () => {
  const r = importMolmo2('<tracks coords="0.0 1 1500 100">x</tracks>', { ...video, fileName: "t.txt" });
  assert.ok(r.ok);
  assert.equal(r.value.objects.length, 0);
  assert.match(r.warnings[0], /^t\.txt: the text has coords but no point inside the image/);
  const none = importMolmo2("There are none.", video);
  assert.ok(none.ok);
  assert.deepEqual([none.value.objects, none.warnings], [[], []]);
});

test("errors: frames outside the video and colliding timestamps are named", () => {
  const r1 = importMolmo2('<tracks coords="9.0 1 100 100">x</tracks>', { ...video, fileName: "t.txt" });
  assert.equal(r1.ok, false);
  assert.match(r1.ok ? "" : r1.error.message, /^t\.txt: timestamp 9 s is frame 18, outside the video's 4 frames/);
  const r2 = importMolmo2('<tracks coords="0.1 1 100 100;0.2 1 110 110">x</tracks>', { ...video, fps: 1, fileName: "t.txt" });
  assert.equal(r2.ok, false);
  assert.match(r2.ok ? "" : r2.error.message, /timestamps 0.1 s and 0.2 s both fall on frame 0 at 1 fps/);
  assert.throws(() => exportMolmo2({ video, objects: [{ objectId: "dog", keyframes: [] }] }), /integer object ids/);
  const at25 = { video: { ...video, fps: 25, frameCount: 10 }, objects: [{ objectId: "1", keyframes: [{ frame: 4, x: 1, y: 1, state: "visible" as const, source: "human" as const }] }] };
  assert.throws(() => exportMolmo2(at25), /frame 4 \(0\.160 s at 25 fps\) does not survive Molmo2's one-decimal timestamps/);
  assert.equal(exportMolmo2(at25, { samplingFps: 5 }), `<tracks coords="0.2 1 002 003"></tracks>`); // frame 0 is unknown, frame 5 holds frame 4
});
