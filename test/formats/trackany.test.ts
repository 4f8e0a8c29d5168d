import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { exportTrackAny, importTrackAny } from "../../lib/formats/trackany";
import type { TrackSet } from "../../lib/tracks/types";
import { assertSameDrawing, keyframeFrames, trackSetArb } from "./arbitrary";

const fixture = JSON.parse(readFileSync(new URL("../fixtures/formats/trackany_reference.json", import.meta.url), "utf8")) as {
  input: Record<string, unknown>;
  message_list: [{ label: string; sampling_fps: number; width: number; height: number; points: { frame: number; time: number; points: Record<string, { point: [number, number]; occluded: boolean }> }[] }];
};

function imported(text: string): TrackSet {
  const r = importTrackAny(text);
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  return r.value;
}

test("import matches the reference loader (molmo2 _create_message_list) point for point", () => {
  const set = imported(JSON.stringify(fixture.input));
  const ref = fixture.message_list[0];
  assert.equal(set.expression, ref.label);
  assert.equal(set.video.width, ref.width);
  assert.equal(set.video.height, ref.height);
  assert.equal(set.extra?.sampling_fps, ref.sampling_fps);
  const ours = ref.points.map((fr) => {
    const points: Record<string, { point: [number, number]; occluded: boolean }> = {};
    set.objects.forEach((o, idx) => {
      const k = o.keyframes.find((kf) => kf.frame === fr.frame);
      if (k && k.state !== "outside") points[String(idx)] = { point: [k.x, k.y], occluded: k.state === "occluded" };
    });
    return { frame: fr.frame, time: set.video.timestamps?.[fr.frame] ?? fr.frame / set.video.fps, points };
  });
  assert.deepEqual(ours, ref.points);
});

test("absence after appearance becomes an outside keyframe; late objects start unknown", () => {
  const set = imported(JSON.stringify(fixture.input));
  const o11 = set.objects.find((o) => o.objectId === "11")!;
  assert.deepEqual(o11.keyframes.filter((k) => k.state === "outside").map((k) => k.frame), [12]);
  const o42 = set.objects.find((o) => o.objectId === "42")!;
  assert.equal(o42.keyframes[0].frame, 9);
  assert.equal(o42.keyframes[0].state, "visible");
});

test("file -> TrackSet -> file keeps every field (canonical order)", () => {
  const input = fixture.input as { frame_trajectories: { frame: number; points: { id: number }[] }[]; mask_id: string[] };
  const out = JSON.parse(exportTrackAny(imported(JSON.stringify(input))));
  const canonical = structuredClone(input);
  canonical.frame_trajectories.sort((a, b) => a.frame - b.frame);
  for (const t of canonical.frame_trajectories) t.points.sort((a, b) => input.mask_id.indexOf(String(a.id)) - input.mask_id.indexOf(String(b.id)));
  assert.deepEqual(out, canonical);
  assert.deepEqual(Object.keys(out), Object.keys(input));
});

test("property: TrackSet -> TrackAny -> TrackSet draws the same points on the sampled frames", () => {
  fc.assert(
    fc.property(trackSetArb(), (set) => {
      const back = imported(exportTrackAny(set));
      assertSameDrawing(set, back, 1e-6, (ok, msg) => assert.ok(ok, msg), keyframeFrames(set));
      // exporting again gives the same file, except that sampled frames where nobody is present leave no keyframe
      const nonEmpty = (text: string) => {
        const ex = JSON.parse(text);
        ex.frame_trajectories = ex.frame_trajectories.filter((t: { points: unknown[] }) => t.points.length);
        return ex;
      };
      assert.deepEqual(nonEmpty(exportTrackAny(back)), nonEmpty(exportTrackAny(set)));
    }),
    { numRuns: 200 },
  );
});

function errorOf(mutate: (ex: Record<string, any>) => void): string {
  const ex = structuredClone(fixture.input) as Record<string, any>;
  mutate(ex);
  const r = importTrackAny(JSON.stringify(ex), { fileName: "ex.json" });
  assert.equal(r.ok, false);
  return r.ok ? "" : r.error.message;
}

test("bad input names the JSON path and field", () => {
  assert.equal(errorOf((ex) => (ex.frame_trajectories[3].points[0].point = [1, 2, 3])), "ex.json: frame_trajectories[3].points[0].point: expected [x, y]");
  assert.match(errorOf((ex) => (ex.frame_trajectories[1].points[0].point = "12,3")), /^ex\.json: frame_trajectories\[1\]\.points\[0\]\.point: expected \[x, y\]/);
  assert.match(errorOf((ex) => (ex.frame_trajectories[0].points[0].occluded = "no")), /frame_trajectories\[0\]\.points\[0\]\.occluded: .*boolean/);
  assert.match(errorOf((ex) => (ex.frame_trajectories[2].frame = 1.5)), /frame_trajectories\[2\]\.frame: .*int/);
  assert.match(errorOf((ex) => delete ex.width), /^ex\.json: width: /);
  assert.match(errorOf((ex) => (ex.frame_trajectories[0].points[0].id = 5)), /frame_trajectories\[0\]\.points\[0\]\.id: 5 is not listed in mask_id/);
  assert.match(errorOf((ex) => ex.frame_trajectories[0].points.push({ ...ex.frame_trajectories[0].points[0] })), /appears twice in frame/);
  assert.match(errorOf((ex) => ex.frame_trajectories.push(structuredClone(ex.frame_trajectories[0]))), /is listed twice/);
  assert.match(errorOf((ex) => (ex.frame_trajectories[0].time += 1)), /\.time: .* does not match frame/);
  assert.match(errorOf((ex) => (ex.frame_trajectories[0].frame = 400)), /\.frame: 400 is not below n_frames 40/);
  assert.match(errorOf((ex) => (ex.mask_id = ["3", "3", "42"])), /mask_id\[1\]: '3' is repeated/);
  assert.match(importTrackAny("{", { fileName: "ex.json" }).ok ? "" : (importTrackAny("{", { fileName: "ex.json" }) as { error: { message: string } }).error.message, /^ex\.json: not valid JSON/);
});

test("file names that try to leave their directory are rejected", () => {
  for (const bad of ["../secret", "/etc/passwd", "a/../../b", "C:\\x", "a\\b", "http://host/v.mp4", "x\u0000y", "~/v.mp4", ""]) {
    assert.match(errorOf((ex) => (ex.video = bad)), /^ex\.json: video: file name/, bad);
  }
  assert.match(errorOf((ex) => (ex.video_path = "../../v.mp4")), /^ex\.json: video_path: file name .* '\.\.' path segment/);
  assert.ok(importTrackAny(JSON.stringify({ ...fixture.input, video: "youtube-cc/abc_1.mp4" })).ok);
});
