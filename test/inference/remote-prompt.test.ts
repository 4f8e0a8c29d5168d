// The remote Molmo2 runtime asks with the frames and timestamps Molmo2's own video processor would produce:
// fixtures from allenai/molmo2's reference functions (test/fixtures/remote-prompt/README.md).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { FrameStore, generateSyntheticVideo, type VideoMeta } from "../../lib/video";
import { pythonFixed1, RemoteRuntime, sampleMolmo2Frames } from "../../inference/runtimes/remote";
import { startMolmo2Stub, type Molmo2Stub } from "../helpers/molmo2-stub";

const here = path.dirname(fileURLToPath(import.meta.url));

interface Sampled {
  times: number[];
  frames: number[];
  timestamps: string[];
}
interface Case {
  input: { frameCount: number; fps: number; samplingFps: number; maxFrames: number };
  processorFps: Sampled | { error: string };
  processorUniformLastFrame: Sampled;
}
const fixture = JSON.parse(readFileSync(path.join(here, "..", "fixtures", "remote-prompt", "molmo2-sampling.json"), "utf8")) as { cases: Case[] };

/** A constant-rate video's metadata as lib/video's probe reports it (timestamps rounded to microseconds). */
function cfrMeta(frameCount: number, fps: number): Pick<VideoMeta, "timestamps" | "fps" | "frameCount" | "isVfr"> {
  return { frameCount, fps, isVfr: false, timestamps: Array.from({ length: frameCount }, (_, i) => Math.round((i / fps) * 1e6) / 1e6) };
}

/** What the processor does for this case: its fps mode, or (when that raises) its uniform_last_frame mode. */
function expected(c: Case): Sampled & { mode: "fps" | "uniform_last_frame" } {
  return "error" in c.processorFps ? { ...c.processorUniformLastFrame, mode: "uniform_last_frame" } : { ...c.processorFps, mode: "fps" };
}

test("sampled times, frames and timestamp text equal Molmo2's video processor on every fixture case", () => {
  assert.ok(fixture.cases.length >= 20);
  assert.ok(fixture.cases.some((c) => "error" in c.processorFps), "the fixtures include rates without an fps candidate");
  for (const c of fixture.cases) {
    const { frameCount, fps, samplingFps, maxFrames } = c.input;
    const got = sampleMolmo2Frames(cfrMeta(frameCount, fps), samplingFps, maxFrames);
    const want = expected(c);
    const what = `${frameCount} frames at ${fps} fps, sampling ${samplingFps}, max ${maxFrames}`;
    assert.equal(got.mode, want.mode, what);
    assert.deepEqual(got.times, want.times, `${what}: times`);
    assert.deepEqual(got.frames, want.frames, `${what}: frames`);
    assert.deepEqual(got.timestamps, want.timestamps, `${what}: timestamps`);
  }
});

test("timestamp text is Python's f\"{t:.1f}\" (ties to even on the exact value), not JS toFixed", () => {
  const ties = fixture.cases.flatMap((c) => ("error" in c.processorFps ? [] : c.processorFps.times.map((t, k) => [t, (c.processorFps as Sampled).timestamps[k]] as const)));
  for (const [t, s] of ties) assert.equal(pythonFixed1(t), s, `t = ${t}`);
  // The cases where toFixed differs appear in the fixtures (4 fps: 0.25 s is written "0.2").
  assert.ok(ties.some(([t, s]) => t.toFixed(1) !== s));
  assert.equal(pythonFixed1(0.25), "0.2");
  assert.equal(pythonFixed1(0.75), "0.8");
  assert.equal(pythonFixed1(2.5), "2.5");
  assert.equal(pythonFixed1(1 / 6), "0.2");
  assert.throws(() => pythonFixed1(Number.NaN), /not a time/);
});

let dir: string;
let stub: Molmo2Stub;
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "gt-remote-prompt-"));
  stub = await startMolmo2Stub();
});
after(async () => {
  await stub.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs one query against the stub and returns the JPEGs it received and the runtime's sampled frames. */
async function queryFrames(file: string, meta: VideoMeta): Promise<{ sent: Buffer[]; sampledFrames: number[] }> {
  stub.setReplies([{ kind: "text", text: "There are none." }]);
  const rt = new RemoteRuntime({ endpoint: stub.url, model: "allenai/Molmo2-8B", maxFrames: 128, retries: 0, stream: false });
  const r = await rt.query({ video: { id: "v", path: file, meta }, expression: "the dot", signal: new AbortController().signal });
  return { sent: stub.requests.at(-1)!.frames, sampledFrames: r.sampledFrames };
}

for (const [frameCount, fps] of [[45, 30], [31, 15]] as const) {
  test(`request: a ${fps} fps clip of ${frameCount} frames sends the processor's frames in its order (repeats included)`, async () => {
    const c = fixture.cases.find((x) => x.input.frameCount === frameCount && x.input.fps === fps && x.input.samplingFps === 2 && x.input.maxFrames === 128);
    assert.ok(c, "fixture case present");
    const want = expected(c);
    const file = path.join(dir, `clip-${fps}.mp4`);
    const { meta } = await generateSyntheticVideo(file, { width: 64, height: 48, frames: frameCount, fps, objects: [{ id: 1, category: "circle", colour: "red", size: 8, path: [{ frame: 0, x: 5, y: 5 }, { frame: frameCount - 1, x: 60, y: 44 }] }] }, 4);
    const { sent, sampledFrames } = await queryFrames(file, meta as VideoMeta);
    assert.equal(sent.length, want.frames.length);
    // The same JPEG encoder settings as the runtime (FrameStore, quality 90): byte-equal frames are the same frames.
    const store = new FrameStore({ cacheDir: path.join(dir, `store-${fps}`), chunkSize: 16, format: "jpeg", quality: 90, maxConcurrentDecodes: 1 });
    const source = { id: `v${fps}`, path: file, meta: meta as VideoMeta };
    for (const [k, f] of want.frames.entries()) assert.ok(sent[k]!.equals(await store.readFrame(source, f)), `frame ${k} should be native frame ${f}`);
    assert.deepEqual(sampledFrames, [...new Set(want.frames)].sort((a, b) => a - b));
    if (fps === 15) assert.ok(want.frames.length > new Set(want.frames).size, "this case repeats a frame, as the processor does");
  });
}
