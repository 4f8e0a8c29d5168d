// Pyramidal Lucas–Kanade on synthetic images with known sub-pixel motion, an occluder and a point leaving the frame.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildPyramid, grayImage, pyrDown, samplePatch, type GrayImage } from "../../lib/tracking/pyramid";
import { LucasKanade, PointTracker, type FlowResult } from "../../lib/tracking/lk";

/** A smooth, richly textured continuous image (sum of oriented sinusoids) sampled with an offset: content moves by (dx, dy). */
function texture(w: number, h: number, dx = 0, dy = 0): GrayImage {
  const img = grayImage(w, h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = x - dx;
      const v = y - dy;
      img.data[y * w + x] = 128 + 40 * Math.sin(u * 0.21 + v * 0.07) + 30 * Math.cos(u * 0.05 - v * 0.19) + 25 * Math.sin((u + 2 * v) * 0.11 + 1.3) + 15 * Math.cos(u * 0.33 + v * 0.29);
    }
  }
  return img;
}

const flow = (): FlowResult => ({ ok: false, x: 0, y: 0, error: 0, minEig: 0 });

describe("pyramid", () => {
  it("pyrDown halves the size and keeps a constant image constant", () => {
    const img = grayImage(33, 20, new Float32Array(33 * 20).fill(77));
    const d = pyrDown(img);
    assert.equal(d.width, 17);
    assert.equal(d.height, 10);
    for (const v of d.data) assert.ok(Math.abs(v - 77) < 1e-4);
  });

  it("samplePatch interpolates bilinearly and replicates the border", () => {
    const img = grayImage(4, 3, Float32Array.from([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]));
    const out = new Float32Array(1);
    samplePatch(img, 1.5, 1.25, 1, out);
    assert.ok(Math.abs(out[0] - (11.5 + 0.25 * 10)) < 1e-5);
    samplePatch(img, -5, -5, 1, out);
    assert.equal(out[0], 0);
    samplePatch(img, 10, 10, 1, out);
    assert.equal(out[0], 23);
  });
});

describe("LucasKanade", () => {
  const shifts: Array<[number, number]> = [[0.3, -0.2], [1.7, 0.45], [-3.25, 2.6], [6.4, -5.1], [8.6, -6.2]];
  for (const [dx, dy] of shifts) {
    it(`recovers a (${dx}, ${dy}) px shift to within 0.1 px`, () => {
      const a = buildPyramid(texture(200, 160), 4);
      const b = buildPyramid(texture(200, 160, dx, dy), 4);
      const lk = new LucasKanade({ window: 21, levels: 4 });
      for (const [x, y] of [[100, 80], [60.5, 50.25], [140, 110]] as const) {
        const r = lk.track(a, b, x, y, flow());
        assert.ok(r.ok, "tracked");
        assert.ok(Math.abs(r.x - (x + dx)) <= 0.1 && Math.abs(r.y - (y + dy)) <= 0.1, `(${x},${y}) → (${r.x.toFixed(3)}, ${r.y.toFixed(3)}), expected (${x + dx}, ${y + dy})`);
      }
    });
  }

  it("refuses a point in a flat region (minimum eigenvalue check)", () => {
    const flat = buildPyramid(grayImage(120, 100, new Float32Array(120 * 100).fill(50)), 3);
    const r = new LucasKanade().track(flat, flat, 60, 50, flow());
    assert.equal(r.ok, false);
    assert.equal(r.minEig, 0);
  });

  it("a 1-pixel shift at level 0 only (levels=1) is still recovered", () => {
    const r = new LucasKanade({ levels: 1 }).track(buildPyramid(texture(80, 80), 1), buildPyramid(texture(80, 80, 1, -0.5), 1), 40, 40, flow());
    assert.ok(Math.abs(r.x - 41) < 0.05 && Math.abs(r.y - 39.5) < 0.05);
  });

  it("rejects bad options", () => {
    assert.throws(() => new LucasKanade({ window: 20 }), /odd/);
    assert.throws(() => new LucasKanade({ levels: 0 }), /levels/);
  });
});

