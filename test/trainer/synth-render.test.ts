// Rendering ground truth: largest-component points, occlusion and exit/re-entry states, RLE masks.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeRle, encodeRle, parseRle, rleArea } from "../../lib/masks/rle";
import { isPointInMask } from "../../lib/metrics/points/hit-test";
import { pyRoundHalfEven } from "../../lib/metrics/points/py-round";
import { largestComponentCentre } from "../../trainer/synth/components";
import { FrameRenderer } from "../../trainer/synth/render";
import { sampleScene, type Scene, type SceneObject } from "../../trainer/synth/scene";
import { insideCategory, SYNTH_CATEGORIES } from "../../trainer/synth/shapes";
import { renderVideo } from "../../trainer/synth/video";

/**
 * Independent reference: 4-connected components by flood fill, largest first-found, centroid or nearest pixel, in
 * the evaluators' pixel-centred convention (pixel i ↔ coordinate i; a point is in pixel Python-round(x)).
 */
function referenceCentre(mask: Uint8Array, w: number, h: number): { x: number; y: number } | null {
  const seen = new Uint8Array(w * h);
  let best: number[] = [];
  for (let s = 0; s < w * h; s++) {
    if (!mask[s] || seen[s]) continue;
    const comp: number[] = [];
    const queue = [s];
    seen[s] = 1;
    while (queue.length) {
      const p = queue.pop() as number;
      comp.push(p);
      const x = p % w;
      const y = Math.floor(p / w);
      for (const [nx, ny] of [[x - 1, y], [x + 1, y], [x, y - 1], [x, y + 1]]) {
        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
        const q = ny * w + nx;
        if (mask[q] && !seen[q]) (seen[q] = 1), queue.push(q);
      }
    }
    if (comp.length > best.length) best = comp;
  }
  if (!best.length) return null;
  const r = (v: number) => Math.round(v * 100) / 100;
  const cx = r(best.reduce((a, p) => a + (p % w), 0) / best.length);
  const cy = r(best.reduce((a, p) => a + Math.floor(p / w), 0) / best.length);
  const inBest = new Set(best);
  if (inBest.has(pyRoundHalfEven(cy) * w + pyRoundHalfEven(cx))) return { x: cx, y: cy };
  const sorted = [...best].sort((a, b) => a - b);
  let pick = sorted[0];
  let d = Infinity;
  for (const p of sorted) {
    const dd = ((p % w) - cx) ** 2 + (Math.floor(p / w) - cy) ** 2;
    if (dd < d) (d = dd), (pick = p);
  }
  return { x: pick % w, y: Math.floor(pick / w) };
}

const flat = { kind: "checker" as const, colours: [[30, 30, 30], [40, 40, 40]] as [[number, number, number], [number, number, number]], scale: 8, angle: 0, seed: 1, jitter: 0 };
const obj = (o: Partial<SceneObject> & Pick<SceneObject, "id" | "waypoints">): SceneObject => ({
  category: "circle", colour: "red", sizeClass: "medium", size: 6, z: 0, motion: "linear", ...o,
});

test("largest component: picks the bigger blob, and a ring's point lies on the ring", () => {
  const w = 20;
  const h = 10;
  const m = new Uint8Array(w * h);
  for (let y = 1; y < 3; y++) for (let x = 1; x < 3; x++) m[y * w + x] = 1; // 4 px
  for (let y = 4; y < 9; y++) for (let x = 10; x < 16; x++) m[y * w + x] = 1; // 30 px
  assert.deepEqual(largestComponentCentre(m, w, h), { x: 12.5, y: 6, area: 30 });
  const ring = new Uint8Array(40 * 40);
  for (let y = 0; y < 40; y++) for (let x = 0; x < 40; x++) ring[y * 40 + x] = insideCategory("ring", 15, 20, 20, x + 0.5, y + 0.5) ? 1 : 0;
  const c = largestComponentCentre(ring, 40, 40);
  assert.ok(c);
  assert.equal(ring[pyRoundHalfEven(c.y) * 40 + pyRoundHalfEven(c.x)], 1, "ring point must be on the ring");
  assert.deepEqual({ x: c.x, y: c.y }, referenceCentre(ring, 40, 40));
  assert.equal(largestComponentCentre(new Uint8Array(12), 4, 3), null);
});

test("every category covers its centre region and stays within its extent", () => {
  for (const cat of SYNTH_CATEGORIES) {
    let n = 0;
    for (let y = -12; y <= 12; y++) {
      for (let x = -12; x <= 12; x++) {
        if (!insideCategory(cat, 10, 0, 0, x, y)) continue;
        n++;
        assert.ok(Math.abs(x) <= 10 && Math.abs(y) <= 10, `${cat} pixel (${x},${y}) beyond size`);
      }
    }
    assert.ok(n > 40, `${cat} covers ${n} points`);
  }
});

test("track points are the largest-component centre of the decoded visible mask and lie inside it", async () => {
  for (const [seed, pan] of [[3, false], [11, true], [29, true]] as const) {
    const scene = sampleScene(seed, { width: 64, height: 48, frames: 16, fps: 8, pan });
    const video = await renderVideo(scene);
    let visible = 0;
    scene.objects.forEach((_, k) => {
      video.observations[k].forEach((o, f) => {
        const mask = decodeRle(video.masks[k][f]);
        assert.equal(rleArea(video.masks[k][f]), o.visibleArea);
        if (o.state !== "visible") return;
        visible++;
        // The evaluator's own hit test (Molmo2 is_point_in_region: Python-rounded pixel of the point).
        assert.ok(isPointInMask(o.x, o.y, parseRle(video.masks[k][f])), `seed ${seed} object ${k} frame ${f}: point outside mask`);
        assert.equal(mask[pyRoundHalfEven(o.y) * 64 + pyRoundHalfEven(o.x)], 1);
        assert.deepEqual({ x: o.x, y: o.y }, referenceCentre(mask, 64, 48));
      });
    });
    assert.ok(visible > 20);
  }
});

