// trainer/data: synth manifest → refs → model-ready examples (runtime sampling, exact frames, contract
// preprocessing, lib/grounding targets), the frame cache, and errors that name the file.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { buildVideoGrid, encodeTrackPoints } from "../../../lib/grounding";
import { PNG } from "pngjs";
import { FrameStore, probeVideo } from "../../../lib/video";
import { tokenizeQuery } from "../../../inference/builtin/contract";
import { preprocessFrame, readFrames, sampleFrames } from "../../../inference/builtin/frames";
import { DataError, listSynthExamples, loadExamples, type ExampleRef } from "../../../trainer/data/examples";
import { buildVocab, parseTinyConfig, toBuiltinConfig } from "../../../trainer/model/config";
import { generateDataset } from "../../../trainer/synth/dataset";

const tmp = mkdtempSync(path.join(os.tmpdir(), "gt-data-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const ds = path.join(tmp, "ds");
const ready = generateDataset(ds, { videos: 3, seed: 40, frames: 10, width: 32, height: 32, fps: 10, samplingFps: 2, testVideos: 1, valVideos: 1 });
const config = parseTinyConfig({ cropSize: 16, patchSize: 4, pool: 2, dModel: 16, dVit: 8, heads: 2, patchDim: 8 });
const vocab = buildVocab(config);

test("refs from the manifest; examples match the runtime's sampling, frames, preprocessing, tokenizer and lib/grounding targets", async () => {
  await ready;
  const refs = await listSynthExamples(ds);
  assert.ok(refs.length >= 3);
  assert.deepEqual(new Set(refs.map((r) => r.split)), new Set(["train", "val", "test"]));
  for (const r of refs) assert.ok(path.isAbsolute(r.video) && path.isAbsolute(r.annotation));
  const ref = refs[0];
  const cacheDir = path.join(tmp, "cache");
  const [ex] = await loadExamples([ref], config, { vocab, cacheDir });
  // Independent computation of the same example.
  const meta = await probeVideo(ref.video);
  const sampling = sampleFrames(meta, toBuiltinConfig(config));
  assert.deepEqual(ex.sampledFrames, sampling.frames);
  assert.deepEqual(ex.sampledFrames, [0, 5]);
  const rgb = await readFrames({ id: "v", path: ref.video, meta }, sampling.frames, new AbortController().signal);
  // The runtime reads raw RGB chunks: the pixels of the lossless PNG frames (so frame caches stay valid).
  const pngStore = new FrameStore({ cacheDir: path.join(tmp, "png"), chunkSize: 1, format: "png" });
  for (const [i, f] of sampling.frames.entries()) {
    const png = PNG.sync.read(await pngStore.readFrame({ id: "v", path: ref.video, meta }, f));
    const want = new Uint8Array(png.width * png.height * 3);
    for (let k = 0; k < png.width * png.height; k++) want.set(png.data.subarray(4 * k, 4 * k + 3), 3 * k);
    assert.deepEqual([rgb[i].width, rgb[i].height], [png.width, png.height]);
    assert.ok(Buffer.from(rgb[i].data).equals(Buffer.from(want)), `frame ${f}: the PNG's pixels`);
  }
  const frames = new Float32Array(2 * 3 * 16 * 16);
  rgb.forEach((f, i) => preprocessFrame(f, toBuiltinConfig(config), frames, i * 3 * 16 * 16));
  assert.deepEqual(ex.frames, frames);
  const ann = JSON.parse(readFileSync(ref.annotation, "utf8"));
  assert.deepEqual(ex.queryIds, tokenizeQuery(ann.expression, vocab, config.maxQueryTokens));
  const grid = buildVideoGrid(32, 32, sampling.times, { cropSize: 16, patchSize: 4, pool: 2 });
  const pts: Array<[number, number, number]> = [];
  const ids: string[] = [];
  sampling.frames.forEach((f, i) => {
    const t = ann.frame_trajectories.find((x: { frame: number }) => x.frame === f);
    for (const p of t.points) if (!p.occluded) (pts.push([sampling.times[i], p.point[0], p.point[1]]), ids.push(String(p.id)));
  });
  const want = encodeTrackPoints(grid, pts, ids);
  assert.ok(want.targets.length > 0);
  assert.deepEqual(ex.targets, want.targets);
  assert.deepEqual(ex.ids, want.ids);
  // Sorted by (patch, subpatch, location); ids renumbered by first appearance.
  for (let i = 1; i < ex.targets.length; i++) assert.ok(ex.targets[i - 1].patch <= ex.targets[i].patch);
  assert.equal(ex.ids[0], 1);
  // The cache holds the decoded tensor; a second load reads it back identically.
  assert.equal(readdirSync(cacheDir).filter((f) => f.endsWith(".f32")).length, 1);
  assert.equal(readdirSync(cacheDir).filter((f) => f.endsWith(".meta.json")).length, 1);
  const [again] = await loadExamples([ref], config, { vocab, cacheDir });
  assert.deepEqual(again.frames, ex.frames);
  // Another token geometry on the same crop reuses the cached pixels; another crop size decodes anew.
  const [pooled] = await loadExamples([ref], parseTinyConfig({ ...config, patchSize: 2, pool: 4 }), { vocab, cacheDir });
  assert.deepEqual(pooled.frames, ex.frames);
  assert.equal(readdirSync(cacheDir).filter((f) => f.endsWith(".f32")).length, 1);
  const [larger] = await loadExamples([ref], parseTinyConfig({ ...config, cropSize: 32 }), { vocab, cacheDir });
  assert.equal(larger.frames.length, 2 * 3 * 32 * 32);
  assert.equal(readdirSync(cacheDir).filter((f) => f.endsWith(".f32")).length, 2);
});

async function expectDataError(ref: ExampleRef, code: DataError["code"], file: string, message: RegExp): Promise<void> {
  await assert.rejects(loadExamples([ref], config, { vocab }), (e: unknown) => {
    assert.ok(e instanceof DataError, String(e));
    assert.equal(e.code, code);
    assert.equal(e.file, file);
    assert.match(e.message, message);
    assert.ok(e.message.includes(file), e.message);
    return true;
  });
}

test("errors name the file: malformed annotation, missing frames, unreadable video", async () => {
  await ready;
  const [ref] = await listSynthExamples(ds);
  const bad = path.join(tmp, "bad");
  mkdirSync(bad, { recursive: true });
  const ann = JSON.parse(readFileSync(ref.annotation, "utf8"));

  const broken = path.join(bad, "broken.json");
  writeFileSync(broken, readFileSync(ref.annotation, "utf8").slice(0, 50));
  await expectDataError({ ...ref, annotation: broken }, "malformed_annotation", broken, /not valid JSON/);

  const noWidth = path.join(bad, "nowidth.json");
  writeFileSync(noWidth, JSON.stringify({ ...ann, width: "wide" }));
  await expectDataError({ ...ref, annotation: noWidth }, "malformed_annotation", noWidth, /width/);

  const beyond = path.join(bad, "beyond.json");
  const id = ann.frame_trajectories[0].points[0].id;
  writeFileSync(beyond, JSON.stringify({ ...ann, n_frames: 40, frame_trajectories: [...ann.frame_trajectories, { frame: 30, time: 3, points: [{ id, point: [3, 3], occluded: false }] }] }));
  await expectDataError({ ...ref, annotation: beyond }, "missing_frames", beyond, /n_frames 40 but .* has only 10 frames/);

  const gap = path.join(bad, "gap.json");
  writeFileSync(gap, JSON.stringify({ ...ann, frame_trajectories: ann.frame_trajectories.filter((t: { frame: number }) => t.frame !== 5) }));
  await expectDataError({ ...ref, annotation: gap }, "missing_frames", gap, /no frame_trajectories entry for the sampled frame 5/);

  const notVideo = path.join(bad, "not-a-video.mp4");
  writeFileSync(notVideo, "this is not an mp4 at all".repeat(20));
  await expectDataError({ ...ref, video: notVideo }, "unreadable_video", notVideo, /unreadable video/);

  const missing = path.join(bad, "missing.mp4");
  await expectDataError({ ...ref, video: missing }, "unreadable_video", missing, /unreadable video/);

  const wrongSize = path.join(bad, "other.json");
  copyFileSync(ref.annotation, wrongSize);
  writeFileSync(wrongSize, JSON.stringify({ ...ann, width: 64 }));
  await expectDataError({ ...ref, annotation: wrongSize }, "malformed_annotation", wrongSize, /width×height 64×32 differ/);

  await assert.rejects(listSynthExamples(path.join(tmp, "nothing-here")), (e: unknown) => e instanceof DataError && e.code === "bad_manifest" && /manifest\.json/.test(e.message));
});
