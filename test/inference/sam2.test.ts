// The real SAM2 loop (onnxruntime-node, memory bank, RLE streaming) on tiny self-generated four-module models:
// a red square and a blue circle move across a synthetic video; the circle passes over the square. Clicks on
// one frame must be followed forward AND backward through the memory bank (tracked frames get no clicks, so
// the decoder only knows the object's colour from memory attention).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { decodeRle } from "../../lib/masks/rle";
import { generateSyntheticVideo, type SyntheticGroundTruth, type VideoMeta } from "../../lib/video";
import { createMaskEngine, type FrameMasks, type MaskEngine } from "../../inference/sam2";
import * as ort from "onnxruntime-node";
import { findModelFiles, loadModelSet } from "../../inference/sam2/models";
import { Sam2MaskEngine } from "../../inference/sam2/sam2-engine";
import { writeTinyModels } from "../../inference/sam2/testing/tiny-models";
import type { RuntimeVideo } from "../../inference/runtime";

const W = 160;
const H = 120;
const FRAMES = 14;
let dir: string;
let video: RuntimeVideo;
let gt: SyntheticGroundTruth;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "gt-sam2-"));
  const file = path.join(dir, "two.mp4");
  const r = await generateSyntheticVideo(file, {
    width: W, height: H, frames: FRAMES, fps: 10,
    objects: [
      { id: 1, category: "square", colour: "red", size: 10, z: 0, path: [{ frame: 0, x: 30, y: 40 }, { frame: FRAMES - 1, x: 130, y: 80 }] },
      { id: 2, category: "circle", colour: "blue", size: 12, z: 1, path: [{ frame: 0, x: 120, y: 30 }, { frame: FRAMES - 1, x: 40, y: 90 }] },
    ],
  }, 1);
  gt = r.groundTruth;
  video = { id: "two", path: file, meta: r.meta as VideoMeta };
});
after(() => rmSync(dir, { recursive: true, force: true }));

function centroid(m: FrameMasks["masks"][number]): { x: number; y: number; n: number } {
  const bin = decodeRle(m.rle);
  let sx = 0;
  let sy = 0;
  let n = 0;
  for (let i = 0; i < bin.length; i++) if (bin[i]) { sx += i % W; sy += Math.floor(i / W); n++; }
  return { x: sx / n, y: sy / n, n };
}

async function engineFor(sub: string, spec: Parameters<typeof writeTinyModels>[1] = {}): Promise<{ engine: MaskEngine; logs: string[] }> {
  const models = path.join(dir, sub);
  writeTinyModels(models, spec);
  const logs: string[] = [];
  return { engine: await createMaskEngine({ modelsDir: models, log: (m) => logs.push(m) }), logs };
}

/** Every visible ground-truth frame: the object's mask is centred on it and has a plausible area. */
function assertFollows(frames: FrameMasks[], objectId: string, gtId: number, expectArea: number): void {
  const track = gt.objects.find((o) => o.id === gtId)!.track;
  for (const fm of frames) {
    const m = fm.masks.find((x) => x.objectId === objectId)!;
    assert.deepEqual(m.rle.size, [H, W]);
    const p = track[fm.frame];
    if (p.state !== "visible") continue;
    // The square is partly covered when the circle passes near it: only check frames well clear of the circle.
    const other = gt.objects.find((o) => o.id !== gtId)!.track[fm.frame];
    if (Math.hypot(other.x - p.x, other.y - p.y) < 30) continue;
    const c = centroid(m);
    assert.ok(c.n > 0.6 * expectArea && c.n < 1.4 * expectArea, `frame ${fm.frame} object ${objectId}: area ${c.n}, expected ~${expectArea}`);
    assert.equal(m.area, c.n);
    assert.ok(Math.hypot(c.x - p.x, c.y - p.y) < 3, `frame ${fm.frame} object ${objectId}: mask centre (${c.x.toFixed(1)}, ${c.y.toFixed(1)}) vs object (${p.x.toFixed(1)}, ${p.y.toFixed(1)})`);
  }
}

