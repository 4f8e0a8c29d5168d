// The classical fallback segmenter (no SAM2 weights): seeded colour regions re-seeded frame to frame, on a
// synthetic video with exact ground truth and on a real opencv-doc video (cup.mp4: a dark cup held by a hand).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { decodeRle, rleToBbox } from "../../lib/masks/rle";
import { generateSyntheticVideo, probeVideo, type SyntheticGroundTruth } from "../../lib/video";
import { ClassicalMaskEngine, type FrameMasks } from "../../inference/sam2";
import type { RuntimeVideo } from "../../inference/runtime";
import { samplesDir } from "../video/helpers";

const W = 160;
const H = 120;
let dir: string;
let video: RuntimeVideo;
let gt: SyntheticGroundTruth;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "gt-sam2-classical-"));
  const file = path.join(dir, "two.mp4");
  const r = await generateSyntheticVideo(file, {
    width: W, height: H, frames: 14, fps: 10,
    objects: [
      { id: 1, category: "square", colour: "red", size: 10, z: 0, path: [{ frame: 0, x: 30, y: 40 }, { frame: 13, x: 130, y: 80 }] },
      { id: 2, category: "circle", colour: "blue", size: 12, z: 1, path: [{ frame: 0, x: 120, y: 30 }, { frame: 13, x: 40, y: 90 }] },
    ],
  }, 1);
  gt = r.groundTruth;
  video = { id: "two", path: file, meta: r.meta };
});
after(() => rmSync(dir, { recursive: true, force: true }));

function centroid(m: FrameMasks["masks"][number], width: number): { x: number; y: number } {
  const bin = decodeRle(m.rle);
  let sx = 0;
  let sy = 0;
  let n = 0;
  for (let i = 0; i < bin.length; i++) if (bin[i]) { sx += i % width; sy += Math.floor(i / width); n++; }
  return { x: sx / n, y: sy / n };
}

test("classical: shapes followed forward and backward; the square hidden by the circle stops being tracked", async () => {
  const engine = new ClassicalMaskEngine();
  assert.equal(engine.engine, "classical:colour-region");
  const sq = gt.objects[0].track[2];
  const ci = gt.objects[1].track[2];
  const frames = await engine.propagate({
    video,
    prompts: [{ frame: 2, objectId: "sq", points: [[sq.x, sq.y, 1]] }, { frame: 2, objectId: "ci", points: [[ci.x, ci.y, 1]] }],
    direction: "both",
  });
  assert.deepEqual(frames.map((f) => f.frame), Array.from({ length: 14 }, (_, k) => k));
  // The circle is drawn on top: visible and followed on every frame.
  for (const f of frames) {
    const m = f.masks.find((x) => x.objectId === "ci")!;
    const p = gt.objects[1].track[f.frame];
    const c = centroid(m, W);
    // Compressed edges (4:2:0 chroma) fall outside the colour tolerance: most, not all, of the shape.
    assert.ok(m.area > 0.7 * Math.PI * 144 && m.area < 1.05 * Math.PI * 144, `frame ${f.frame}: circle area ${m.area}`);
    assert.ok(Math.hypot(c.x - p.x, c.y - p.y) < 2, `frame ${f.frame}: circle centre ${c.x},${c.y} vs ${p.x},${p.y}`);
  }
  // The square: followed (incl. backwards to frame 0) until the circle covers it, then it is gone for the rest.
  const sqMasks = frames.map((f) => f.masks.find((x) => x.objectId === "sq")!);
  const lost = sqMasks.findIndex((m) => m.area === 0);
  assert.ok(lost > 4 && lost < 10, `square lost at frame ${lost}`);
  for (let f = 0; f < lost; f++) {
    const p = gt.objects[0].track[f];
    const other = gt.objects[1].track[f];
    if (Math.hypot(other.x - p.x, other.y - p.y) < 30) continue; // partly covered
    const c = centroid(sqMasks[f], W);
    assert.ok(sqMasks[f].area > 0.6 * 400 && sqMasks[f].area < 1.05 * 400, `frame ${f}: square area ${sqMasks[f].area}`);
    assert.ok(Math.hypot(c.x - p.x, c.y - p.y) < 2, `frame ${f}: square centre ${c.x},${c.y} vs ${p.x},${p.y}`);
  }
  for (let f = lost; f < 14; f++) assert.equal(sqMasks[f].area, 0, `frame ${f}: the square stays lost once gone`);
});

test("classical: a real video (opencv-doc cup.mp4), positive click on the cup and a negative one on the hand", async (t) => {
  const file = path.join(await samplesDir(), "cup.mp4");
  if (!existsSync(file)) return t.skip("cup.mp4 not in the samples");
  const meta = await probeVideo(file);
  const engine = new ClassicalMaskEngine();
  const frames = await engine.propagate({
    video: { id: "cup", path: file, meta },
    prompts: [{ frame: 8, objectId: "cup", points: [[345, 300, 1], [500, 240, 0]] }],
    direction: "both",
    endFrame: 15,
  });
  assert.deepEqual(frames.map((f) => f.frame), Array.from({ length: 16 }, (_, k) => k));
  // The cup (seen in the frames): x ≈ 305-420, y ≈ 120-395, about 18 000 px; the hand and wall are excluded.
  for (const f of frames) {
    const m = f.masks[0];
    assert.ok(m.area > 15_000 && m.area < 24_000, `frame ${f.frame}: area ${m.area}`);
    const [x, y, w, h] = rleToBbox(m.rle);
    assert.ok(x > 290 && x + w < 440 && y > 100 && y + h < 410, `frame ${f.frame}: box ${[x, y, w, h].map(Math.round)}`);
  }
  const prompt = decodeRle(frames[8].masks[0].rle);
  assert.equal(prompt[300 * meta.width + 345], 1, "the positive click is inside the mask");
  assert.equal(prompt[240 * meta.width + 500], 0, "the negative click is outside the mask");
});
