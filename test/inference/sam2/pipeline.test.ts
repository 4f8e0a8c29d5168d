// The pipelined loop (image encoder one frame ahead on a worker with its own session, encoder-worker.ts) gives
// exactly the sequential loop's masks and scores, forward and backward, for several objects; a worker that dies
// mid-propagation or cannot load its model falls back to this thread with the same results; a cancelled
// propagation leaves the worker usable. Frames come from the video as raw RGB, the exact pixels of lossless PNGs.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type { Worker } from "node:worker_threads";
import type * as ort from "onnxruntime-node";
import { PNG } from "pngjs";
import { FrameStore, generateSyntheticVideo, type SyntheticGroundTruth, type VideoMeta } from "../../../lib/video";
import { RuntimeError, type RuntimeVideo } from "../../../inference/runtime";
import { chunkFramesFor, FrameReader } from "../../../inference/sam2/frames";
import { findModelFiles, loadModelSet, releaseModelSet, type Sam2ModelSet } from "../../../inference/sam2/models";
import { choosePipeline, EncoderWorker, PIPELINE_MAX_ENCODER_RATIO, PIPELINE_MIN_ENCODER_MS } from "../../../inference/sam2/encoder-worker";
import { Sam2MaskEngine, Sam2Modules, type EncodedFrame } from "../../../inference/sam2/sam2-engine";
import { writeTinyModels } from "../../../inference/sam2/testing/tiny-models";
import type { MaskPrompt, PropagateRequest } from "../../../inference/sam2/types";

const FRAMES = 10;
let dir: string;
let video: RuntimeVideo;
let gt: SyntheticGroundTruth;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "gt-sam2-pipeline-"));
  const file = path.join(dir, "v.mp4");
  const r = await generateSyntheticVideo(file, {
    width: 96, height: 72, frames: FRAMES, fps: 10,
    objects: [
      { id: 1, category: "square", colour: "red", size: 10, path: [{ frame: 0, x: 18, y: 18 }, { frame: FRAMES - 1, x: 72, y: 52 }] },
      { id: 2, category: "circle", colour: "blue", size: 10, path: [{ frame: 0, x: 78, y: 18 }, { frame: FRAMES - 1, x: 24, y: 56 }] },
      { id: 3, category: "square", colour: "green", size: 9, path: [{ frame: 0, x: 48, y: 60 }, { frame: FRAMES - 1, x: 50, y: 14 }] },
    ],
  }, 3);
  gt = r.groundTruth;
  video = { id: "v", path: file, meta: r.meta as VideoMeta };
  writeTinyModels(path.join(dir, "aimol"));
  writeTinyModels(path.join(dir, "pagarcia"), { naming: "pagarcia", occlusion: false });
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function load(sub = "aimol"): Promise<Sam2ModelSet> {
  const found = findModelFiles(path.join(dir, sub));
  assert.ok("files" in found);
  return loadModelSet(path.join(dir, sub), found.files, "cpu");
}

/** Counts the runs of this thread's encoder session. */
function countEncoderRuns(set: Sam2ModelSet): { runs: number } {
  const c = { runs: 0 };
  const session = set.encoder.session;
  const run = session.run.bind(session) as (f: Record<string, ort.Tensor>) => Promise<ort.InferenceSession.ReturnType>;
  Object.defineProperty(session, "run", { value: (f: Record<string, ort.Tensor>) => (c.runs++, run(f)) });
  return c;
}

const click = (id: number, frame: number): MaskPrompt => {
  const p = gt.objects.find((o) => o.id === id)!.track[frame];
  return { frame, objectId: String(id), points: [[p.x, p.y, 1]] };
};

/** Three objects, clicked on two frames (object 3 on a later one), tracked forward then backward. */
const request = (): PropagateRequest => ({ video, prompts: [click(1, 4), click(2, 4), click(3, 6)], direction: "both" });

function workerOf(engine: Sam2MaskEngine): Worker | undefined {
  return (engine as unknown as { modules: { encoderWorker?: { worker?: Worker } } }).modules.encoderWorker?.worker;
}

