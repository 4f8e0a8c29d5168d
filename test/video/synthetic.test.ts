// generateSyntheticVideo: deterministic by seed, and the ground truth matches the decoded pixels.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { COLOURS, VideoError, generateSyntheticVideo, syntheticGroundTruth, type SyntheticGroundTruth } from "../../lib/video";
import { decodeAllRgb, tempDir } from "./helpers";

const dir = tempDir();
const SPEC = { width: 160, height: 120, frames: 40 };

test("same seed → same ground truth and byte-identical video; another seed → another scene", async () => {
  const a = await generateSyntheticVideo(path.join(dir, "a.mp4"), SPEC, 42);
  const b = await generateSyntheticVideo(path.join(dir, "b.mp4"), SPEC, 42);
  const c = await generateSyntheticVideo(path.join(dir, "c.mp4"), SPEC, 43);
  assert.deepEqual(a.groundTruth, b.groundTruth);
  assert.ok(readFileSync(path.join(dir, "a.mp4")).equals(readFileSync(path.join(dir, "b.mp4"))));
  assert.notDeepEqual(a.groundTruth.objects.map((o) => o.colour), c.groundTruth.objects.map((o) => o.colour));
  assert.equal(a.meta.frameCount, 40);
  assert.deepEqual([a.meta.width, a.meta.height], [160, 120]);
});

/** Which object (top-most) covers a pixel centre, by the ground truth geometry. */
function colourAt(rgb: Buffer, w: number, frame: number, x: number, y: number, h: number): [number, number, number] {
  const at = (frame * w * h + Math.floor(y) * w + Math.floor(x)) * 3;
  return [rgb[at], rgb[at + 1], rgb[at + 2]];
}
const near = (a: readonly number[], b: readonly number[], tol: number) => a.every((v, i) => Math.abs(v - b[i]) <= tol);

function checkPixels(gt: SyntheticGroundTruth, rgb: Buffer): { visible: number; occluded: number; outside: number } {
  const counts = { visible: 0, occluded: 0, outside: 0 };
  for (const o of gt.objects) {
    o.track.forEach((p, f) => {
      counts[p.state]++;
      if (p.state === "outside") {
        assert.ok(p.x < 0 || p.y < 0 || p.x >= gt.width || p.y >= gt.height, `object ${o.id} frame ${f} outside but centre in frame`);
        return;
      }
      const px = colourAt(rgb, gt.width, f, p.x, p.y, gt.height);
      if (p.state === "visible") {
        assert.ok(near(px, COLOURS[o.colour], 40), `object ${o.id} (${o.colour}) frame ${f}: centre pixel ${px}`);
      } else {
        assert.ok(!near(px, COLOURS[o.colour], 40) || gt.objects.some((q) => q.id !== o.id && q.colour === o.colour), `object ${o.id} frame ${f}: occluded but its colour shows`);
      }
    });
  }
  return counts;
}

test("ground truth matches the decoded pixels; the default scene has an occlusion and an exit/re-entry", async () => {
  const file = path.join(dir, "scene.mp4");
  const { groundTruth: gt } = await generateSyntheticVideo(file, { ...SPEC, frames: 60, cuts: [30] }, 7);
  const counts = checkPixels(gt, decodeAllRgb(file));
  assert.ok(counts.visible > 0 && counts.occluded > 0 && counts.outside > 0, JSON.stringify(counts));
  const passer = gt.objects.find((o) => o.id === 2)!;
  const states = passer.track.map((p) => p.state);
  assert.equal(states[0], "visible");
  assert.ok(states.includes("occluded"), "object 2 passes behind the occluder");
  assert.equal(states[states.length - 1], "visible");
  const exiter = gt.objects.find((o) => o.id === 3)!.track.map((p) => p.state);
  assert.equal(exiter[0], "visible");
  assert.ok(exiter.includes("outside"), "object 3 leaves the frame");
  assert.equal(exiter[exiter.length - 1], "visible", "and comes back");
  assert.deepEqual(gt.shotBoundaries, [30]);
  // Referring expressions name groups: the two circles that share a colour form a plural group.
  const pair = gt.expressions.find((e) => e.objectIds.length === 2 && / circles$/.test(e.text) && e.text !== "the circles");
  assert.ok(pair, JSON.stringify(gt.expressions));
  assert.deepEqual(pair.objectIds, [2, 4]);
  assert.equal(pair.text, `the ${gt.objects[1].colour} circles`);
  assert.ok(gt.expressions.some((e) => e.text === "the square" && e.objectIds.length === 1));
});

test("explicit objects: waypoints interpolate linearly, z decides occlusion, VP9/VFR variants", async () => {
  const spec = {
    width: 64,
    height: 48,
    frames: 11,
    objects: [
      { id: 1, category: "square" as const, colour: "blue" as const, size: 8, z: 5, path: [{ frame: 0, x: 32, y: 24 }] },
      { id: 7, category: "triangle" as const, colour: "yellow" as const, size: 5, z: 1, path: [{ frame: 0, x: 5, y: 24 }, { frame: 10, x: 60, y: 24 }] },
    ],
  };
  const { groundTruth: gt } = syntheticGroundTruth(spec, 0);
  const tri = gt.objects[1].track;
  assert.deepEqual(tri.map((p) => p.x), [5, 10.5, 16, 21.5, 27, 32.5, 38, 43.5, 49, 54.5, 60]);
  assert.deepEqual(tri.map((p) => p.state), ["visible", "visible", "visible", "visible", "occluded", "occluded", "occluded", "visible", "visible", "visible", "visible"]);
  assert.deepEqual(gt.expressions.map((e) => e.text).sort(), ["the blue square", "the square", "the triangle", "the yellow triangle"]);
  const webm = await generateSyntheticVideo(path.join(dir, "e.webm"), { ...spec, vfr: true }, 0);
  assert.equal(webm.meta.codec, "vp9");
  assert.equal(webm.meta.isVfr, true);
  checkPixels(webm.groundTruth, decodeAllRgb(path.join(dir, "e.webm")));
});

test("invalid specs and output names are clear errors, and no file is written", async () => {
  await assert.rejects(generateSyntheticVideo(path.join(dir, "odd.mp4"), { width: 33, height: 24, frames: 5 }, 1), (e: unknown) => e instanceof VideoError && /width: width must be even/.test(e.message));
  await assert.rejects(generateSyntheticVideo(path.join(dir, "x.gif"), { width: 32, height: 24, frames: 5 }, 1), (e: unknown) => e instanceof VideoError && e.code === "bad_name");
  await assert.rejects(generateSyntheticVideo(path.join(dir, "x.avi"), { width: 32, height: 24, frames: 5, codec: "vp9" }, 1), (e: unknown) => e instanceof VideoError && /vp9 cannot be written to a \.avi/.test(e.message));
  await assert.rejects(
    generateSyntheticVideo(path.join(dir, "dup.mp4"), { width: 32, height: 24, frames: 5, objects: [1, 1].map((id) => ({ id, category: "circle" as const, colour: "red" as const, size: 3, path: [{ frame: 0, x: 1, y: 1 }] })) }, 1),
    /id must be unique/,
  );
  const { readdirSync } = await import("node:fs");
  assert.deepEqual(readdirSync(dir).filter((f) => /odd|x\.|dup|\.synth-/.test(f)), []);
});