describe("PointTracker", () => {
  it("follows a point over a sequence, visible, with accumulated error below 0.2 px", () => {
    const t = new PointTracker();
    t.start(buildPyramid(texture(240, 180), 4), 120, 90);
    let x = 0, y = 0;
    for (let f = 1; f <= 20; f++) {
      x += 1.3;
      y += Math.sin(f) * 0.8;
      const s = t.step(buildPyramid(texture(240, 180, x, y), 4));
      assert.equal(s.state, "visible", `frame ${f}`);
      assert.ok(Math.hypot(s.x - (120 + x), s.y - (90 + y)) < 0.2, `frame ${f}: off by ${Math.hypot(s.x - (120 + x), s.y - (90 + y))}`);
    }
  });

  it("marks the point occluded when something covers it", () => {
    const t = new PointTracker();
    t.start(buildPyramid(texture(200, 160), 4), 100, 80);
    for (let f = 1; f <= 4; f++) assert.equal(t.step(buildPyramid(texture(200, 160, f, 0), 4)).state, "visible");
    // A textured occluder (a different pattern, its own motion) slides over the point.
    const img = texture(200, 160, 5, 0);
    const other = texture(200, 160, 37, -53);
    for (let y = 50; y < 115; y++) for (let x = 75; x < 140; x++) img.data[y * 200 + x] = 255 - other.data[y * 200 + x];
    assert.equal(t.step(buildPyramid(img, 4)).state, "occluded");
  });

  it("marks the point occluded when a flat occluder covers it", () => {
    const t = new PointTracker();
    t.start(buildPyramid(texture(200, 160), 4), 100, 80);
    for (let f = 1; f <= 4; f++) assert.equal(t.step(buildPyramid(texture(200, 160, f, 0), 4)).state, "visible");
    const img = texture(200, 160, 5, 0);
    for (let y = 40; y < 125; y++) for (let x = 60; x < 150; x++) img.data[y * 200 + x] = 200;
    assert.notEqual(t.step(buildPyramid(img, 4)).state, "visible");
  });

  it("says so when there is nothing to track (flat region): start() is false, step() is lost", () => {
    const flat = buildPyramid(grayImage(200, 160, new Float32Array(200 * 160).fill(90)), 4);
    const t = new PointTracker();
    assert.equal(t.start(flat, 100, 80), false);
    assert.equal(t.step(flat).state, "lost");
    assert.equal(new PointTracker().start(buildPyramid(texture(200, 160), 4), 100, 80), true);
  });

  it("reports outside when the point leaves the image", () => {
    const t = new PointTracker();
    t.start(buildPyramid(texture(200, 160), 4), 12, 80);
    let state = "visible";
    let f = 0;
    for (; f < 12 && state === "visible"; f++) state = t.step(buildPyramid(texture(200, 160, -2 * (f + 1), 0), 4)).state;
    assert.equal(state, "outside", `after ${f} frames`);
    assert.ok(f >= 6, `left too early (frame ${f})`);
  });

  it("picks a larger window for a point inside a flat disc and tracks the disc", () => {
    const disc = (cx: number, cy: number) => {
      const img = grayImage(160, 120, new Float32Array(160 * 120).fill(30));
      for (let y = 0; y < 120; y++) for (let x = 0; x < 160; x++) {
        // anti-aliased edge so the motion is sub-pixel
        const d = Math.hypot(x - cx, y - cy) - 16;
        img.data[y * 160 + x] = 30 + 150 * Math.min(1, Math.max(0, 0.5 - d));
      }
      return img;
    };
    const t = new PointTracker();
    t.start(buildPyramid(disc(60, 60), 4), 60, 60);
    assert.ok(t.window > 21, `window ${t.window}`);
    let s = t.step(buildPyramid(disc(62.5, 59.3), 4));
    s = t.step(buildPyramid(disc(65, 58.6), 4));
    assert.equal(s.state, "visible");
    assert.ok(Math.hypot(s.x - 65, s.y - 58.6) < 0.2, `(${s.x}, ${s.y})`);
  });
});
