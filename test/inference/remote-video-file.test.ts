// videoForm "file": the video file itself, sampled by a vLLM server's "molmo2" video loader. The loader's
// frame-index sampler is mirrored exactly (fixture from vLLM's code), the answers come back to the frames the
// server took, and files over the size cap are refused before anything is sent.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { FrameStore, generateSyntheticVideo, type SyntheticGroundTruth, type VideoMeta } from "../../lib/video";
import { pythonFixed1, sampleMolmo2Frames } from "../../inference/frame-sampling";
import { loaderSampleFrames, videoFileSampling } from "../../inference/runtimes/remote-video-file";
import { RemoteRuntime } from "../../inference/runtimes/remote";
import { RuntimeError } from "../../inference/runtime";
import { molmo2TrackAnswer } from "../helpers/molmo2-stub";
import { startVllmMolmo2Server, type VllmMolmo2View } from "./remote-vllm-server";

const here = path.dirname(fileURLToPath(import.meta.url));
interface Case {
  input: { frameCount: number; fps: number; samplingFps: number; maxFrames: number };
  fpsMode: { indices: number[] } | { error: string };
  uniformLastFrame: { indices: number[] };
}
const fixture = JSON.parse(readFileSync(path.join(here, "..", "fixtures", "remote-vllm", "molmo2-loader-sampling.json"), "utf8")) as { cases: Case[] };

test("the molmo2 loader's frame indices equal vLLM's Molmo2VideoBackend._sample_frames on every fixture case", () => {
  assert.ok(fixture.cases.length >= 30);
  assert.ok(fixture.cases.some((c) => "error" in c.fpsMode) && fixture.cases.some((c) => "indices" in c.fpsMode));
  for (const c of fixture.cases) {
    const { frameCount, fps, samplingFps, maxFrames } = c.input;
    const what = `${frameCount} frames at ${fps} fps, sampling ${samplingFps}, max ${maxFrames}`;
    assert.deepEqual(loaderSampleFrames(frameCount, fps, "uniform_last_frame", maxFrames, samplingFps, samplingFps), c.uniformLastFrame.indices, `${what}: uniform_last_frame`);
    if ("error" in c.fpsMode) {
      assert.throws(() => loaderSampleFrames(frameCount, fps, "fps", maxFrames, samplingFps, samplingFps), (e: unknown) => (e as Error).message === (c.fpsMode as { error: string }).error, what);
    } else {
      assert.deepEqual(loaderSampleFrames(frameCount, fps, "fps", maxFrames, samplingFps, samplingFps), c.fpsMode.indices, `${what}: fps`);
    }
    // The runtime asks for "fps" mode unless the loader would raise, and the server reports distinct indices.
    const s = videoFileSampling({ frameCount, fps }, samplingFps, maxFrames);
    const want = "error" in c.fpsMode ? c.uniformLastFrame.indices : c.fpsMode.indices;
    assert.equal(s.kwargs.frame_sample_mode, "error" in c.fpsMode ? "uniform_last_frame" : "fps", what);
    assert.deepEqual(s.frames, [...new Set(want)].sort((a, b) => a - b), what);
    assert.deepEqual(s.timestamps, s.frames.map((i) => pythonFixed1(i / fps)));
  }
});

test("where the loader and Molmo2's processor agree, and where they do not", () => {
  const cfr = (n: number, fps: number) => ({ frameCount: n, fps, isVfr: false, timestamps: Array.from({ length: n }, (_, i) => Math.round((i / fps) * 1e6) / 1e6) });
  // Integer rate, fps mode: the same frames at the same timestamps.
  const p30 = sampleMolmo2Frames(cfr(300, 30), 2, 128);
  const l30 = videoFileSampling({ frameCount: 300, fps: 30 }, 2, 128);
  assert.deepEqual(l30.frames, p30.frames);
  assert.deepEqual(l30.timestamps, p30.timestamps);
  // 29.97 fps: the processor samples by time (frame 14 at "0.5"), the loader by index (frame 15 at "0.5").
  const pN = sampleMolmo2Frames(cfr(45, 30000 / 1001), 2, 128);
  const lN = videoFileSampling({ frameCount: 45, fps: 30000 / 1001 }, 2, 128);
  assert.deepEqual(pN.frames, [0, 14, 29, 44, 44]);
  assert.deepEqual(lN.frames, [0, 15, 30, 44]);
  assert.deepEqual(lN.timestamps, ["0.0", "0.5", "1.0", "1.5"]);
});

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "gt-remote-file-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function clip(name: string, frames: number, fps: number): Promise<{ file: string; meta: VideoMeta; gt: SyntheticGroundTruth }> {
  const file = path.join(dir, `${name}.mp4`);
  const r = await generateSyntheticVideo(file, { width: 128, height: 48, frames, fps, objects: [{ id: 1, category: "circle", colour: "red", size: 8, path: [{ frame: 0, x: 10, y: 24 }, { frame: frames - 1, x: 118, y: 24 }] }] }, 6);
  return { file, meta: r.meta as VideoMeta, gt: r.groundTruth };
}

