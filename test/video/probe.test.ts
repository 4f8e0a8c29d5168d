// probeVideo: the frame-exact index (count = frames ffmpeg decodes, pts per frame in presentation order) and
// shot boundaries, on synthetic videos with known timestamps/cuts and on the real opencv-doc samples.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { ffmpegPath, generateSyntheticVideo, probeVideo } from "../../lib/video";
import { decodeAllRgb, ffprobeCountFrames, ffprobeFrameTimes, samplesDir, tempDir } from "./helpers";

const dir = tempDir();
const close = (a: number[], b: number[], tol: number, what: string) => {
  assert.equal(a.length, b.length, `${what}: length`);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol, `${what}: frame ${i}: ${v} vs ${b[i]}`));
};

test("H.264 MP4 with B-frames (edit list): every frame indexed with its pts from 0, CFR", async () => {
  const file = path.join(dir, "b.mp4");
  const { meta, groundTruth } = await generateSyntheticVideo(file, { width: 96, height: 64, frames: 45, bframes: true }, 1);
  assert.equal(meta.container, "mp4");
  assert.equal(meta.codec, "h264");
  assert.deepEqual([meta.width, meta.height, meta.fps, meta.frameCount, meta.isVfr], [96, 64, 30, 45, false]);
  assert.equal(meta.frameCount, ffprobeCountFrames(file));
  assert.equal(meta.frameCount, decodeAllRgb(file).length / (96 * 64 * 3));
  close(meta.timestamps, groundTruth.timestamps, 1e-6, "pts");
  assert.deepEqual(meta.shotBoundaries, []);
  assert.ok(Math.abs(meta.durationSec - 1.5) < 1e-6);
});

test("VFR MP4: timestamps follow the real frame durations (1,1,2 ticks), isVfr", async () => {
  const file = path.join(dir, "vfr.mp4");
  const { meta, groundTruth } = await generateSyntheticVideo(file, { width: 96, height: 64, frames: 30, vfr: true }, 2);
  assert.equal(meta.frameCount, 30);
  assert.equal(meta.isVfr, true);
  close(meta.timestamps, groundTruth.timestamps, 1e-6, "pts");
  assert.deepEqual(meta.timestamps.slice(0, 7), [0, 0.033333, 0.066667, 0.133333, 0.166667, 0.2, 0.266667]);
  assert.ok(meta.timestamps.every((t, i) => i === 0 || t > meta.timestamps[i - 1]), "strictly increasing");
});

test("WebM/VP9: millisecond container timestamps, count equals ffprobe's decode", async () => {
  const file = path.join(dir, "v.webm");
  const { meta, groundTruth } = await generateSyntheticVideo(file, { width: 96, height: 64, frames: 30 }, 3);
  assert.equal(meta.container, "webm");
  assert.equal(meta.codec, "vp9");
  assert.equal(meta.frameCount, ffprobeCountFrames(file));
  close(meta.timestamps, groundTruth.timestamps, 0.0005, "pts (1 ms timescale)");
  assert.equal(meta.isVfr, false);
});

test("AVI/XVID with packed B-frames (no pts in the container): pts from dts, same frames as ffprobe", async () => {
  const file = path.join(dir, "x.avi");
  const { meta } = await generateSyntheticVideo(file, { width: 96, height: 64, frames: 30, bframes: true }, 4);
  assert.equal(meta.container, "avi");
  assert.equal(meta.codec, "mpeg4");
  assert.equal(meta.frameCount, 30);
  assert.equal(meta.frameCount, ffprobeCountFrames(file));
  // ffprobe (a newer build) leaves the flushed last B-frame without a timestamp; compare where it has one.
  const probed = ffprobeFrameTimes(file);
  assert.equal(probed.length, 30);
  probed.forEach((t, i) => Number.isFinite(t) && assert.ok(Math.abs(t - meta.timestamps[i]) <= 1e-6, `frame ${i}: ${meta.timestamps[i]} vs ffprobe ${t}`));
  assert.ok(meta.timestamps.every((t, i) => i === 0 || Math.abs(t - meta.timestamps[i - 1] - 1 / 30) < 2e-6), "one frame apart");
});

