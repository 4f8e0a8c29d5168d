import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { exportCvat, importCvat } from "../../lib/formats/cvat";
import type { TrackSet } from "../../lib/tracks/types";
import { assertSameDrawing, trackSetArb } from "./arbitrary";

const xml = readFileSync(new URL("../fixtures/formats/cvat_video_points.xml", import.meta.url), "utf8");

function ok(text: string): TrackSet {
  const r = importCvat(text, { fps: 25, fileName: "annotations.xml" });
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  return r.value;
}
function err(text: string): string {
  const r = importCvat(text, { fps: 25, fileName: "annotations.xml" });
  assert.equal(r.ok, false);
  return r.ok ? "" : r.error.message;
}

test("import: keyframes, task frame numbering (start_frame + step), states, sources; interpolated shapes checked", () => {
  const set = ok(xml);
  assert.deepEqual(set.video, { width: 640, height: 360, fps: 25, frameCount: 6, name: "beach.mp4" });
  assert.deepEqual(
    set.objects.map((o) => [o.objectId, o.label, o.keyframes.map((k) => [k.frame, k.x, k.y, k.state, k.source])]),
    [
      ["0", "dog", [[0, 10, 20, "visible", "human"], [3, 20, 30, "occluded", "human"], [5, 20, 30, "outside", "human"]]],
      // the keyframe="0" shape at frame 14 is off the line 12 -> 18, so it is kept
      ["1", "cat", [[1, 100, 100, "visible", "model:cvat-auto"], [2, 150, 100, "visible", "interpolated"], [4, 200, 100, "visible", "model:cvat-auto"]]],
    ],
  );
});

test("round trip: CVAT file -> TrackSet -> CVAT -> TrackSet keeps keyframes", () => {
  const a = ok(xml);
  for (const dense of [true, false]) {
    const b = ok(exportCvat(a, { dense }));
    assert.deepEqual(b.objects.map((o) => [o.objectId, o.label, o.keyframes.map((k) => [k.frame, k.x, k.y, k.state])]), a.objects.map((o) => [o.objectId, o.label, o.keyframes.map((k) => [k.frame, k.x, k.y, k.state])]));
  }
});

test("export writes CVAT's own shape: every frame, keyframe flags, outside at the exit", () => {
  const set: TrackSet = {
    video: { width: 64, height: 48, fps: 10, frameCount: 5, shotBoundaries: [3], name: "v.mp4" },
    objects: [{ objectId: "4", label: "ball", keyframes: [{ frame: 0, x: 0, y: 0, state: "visible", source: "human" }, { frame: 2, x: 2, y: 1, state: "visible", source: "human" }] }],
  };
  const out = exportCvat(set);
  const shapes = out.split("\n").filter((l) => l.includes("<points "));
  assert.deepEqual(shapes.map((l) => l.trim()), [
    '<points frame="0" keyframe="1" outside="0" occluded="0" points="0,0" z_order="0"></points>',
    '<points frame="1" keyframe="0" outside="0" occluded="0" points="1,0.5" z_order="0"></points>',
    '<points frame="2" keyframe="1" outside="0" occluded="0" points="2,1" z_order="0"></points>',
    // new shot at frame 3: unknown there, so CVAT must not keep holding the point
    '<points frame="3" keyframe="1" outside="1" occluded="0" points="2,1" z_order="0"></points>',
  ]);
  assert.match(out, /<size>5<\/size>/);
  assert.match(out, /<original_size>\s*<width>64<\/width>\s*<height>48<\/height>/);
  assert.match(out, /<track id="4" label="ball" source="manual">/);
});

test("property: TrackSet -> CVAT -> TrackSet draws the same points on every frame (dense and keyframes-only)", () => {
  fc.assert(
    fc.property(trackSetArb(), fc.boolean(), (set, dense) => {
      const back = ok(exportCvat(set, { dense }));
      assertSameDrawing(set, back, 0, (good, msg) => assert.ok(good, msg));
    }),
    { numRuns: 200 },
  );
});

const replace = (from: string, to: string) => {
  assert.ok(xml.includes(from), from);
  return xml.replace(from, to);
};
const lineOf = (needle: string) => xml.slice(0, xml.indexOf(needle)).split("\n").length;

test("bad input is an error naming the line and attribute", () => {
  assert.equal(
    err(replace('frame="14" outside="0" occluded="0" keyframe="0" points="150.00,100.00"', 'frame="14" outside="0" occluded="0" keyframe="0" points="150.00,100.00;1,2"')),
    `annotations.xml line ${lineOf('frame="14" outside="0" occluded="0" keyframe="0" points="150.00')}: attribute 'points' must hold exactly one point "x,y", found '150.00,100.00;1,2'`,
  );
  assert.match(err(replace('points="10.00,20.00"', 'points="ten,20.00"')), /^annotations\.xml line \d+: attribute 'points' is not numeric/);
  assert.match(err(replace('frame="12" outside="0" occluded="0" keyframe="0"', 'frame="13" outside="0" occluded="0" keyframe="0"')), /attribute 'frame' must be one of the task's frames 10, 12, … 20, found '13'/);
  assert.match(err(replace('frame="16" outside="0" occluded="1"', 'frame="10" outside="0" occluded="1"')), /frame 0 already has a shape in this track \(line \d+\)/);
  assert.match(err(replace('occluded="1" keyframe="1"', 'occluded="yes" keyframe="1"')), /attribute 'occluded' must be "0" or "1", found 'yes'/);
  assert.match(err(replace('<track id="1" label="cat"', '<track id="0" label="cat"')), /track id 0 is repeated \(line \d+\)/);
  assert.match(err(replace("<size>6</size>", "<size>six</size>")), /^annotations\.xml line 8: <size> must be a positive integer, found 'six'/);
  assert.match(err(replace("<version>1.1</version>", "<version>1.0</version>")), /line 3: <version> must be 1.1/);
  assert.match(err(replace("<source>beach.mp4</source>", "<source>../../etc/passwd</source>")), new RegExp(`^annotations\\.xml line ${lineOf("<source>")}: file name "\\.\\./\\.\\./etc/passwd" contains a '\\.' or '\\.\\.' path segment`));
  assert.match(err(replace("</annotations>", "<image id=\"0\" name=\"a.jpg\"/>\n</annotations>")), /<image> is not supported/);
  assert.match(
    err(replace('<points frame="18" outside="0" occluded="0" keyframe="1" points="200.00,100.00" z_order="0"/>', '<box frame="18" outside="0" occluded="0" keyframe="1" xtl="1" ytl="1" xbr="2" ybr="2" z_order="0"/>')),
    /line \d+: <box> shapes are not supported in a track \(points only\)/,
  );
  assert.match(err(replace('points="10.00,20.00" z_order="0">', 'points="10.00,20.00" z_order="0"><attribute name="a">b</attribute>')), /<attribute> inside <points> is not supported/);
  assert.match(err(xml.replace("</track>\n  <track", "\n  <track")), /^annotations\.xml line \d+: expected <\/track>/);
  assert.match(err(replace("<frame_filter>step=2</frame_filter>", "<frame_filter>rand</frame_filter>")), /<frame_filter> 'rand' is not supported/);
});
