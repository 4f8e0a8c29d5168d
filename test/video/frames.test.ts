// FrameStore: frame i from a cached chunk equals frame i of a full decode (VFR, B-frames, AVI), chunks are
// shared and cached, prefetch covers both directions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, utimesSync } from "node:fs";
import path from "node:path";
import { PNG } from "pngjs";
import { FrameStore, VideoError, generateSyntheticVideo, probeVideo, rawRgbFrame, type SyntheticSpec, type VideoSource } from "../../lib/video";
import { decodeAllRgb, samplesDir, tempDir } from "./helpers";

const dir = tempDir();

function pngToRgb(buf: Buffer): Buffer {
  const png = PNG.sync.read(buf);
  const out = Buffer.alloc(png.width * png.height * 3);
  for (let p = 0, q = 0; p < png.data.length; p += 4) {
    out[q++] = png.data[p];
    out[q++] = png.data[p + 1];
    out[q++] = png.data[p + 2];
  }
  return out;
}

/** Reads every frame through the store, in an order that forces seeks backwards and forwards. */
async function assertEveryFrameExact(store: FrameStore, video: VideoSource): Promise<void> {
  const full = decodeAllRgb(video.path);
  const fb = video.meta.width * video.meta.height * 3;
  assert.equal(full.length / fb, video.meta.frameCount, "index frame count equals a full ffmpeg decode");
  const order = Array.from({ length: video.meta.frameCount }, (_, i) => i).reverse();
  for (const i of order) {
    const got = pngToRgb(await store.readFrame(video, i));
    assert.ok(got.equals(full.subarray(i * fb, (i + 1) * fb)), `${path.basename(video.path)} frame ${i} differs from the full decode`);
  }
}

// seekPrerollSec 0 seeks right to each chunk's first frame, so packed B-frames / open GOPs land before the
// keyframe: those chunks must be detected and redone, never served with wrong pixels.
for (const preroll of [1, 0])
for (const [name, spec] of [
  ["vfr-bframes.mp4", { vfr: true, bframes: true }],
  ["bframes.mp4", { bframes: true, cuts: [20] }],
  ["vp9.webm", {}],
  ["xvid-bframes.avi", { bframes: true }],
] as Array<[string, Partial<SyntheticSpec>]>) {
  test(`frame i via a chunk equals frame i of a full decode: ${name}, seek preroll ${preroll}s`, async () => {
    const file = path.join(dir, `p${preroll}-${name}`);
    const { meta } = await generateSyntheticVideo(file, { width: 96, height: 64, frames: 60, gop: 8, ...spec }, 3);
    const store = new FrameStore({ cacheDir: path.join(dir, "cache"), chunkSize: 7, format: "png", seekPrerollSec: preroll });
    await assertEveryFrameExact(store, { id: `p${preroll}-${name.replace(/\W/g, "_")}`, path: file, meta });
    assert.equal(store.decodes - store.fullDecodeFallbacks, store.chunkCount(meta), "each chunk decoded once");
  });
}

test("a seek that restarts decoding at a non-key frame (AVI, packed B-frames) is detected and redone", async () => {
  // This ffmpeg's AVI demuxer answers a seek to 0.1 s in this file with the P-frame after the first I-frame:
  // the frames come out with the right pts but wrong pixels. Only the keyframe check can notice.
  const file = path.join(dir, "seek-trap.avi");
  const { meta } = await generateSyntheticVideo(file, { width: 96, height: 64, frames: 24, gop: 12, bframes: true }, 4);
  const store = new FrameStore({ cacheDir: path.join(dir, "cache"), chunkSize: 2, format: "png", seekPrerollSec: 0 });
  const video = { id: "seek-trap", path: file, meta };
  const full = decodeAllRgb(file);
  const fb = meta.width * meta.height * 3;
  for (let i = 0; i < 12; i++) assert.ok(pngToRgb(await store.readFrame(video, i)).equals(full.subarray(i * fb, (i + 1) * fb)), `frame ${i}`);
  assert.ok(store.fullDecodeFallbacks >= 1, "the bad seek was redone from the start");
  // Raw RGB frames (SAM2's frame source): the same pixels, with no image header, through the same seek checks.
  const raw = new FrameStore({ cacheDir: path.join(dir, "cache"), chunkSize: 2, format: "rgb", seekPrerollSec: 0 });
  for (let i = 0; i < 12; i++) assert.ok((await raw.readFrame(video, i)).equals(full.subarray(i * fb, (i + 1) * fb)), `raw frame ${i}`);
  assert.ok(raw.fullDecodeFallbacks >= 1);
  assert.equal((await raw.getFrame(video, 3)).mime, "application/octet-stream");
});

