// The remote runtime sends its frames the way a vLLM server running Molmo2 learns their times, and a server reading
// the request like vLLM (checked against vLLM's code: test/fixtures/remote-vllm) writes the same timestamps as
// Molmo2's own processor; answers at those timestamps come back to the frames the model was shown.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { FrameStore, generateSyntheticVideo, type SyntheticGroundTruth, type VideoMeta } from "../../lib/video";
import { pythonFixed1, sampleMolmo2Frames } from "../../inference/frame-sampling";
import { vllmFrameListMetadata, vllmMolmo2Timestamps } from "../../inference/runtimes/remote-vllm";
import { answerGrid, frameForTime, RemoteRuntime } from "../../inference/runtimes/remote";
import { RuntimeError } from "../../inference/runtime";
import { molmo2TrackAnswer, startMolmo2Stub } from "../helpers/molmo2-stub";
import { startVllmMolmo2Server, vllmLoadJpegFrames, vllmMolmo2FrameTimestamps, vllmMolmo2View, type VllmMolmo2View } from "./remote-vllm-server";

const here = path.dirname(fileURLToPath(import.meta.url));

interface Case {
  input: { frameCount: number; fps: number; samplingFps: number; maxFrames: number };
  processor: { mode: "fps" | "uniform_last_frame"; times: number[]; frames: number[]; timestamps: string[] };
  request: { media_io_kwargs: { video: Record<string, unknown> }; mm_processor_kwargs: Record<string, unknown> };
  vllm: { framesRead: number; metadata: Record<string, unknown>; timestamps: string[]; prefixes: string[] };
}
interface Probe {
  why: string;
  media_io_kwargs: { video?: Record<string, unknown> };
  framesSent: number;
  vllm: { error: string } | { framesRead: number; metadata: Record<string, unknown>; timestamps: string[] };
}
const fixture = JSON.parse(readFileSync(path.join(here, "..", "fixtures", "remote-vllm", "molmo2-vllm-timing.json"), "utf8")) as { cases: Case[]; probes: Probe[] };

function cfrMeta(frameCount: number, fps: number): Pick<VideoMeta, "timestamps" | "fps" | "frameCount" | "isVfr"> {
  return { frameCount, fps, isVfr: false, timestamps: Array.from({ length: frameCount }, (_, i) => Math.round((i / fps) * 1e6) / 1e6) };
}

/** A frame-list chat body as the runtime sends it, with `n` placeholder frames. */
function body(n: number, mediaIo: Record<string, unknown>, mm: Record<string, unknown> = {}): Record<string, unknown> {
  const url = `data:video/jpeg;base64,${Array.from({ length: n }, () => "/9j/").join(",")}`;
  return { model: "m", messages: [{ role: "user", content: [{ type: "video_url", video_url: { url } }, { type: "text", text: "q" }] }], media_io_kwargs: mediaIo, mm_processor_kwargs: mm };
}

