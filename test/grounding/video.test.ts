import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  buildVideoGrid, candidateSamplingFps, decodeTargets, encodeTrackPoints, encodeVideoPoints, sampleFps, sampleUniform,
  sampleForTracking, sampleUniformLastFrame, withTerminator,
} from "../../lib/grounding";
import { assertClose, loadFixture } from "./fixtures";

interface Sampler { mode: string; duration: number; maxFrames: number; maxFps: number | null; candidates?: number[]; fps: number | null; times: number[] }
interface VideoCase {
  width: number; height: number; timestamps: number[]; poolingShape: [number, number]; poolingSha256: string; mappingShape: number[];
  points: [number, number, number][]; targets: [number, number, number][]; decoded: [number, number, number][];
  objectIds: number[]; trackTargets: [number, number, number][]; trackIds: number[];
}
const fx = loadFixture<{ samplers: Sampler[]; candidates: { videoFps: number; samplingFps: number; candidates: number[] }[]; videos: VideoCase[] }>("video.json");

test(`TimeSampler frame times match the reference (${fx.samplers.length} cases)`, () => {
  for (const s of fx.samplers) {
    const r = s.mode === "fps" ? sampleFps(s.duration, s.maxFrames, s.candidates!)
      : s.mode === "uniform" ? sampleUniform(s.duration, s.maxFrames)
      : sampleUniformLastFrame(s.duration, s.maxFrames, s.maxFps);
    const what = JSON.stringify({ ...s, times: undefined });
    assert.equal(r.fps, s.fps, what);
    assert.equal(r.times.length, s.times.length, what);
    r.times.forEach((t, i) => assertClose(t, s.times[i], 1e-9, `${what} times[${i}]`));
  }
});

test("candidate sampling fps for tracking match the reference", () => {
  for (const c of fx.candidates) assert.deepEqual(candidateSamplingFps(c.videoFps, c.samplingFps), c.candidates, JSON.stringify(c));
  assert.throws(() => candidateSamplingFps(25, 2), /must divide/);
});

test(`video grids, targets, track ids and decoded points match the reference (${fx.videos.length} videos)`, () => {
  for (const [k, c] of fx.videos.entries()) {
    const what = `video ${k} ${c.width}x${c.height} ${c.timestamps.length} frames`;
    const g = buildVideoGrid(c.width, c.height, c.timestamps);
    assert.deepEqual([g.nTokens, g.cells], c.poolingShape, what);
    assert.deepEqual([g.nFrames, g.mapH, g.mapW], c.mappingShape, what);
    const tp = g.tokenPooling;
    assert.equal(createHash("sha256").update(Buffer.from(tp.buffer, tp.byteOffset, tp.byteLength)).digest("hex"), c.poolingSha256, what);
    const targets = withTerminator(encodeVideoPoints(g, c.points));
    assert.deepEqual(targets.map((t) => [t.patch, t.subpatch, t.location]), c.targets, what);
    const decoded = decodeTargets(g, targets);
    assert.equal(decoded.length, c.decoded.length, what);
    decoded.forEach((p, i) => p.forEach((v, j) => assertClose(v, c.decoded[i][j], 1e-6, `${what} decoded[${i}][${j}]`)));
    const tr = encodeTrackPoints(g, c.points, c.objectIds);
    assert.deepEqual(withTerminator(tr.targets).map((t) => [t.patch, t.subpatch, t.location]), c.trackTargets, what);
    assert.deepEqual(tr.ids, c.trackIds, what);
  }
});

test("sampleForTracking picks the densest candidate rate that spans the clip", () => {
  // 30 fps video, 1 fps tracks: candidates 1, 2, 3, 5, 6, 10; 128 frames span 12.8 s at 10 fps.
  assert.equal(sampleForTracking(12, 30, 1, 128).fps, 10);
  assert.equal(sampleForTracking(30, 30, 1, 128).fps, 3);
  assert.equal(sampleForTracking(1000, 30, 1, 128).fps, 1);
});