test("pipelined = sequential loop, bit for bit (masks, scores), forward and backward, three objects, both export namings", async () => {
  for (const sub of ["aimol", "pagarcia"]) {
    const a = await load(sub);
    const mainRuns = countEncoderRuns(a);
    const pipelined = new Sam2MaskEngine(a, { pipeline: true });
    const sequential = new Sam2MaskEngine(await load(sub), { pipeline: false });
    try {
      assert.equal(pipelined.pipeline.enabled, true);
      assert.equal(sequential.pipeline.enabled, false);
      const x = await pipelined.propagate(request());
      const y = await sequential.propagate(request());
      assert.equal(x.length, FRAMES);
      assert.deepEqual(x, y, sub);
      // A comparison of real masks: every object is found on every frame.
      for (const f of x) for (const m of f.masks) assert.ok(m.area > 0, `${sub} frame ${f.frame} object ${m.objectId}: empty mask`);
      // Every encoder run happened on the worker: prompted frames 4 and 6, and every frame some object tracks.
      assert.equal(mainRuns.runs, 0);
      assert.equal(pipelined.pipeline.workerRuns, 2 + FRAMES);
      assert.equal(pipelined.pipeline.failure, undefined);
      // Forward only and backward only from a later start, on the same worker.
      for (const direction of ["forward", "backward"] as const) {
        const req: PropagateRequest = { video, prompts: [click(1, 5), click(3, 5)], direction };
        assert.deepEqual(await pipelined.propagate(req), await sequential.propagate(req), `${sub} ${direction}`);
      }
    } finally {
      await pipelined.close();
      await sequential.close();
    }
  }
});

test("the worker's encoder outputs are the bytes of this thread's session, frame after frame", async () => {
  const set = await load();
  const onWorker = new Sam2Modules(set, true, true);
  const here = new Sam2Modules(set, true, false);
  const reader = new FrameReader(video);
  const bytes = (t: ort.Tensor) => Buffer.from((t.data as Float32Array).buffer, (t.data as Float32Array).byteOffset, (t.data as Float32Array).byteLength);
  const same = (a: EncodedFrame, b: EncodedFrame, what: string) => {
    for (const k of ["pixFeat", "highRes0", "highRes1", "visionFeats", "visionPos"] as const) {
      assert.deepEqual(a[k].dims, b[k].dims, `${what} ${k} dims`);
      assert.ok(bytes(a[k]).equals(bytes(b[k])), `${what} ${k} bytes`);
    }
  };
  try {
    for (const f of [0, 7, 3]) {
      const img = await reader.read(f);
      const copy = img.data.slice();
      same(await onWorker.encodeFrame(await onWorker.prepareFrame(img)), await here.encodeFrame(await here.prepareFrame(img)), `frame ${f}`);
      assert.deepEqual(img.data, copy, "the caller's frame is untouched");
    }
    assert.equal(onWorker.encoderWorker!.runs, 3, "every frame went to the worker");
    assert.equal(onWorker.encoderWorker!.failure, undefined);
  } finally {
    await reader.close();
    await onWorker.close();
    await here.close();
    await releaseModelSet(set);
  }
});

test("frames read for the loop are the exact pixels of the lossless PNG frames; a frame of the wrong size is a clear error", async () => {
  const reader = new FrameReader(video);
  const cache = mkdtempSync(path.join(dir, "png-"));
  const store = new FrameStore({ cacheDir: cache, chunkSize: 4, format: "png" });
  try {
    for (const f of [0, 5, FRAMES - 1]) {
      const png = PNG.sync.read(await store.readFrame(video, f));
      const img = await reader.read(f);
      assert.equal(img.width, png.width);
      assert.equal(img.height, png.height);
      const rgb = new Uint8Array(png.width * png.height * 3);
      for (let i = 0; i < png.width * png.height; i++) rgb.set(png.data.subarray(i * 4, i * 4 + 3), i * 3);
      assert.ok(Buffer.from(img.data).equals(Buffer.from(rgb)), `frame ${f}: same bytes`);
    }
  } finally {
    await reader.close();
    rmSync(cache, { recursive: true, force: true });
  }
  // Raw chunks shrink for large frames (at most ~128 MB a chunk, three on disk at once).
  assert.deepEqual([chunkFramesFor(320, 240), chunkFramesFor(1920, 1080), chunkFramesFor(3840, 2160), chunkFramesFor(7680, 4320)], [32, 21, 5, 2]);
  // An index that promises another size (a re-encoded file behind the same id): the raw frame does not fit.
  const wrong = new FrameReader({ ...video, meta: { ...video.meta, width: video.meta.width + 2 } });
  try {
    await assert.rejects(wrong.read(1), (e: Error) => e instanceof RuntimeError && e.code === "video_unreadable" && /98×72 RGB frame/.test(e.message) && /re-ingest/.test(e.message));
  } finally {
    await wrong.close();
  }
});

