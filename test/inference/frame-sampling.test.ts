// The two samplers of inference/frame-sampling.ts: the built-in model keeps Molmo2's TRAINING sampler (the frames it
// was trained on: trainer/data builds examples with the same function), the remote runtime uses Molmo2's INFERENCE
// processor. Both against allenai/molmo2's reference (test/fixtures/remote-prompt).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { sampleMolmo2Frames, sampleTrackingFrames } from "../../inference/frame-sampling";
import { sampleFrames } from "../../inference/builtin/frames";
import type { BuiltinConfig } from "../../inference/builtin/contract";

const here = path.dirname(fileURLToPath(import.meta.url));
interface Sampled {
  times: number[];
  frames: number[];
}
interface Case {
  input: { frameCount: number; fps: number; samplingFps: number; maxFrames: number };
  trainingFps: (Sampled & { fps: number }) | { error: string };
}
const fixture = JSON.parse(readFileSync(path.join(here, "..", "fixtures", "remote-prompt", "molmo2-sampling.json"), "utf8")) as { cases: Case[] };

function cfr(frameCount: number, fps: number) {
  const timestamps = Array.from({ length: frameCount }, (_, i) => Math.round((i / fps) * 1e6) / 1e6);
  return { frameCount, fps, isVfr: false, timestamps, durationSec: frameCount / fps };
}

test("sampleTrackingFrames is Molmo2's training sampler (TimeSampler fps mode, MAX_VIDEO_FPS 10) on every fixture case it covers", () => {
  let checked = 0;
  for (const c of fixture.cases) {
    if ("error" in c.trainingFps) continue;
    const { frameCount, fps, samplingFps, maxFrames } = c.input;
    const got = sampleTrackingFrames(cfr(frameCount, fps), samplingFps, maxFrames);
    const want = [...new Set(c.trainingFps.frames)].sort((a, b) => a - b);
    assert.deepEqual(got.frames, want, `${frameCount} frames at ${fps} fps, sampling ${samplingFps}, max ${maxFrames}`);
    checked++;
  }
  assert.ok(checked >= 15, `checked ${checked}`);
});

test("the built-in model samples with the training sampler; the remote runtime with the inference processor — they differ where Molmo2's do", () => {
  const meta = cfr(90, 30);
  const config = { video: { samplingFps: 2, maxFrames: 128 } } as unknown as BuiltinConfig;
  assert.deepEqual(sampleFrames(meta, config), sampleTrackingFrames(meta, 2, 128));
  // 30 fps: training took 10 fps (what the built-in model was trained on), Molmo2's released processor takes 6.
  const training = sampleTrackingFrames(meta, 2, 128);
  const inference = sampleMolmo2Frames(meta, 2, 128);
  assert.deepEqual(training.frames.slice(0, 4), [0, 3, 6, 9]);
  assert.deepEqual(inference.frames.slice(0, 4), [0, 5, 10, 15]);
  assert.equal(training.frames.length, 30);
  assert.equal(inference.frames.length, 18);
});