test("on every fixture case vLLM's Molmo2 writes the processor's timestamps for the request the runtime sends", () => {
  assert.ok(fixture.cases.length >= 20);
  const modes = new Set(fixture.cases.map((c) => c.processor.mode));
  assert.deepEqual([...modes].sort(), ["fps", "uniform_last_frame"]);
  for (const c of fixture.cases) {
    const { frameCount, fps, samplingFps, maxFrames } = c.input;
    const what = `${frameCount} frames at ${fps} fps, sampling ${samplingFps}, max ${maxFrames}`;
    const s = sampleMolmo2Frames(cfrMeta(frameCount, fps), samplingFps, maxFrames);
    // Our sampling is Molmo2's processor's (allenai/molmo2 reference)…
    assert.equal(s.mode, c.processor.mode, what);
    assert.deepEqual(s.times, c.processor.times, `${what}: times`);
    assert.deepEqual(s.frames, c.processor.frames, `${what}: frames`);
    assert.deepEqual(s.timestamps, c.processor.timestamps, `${what}: timestamps`);
    // …the request metadata is what the fixture fed to vLLM's code…
    const sent = vllmFrameListMetadata(s);
    assert.deepEqual(sent.kwargs, c.request.media_io_kwargs.video, `${what}: media_io_kwargs.video`);
    assert.deepEqual({ media_io_kwargs: { video: sent.kwargs }, mm_processor_kwargs: { do_sample_frames: false } }, c.request);
    // …vLLM's code read every frame and wrote the processor's timestamps before them (reference against reference)…
    assert.equal(c.vllm.framesRead, s.times.length, what);
    assert.deepEqual(c.vllm.timestamps, c.processor.timestamps, `${what}: vLLM timestamps = processor timestamps`);
    assert.deepEqual(c.vllm.prefixes, c.processor.timestamps.map((t, k) => `${k ? " " : ""}${t} `));
    // …and the runtime's own account of the server, and the test server's reading, agree with vLLM's code.
    assert.deepEqual(sent.timestamps, c.vllm.timestamps, what);
    assert.deepEqual(vllmMolmo2Timestamps(sent.kwargs.frames_indices, sent.kwargs.fps), c.vllm.timestamps);
    const view = vllmMolmo2View(body(s.times.length, c.request.media_io_kwargs, c.request.mm_processor_kwargs));
    assert.deepEqual({ ...view.metadata }, c.vllm.metadata, `${what}: metadata`);
    assert.deepEqual(view.timestamps, c.vllm.timestamps);
  }
  // Both clocks occur: the frame grid (evenly spaced times) and milliseconds (uniform_last_frame's final time).
  const clocks = new Set(fixture.cases.map((c) => vllmFrameListMetadata(sampleMolmo2Frames(cfrMeta(c.input.frameCount, c.input.fps), c.input.samplingFps, c.input.maxFrames)).clock));
  assert.deepEqual([...clocks].sort(), ["frame-grid", "milliseconds"]);
});

test("the test server reads frame-list requests exactly as vLLM's code does (defaults, the 32-frame cap, refusals)", () => {
  assert.ok(fixture.probes.some((p) => "error" in p.vllm));
  for (const p of fixture.probes) {
    const data = Array.from({ length: p.framesSent }, () => "/9j/").join(",");
    if ("error" in p.vllm) {
      assert.throws(() => vllmLoadJpegFrames(data, p.media_io_kwargs.video), (e: unknown) => (e as Error).message === (p.vllm as { error: string }).error, p.why);
      continue;
    }
    const r = vllmLoadJpegFrames(data, p.media_io_kwargs.video);
    assert.equal(r.frames.length, p.vllm.framesRead, p.why);
    assert.deepEqual({ ...r.metadata }, p.vllm.metadata, p.why);
    assert.deepEqual(vllmMolmo2FrameTimestamps(r.metadata), p.vllm.timestamps, p.why);
  }
});

test("a sampling no clock can express is refused before anything is sent", () => {
  const s = sampleMolmo2Frames(cfrMeta(45, 30000 / 1001), 2, 128);
  assert.throws(() => vllmFrameListMetadata({ ...s, timestamps: s.timestamps.map((t, k) => (k === 1 ? "9.9" : t)) }), (e: unknown) => e instanceof RuntimeError && e.code === "model_invalid");
});

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "gt-remote-vllm-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A clip with one red dot moving steadily left to right (about 2 px per frame). */
async function clip(name: string, frames: number, fps: number): Promise<{ file: string; meta: VideoMeta; gt: SyntheticGroundTruth }> {
  const file = path.join(dir, `${name}.mp4`);
  const r = await generateSyntheticVideo(file, { width: 128, height: 48, frames, fps, objects: [{ id: 1, category: "circle", colour: "red", size: 8, path: [{ frame: 0, x: 10, y: 24 }, { frame: frames - 1, x: 118, y: 24 }] }] }, 5);
  return { file, meta: r.meta as VideoMeta, gt: r.groundTruth };
}