test("frame i via a chunk equals frame i of a full decode: real vtest.avi (scaled to 192 px)", async () => {
  const file = path.join(await samplesDir(), "vtest.avi");
  const meta = await probeVideo(file);
  const store = new FrameStore({ cacheDir: path.join(dir, "cache"), chunkSize: 5, format: "png" });
  const video = { id: "vtest", path: file, meta };
  const full = decodeAllRgb(file, 192);
  const fb = 192 * 144 * 3;
  assert.equal(full.length / fb, meta.frameCount);
  for (const i of [0, 39, 40, 401, 794]) {
    assert.ok(pngToRgb(await store.readFrame(video, i, { width: 192 })).equals(full.subarray(i * fb, (i + 1) * fb)), `vtest frame ${i}`);
  }
});

test("real Megamind.avi (MPEG-4 ASP with packed B-frames): every frame via 9-frame chunks equals the full decode", async () => {
  const file = path.join(await samplesDir(), "Megamind.avi");
  const meta = await probeVideo(file);
  const store = new FrameStore({ cacheDir: path.join(dir, "cache"), chunkSize: 9, format: "png", seekPrerollSec: 0.2 });
  const video = { id: "megamind", path: file, meta };
  const full = decodeAllRgb(file, 48);
  const fb = 48 * 36 * 3;
  assert.equal(full.length / fb, meta.frameCount);
  for (let i = meta.frameCount - 1; i >= 0; i -= 1) {
    assert.ok(pngToRgb(await store.readFrame(video, i, { width: 48 })).equals(full.subarray(i * fb, (i + 1) * fb)), `Megamind frame ${i}`);
  }
});

test("real box.mp4: the last frame (no pts, repaired timestamp) and its neighbours equal the full decode", async () => {
  const file = path.join(await samplesDir(), "box.mp4");
  const meta = await probeVideo(file);
  const store = new FrameStore({ cacheDir: path.join(dir, "cache"), chunkSize: 4, format: "png" });
  const video = { id: "box", path: file, meta };
  const full = decodeAllRgb(file, 64);
  const fb = 64 * 48 * 3;
  for (const i of [454, 453, 452, 451, 450, 449, 200]) {
    assert.ok(pngToRgb(await store.readFrame(video, i, { width: 64 })).equals(full.subarray(i * fb, (i + 1) * fb)), `box frame ${i}`);
  }
  // JPEG encoding must cope with the repeated container pts too.
  const jpeg = await new FrameStore({ cacheDir: path.join(dir, "cache"), chunkSize: 30 }).getChunk(video, 15, { width: 64 });
  assert.equal(jpeg.files.length, 455 - 450);
});

test("concurrent requests for one chunk share one decode; cached chunks are not decoded again", async () => {
  const file = path.join(dir, "share.mp4");
  const { meta } = await generateSyntheticVideo(file, { width: 64, height: 48, frames: 30 }, 5);
  const cacheDir = path.join(dir, "cache-share");
  const store = new FrameStore({ cacheDir, chunkSize: 10 });
  const video = { id: "share", path: file, meta };
  const results = await Promise.all([store.getChunk(video, 1), store.getChunk(video, 1), store.getFrame(video, 12), store.getFrame(video, 19)]);
  assert.equal(store.decodes, 1);
  assert.equal(results[0], results[1]);
  assert.deepEqual(results[0].files.map((f) => path.basename(f)), Array.from({ length: 10 }, (_, k) => `${10 + k}.jpg`));
  assert.equal(results[0].mime, "image/jpeg");
  await store.getChunk(video, 1);
  // A second store on the same cache dir (e.g. after a restart) reuses the files.
  const again = new FrameStore({ cacheDir, chunkSize: 10 });
  await again.getFrame(video, 15);
  assert.equal(store.decodes + again.decodes, 1);
  // No temp directories are left behind.
  const variant = readdirSync(path.join(cacheDir, "share"))[0];
  assert.deepEqual(readdirSync(path.join(cacheDir, "share", variant)), ["c1"]);
  // A scaled variant is a separate cache entry with the requested width.
  const small = PNG.sync.read(await new FrameStore({ cacheDir, chunkSize: 10, format: "png" }).readFrame(video, 3, { width: 32 }));
  assert.deepEqual([small.width, small.height], [32, 24]);
  const webp = await new FrameStore({ cacheDir, chunkSize: 10, format: "webp", quality: 60 }).getFrame(video, 3);
  assert.equal(webp.mime, "image/webp");
  const head = readFileSync(webp.file);
  assert.equal(head.subarray(0, 4).toString("latin1") + head.subarray(8, 12).toString("latin1"), "RIFFWEBP");
});