test("SAM2 loop on tiny models: two objects clicked on frame 3 are followed forward and backward", async () => {
  const { engine, logs } = await engineFor("aimol");
  assert.equal(engine.engine, "sam2:tiny-128-aimol@cpu");
  assert.match(logs.join("\n"), /on CPU/);
  const sq = gt.objects[0].track[3];
  const ci = gt.objects[1].track[3];
  const streamed: number[] = [];
  const frames = await engine.propagate({
    video,
    prompts: [
      { frame: 3, objectId: "square", points: [[sq.x, sq.y, 1]] },
      { frame: 3, objectId: "circle", points: [[ci.x, ci.y, 1], [10, 10, 0]] },
    ],
    direction: "both",
    onFrame: (f) => streamed.push(f.frame),
  });
  await engine.close();
  // Forward from the prompt frame to the end, then backward from the frame before it.
  assert.deepEqual(streamed, [...Array.from({ length: FRAMES - 3 }, (_, k) => 3 + k), 2, 1, 0]);
  assert.deepEqual(frames.map((f) => f.frame), Array.from({ length: FRAMES }, (_, k) => k));
  for (const f of frames) assert.deepEqual(f.masks.map((m) => m.objectId), ["square", "circle"]);
  assertFollows(frames, "square", 1, 20 * 20 * 0.8);
  assertFollows(frames, "circle", 2, Math.PI * 12 * 12 * 0.8);
  // Frames 0-2 come only from the reverse pass, which needs the memory bank.
  const early = frames[0].masks.find((m) => m.objectId === "square")!;
  assert.ok(early.area > 200, `frame 0 square area ${early.area}`);
});

test("SAM2 loop: pagarcia tensor names, legacy attention without pointer offsets, no occlusion output; forward only", async () => {
  const { engine } = await engineFor("pagarcia", { naming: "pagarcia", objPtrOffsets: false, occlusion: false });
  assert.equal(engine.engine, "sam2:tiny-128-pagarcia@cpu");
  const sq = gt.objects[0].track[5];
  const frames = await engine.propagate({ video, prompts: [{ frame: 5, objectId: "7", points: [[sq.x, sq.y, 1]] }], direction: "forward", endFrame: 8 });
  await engine.close();
  assert.deepEqual(frames.map((f) => f.frame), [5, 6, 7, 8]);
  assertFollows(frames, "7", 1, 20 * 20 * 0.8);
  // Without an IoU or presence output the score is 1 (nothing to report).
  assert.equal(frames[1].masks[0].score, 1);
});

test("SAM2 loop: backward only, cancellation, and bad prompts are rejected before any work", async () => {
  const { engine } = await engineFor("aimol2");
  const ci = gt.objects[1].track[9];
  const frames = await engine.propagate({ video, prompts: [{ frame: 9, objectId: "c", points: [[ci.x, ci.y, 1]] }], direction: "backward", endFrame: 4 });
  assert.deepEqual(frames.map((f) => f.frame), [4, 5, 6, 7, 8, 9]);
  assertFollows(frames, "c", 2, Math.PI * 12 * 12 * 0.8);
  const ac = new AbortController();
  await assert.rejects(
    engine.propagate({ video, prompts: [{ frame: 0, objectId: "c", points: [[10, 10, 1]] }], direction: "forward", signal: ac.signal, onFrame: () => ac.abort() }),
    (e: Error) => e.name === "RuntimeError" && (e as Error & { code: string }).code === "cancelled",
  );
  await assert.rejects(engine.propagate({ video, prompts: [{ frame: 99, objectId: "c", points: [[10, 10, 1]] }], direction: "forward" }), /prompts\[0\]\.frame: frame 99 does not exist/);
  await engine.close();
});

