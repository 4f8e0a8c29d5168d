// Shared helpers for the video tests: temp dirs, the real sample videos, independent ffmpeg/ffprobe runs.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ffmpegPath, ffprobePath } from "../../lib/video";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A fresh temp dir, removed when the process exits. */
export function tempDir(prefix = "gt-video-"): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Folder with vtest.avi etc. (env GROUNDTRACK_SAMPLES from the test runner, else fetched via system-deps). */
export async function samplesDir(): Promise<string> {
  const env = process.env.GROUNDTRACK_SAMPLES;
  if (env && existsSync(path.join(env, "vtest.avi"))) return env;
  const deps = (await import(path.join(root, "scripts", "system-deps.mjs"))) as { ensureSampleVideos(root: string): string };
  return deps.ensureSampleVideos(root);
}

/** Every frame ffmpeg decodes from the first video stream as rgb24 (native size, or scaled like FrameStore does), in presentation order. */
export function decodeAllRgb(file: string, width?: number): Buffer {
  const scale = width === undefined ? [] : ["-vf", `scale=${width}:-2:flags=bicubic`];
  return execFileSync(ffmpegPath(), ["-nostdin", "-v", "error", "-i", file, "-map", "0:v:0", "-vsync", "0", ...scale, "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"], { maxBuffer: 1 << 30 });
}

/** Frame count by ffprobe's own decode (-count_frames), independent of lib/video. */
export function ffprobeCountFrames(file: string): number {
  const out = execFileSync(ffprobePath(), ["-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", file], { encoding: "utf8" });
  return Number(out.trim().split(/[\s,]+/)[0]);
}

/** Frame pts (seconds) reported by ffprobe -show_frames, in output order (an independent reading of the index). */
export function ffprobeFrameTimes(file: string): number[] {
  const out = execFileSync(ffprobePath(), ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=best_effort_timestamp_time", "-of", "csv=p=0", file], { encoding: "utf8", maxBuffer: 1 << 26 });
  return out.trim().split("\n").filter(Boolean).map((l) => Number(l.split(",")[0]));
}