test("RLE masks round-trip to the renderer's visible masks", () => {
  const scene = sampleScene(5, { width: 40, height: 30, frames: 4, fps: 4, pan: true });
  const r = new FrameRenderer(scene);
  for (let f = 0; f < 4; f++) {
    r.render(f);
    for (let k = 0; k < scene.objects.length; k++) {
      const m = r.visibleMask(k).slice();
      assert.deepEqual(decodeRle(encodeRle(m, 30, 40)), m);
    }
  }
});

test("occlusion by z-order: behind a bigger object the point is occluded (amodal centre), partly hidden stays visible", async () => {
  const scene: Scene = {
    width: 80, height: 40, frames: 21, fps: 10, background: flat, pan: { dx: 0, dy: 0 },
    objects: [
      obj({ id: 1, category: "square", colour: "blue", size: 12, z: 5, waypoints: [{ frame: 0, x: 40, y: 20 }] }),
      obj({ id: 2, category: "circle", colour: "red", size: 5, z: 1, waypoints: [{ frame: 0, x: 8, y: 20 }, { frame: 20, x: 72, y: 20 }] }),
    ],
  };
  const v = await renderVideo(scene);
  const track = v.observations[1];
  const states = track.map((o) => o.state);
  assert.equal(states[0], "visible");
  assert.equal(states[10], "occluded"); // centre at x=40: fully behind the square
  assert.equal(track[10].visibleArea, 0);
  // Scene coordinates put pixel corners at integers; points are pixel-centred (components.ts): 0.5 less.
  assert.deepEqual({ x: track[10].x, y: track[10].y }, { x: 39.5, y: 19.5 });
  assert.equal(states[20], "visible");
  for (const o of track) {
    if (o.visibleArea >= 0.25 * o.amodalArea) assert.equal(o.state, "visible");
    else assert.equal(o.state, "occluded");
  }
  assert.ok(track.some((o) => o.state === "visible" && o.visibleArea < o.amodalArea), "a partly hidden frame stays visible");
  assert.ok(v.observations[0].every((o) => o.state === "visible"), "the occluder is always visible");
});

test("exit and re-entry: absent exactly while no pixel is in frame; sampled scenes always include one", async () => {
  const scene: Scene = {
    width: 60, height: 40, frames: 13, fps: 6, background: flat, pan: { dx: 0, dy: 0 },
    objects: [obj({ id: 1, size: 4, waypoints: [{ frame: 0, x: 30, y: 20 }, { frame: 6, x: -20, y: 20 }, { frame: 12, x: 30, y: 20 }] })],
  };
  const v = await renderVideo(scene);
  const states = v.observations[0].map((o) => o.state);
  assert.deepEqual(states, ["visible", "visible", "visible", "visible", "visible", "outside", "outside", "outside", "visible", "visible", "visible", "visible", "visible"]);
  v.observations[0].forEach((o, f) => assert.equal(o.state === "outside", o.amodalArea === 0, `frame ${f}`));
  for (const seed of [1, 2, 3, 4]) {
    const s = sampleScene(seed, { width: 64, height: 48, frames: 20, fps: 10, pan: seed % 2 === 0 });
    const st = (await renderVideo(s)).observations[0].map((o) => o.state);
    const firstOut = st.indexOf("outside");
    assert.ok(firstOut > 0 && st.slice(firstOut).includes("visible"), `seed ${seed}: ${st.join(",")}`);
  }
});

test("camera pan shifts background and objects together", async () => {
  const bg = { kind: "noise" as const, colours: [[20, 40, 60], [120, 100, 80]] as [[number, number, number], [number, number, number]], scale: 5, angle: 0, seed: 9, jitter: 6 };
  const scene: Scene = {
    width: 64, height: 32, frames: 11, fps: 10, background: bg, pan: { dx: 20, dy: -4 },
    objects: [obj({ id: 1, category: "diamond", size: 5, waypoints: [{ frame: 0, x: 40, y: 16 }] })],
  };
  const v = await renderVideo(scene);
  const o = v.observations[0];
  assert.deepEqual([o[0].x, o[0].y, o[10].x, o[10].y], [39.5, 15.5, 19.5, 19.5], "a still object moves against the camera (pixel-centred points: scene position − 0.5)");
  const r = new FrameRenderer(scene);
  r.render(0);
  const first = r.rgb.slice();
  r.render(10);
  // Background pixel (x, y) at the last frame shows what (x + 20, y - 4) showed at frame 0.
  let same = 0;
  let total = 0;
  for (let y = 4; y < 32; y++) {
    for (let x = 0; x < 44; x++) {
      if (r.owner[y * 64 + x] !== -1) continue;
      total++;
      const a = ((y - 4) * 64 + x + 20) * 3;
      const b = (y * 64 + x) * 3;
      if (first[a] === r.rgb[b] && first[a + 1] === r.rgb[b + 1] && first[a + 2] === r.rgb[b + 2]) same++;
    }
  }
  assert.ok(total > 500);
  assert.ok(same / total > 0.95, `${same}/${total} background pixels moved with the camera`);
});
