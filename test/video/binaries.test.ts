// ffmpeg/ffprobe resolution: env override first, then the npm-shipped binaries; a wrong override is a clear error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { VideoError, ffmpegPath, ffprobePath } from "../../lib/video";

const require = createRequire(import.meta.url);

test("defaults to @ffmpeg-installer / @ffprobe-installer; GROUNDTRACK_FFMPEG / GROUNDTRACK_FFPROBE override", () => {
  const saved = { a: process.env.GROUNDTRACK_FFMPEG, b: process.env.GROUNDTRACK_FFPROBE };
  try {
    delete process.env.GROUNDTRACK_FFMPEG;
    delete process.env.GROUNDTRACK_FFPROBE;
    assert.equal(ffmpegPath(), (require("@ffmpeg-installer/ffmpeg") as { path: string }).path);
    assert.equal(ffprobePath(), (require("@ffprobe-installer/ffprobe") as { path: string }).path);
    process.env.GROUNDTRACK_FFMPEG = ffprobePath(); // any existing file is taken as given
    assert.equal(ffmpegPath(), ffprobePath());
    process.env.GROUNDTRACK_FFPROBE = "no/such/ffprobe";
    assert.throws(() => ffprobePath(), (e: unknown) => e instanceof VideoError && e.code === "io" && /GROUNDTRACK_FFPROBE points to 'no\/such\/ffprobe'/.test(e.message));
  } finally {
    for (const [k, v] of [["GROUNDTRACK_FFMPEG", saved.a], ["GROUNDTRACK_FFPROBE", saved.b]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