test("a worker that exits mid-propagation: its frames and all later ones are encoded on this thread, same masks", async () => {
  const a = await load();
  const mainRuns = countEncoderRuns(a);
  const pipelined = new Sam2MaskEngine(a, { pipeline: true });
  const sequential = new Sam2MaskEngine(await load(), { pipeline: false });
  try {
    const expected = await sequential.propagate(request());
    let killed = false;
    const got = await pipelined.propagate({
      ...request(),
      onFrame: (fm) => {
        if (fm.frame === 6 && !killed) {
          killed = true;
          // The worker's own shutdown, queued behind the frame it is encoding: it exits between frames, as a worker
          // that dies in JS does (terminate() here could land inside session.run, which aborts the process).
          workerOf(pipelined)?.postMessage({ close: true });
        }
      },
    });
    assert.ok(killed);
    assert.deepEqual(got, expected);
    assert.match(pipelined.pipeline.failure ?? "", /exited/);
    assert.ok(mainRuns.runs > 0 && pipelined.pipeline.workerRuns > 0, `worker ${pipelined.pipeline.workerRuns}, here ${mainRuns.runs}`);
    assert.equal(mainRuns.runs + pipelined.pipeline.workerRuns, 2 + FRAMES);
    // The next propagation runs on this thread from the start.
    assert.deepEqual(await pipelined.propagate(request()), expected);
  } finally {
    await pipelined.close();
    await sequential.close();
  }
});

test("an encoder the worker cannot load: every frame is encoded on this thread, and the reason is kept", async () => {
  const set = await load();
  const broken: Sam2ModelSet = { ...set, encoder: { ...set.encoder, file: path.join(dir, "aimol", "no-such-encoder.onnx") } };
  const pipelined = new Sam2MaskEngine(broken, { pipeline: true });
  const sequential = new Sam2MaskEngine(await load(), { pipeline: false });
  try {
    assert.deepEqual(await pipelined.propagate(request()), await sequential.propagate(request()));
    assert.equal(pipelined.pipeline.workerRuns, 0);
    assert.match(pipelined.pipeline.failure ?? "", /no-such-encoder\.onnx/);
  } finally {
    await pipelined.close();
    await sequential.close();
  }
});

test("a cancelled pipelined propagation rejects as cancelled and leaves the worker usable", async () => {
  const pipelined = new Sam2MaskEngine(await load(), { pipeline: true });
  const sequential = new Sam2MaskEngine(await load(), { pipeline: false });
  try {
    const ac = new AbortController();
    await assert.rejects(
      pipelined.propagate({ ...request(), signal: ac.signal, onFrame: (fm) => fm.frame === 5 && ac.abort() }),
      (e: Error) => e.name === "RuntimeError" && (e as Error & { code: string }).code === "cancelled",
    );
    const runs = pipelined.pipeline.workerRuns;
    assert.deepEqual(await pipelined.propagate(request()), await sequential.propagate(request()));
    assert.equal(pipelined.pipeline.workerRuns, runs + 2 + FRAMES);
    assert.equal(pipelined.pipeline.failure, undefined);
  } finally {
    await pipelined.close();
    await sequential.close();
  }
});