for (const [name, frames, fps] of [["ntsc", 45, 30000 / 1001], ["thirty", 45, 30]] as const) {
  test(`end to end (${name}): the server sees the processor's frames and timestamps; answers come back to the frames shown`, async () => {
    const { file, meta, gt } = await clip(name, frames, fps);
    const store = new FrameStore({ cacheDir: path.join(dir, `store-${name}`), chunkSize: 16, format: "jpeg", quality: 90, maxConcurrentDecodes: 1 });
    const source = { id: name, path: file, meta };
    const nativeOf = new Map<string, number>();
    for (let f = 0; f < meta.frameCount; f++) nativeOf.set((await store.readFrame(source, f)).toString("base64"), f);
    // The model answers on its 2 fps grid, reading each position off the frame it was shown at that timestamp.
    const answer = (view: VllmMolmo2View): string => {
      const out = [];
      for (let k = 0; k / 2 <= meta.timestamps.at(-1)! + 1e-9; k++) {
        const at = view.timestamps.indexOf(pythonFixed1(k / 2));
        if (at < 0) continue;
        const f = nativeOf.get(view.frames[at]!.toString("base64"));
        assert.ok(f !== undefined, "the server received a frame of the video");
        out.push({ time: k / 2, points: [{ id: 1, x: gt.objects[0]!.track[f]!.x, y: gt.objects[0]!.track[f]!.y }] });
      }
      return molmo2TrackAnswer(out, { width: meta.width, height: meta.height }, "red dot");
    };
    const server = await startVllmMolmo2Server(answer);
    try {
      const rt = new RemoteRuntime({ endpoint: server.url, model: "allenai/Molmo2-8B", retries: 0 });
      const r = await rt.query({ video: { id: name, path: file, meta }, expression: "red dot", signal: new AbortController().signal });
      const got = server.seen.at(-1)!;
      assert.equal(got.error, null);
      const want = sampleMolmo2Frames(meta, 2, 128);
      // The request carries the timing (every frame counted: vLLM reads only 32 without num_frames) and asks the
      // HF processor not to re-sample.
      assert.deepEqual(got.body.media_io_kwargs, { video: vllmFrameListMetadata(want).kwargs });
      assert.equal((got.body.media_io_kwargs as { video: { num_frames: number } }).video.num_frames, want.frames.length);
      assert.deepEqual(got.body.mm_processor_kwargs, { do_sample_frames: false });
      // Frames: the processor's, in its order; timestamps: the processor's text.
      assert.deepEqual(got.view!.frames.map((b) => nativeOf.get(b.toString("base64"))), want.frames);
      assert.deepEqual(got.view!.timestamps, want.timestamps);
      const kfs = r.tracks.objects[0]!.keyframes;
      assert.deepEqual(kfs.map((k) => k.frame), answerGrid(meta, 2, want).frames);
      for (const k of kfs) {
        const g = gt.objects[0]!.track[k.frame]!;
        assert.ok(Math.abs(k.x - g.x) <= meta.width / 1000 && Math.abs(k.y - g.y) <= meta.height / 1000, `frame ${k.frame}: ${k.x},${k.y} vs ${g.x},${g.y}`);
      }
      if (name === "ntsc") {
        // 0.5 s on a 29.97 fps clip: the model saw frame 14 (playing at 0.5 s); the nearest native frame is 15.
        assert.equal(frameForTime(meta, 0.5, want), 14);
        assert.equal(frameForTime(meta, 0.5), 15);
        assert.ok(kfs.some((k) => k.frame === 14) && !kfs.some((k) => k.frame === 15));
      }
    } finally {
      await server.close();
    }
  });
}

test("without the timing metadata a vLLM server would put the frames at 1 fps (why the runtime sends it)", () => {
  const s = sampleMolmo2Frames(cfrMeta(45, 30), 2, 128);
  const bare = vllmMolmo2View(body(s.times.length, {}));
  assert.notDeepEqual(bare.timestamps, s.timestamps);
  assert.deepEqual(bare.timestamps.slice(0, 3), ["0.0", "1.0", "2.0"]);
});

test("a server too old for frame-list metadata (Molmo2 fails on it) gets a hint to send the file", async () => {
  const { file, meta } = await clip("old-server", 12, 10);
  const stub = await startMolmo2Stub([{ kind: "status", status: 400, body: JSON.stringify({ error: { message: "VideoMetadata.__init__() missing 1 required positional argument: 'total_num_frames'" } }) }]);
  try {
    const rt = new RemoteRuntime({ endpoint: stub.url, model: "m", retries: 0 });
    await assert.rejects(rt.query({ video: { id: "o", path: file, meta }, expression: "x", signal: new AbortController().signal }), (e: unknown) => {
      assert.ok(e instanceof RuntimeError && e.code === "bad_answer");
      assert.match(e.message, /HTTP 400: .*total_num_frames.*use videoForm "file"/);
      return true;
    });
  } finally {
    await stub.close();
  }
});