test("end to end: the file goes whole with the loader's settings; answers come back to the frames the server took", async () => {
  const { file, meta, gt } = await clip("ntsc-file", 45, 30000 / 1001);
  const store = new FrameStore({ cacheDir: path.join(dir, "store"), chunkSize: 16, format: "jpeg", quality: 90, maxConcurrentDecodes: 1 });
  const nativeOf = new Map<string, number>();
  for (let f = 0; f < meta.frameCount; f++) nativeOf.set((await store.readFrame({ id: "n", path: file, meta }, f)).toString("base64"), f);
  const answer = (view: VllmMolmo2View): string => {
    const out = [];
    for (let k = 0; k / 2 <= meta.timestamps.at(-1)! + 1e-9; k++) {
      const at = view.timestamps.indexOf(pythonFixed1(k / 2));
      if (at < 0) continue;
      const f = nativeOf.get(view.frames[at]!.toString("base64"))!;
      out.push({ time: k / 2, points: [{ id: 1, x: gt.objects[0]!.track[f]!.x, y: gt.objects[0]!.track[f]!.y }] });
    }
    return molmo2TrackAnswer(out, { width: meta.width, height: meta.height }, "red dot");
  };
  const server = await startVllmMolmo2Server(answer);
  try {
    const rt = new RemoteRuntime({ endpoint: server.url, model: "allenai/Molmo2-8B", retries: 0, videoForm: "file" });
    const r = await rt.query({ video: { id: "n", path: file, meta }, expression: "red dot", signal: new AbortController().signal });
    const got = server.seen.at(-1)!;
    assert.equal(got.error, null);
    const url = ((got.body.messages as Array<{ content: Array<{ video_url?: { url: string } }> }>)[0]!.content[0]!.video_url!.url);
    assert.ok(Buffer.from(url.slice(url.indexOf(",") + 1), "base64").equals(readFileSync(file)), "the file's own bytes");
    assert.deepEqual(got.body.media_io_kwargs, { video: { video_backend: "molmo2", frame_sample_mode: "uniform_last_frame", num_frames: 128, sampling_fps: 2, max_fps: 2 } });
    assert.deepEqual(got.view!.metadata.frames_indices, [0, 15, 30, 44]);
    assert.deepEqual(r.sampledFrames, [0, 15, 30, 44]);
    const kfs = r.tracks.objects[0]!.keyframes;
    // "0.5" is frame 15 here (what the loader took), not the processor's 14.
    assert.deepEqual(kfs.map((k) => k.frame), [0, 15, 30]);
    for (const k of kfs) {
      const g = gt.objects[0]!.track[k.frame]!;
      assert.ok(Math.abs(k.x - g.x) <= meta.width / 1000 && Math.abs(k.y - g.y) <= meta.height / 1000, `frame ${k.frame}`);
    }
  } finally {
    await server.close();
  }
});

test("a file over maxVideoBytes is refused with its size and the cap, before any request", async () => {
  const { file, meta } = await clip("big", 12, 10);
  const server = await startVllmMolmo2Server(() => "There are none.");
  try {
    const rt = new RemoteRuntime({ endpoint: server.url, model: "m", retries: 0, videoForm: "file", maxVideoBytes: 100 });
    await assert.rejects(rt.query({ video: { id: "b", path: file, meta }, expression: "x", signal: new AbortController().signal }), (e: unknown) => {
      assert.ok(e instanceof RuntimeError);
      assert.equal(e.code, "video_unreadable");
      assert.match(e.message, /big\.mp4' is 0\.\d MB, over the remote runtime's maxVideoBytes \(0\.0 MB\) for videoForm "file"/);
      return true;
    });
    assert.equal(server.seen.length, 0);
  } finally {
    await server.close();
  }
});
