// The SAM2 loop's pipeline: the worker-thread preprocessing gives exactly the masks of on-thread preprocessing,
// frames whose objects all reuse their prompted output get no encoder run, and the reused memory-attention window
// feeds the same bytes as fresh concatenations.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type * as ort from "onnxruntime-node";
import { generateSyntheticVideo, type SyntheticGroundTruth, type VideoMeta } from "../../../lib/video";
import type { RuntimeVideo } from "../../../inference/runtime";
import { findModelFiles, loadModelSet, type Sam2ModelSet } from "../../../inference/sam2/models";
import { decodeRle } from "../../../lib/masks/rle";
import { MemoryWindow } from "../../../inference/sam2/memory-window";
import { Sam2MaskEngine } from "../../../inference/sam2/sam2-engine";
import { writeTinyModels } from "../../../inference/sam2/testing/tiny-models";
import type { MaskPrompt } from "../../../inference/sam2/types";

const FRAMES = 9;
let dir: string;
let video: RuntimeVideo;
let gt: SyntheticGroundTruth;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "gt-sam2-engine-"));
  const file = path.join(dir, "v.mp4");
  const r = await generateSyntheticVideo(file, {
    width: 96, height: 72, frames: FRAMES, fps: 10,
    objects: [
      { id: 1, category: "square", colour: "red", size: 12, path: [{ frame: 0, x: 20, y: 20 }, { frame: FRAMES - 1, x: 70, y: 50 }] },
      { id: 2, category: "circle", colour: "blue", size: 12, path: [{ frame: 0, x: 75, y: 20 }, { frame: FRAMES - 1, x: 25, y: 55 }] },
    ],
  }, 2);
  gt = r.groundTruth;
  video = { id: "v", path: file, meta: r.meta as VideoMeta };
  writeTinyModels(path.join(dir, "m"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function load(): Promise<Sam2ModelSet> {
  const found = findModelFiles(path.join(dir, "m"));
  assert.ok("files" in found);
  return loadModelSet(path.join(dir, "m"), found.files, "cpu");
}

/** Counts the image encoder's runs. */
function countEncoderRuns(set: Sam2ModelSet): { runs: number } {
  const c = { runs: 0 };
  const session = set.encoder.session;
  const run = session.run.bind(session) as (f: Record<string, ort.Tensor>) => Promise<ort.InferenceSession.ReturnType>;
  Object.defineProperty(session, "run", { value: (f: Record<string, ort.Tensor>) => (c.runs++, run(f)) });
  return c;
}

const prompts = (frame: number): MaskPrompt[] => gt.objects.map((o) => ({ frame, objectId: String(o.id), points: [[o.track[frame].x, o.track[frame].y, 1]] }));

test("worker and on-thread preprocessing give identical masks; the prompted frame is encoded once", async () => {
  const a = await load();
  const runs = countEncoderRuns(a);
  const withWorker = new Sam2MaskEngine(a);
  const b = await load();
  const onThread = new Sam2MaskEngine(b, { preprocessWorker: false });
  try {
    const req = { video, prompts: prompts(3), direction: "both" as const };
    const x = await withWorker.propagate(req);
    const y = await onThread.propagate(req);
    assert.equal(x.length, FRAMES);
    assert.deepEqual(x, y);
    // Both objects were followed (non-empty masks on every frame).
    for (const f of x) for (const m of f.masks) assert.ok(m.area > 20, `frame ${f.frame} object ${m.objectId}: area ${m.area}`);
    // The reported area (counted from the runs) is the decoded mask's pixel count.
    for (const f of x) for (const m of f.masks) assert.equal(decodeRle(m.rle).reduce((a, v) => a + v, 0), m.area, `frame ${f.frame} object ${m.objectId}`);
    // One run for the prompted frame 3 (shared by both objects), one per other frame: it is not encoded again
    // (on the encoder worker when the loop is pipelined, else on this thread's session).
    assert.equal(runs.runs + withWorker.pipeline.workerRuns, FRAMES);
  } finally {
    await withWorker.close();
    await onThread.close();
  }
});

test("objects prompted on different frames: a frame is encoded when any object still needs tracking there", async () => {
  const set = await load();
  const runs = countEncoderRuns(set);
  const engine = new Sam2MaskEngine(set);
  try {
    const p = [prompts(2)[0], prompts(5)[1]];
    const out = await engine.propagate({ video, prompts: p, direction: "forward", startFrame: 2 });
    assert.deepEqual(out.map((f) => f.frame), [2, 3, 4, 5, 6, 7, 8]);
    // Prompted frames 2 and 5 once each; tracked frames 2 (object 2 not prompted yet), 3..8 (frame 5: object 1).
    assert.equal(runs.runs + engine.pipeline.workerRuns, 2 + 7);
  } finally {
    await engine.close();
  }
});

test("memory attention inputs assembled in the reused window are bit-identical to fresh concatenations", async () => {
  type Capture = { copies: Float32Array[]; buffers: Set<ArrayBufferLike> };
  const capture = (set: Sam2ModelSet): Capture => {
    const c: Capture = { copies: [], buffers: new Set() };
    const session = set.attention.session;
    const name = set.attention.inputs.memory1;
    const run = session.run.bind(session) as (f: Record<string, ort.Tensor>) => Promise<ort.InferenceSession.ReturnType>;
    Object.defineProperty(session, "run", {
      value: (f: Record<string, ort.Tensor>) => {
        const d = f[name].data as Float32Array;
        c.copies.push(d.slice());
        c.buffers.add(d.buffer);
        return run(f);
      },
    });
    return c;
  };
  const req = { video, prompts: prompts(3), direction: "both" as const };
  const a = await load();
  const withWindow = capture(a);
  const engineA = new Sam2MaskEngine(a);
  const b = await load();
  const fresh = capture(b);
  const engineB = new Sam2MaskEngine(b);
  const assemble = MemoryWindow.prototype.assemble;
  try {
    const x = await engineA.propagate(req);
    // A second propagation takes the first one's windows from the pool (stale slots must never be matched).
    const calls = withWindow.copies.length;
    assert.deepEqual(await engineA.propagate(req), x);
    const again = withWindow.copies.splice(calls);
    assert.equal(again.length, calls);
    again.forEach((c, i) => assert.ok(Buffer.from(c.buffer).equals(Buffer.from(withWindow.copies[i].buffer)), `second run, attention call ${i}`));
    // The fallback the window replaces: a new array per call.
    MemoryWindow.prototype.assemble = function (memories) {
      const out = new Float32Array(memories.length * this.slotSize);
      memories.forEach((m, i) => out.set(m.features, i * this.slotSize));
      return out;
    };
    const y = await engineB.propagate(req);
    assert.deepEqual(x, y);
    assert.equal(withWindow.copies.length, fresh.copies.length);
    assert.ok(withWindow.copies.length >= 2 * (FRAMES - 1));
    withWindow.copies.forEach((c, i) => assert.ok(Buffer.from(c.buffer).equals(Buffer.from(fresh.copies[i].buffer)), `attention call ${i}: memory_1 differs`));
    // The window really is reused: one buffer per object, not one per call, and the same ones in the second run.
    assert.equal(withWindow.buffers.size, 2);
    assert.equal(fresh.buffers.size, fresh.copies.length);
  } finally {
    MemoryWindow.prototype.assemble = assemble;
    await engineA.close();
    await engineB.close();
  }
});
