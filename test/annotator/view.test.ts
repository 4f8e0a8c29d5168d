import { test } from "node:test";
import assert from "node:assert/strict";
import { clampToImage, fitView, imageToStage, panBy, stageToImage, wheelFactor, zoomAt } from "../../lib/annotator/viewport";
import { bufferRuns, formatTime, frameAtPlayback, frameTime, frameToX, visibilityRuns, xToFrame } from "../../lib/annotator/timeline";
import { ContextTracks } from "../../lib/annotator/context";
import { Debouncer } from "../../lib/annotator/debounce";
import { interpolateTrack, type Keyframe } from "../../lib/tracks";

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} vs ${b}`);

test("fit centres the image; zoom keeps the image point under the cursor; pan and inverse mapping", () => {
  const v = fitView({ width: 1000, height: 500 }, { width: 1920, height: 1080 });
  close(v.scale, 500 / 1080);
  close(v.x, (1000 - 1920 * v.scale) / 2);
  close(v.y, 0);
  const cursor = { x: 321, y: 123 };
  const before = stageToImage(v, cursor);
  const z = zoomAt(v, cursor, 3);
  close(z.scale, v.scale * 3);
  const after = stageToImage(z, cursor);
  close(after.x, before.x);
  close(after.y, before.y);
  const back = imageToStage(z, after);
  close(back.x, cursor.x);
  const p = panBy(z, 10, -5);
  close(p.x, z.x + 10);
  close(p.y, z.y - 5);
  close(wheelFactor(100) * wheelFactor(-100), 1);
  assert.ok(zoomAt(v, cursor, 1e9).scale <= 40);
  assert.deepEqual(clampToImage({ x: -3, y: 2000.12345 }, { width: 640, height: 360 }), { x: 0, y: 360 });
  assert.deepEqual(clampToImage({ x: 10.123456, y: 5.5 }, { width: 640, height: 360 }), { x: 10.123, y: 5.5 });
});

test("visibility runs follow interpolateTrack exactly (unknown before the first keyframe, shot cut respected)", () => {
  const kfs: Keyframe[] = [
    { frame: 2, x: 0, y: 0, state: "visible", source: "human" },
    { frame: 5, x: 1, y: 1, state: "occluded", source: "human" },
    { frame: 8, x: 1, y: 1, state: "outside", source: "human" },
    { frame: 12, x: 1, y: 1, state: "visible", source: "human" },
  ];
  const runs = visibilityRuns(kfs, 20, [10]);
  assert.deepEqual(runs.map((r) => `${r.state}:${r.start}-${r.end}`), ["unknown:0-1", "visible:2-4", "occluded:5-7", "outside:8-9", "unknown:10-11", "visible:12-19"]);
  const dense = interpolateTrack(kfs, { frameCount: 20, shotBoundaries: [10] });
  for (const r of runs) for (let f = r.start; f <= r.end; f++) assert.equal(dense[f]?.state ?? "unknown", r.state);
});

test("buffer runs merge adjacent chunks and clip the last chunk", () => {
  assert.deepEqual(bufferRuns([3, 0, 1], 30, 100).map((r) => [r.start, r.end]), [[0, 59], [90, 99]]);
  assert.deepEqual(bufferRuns([], 30, 100), []);
});

test("time labels come from the frame-exact index; playback picks the last frame whose timestamp has come", () => {
  const ts = [0, 0.04, 0.1, 0.12, 0.2]; // variable frame rate
  assert.equal(frameTime(2, ts, 25), 0.1);
  assert.equal(frameTime(7, [], 25), 0.28);
  assert.equal(formatTime(1.5), "1.500 s");
  assert.equal(formatTime(75.25), "1:15.250");
  assert.equal(frameAtPlayback(0, 0.05, ts, 25, 5), 1);
  assert.equal(frameAtPlayback(0, 0.1, ts, 25, 5), 2);
  assert.equal(frameAtPlayback(1, 0.09, ts, 25, 5), 3);
  assert.equal(frameAtPlayback(0, 10, ts, 25, 5), 4);
  assert.equal(xToFrame(frameToX(37, 150, 900), 150, 900), 37);
  assert.equal(xToFrame(-5, 150, 900), 0);
  assert.equal(xToFrame(5000, 150, 900), 149);
});

test("context points: what TrackSampler draws (no outside / unknown), occluded flagged", () => {
  const ctx = new ContextTracks([
    { objectId: 1, label: "#1", keyframes: [{ frame: 0, x: 0, y: 0, state: "visible", source: "human" }, { frame: 10, x: 10, y: 20, state: "visible", source: "human" }] },
    { objectId: 2, label: "#2", keyframes: [{ frame: 0, x: 5, y: 5, state: "occluded", source: "human" }] },
    { objectId: 3, label: "#3", keyframes: [{ frame: 0, x: 5, y: 5, state: "outside", source: "human" }] },
    { objectId: 4, label: "#4", keyframes: [{ frame: 8, x: 5, y: 5, state: "visible", source: "human" }] },
  ], { frameCount: 20 });
  const f = ctx.at(5);
  assert.equal(f.count, 2);
  assert.deepEqual(f.objectIds, [1, 2]);
  assert.equal(f.xs[0], 5);
  assert.equal(f.ys[0], 10);
  assert.deepEqual([...f.occluded.slice(0, 2)], [0, 1]);
  assert.equal(ctx.at(9).count, 3);
});

test("debouncer: trailing call after the last schedule; flush runs at once; cancel drops it", async () => {
  let n = 0;
  const d = new Debouncer(30, () => n++);
  d.schedule();
  d.schedule();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(n, 1);
  d.schedule();
  d.flush();
  assert.equal(n, 2);
  assert.equal(d.pending, false);
  d.schedule();
  d.cancel();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(n, 2);
});