test("prefetchAround decodes the chunks on both sides, nearest first", async () => {
  const file = path.join(dir, "prefetch.mp4");
  const { meta } = await generateSyntheticVideo(file, { width: 64, height: 48, frames: 60 }, 6);
  const store = new FrameStore({ cacheDir: path.join(dir, "cache-prefetch"), chunkSize: 10 });
  const video = { id: "prefetch", path: file, meta };
  assert.equal(store.chunkForFrame(0), 0);
  assert.equal(store.chunkForFrame(29), 2);
  assert.equal(store.chunkForFrame(30), 3);
  assert.deepEqual(await store.prefetchAround(video, 25, 12), [2, 3, 1]);
  for (const c of [1, 2, 3]) assert.ok(store.isCached(video, c));
  assert.ok(!store.isCached(video, 0) && !store.isCached(video, 4));
  assert.deepEqual(await store.prefetchAround(video, 0, 25), [0, 1, 2]);
  assert.deepEqual(await store.prefetchAround(video, 59, 0), [5]);
});

test("out-of-range frames and unsafe video ids are clear errors", async () => {
  const file = path.join(dir, "range.mp4");
  const { meta } = await generateSyntheticVideo(file, { width: 64, height: 48, frames: 12 }, 1);
  const store = new FrameStore({ cacheDir: path.join(dir, "cache-range"), chunkSize: 5 });
  await assert.rejects(store.getFrame({ id: "r", path: file, meta }, 12), (e: unknown) => e instanceof VideoError && /frames 0-11/.test(e.message));
  await assert.rejects(store.getChunk({ id: "r", path: file, meta }, 3), (e: unknown) => e instanceof VideoError && /chunks 0-2/.test(e.message));
  await assert.rejects(store.getFrame({ id: "../../etc", path: file, meta }, 0), (e: unknown) => e instanceof VideoError && e.code === "bad_name");
});

test("the stream probe is shared by every store of the process, per file version", async () => {
  const file = path.join(dir, "probe-once.mp4");
  const { meta } = await generateSyntheticVideo(file, { width: 64, height: 48, frames: 6 }, 1);
  const video = { id: "probe-once", path: file, meta };
  const before = FrameStore.probes;
  // Stores made per request (as the SAM2, tracking and model readers do): one ffprobe for all of them.
  for (let i = 0; i < 3; i++) await new FrameStore({ cacheDir: path.join(dir, `probe-cache-${i}`), chunkSize: 3, format: "rgb" }).getChunk(video, 1);
  assert.equal(FrameStore.probes - before, 1);
  // A new version of the file (another mtime) is probed again.
  const t = new Date(Date.now() + 5000);
  utimesSync(file, t, t);
  await new FrameStore({ cacheDir: path.join(dir, "probe-cache-3"), chunkSize: 3, format: "rgb" }).getChunk(video, 0);
  assert.equal(FrameStore.probes - before, 2);
});

test("rawRgbFrame: a headerless frame takes the index's size, or its height from the bytes when scaled; anything else is corrupt", () => {
  const bytes = new Uint8Array(4 * 3 * 3).map((_, i) => i);
  assert.deepEqual(rawRgbFrame(bytes, 4, 3), { width: 4, height: 3, data: bytes });
  assert.equal(rawRgbFrame(bytes, 4).height, 3);
  assert.equal(rawRgbFrame(bytes, 4, 3).data.buffer, bytes.buffer, "a view, not a copy");
  for (const [w, h] of [[4, 2], [5, undefined], [36, undefined]] as const) {
    assert.throws(() => rawRgbFrame(bytes, w, h), (e: unknown) => e instanceof VideoError && e.code === "corrupt" && /36 bytes is not a \d+-px-wide RGB frame.*re-ingest/.test(e.message));
  }
});
