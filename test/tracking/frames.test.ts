// GrayFrameReader reads raw RGB chunks: the gray frames equal those of the lossless PNG frames, at native size and
// scaled by ffmpeg (odd aspect: the height comes from the bytes); a frame that does not fit is a clear error.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { PNG } from "pngjs";
import { FrameStore, generateSyntheticVideo, type VideoMeta } from "../../lib/video";
import { GrayFrameReader } from "../../lib/tracking/frames";
import { grayFromRgb } from "../../lib/tracking/pyramid";

let dir: string;
let video: { id: string; path: string; meta: VideoMeta };

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "gt-gray-frames-"));
  const file = path.join(dir, "v.mp4");
  const r = await generateSyntheticVideo(file, {
    width: 100, height: 62, frames: 12, fps: 10,
    objects: [{ id: 1, category: "square", colour: "red", size: 8, path: [{ frame: 0, x: 10, y: 10 }, { frame: 11, x: 90, y: 50 }] }],
  }, 2);
  video = { id: "v", path: file, meta: r.meta as VideoMeta };
});

after(() => rmSync(dir, { recursive: true, force: true }));

test("gray frames from raw chunks equal the gray of the lossless PNG frames, native and scaled", async () => {
  const store = new FrameStore({ cacheDir: path.join(dir, "png"), chunkSize: 5, format: "png" });
  for (const width of [undefined, 64, 37]) {
    const reader = new GrayFrameReader(video, { chunkSize: 5, ...(width === undefined ? {} : { width }) });
    try {
      for (const f of [0, 6, 11]) {
        const png = PNG.sync.read(await store.readFrame(video, f, width === undefined ? {} : { width }));
        const want = grayFromRgb(png.width, png.height, png.data, 4);
        const got = await reader.read(f);
        assert.deepEqual([got.width, got.height], [want.width, want.height], `width ${width ?? "native"}, frame ${f}: size`);
        assert.deepEqual(got.data, want.data, `width ${width ?? "native"}, frame ${f}: pixels`);
      }
    } finally {
      await reader.close();
    }
  }
});

test("a frame that does not fit the index's size is a clear error", async () => {
  const reader = new GrayFrameReader({ ...video, meta: { ...video.meta, height: video.meta.height + 2 } });
  try {
    await assert.rejects(reader.read(3), /not a 100-px-wide RGB frame of height 64; re-ingest/);
  } finally {
    await reader.close();
  }
});
