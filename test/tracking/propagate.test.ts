// propagatePoint on real encoded synthetic videos (lib/video) with exact ground truth.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateSyntheticVideo, type SyntheticGroundTruth, type VideoMeta } from "../../lib/video";
import { propagatePoint, shotRange, PropagationInputError, maskCentroid } from "../../lib/tracking/propagate";
import { encodeRle } from "../../lib/masks/rle";
import { ClassicalMaskEngine, createMaskEngine } from "../../inference/sam2";
import { writeTinyModels } from "../../inference/sam2/testing/tiny-models";

let dir: string;
let video: { id: string; path: string; meta: VideoMeta };
let gt: SyntheticGroundTruth;
const W = 320, H = 240, N = 36;
const diag = Math.hypot(W, H);

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "gt-prop-"));
  const file = path.join(dir, "curve.mp4");
  // A circle on a curved path (a waypoint every 3 frames) and a static occluder it passes behind near the end;
  // a hard cut at frame 30.
  const pathPts = Array.from({ length: 13 }, (_, k) => ({ frame: 3 * k, x: 70 + 5.5 * 3 * k, y: 120 + 40 * Math.sin(k * 0.5) }));
  const r = await generateSyntheticVideo(file, {
    width: W, height: H, frames: N, fps: 25, cuts: [30],
    objects: [
      { id: 1, category: "circle", colour: "yellow", size: 14, z: 1, path: pathPts },
      { id: 2, category: "square", colour: "blue", size: 30, z: 5, path: [{ frame: 0, x: 275, y: 150 }] },
    ],
  }, 1);
  video = { id: "curve", path: file, meta: r.meta };
  gt = r.groundTruth;
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("propagatePoint (Lucas–Kanade)", () => {
  it("follows a moving shape forward within 2% of the diagonal and stops at the shot boundary", async () => {
    const t = gt.objects[0].track;
    const progress: number[] = [];
    const r = await propagatePoint({ video, from: { frame: 0, x: t[0].x, y: t[0].y }, direction: "forward", onProgress: (p) => progress.push(p.frame) });
    assert.equal(r.engine, "lk");
    assert.ok(r.keyframes.length >= 20, `only ${r.keyframes.length} frames`);
    for (const k of r.keyframes) {
      assert.equal(k.source, "propagated");
      assert.ok(k.frame > 0 && k.frame < 30, `frame ${k.frame} crosses the cut`);
      if (k.state === "visible") {
        const g = t[k.frame];
        assert.equal(g.state, "visible", `frame ${k.frame}: tracker says visible, truth is ${g.state}`);
        const e = Math.hypot(k.x - g.x, k.y - g.y);
        assert.ok(e <= 0.02 * diag, `frame ${k.frame}: ${e.toFixed(2)} px off`);
      }
    }
    assert.deepEqual(progress, r.keyframes.map((k) => k.frame));
    const stop = r.stops.forward!;
    // Either it reached the cut, or it stopped (occluded) where the circle went behind the square.
    if (stop.reason === "shot_boundary") assert.equal(stop.lastFrame, 29);
    else {
      assert.equal(stop.reason, "occluded");
      assert.ok(t.slice(stop.lastFrame - 3, stop.lastFrame + 3).some((p) => p.state === "occluded"), `occluded at ${stop.lastFrame} but the truth is visible there`);
    }
  });

  it("propagates backward from a later keyframe", async () => {
    const t = gt.objects[0].track;
    const r = await propagatePoint({ video, from: { frame: 18, x: t[18].x, y: t[18].y }, direction: "backward", limits: { backward: 4 } });
    assert.deepEqual(r.keyframes.map((k) => k.frame), [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    for (const k of r.keyframes) assert.ok(Math.hypot(k.x - t[k.frame].x, k.y - t[k.frame].y) <= 0.02 * diag, `frame ${k.frame}`);
    assert.deepEqual(r.stops.backward, { reason: "range_end", lastFrame: 4 });
  });

  it("tracks on downscaled frames and reports native pixels", async () => {
    const t = gt.objects[0].track;
    const r = await propagatePoint({ video, from: { frame: 2, x: t[2].x, y: t[2].y }, direction: "forward", limits: { forward: 16 }, workWidth: 200 });
    assert.equal(r.keyframes.length, 14);
    for (const k of r.keyframes) assert.ok(Math.hypot(k.x - t[k.frame].x, k.y - t[k.frame].y) <= 0.02 * diag, `frame ${k.frame}: (${k.x.toFixed(1)}, ${k.y.toFixed(1)}) vs (${t[k.frame].x.toFixed(1)}, ${t[k.frame].y.toFixed(1)})`);
  });

  it("does nothing across a shot boundary and validates input", async () => {
    assert.deepEqual(shotRange(30, 36, [30]), [30, 35]);
    assert.deepEqual(shotRange(29, 36, [30]), [0, 29]);
    const t = gt.objects[0].track;
    const r = await propagatePoint({ video, from: { frame: 30, x: t[30].x, y: t[30].y }, direction: "backward" });
    assert.deepEqual(r.keyframes, []);
    assert.deepEqual(r.stops.backward, { reason: "shot_boundary", lastFrame: 30 });
    await assert.rejects(propagatePoint({ video, from: { frame: 99, x: 1, y: 1 }, direction: "forward" }), PropagationInputError);
    await assert.rejects(propagatePoint({ video, from: { frame: 1, x: -4, y: 1 }, direction: "forward" }), /outside the 320x240 frame/);
  });

  it("honours an AbortSignal", async () => {
    const ac = new AbortController();
    const t = gt.objects[0].track;
    await assert.rejects(
      propagatePoint({ video, from: { frame: 0, x: t[0].x, y: t[0].y }, direction: "forward", signal: ac.signal, onProgress: (p) => p.done === 3 && ac.abort() }),
      (e: Error) => e.name === "AbortError",
    );
  });
});

describe("propagatePoint (SAM2 mask centroid)", () => {
  it("follows the real SAM2 loop's mask centroid (tiny self-generated models) with the click's offset", async () => {
    // Real onnxruntime SAM2 four-module loop on tiny generated models (they segment by colour); a 160x120 video.
    const models = path.join(dir, "tiny-sam2");
    writeTinyModels(models);
    const engine = await createMaskEngine({ modelsDir: models, log: () => {} });
    assert.match(engine.engine, /^sam2:/);
    try {
      const file = path.join(dir, "small.mp4");
      const r = await generateSyntheticVideo(file, {
        width: 160, height: 120, frames: 12, fps: 10,
        objects: [{ id: 1, category: "square", colour: "red", size: 10, path: [{ frame: 0, x: 30, y: 40 }, { frame: 11, x: 130, y: 80 }] }],
      }, 1);
      const t = r.groundTruth.objects[0].track;
      const small = { id: "small", path: file, meta: r.meta };
      const progress: number[] = [];
      const res = await propagatePoint({ video: small, from: { frame: 5, x: t[5].x + 3, y: t[5].y }, direction: "both", maskEngine: engine, onProgress: (p) => progress.push(p.frame) });
      assert.equal(res.engine, engine.engine);
      assert.deepEqual(res.keyframes.map((k) => k.frame), [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
      assert.equal(progress.length, 11);
      const d = Math.hypot(160, 120);
      for (const k of res.keyframes) {
        assert.equal(k.source, "propagated");
        assert.equal(k.state, "visible");
        assert.ok(Math.hypot(k.x - (t[k.frame].x + 3), k.y - t[k.frame].y) <= 0.02 * d, `frame ${k.frame}: (${k.x.toFixed(1)}, ${k.y.toFixed(1)}) vs (${t[k.frame].x + 3}, ${t[k.frame].y})`);
      }
    } finally {
      await engine.close();
    }
  });

  it("does not use the classical fallback engine (LK instead)", async () => {
    const classical = new ClassicalMaskEngine();
    const t = gt.objects[0].track;
    const r = await propagatePoint({ video, from: { frame: 2, x: t[2].x, y: t[2].y }, direction: "forward", limits: { forward: 4 }, maskEngine: classical });
    assert.equal(r.engine, "lk");
    assert.match(classical.engine, /^classical/);
  });

  it("maskCentroid scales from mask to native pixels", () => {
    const m = new Uint8Array(4 * 2);
    m[1 * 4 + 2] = 1; // row 1, column 2
    assert.deepEqual(maskCentroid(encodeRle(m, 2, 4), 8, 4), { x: 5, y: 3 });
    assert.equal(maskCentroid(encodeRle(new Uint8Array(8), 2, 4), 8, 4), null);
  });
});