test("memory bank as fed to memory_attention: SAM2's frames, temporal rows, pointer offsets (forward and reverse)", async () => {
  const models = path.join(dir, "bank");
  writeTinyModels(models);
  const files = findModelFiles(models);
  assert.ok("files" in files);
  const set = await loadModelSet(models, files.files, "cpu");
  const feedsLog: Array<Record<string, ort.Tensor>> = [];
  const session = set.attention.session;
  const run = session.run.bind(session) as (f: Record<string, ort.Tensor>) => Promise<ort.InferenceSession.ReturnType>;
  Object.defineProperty(session, "run", { value: (f: Record<string, ort.Tensor>) => (feedsLog.push(f), run(f)) });
  const engine = new Sam2MaskEngine(set);
  const sq = gt.objects[0].track[3];
  const streamed: number[] = [];
  await engine.propagate({ video, prompts: [{ frame: 3, objectId: "s", points: [[sq.x, sq.y, 1]] }], direction: "both", onFrame: (f) => streamed.push(f.frame) });
  await engine.close();
  // One attention call per tracked frame, in processing order (the prompted frame reuses its output).
  const tracked = streamed.filter((f) => f !== 3);
  assert.equal(feedsLog.length, tracked.length);
  const feedsFor = (frame: number) => feedsLog[tracked.indexOf(frame)];
  // The tiny memory encoder's maskmem_pos_enc is cos(c+1)·0.1 per channel and temporal_code row r is 0.01·(r+1).
  const rowsOf = (f: Record<string, ort.Tensor>) => {
    const pos = f.memory_pos_embed.data as Float32Array;
    const [M] = f.memory_1.dims;
    assert.deepEqual([...f.memory_pos_embed.dims], [M * 256, 1, 4]);
    return Array.from({ length: M }, (_, i) => {
      const r = Math.round((pos[i * 256 * 4] - Math.fround(Math.cos(1) * 0.1)) / 0.01) - 1;
      for (let t = 0; t < 256; t++) for (let c = 0; c < 4; c++) {
        assert.equal(pos[(i * 256 + t) * 4 + c], Math.fround(Math.fround(Math.cos(c + 1) * 0.1) + Math.fround(0.01 * (r + 1))));
      }
      return r;
    });
  };
  const offsets = (f: Record<string, ort.Tensor>) => Array.from(f.obj_ptr_offsets.data as Float32Array).map((v) => Math.round((v * (FRAMES - 1)) / 15));
  // Forward, frame 10: the conditioning frame 3 (row 6), then frames 4..9 oldest first (rows 5..0).
  const fwd = feedsFor(10);
  assert.deepEqual(rowsOf(fwd), [6, 5, 4, 3, 2, 1, 0]);
  // Pointers: frame 3 (offset 7), then frames 9..4 (1..6); offsets are pre-scaled by 15 / (min(14, 16) - 1).
  assert.deepEqual(offsets(fwd), [7, 1, 2, 3, 4, 5, 6]);
  assert.equal((fwd.obj_ptr_offsets.data as Float32Array)[1], Math.fround(15 / 13));
  assert.deepEqual([...fwd.memory_0.dims], [7, 8]);
  // Reverse, frame 1: frame 3 (row 6); "previous" frames are later ones: 7, 6, 5, 4 (rows 5..2), 3 is the
  // conditioning frame, 2 (row 0). Pointers: frame 3 (signed offset 2), then 2 and 4..13 by distance.
  const rev = feedsFor(1);
  assert.deepEqual(rowsOf(rev), [6, 5, 4, 3, 2, 0]);
  assert.deepEqual(offsets(rev), [2, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  // First tracked frame forward (4): only the conditioning memory; pointer: frame 3 at offset 1.
  assert.deepEqual(rowsOf(feedsFor(4)), [6]);
  assert.deepEqual(offsets(feedsFor(4)), [1]);
});