test("non-zero start time (MP4 edit list and MKV offset): pts keep the container clock", async () => {
  const src = path.join(dir, "s.mp4");
  const { groundTruth } = await generateSyntheticVideo(src, { width: 64, height: 48, frames: 20 }, 5);
  for (const ext of ["mp4", "mkv"]) {
    const file = path.join(dir, `offset.${ext}`);
    execFileSync(ffmpegPath(), ["-v", "error", "-y", "-i", src, "-c", "copy", "-output_ts_offset", "5", file]);
    const meta = await probeVideo(file);
    assert.equal(meta.frameCount, 20);
    close(meta.timestamps, groundTruth.timestamps.map((t) => t + 5), ext === "mkv" ? 0.0005 : 1e-6, `${ext} pts`);
  }
});

test("shot boundaries are exactly the hard cuts of a synthetic video (and none without cuts)", async () => {
  const file = path.join(dir, "cuts.mp4");
  const { meta, groundTruth } = await generateSyntheticVideo(file, { width: 128, height: 96, frames: 50, cuts: [13, 31, 32] }, 6);
  assert.deepEqual(groundTruth.shotBoundaries, [13, 31, 32]);
  // 31 and 32 are a one-frame shot: a flash-like pair. The detector reports both changes.
  assert.deepEqual(meta.shotBoundaries, [13, 31, 32]);
  const vfr = path.join(dir, "cuts-vfr.webm");
  const m2 = await generateSyntheticVideo(vfr, { width: 128, height: 96, frames: 40, cuts: [25], vfr: true }, 7);
  assert.deepEqual(m2.meta.shotBoundaries, [25]);
});

test("real vtest.avi (MS-MPEG4v3): 795 frames at exactly i/10 s, one shot", async () => {
  const file = path.join(await samplesDir(), "vtest.avi");
  const meta = await probeVideo(file);
  assert.deepEqual([meta.container, meta.codec, meta.width, meta.height, meta.fps, meta.frameCount, meta.isVfr], ["avi", "msmpeg4v3", 768, 576, 10, 795, false]);
  assert.equal(meta.frameCount, ffprobeCountFrames(file));
  close(meta.timestamps, Array.from({ length: 795 }, (_, i) => i / 10), 1e-9, "vtest pts");
  assert.deepEqual(meta.shotBoundaries, []);
});

test("real samples: index length equals ffprobe's decoded frame count (dropped-frame AVI, H.264 with B-frames)", async () => {
  const samples = await samplesDir();
  for (const [name, frames] of [["tree.avi", 68], ["cup.mp4", 217], ["box.mp4", 455], ["Megamind.avi", 270]] as const) {
    const file = path.join(samples, name);
    const meta = await probeVideo(file);
    assert.equal(meta.frameCount, frames, name);
    assert.equal(meta.frameCount, ffprobeCountFrames(file), name);
    assert.ok(meta.timestamps.every((t, i) => i === 0 || t > meta.timestamps[i - 1]), `${name}: strictly increasing pts`);
    if (name === "box.mp4") {
      // Its last frame has no pts (only a dts equal to the previous frame's pts): repaired to one frame later.
      assert.deepEqual(meta.timestamps.slice(-3), [15.151, 15.184, 15.217]);
    }
  }
});

test("display rotation (portrait phone video): width/height are those of the decoded frames", async () => {
  const src = path.join(dir, "land.mp4");
  await generateSyntheticVideo(src, { width: 96, height: 64, frames: 10 }, 8);
  const file = path.join(dir, "portrait.mp4");
  execFileSync(ffmpegPath(), ["-v", "error", "-y", "-i", src, "-c", "copy", "-metadata:s:v:0", "rotate=90", file]);
  const meta = await probeVideo(file);
  assert.deepEqual([meta.width, meta.height], [64, 96]);
  assert.equal(decodeAllRgb(file).length, 10 * 64 * 96 * 3);
});

test("a long video's per-frame log is parsed while streaming (index of 3000 frames)", async () => {
  const file = path.join(dir, "long.mp4");
  execFileSync(ffmpegPath(), ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=32x24:rate=50:duration=60", "-c:v", "libx264", "-preset", "ultrafast", "-g", "250", "-pix_fmt", "yuv420p", file]);
  const meta = await probeVideo(file);
  assert.equal(meta.frameCount, 3000);
  assert.equal(meta.frameCount, ffprobeCountFrames(file));
  assert.ok(Math.abs(meta.timestamps[2999] - 59.98) < 1e-6);
});
