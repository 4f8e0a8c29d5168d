import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { exportTracks, importTracks, TRACK_FORMATS } from "../../lib/formats";
import { trackSetSchema } from "../../lib/tracks/types";

const fixture = (name: string) => readFileSync(new URL(`../fixtures/formats/${name}`, import.meta.url), "utf8");

test("every format imports through one entry point to a schema-valid TrackSet", () => {
  const inputs = {
    trackany: [JSON.stringify(JSON.parse(fixture("trackany_reference.json")).input), {}],
    molmo2: [fixture("tracks_molmo2.txt"), { width: 640, height: 360, fps: 2, frameCount: 4 }],
    mot: [fixture("gt.txt"), { width: 640, height: 360, fps: 25 }],
    cvat: [fixture("cvat_video_points.xml"), { fps: 25 }],
  } as const;
  for (const format of TRACK_FORMATS) {
    const [text, hints] = inputs[format];
    const r = importTracks(format, text, hints);
    assert.ok(r.ok, `${format}: ${r.ok ? "" : r.error.message}`);
    const parsed = trackSetSchema.safeParse(r.value);
    assert.ok(parsed.success, `${format}: ${parsed.success ? "" : parsed.error.message}`);
    // and every format can be written back out from it
    for (const to of TRACK_FORMATS) {
      if (to === "trackany" && !r.value.video.name) continue;
      const fps = r.value.video.fps;
      const samplingFps = fps % 5 === 0 ? 5 : fps % 2 === 0 ? 2 : 1; // Molmo2 text needs frames on a 0.1 s grid
      const back = importTracks(to, exportTracks(to, r.value, { samplingFps }), { ...r.value.video });
      assert.ok(back.ok, `${format} -> ${to}: ${back.ok ? "" : back.error.message}`);
      assert.equal(back.value.video.frameCount, r.value.video.frameCount);
    }
  }
});

test("missing video facts are named with the option to pass", () => {
  const r = importTracks("molmo2", "There are none.", { width: 10, height: 10 });
  assert.equal(r.ok, false);
  assert.equal(r.ok ? "" : r.error.message, "molmo2 input does not record fps, frameCount; pass --fps --frames");
});

test("the TrackSet schema rejects bad sources and states", () => {
  const base = { video: { width: 1, height: 1, fps: 1, frameCount: 1 }, objects: [{ objectId: "1", keyframes: [{ frame: 0, x: 0, y: 0, state: "visible", source: "human" }] }] };
  assert.ok(trackSetSchema.safeParse(base).success);
  const withSource = (source: string) => ({ ...base, objects: [{ objectId: "1", keyframes: [{ ...base.objects[0].keyframes[0], source }] }] });
  assert.ok(trackSetSchema.safeParse(withSource("model:molmopoint-8b")).success);
  assert.equal(trackSetSchema.safeParse(withSource("model:")).success, false);
  assert.equal(trackSetSchema.safeParse(withSource("robot")).success, false);
  assert.equal(trackSetSchema.safeParse({ ...base, objects: [{ objectId: "1", keyframes: [{ ...base.objects[0].keyframes[0], state: "hidden" }] }] }).success, false);
});
