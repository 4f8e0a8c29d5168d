// The on-disk dataset: determinism, mp4 frame counts, lossless TrackAny re-import, splits and manifest checks.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { exportTrackAny, importTrackAny } from "../../lib/formats/trackany";
import { decodeRle, parseRle } from "../../lib/masks/rle";
import { isPointInMask } from "../../lib/metrics/points/hit-test";
import { ffmpegPath } from "../../lib/video/binaries";
import { probeVideo } from "../../lib/video/probe";
import { generateDataset, readManifest, splitRanges } from "../../trainer/synth/dataset";
import { FrameRenderer } from "../../trainer/synth/render";
import { sampleScene } from "../../trainer/synth/scene";
import { renderVideo } from "../../trainer/synth/video";

const tmp = mkdtempSync(path.join(os.tmpdir(), "gt-synth-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const OPTS = { videos: 3, seed: 7, frames: 12, width: 48, height: 32, fps: 6, samplingFps: 2, pan: true };

const dirA = path.join(tmp, "a");
const dirB = path.join(tmp, "b");
const ready = (async () => {
  await generateDataset(dirA, OPTS);
  await generateDataset(dirB, OPTS, { jobs: 1 }); // sequential vs the default concurrency: same bytes
})();

function decodeFrames(file: string): Buffer {
  const r = spawnSync(ffmpegPath(), ["-v", "error", "-i", file, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"], { maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, String(r.stderr));
  return r.stdout;
}
const decodedFramesSha = (file: string) => createHash("sha256").update(decodeFrames(file)).digest("hex");

test("same seed → byte-identical annotation JSON and manifest, identical decoded frames", async () => {
  await ready;
  const files = readdirSync(path.join(dirA, "annotations")).sort();
  assert.ok(files.length > 3);
  assert.deepEqual(readdirSync(path.join(dirB, "annotations")).sort(), files);
  for (const f of files) assert.equal(readFileSync(path.join(dirA, "annotations", f), "utf8"), readFileSync(path.join(dirB, "annotations", f), "utf8"), f);
  assert.equal(readFileSync(path.join(dirA, "manifest.json"), "utf8"), readFileSync(path.join(dirB, "manifest.json"), "utf8"));
  for (const v of readdirSync(path.join(dirA, "videos"))) {
    assert.equal(decodedFramesSha(path.join(dirA, "videos", v)), decodedFramesSha(path.join(dirB, "videos", v)), v);
  }
  // A different seed gives different content.
  const other = sampleScene(8, { width: 48, height: 32, frames: 12, fps: 6, pan: true });
  assert.notEqual((await renderVideo(other)).framesSha256, (await readManifest(dirA)).videos[0].framesSha256);
});

test("each mp4 decodes to n_frames frames at the declared size, close to the rendered pixels", async () => {
  await ready;
  const m = await readManifest(dirA);
  for (const v of m.videos) {
    const meta = await probeVideo(path.join(dirA, v.video.file));
    assert.equal(meta.frameCount, 12);
    assert.equal(meta.codec, "h264");
    assert.deepEqual([meta.width, meta.height], [48, 32]);
    for (const a of v.annotations) assert.equal(JSON.parse(readFileSync(path.join(dirA, a.file), "utf8")).n_frames, meta.frameCount);
    // Decoded frame f is rendered frame f up to H.264/yuv420p loss (the per-pixel background jitter is what
    // the encoder loses most): closer to it than to its neighbours, and close in absolute terms.
    const decoded = decodeFrames(path.join(dirA, v.video.file));
    const r = new FrameRenderer(sampleScene(v.seed, { width: 48, height: 32, frames: 12, fps: 6, pan: true }));
    const n = 48 * 32 * 3;
    const rendered = Array.from({ length: 12 }, (_, f) => (r.render(f), Buffer.from(r.rgb)));
    const err = (f: number, g: number) => {
      let d = 0;
      for (let i = 0; i < n; i++) d += Math.abs(decoded[f * n + i] - rendered[g][i]);
      return d / n;
    };
    for (let f = 0; f < 12; f++) {
      const e = err(f, f);
      assert.ok(e < 16, `${v.name} frame ${f}: mean abs error ${e}`);
      if (f > 0) assert.ok(e < err(f, f - 1), `${v.name} frame ${f} is closer to rendered frame ${f - 1}`);
      if (f < 11) assert.ok(e < err(f, f + 1), `${v.name} frame ${f} is closer to rendered frame ${f + 1}`);
    }
  }
});

test("annotations are MolmoPoint-TrackAny examples that re-import through lib/formats without loss", async () => {
  await ready;
  const m = await readManifest(dirA);
  for (const v of m.videos) {
    for (const a of v.annotations) {
      const text = readFileSync(path.join(dirA, a.file), "utf8");
      const ex = JSON.parse(text);
      assert.deepEqual(Object.keys(ex), ["id", "video", "expression", "fps", "sampling_fps", "height", "width", "n_frames", "task", "frame_trajectories", "mask_id", "obj_id", "qid", "anno_id", "masks"]);
      assert.equal(ex.video, v.name);
      assert.deepEqual(ex.obj_id, a.objectIds);
      assert.deepEqual(ex.mask_id, a.objectIds.map(String));
      assert.deepEqual(ex.frame_trajectories.map((t: { frame: number }) => t.frame), [0, 3, 6, 9]);
      const r = importTrackAny(text, { fileName: a.file });
      assert.ok(r.ok, r.ok ? "" : r.error.message);
      assert.equal(exportTrackAny(r.value, { frames: [0, 3, 6, 9] }), text);
      // Masks: one RLE per native frame per object; visible points lie on their mask by the evaluator's own test.
      for (const t of ex.frame_trajectories) {
        for (const p of t.points) {
          const rle = ex.masks.find((mm: { object_id: number }) => mm.object_id === p.id).masks[t.frame];
          if (!p.occluded) assert.ok(isPointInMask(p.point[0], p.point[1], parseRle(rle)), `${a.file} frame ${t.frame} object ${p.id}: point off its mask`);
        }
      }
      for (const mm of ex.masks) assert.equal(mm.masks.length, 12);
    }
  }
});

test("splits: frozen test = first seeds, then val, then train; recorded in the manifest", async () => {
  await ready;
  assert.deepEqual(splitRanges({ videos: 25, seed: 100, testVideos: undefined, valVideos: undefined }), { test: [100, 102], val: [102, 104], train: [104, 125] });
  assert.deepEqual(splitRanges({ videos: 50, seed: 100, testVideos: 2, valVideos: 2 }).test, [100, 102], "growing N keeps the test seeds");
  assert.throws(() => splitRanges({ videos: 3, seed: 0, testVideos: 2, valVideos: 2 }), /exceed/);
  const m = await readManifest(dirA);
  assert.deepEqual(m.videos.map((v) => [v.seed, v.split]), [[7, "test"], [8, "val"], [9, "train"]]);
  assert.deepEqual({ ...m.splits.test, contentHash: "" }, { seeds: [7, 8], videos: 1, contentHash: "" });
  // The frozen test split keeps its hash when the dataset grows or shrinks around it.
  const small = await generateDataset(path.join(tmp, "small"), { ...OPTS, videos: 2, testVideos: 1, valVideos: 0 });
  assert.equal(small.splits.test.contentHash, m.splits.test.contentHash);
  assert.notEqual(small.splits.train.contentHash, m.splits.train.contentHash);
  assert.notEqual(small.contentHash, m.contentHash);
});

test("manifest: content hash is checked; bad input names the file; an existing dataset is never overwritten", async () => {
  await ready;
  const file = path.join(dirB, "manifest.json");
  const m = JSON.parse(readFileSync(file, "utf8"));
  const good = JSON.stringify(m);
  m.videos[0].annotations[0].sha256 = "0".repeat(64);
  writeFileSync(file, JSON.stringify(m));
  await assert.rejects(readManifest(dirB), /manifest\.json: splits\.test\.contentHash .* does not match the test videos/);
  writeFileSync(file, good.replace(/"contentHash":"[0-9a-f]{64}"}$/, `"contentHash":"${"1".repeat(64)}"}`));
  await assert.rejects(readManifest(dirB), /manifest\.json: contentHash 1{64} does not match/);
  writeFileSync(file, JSON.stringify({ ...m, format: "other" }));
  await assert.rejects(readManifest(dirB), /manifest\.json: format/);
  await assert.rejects(generateDataset(dirA, OPTS), /already exists/);
  await assert.rejects(generateDataset(path.join(tmp, "c"), { ...OPTS, samplingFps: 4 }), /must divide fps 6/);
  await assert.rejects(generateDataset(path.join(tmp, "c"), { ...OPTS, width: 47 }), /width must be even/);
});
