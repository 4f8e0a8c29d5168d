// An exported directory is a real built-in model: the runtime (inference/runtimes/builtin.ts) loads it and answers
// a query on a short synthetic video end to end. Random weights: no assertion on where it points, only that the
// tracks are well formed and the raw output re-parses to the same points.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { decodeTarget, buildVideoGrid, parseHfPoints } from "../../../lib/grounding";
import { trackSetSchema } from "../../../lib/tracks";
import { generateSyntheticVideo, type VideoMeta } from "../../../lib/video";
import { createBuiltinRuntime, type BuiltinRuntime } from "../../../inference/runtimes/builtin";
import type { RuntimeVideo } from "../../../inference/runtime";
import { exportBuiltinModel } from "../../../trainer/model/export-onnx";
import { TEST_TINY, writeWeightsDir } from "./helpers";

const root = mkdtempSync(path.join(tmpdir(), "gt-export-runtime-"));
let rt: BuiltinRuntime;
let meta: VideoMeta;
let video: RuntimeVideo;

before(async () => {
  const weights = path.join(root, "weights");
  await writeWeightsDir(weights);
  const spec = {
    width: 96, height: 64, frames: 12, fps: 4,
    objects: [{ id: 1, category: "circle" as const, colour: "red" as const, size: 10, path: [{ frame: 0, x: 20, y: 20 }, { frame: 11, x: 70, y: 45 }] }],
  };
  const [v] = await Promise.all([generateSyntheticVideo(path.join(root, "v.mp4"), spec, 5), exportBuiltinModel(weights, path.join(root, "model"), { version: "tiny-e2e" })]);
  meta = v.meta;
  video = { id: "v1", path: path.join(root, "v.mp4"), meta };
  rt = await createBuiltinRuntime({ modelDir: path.join(root, "model"), device: "cpu", log: () => {} });
});
after(async () => {
  await rt?.close();
  rmSync(root, { recursive: true, force: true });
});

test("the built-in runtime loads the export and answers a query with well-formed tracks", async () => {
  assert.equal(rt.engine, "built-in:tiny-e2e");
  const r = await rt.query({ video, expression: "the red circle", signal: new AbortController().signal });
  assert.equal(r.engine, "built-in:tiny-e2e");
  assert.ok(trackSetSchema.safeParse(r.tracks).success, "TrackSet schema");
  assert.ok(r.sampledFrames.length >= 1 && r.sampledFrames.length <= TEST_TINY.maxFrames);
  assert.equal(rt.stats.encodeRuns, 1);
  assert.equal(rt.stats.queryRuns, 1);
  // Re-parse the raw output on the same grid: every point decodes to a keyframe position of its object.
  const S = TEST_TINY.cropSize;
  const grid = buildVideoGrid(meta.width, meta.height, r.sampledFrames.map((f) => meta.timestamps[f] - meta.timestamps[0]), { cropSize: S, patchSize: TEST_TINY.patchSize, pool: TEST_TINY.pool });
  const { targets, ids } = parseHfPoints(r.rawOutput, { nPatches: grid.nTokens, nSubpatches: grid.cells, noMorePointsClass: true });
  // These seeded weights give a few points (7); none would leave the comparison below with nothing to compare.
  assert.ok(targets.length >= 1 && targets.length <= TEST_TINY.maxPoints, `${targets.length} points`);
  if (targets.length < TEST_TINY.maxPoints) assert.ok(r.rawOutput.endsWith(`<POINT_${grid.nTokens}>`), "ends with the no-more-points class");
  // 1 + 4 steps per point (+ the terminating patch read needs no further step).
  assert.equal(rt.stats.stepRuns, 1 + 4 * targets.length);
  // The tracks are exactly the re-parsed points: one keyframe per (id, sampled frame), the first point wins.
  const expected = new Map<string, Map<number, [number, number]>>();
  targets.forEach((t, i) => {
    const xyz = decodeTarget(grid, t);
    assert.ok(xyz, `point ${i} decodes`);
    const [, x, y] = xyz;
    assert.ok(x >= 0 && x <= meta.width && y >= 0 && y <= meta.height, `point ${i} (${x}, ${y}) inside the frame`);
    const frame = r.sampledFrames[Math.floor(t.patch / grid.tokensPerFrame)];
    const byFrame = expected.get(String(ids[i])) ?? new Map<number, [number, number]>();
    if (!byFrame.has(frame)) byFrame.set(frame, [x, y]);
    expected.set(String(ids[i]), byFrame);
  });
  assert.deepEqual(
    r.tracks.objects.map((o) => [o.objectId, o.keyframes.map((k) => [k.frame, k.x, k.y])]),
    [...expected].sort((a, b) => Number(a[0]) - Number(b[0])).map(([id, m]) => [id, [...m].sort((a, b) => a[0] - b[0]).map(([f, [x, y]]) => [f, x, y])]),
  );
  for (const o of r.tracks.objects) for (const k of o.keyframes) assert.equal(k.source, "model:tiny-e2e");
});
