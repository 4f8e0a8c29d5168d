// parseFfmpegLog on what the real ffmpeg prints (the native binary prints the same input report as ffmpeg.wasm).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseFfmpegLog } from "../../lib/annotator/ffmpeg-log";
import { ffmpegPath } from "../../lib/video";

function ffmpegReport(file: string): string[] {
  const r = spawnSync(ffmpegPath(), ["-hide_banner", "-i", file], { encoding: "utf8" });
  return r.stderr.split("\n");
}

test("a real H.264 MP4: duration, codec, size, fps, container", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "gt-fflog-"));
  try {
    const file = path.join(dir, "clip.mp4");
    const mk = spawnSync(ffmpegPath(), ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=25:duration=2", "-c:v", "libx264", "-pix_fmt", "yuv420p", file]);
    assert.equal(mk.status, 0, mk.stderr?.toString());
    const p = parseFfmpegLog(ffmpegReport(file));
    assert.equal(p.codec, "h264");
    assert.equal(p.width, 320);
    assert.equal(p.height, 180);
    assert.equal(p.fps, 25);
    assert.equal(p.durationSec, 2);
    assert.match(p.container ?? "", /mp4/);
    assert.deepEqual(p.errors, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a file that is not a video: ffmpeg's error is reported, no codec", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "gt-fflog-"));
  try {
    const file = path.join(dir, "notes.mp4");
    writeFileSync(file, "this is not a video\n".repeat(50));
    const p = parseFfmpegLog(ffmpegReport(file));
    assert.equal(p.codec, null);
    assert.equal(p.durationSec, null);
    assert.ok(p.errors.length >= 1, "ffmpeg's complaint is kept");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a typical report line with SAR/DAR and tbr", () => {
  const p = parseFfmpegLog([
    "Input #0, avi, from 'vtest.avi':",
    "  Duration: 00:01:19.75, start: 0.000000, bitrate: 1584 kb/s",
    "  Stream #0:0: Video: mpeg4 (Simple Profile) (XVID / 0x44495658), yuv420p, 768x576 [SAR 1:1 DAR 4:3], 1581 kb/s, 10 fps, 10 tbr, 10 tbn",
  ]);
  assert.deepEqual(p, { durationSec: 79.75, codec: "mpeg4", width: 768, height: 576, fps: 10, container: "avi", errors: [] });
});