test("auto mode (the default): decided after one timed tracked frame; a tiny encoder stays here, a slow enough one goes to the worker, one that dwarfs the rest stays here", async () => {
  const a = await load();
  const mainA = countEncoderRuns(a);
  const saidDefault: string[] = [];
  const byDefault = new Sam2MaskEngine(a, { log: (m) => saidDefault.push(m) });
  const b = await load();
  const mainB = countEncoderRuns(b);
  // Every encoder run is "slow enough" with a minimum of 0 ms, and none is too long with no maximum ratio.
  const said: string[] = [];
  const eager = new Sam2MaskEngine(b, { pipelineMinEncoderMs: 0, pipelineMaxEncoderRatio: Infinity, log: (m) => said.push(m) });
  const c = await load();
  const mainC = countEncoderRuns(c);
  // Ratio 0: any encoder is too long next to the rest of the frame.
  const saidDwarfed: string[] = [];
  const dwarfed = new Sam2MaskEngine(c, { pipelineMinEncoderMs: 0, pipelineMaxEncoderRatio: 0, log: (m) => saidDwarfed.push(m) });
  const sequential = new Sam2MaskEngine(await load(), { pipeline: false });
  try {
    const expected = await sequential.propagate(request());
    assert.equal(byDefault.pipeline.enabled, false, "undecided before the first frame");
    assert.deepEqual(await byDefault.propagate(request()), expected);
    assert.deepEqual(await eager.propagate(request()), expected);
    assert.deepEqual(await dwarfed.propagate(request()), expected);
    // The tiny encoder runs in well under a millisecond: everything stayed here.
    assert.deepEqual([byDefault.pipeline.enabled, byDefault.pipeline.workerRuns, mainA.runs], [false, 0, 2 + FRAMES]);
    assert.equal(byDefault.pipeline.decision?.pipelined, false);
    assert.deepEqual(saidDefault.map((m) => /on the loop's thread .*too short to be worth a worker\)$/.test(m)), [true]);
    // The prompted frames (4 and 6) and the first tracked frame were encoded here (timed), the worker the rest.
    const d = eager.pipeline.decision;
    assert.ok(d && d.pipelined && d.encoderMs > 0 && d.mainMs > 0, JSON.stringify(d));
    assert.equal(eager.pipeline.enabled, true);
    assert.deepEqual([mainB.runs, eager.pipeline.workerRuns], [3, 2 + FRAMES - 3]);
    // The decision is logged once, with the times it was taken on.
    assert.equal(said.length, 1);
    assert.match(said[0], /^sam2: image encoder on a worker thread, one frame ahead \(encoder [\d.]+ ms, the rest of a tracked frame [\d.]+ ms\)$/);
    assert.deepEqual(await eager.propagate(request()), expected);
    // Decided against the worker after the timed frame: it never encoded anything.
    assert.deepEqual([dwarfed.pipeline.enabled, dwarfed.pipeline.decision?.pipelined, dwarfed.pipeline.workerRuns, mainC.runs], [false, false, 0, 2 + FRAMES]);
    assert.deepEqual(saidDwarfed.map((m) => /on the loop's thread .*keep the cores busy by itself\)$/.test(m)), [true]);
  } finally {
    await byDefault.close();
    await eager.close();
    await dwarfed.close();
    await sequential.close();
  }
});

test("choosePipeline: an encoder worth overlapping is neither negligible nor far longer than the rest of a frame", () => {
  // Measured here (2 cores, SAM2-shape models, first tracked frame): a 13–29 ms encoder beside 33–62 ms of the loop's
  // own work gained from the worker; a 100–113 ms encoder beside 35–53 ms lost (it keeps both cores busy by itself).
  assert.equal(choosePipeline(29, 62), true);
  assert.equal(choosePipeline(13, 33), true);
  assert.equal(choosePipeline(113, 53), false);
  assert.equal(choosePipeline(100, 35), false);
  assert.equal(choosePipeline(0.5, 2), false, "below PIPELINE_MIN_ENCODER_MS");
  assert.equal(choosePipeline(PIPELINE_MIN_ENCODER_MS, 100), true, "the minimum is inclusive");
  assert.equal(choosePipeline(PIPELINE_MAX_ENCODER_RATIO * 20, 20), true, "the ratio is inclusive");
});

test("an encoder worker closed while its session is still loading exits cleanly (terminating it then aborted the process)", async () => {
  const set = await load();
  try {
    // Closes at 0–200 ms after the start, across the window where onnxruntime creates the worker's session (the old
    // terminate() aborted the process in one of two runs of 20 such closes here).
    for (let i = 0; i < 20; i++) {
      const w = new EncoderWorker(set, () => Promise.reject(new Error("not used")));
      w.start();
      await new Promise((r) => setTimeout(r, (i * 23) % 200));
      await w.close();
      assert.equal(w.failure, undefined);
    }
    // Frames sent before close() are still encoded (the worker finishes its queue, then exits).
    const w = new EncoderWorker(set, () => Promise.reject(new Error("the worker should have encoded it")));
    const frame = { width: 8, height: 8, data: new Uint8Array(8 * 8 * 3).fill(90) };
    const encoded = w.encode(frame);
    await w.close();
    assert.ok((await encoded).pixFeat.dims.length > 0);
    assert.equal(w.runs, 1);
  } finally {
    await releaseModelSet(set);
  }
});

test("a frame the worker fails on is encoded on this thread; the worker is retired and exits when idle, the frame queued behind it too", async () => {
  const set = await load();
  try {
    const here: number[] = [];
    const local = { pixFeat: { dims: [] } } as unknown as EncodedFrame;
    const w = new EncoderWorker(set, async (source) => {
      here.push(source.width);
      return local;
    });
    const good = { width: 8, height: 8, data: new Uint8Array(8 * 8 * 3).fill(90) };
    // A negative width makes the worker's resize throw (an error reply), as a frame its session fails on would.
    const bad = { width: -8, height: 8, data: new Uint8Array(8 * 8 * 3) };
    const [first, failed, queued] = await Promise.all([w.encode(good), w.encode(bad), w.encode(good)]);
    assert.ok(first.pixFeat.dims.length > 0, "the first frame was encoded by the worker");
    assert.equal(failed, local);
    // The worker was running (or about to run) the frame queued behind the failed one when it was retired: that frame
    // is done here, and the worker finishes it before it exits (terminating it inside session.run aborts the process).
    assert.equal(queued, local);
    assert.deepEqual(here, [-8, 8]);
    assert.match(w.failure ?? "", /^encoder worker error: /);
    assert.equal(await w.encode(good), local, "later frames stay on this thread");
    assert.equal(w.runs, 1);
    await w.close();
  } finally {
    await releaseModelSet(set);
  }
});

test("frame files for the encoder worker: it reads them itself, with this thread's results; a leased file outlives the walk until released", async () => {
  const set = await load();
  const onWorker = new Sam2Modules(set, true, true);
  const here = new Sam2Modules(set, true, false);
  // Chunks of 2 frames: reading frame 6 drops the chunk of frames 0–1.
  const reader = new FrameReader(video, undefined, 2);
  const bytes = (t: ort.Tensor) => Buffer.from((t.data as Float32Array).buffer, (t.data as Float32Array).byteOffset, (t.data as Float32Array).byteLength);
  try {
    const prepared = await onWorker.prepareFrom(reader, 1);
    assert.ok("file" in prepared, "the worker gets the frame's file, not its bytes");
    const file = prepared.file;
    assert.equal(readFileSync(file.path).length, video.meta.width * video.meta.height * 3);
    await reader.read(4);
    await reader.read(6);
    await new Promise((r) => setTimeout(r, 50)); // dropped chunks are deleted once their decode promise settles
    assert.ok(existsSync(file.path), "the leased file is still there after its chunk was dropped");
    const encoded = await onWorker.encodeFrame(prepared);
    assert.ok(!existsSync(file.path), "released once encoded: the dropped chunk is deleted");
    assert.equal(onWorker.encoderWorker!.runs, 1, "encoded on the worker");
    const expected = await here.encodeFrame(await here.prepareFrame(await reader.read(1))); // decoded again
    for (const k of ["pixFeat", "highRes0", "highRes1", "visionFeats", "visionPos"] as const) assert.ok(bytes(encoded[k]).equals(bytes(expected[k])), `${k} bytes`);
    // Without the worker (or before "auto" decides), frames are read here as before.
    assert.ok("input" in (await here.prepareFrom(reader, 7)));
  } finally {
    await reader.close();
    await onWorker.close();
    await here.close();
    await releaseModelSet(set);
  }
});

test("a frame file the worker cannot use is read on this thread, which reports what is wrong; the worker stays", async () => {
  const set = await load();
  const onWorker = new Sam2Modules(set, true, true);
  // An index that promises another size: the file on disk is 96×72, the worker expects 98×72.
  const wrong = new FrameReader({ ...video, meta: { ...video.meta, width: video.meta.width + 2 } });
  const reader = new FrameReader(video);
  try {
    const prepared = await onWorker.prepareFrom(wrong, 2);
    assert.ok("file" in prepared);
    await assert.rejects(onWorker.encodeFrame(prepared), (e: Error) => e instanceof RuntimeError && e.code === "video_unreadable" && /98×72 RGB frame/.test(e.message));
    const w = onWorker.encoderWorker!;
    assert.equal(w.failure, undefined, "not the worker's fault: it is not retired");
    assert.equal(w.runs, 0);
    await onWorker.encodeFrame(await onWorker.prepareFrom(reader, 2));
    assert.equal(w.runs, 1, "the next frame is encoded on the worker");
  } finally {
    await wrong.close();
    await reader.close();
    await onWorker.close();
    await releaseModelSet(set);
  }
});

test("the prompted frames go to the encoder worker before the pass's frames read ahead (the first result waits for them alone)", async () => {
  const set = await load();
  const engine = new Sam2MaskEngine(set, { pipeline: true });
  const order: number[] = [];
  const encode = EncoderWorker.prototype.encode;
  EncoderWorker.prototype.encode = function (this: EncoderWorker, source) {
    order.push("path" in source ? Number(/(\d+)\.rgb$/.exec(source.path)?.[1]) : -1);
    return encode.call(this, source);
  };
  try {
    await engine.propagate({ video, prompts: [click(1, 4), click(2, 6)], direction: "forward" });
    // The prompted frames, then the pass in order (frames 4 and 6 are tracked for the object prompted elsewhere).
    assert.deepEqual(order, [4, 6, 4, 5, 6, 7, 8, 9]);
  } finally {
    EncoderWorker.prototype.encode = encode;
    await engine.close();
  }
});
