// Benchmark: building the frame-exact index (probeVideo: one ffmpeg decode → per-frame pts + shot scores)
// against ffprobe measured in the same run — `ffprobe -count_frames` (decodes, counts only) and
// `ffprobe -show_frames` (decodes, prints per-frame timestamps: the index without shots). Also cold chunk
// extraction through FrameStore (all chunks, JPEG) against one ffmpeg pass writing every frame as JPEG.
// Runs are interleaved and the median of REPEAT runs is reported. Ratios > 1 mean lib/video is slower.
// Usage: npx tsx bench/video/index-speed.ts
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FrameStore, ffmpegPath, ffprobePath, generateSyntheticVideo, probeVideo } from "../../lib/video";

const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const work = mkdtempSync(path.join(tmpdir(), "gt-bench-video-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const deps = (await import(path.join(root, "scripts", "system-deps.mjs"))) as { ensureSampleVideos(root: string): string };
  const samples = process.env.GROUNDTRACK_SAMPLES ?? deps.ensureSampleVideos(root);
  const synth = path.join(work, "synthetic-640x360.mp4");
  await generateSyntheticVideo(synth, { width: 640, height: 360, frames: 300, cuts: [100, 200] }, 1);
  const files = [path.join(samples, "vtest.avi"), path.join(samples, "box.mp4"), path.join(samples, "Megamind.avi"), synth];

  console.log("index build (median ms of %d; ratio = lib/video / reference)", REPEAT);
  console.log("file                     frames  probeVideo  ffprobe-count  ratio  ffprobe-frames  ratio");
  for (const f of files) {
    const ours: number[] = [];
    const count: number[] = [];
    const show: number[] = [];
    let frames = 0;
    for (let i = 0; i < REPEAT; i++) {
      ours.push(await time(async () => (frames = (await probeVideo(f)).frameCount)));
      count.push(await time(() => execFileSync(ffprobePath(), ["-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", f], { stdio: ["ignore", "pipe", "ignore"] })));
      show.push(await time(() => execFileSync(ffprobePath(), ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=best_effort_timestamp_time", "-of", "csv=p=0", f], { maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "ignore"] })));
    }
    const [o, c, s] = [median(ours), median(count), median(show)];
    console.log(
      `${path.basename(f).padEnd(24)} ${String(frames).padStart(6)}  ${o.toFixed(0).padStart(10)}  ${c.toFixed(0).padStart(13)}  ${(o / c).toFixed(2).padStart(5)}  ${s.toFixed(0).padStart(14)}  ${(o / s).toFixed(2).padStart(5)}`,
    );
  }

  console.log("\ncold chunk extraction, all frames as JPEG (median ms of %d)", REPEAT);
  console.log("file                     frames  FrameStore(30/chunk)  ffmpeg-one-pass  ratio");
  for (const f of [path.join(samples, "vtest.avi"), synth]) {
    const meta = await probeVideo(f);
    const ours: number[] = [];
    const ref: number[] = [];
    for (let i = 0; i < REPEAT; i++) {
      const cacheDir = path.join(work, `cache-${i}`);
      const store = new FrameStore({ cacheDir, chunkSize: 30, format: "jpeg", maxConcurrentDecodes: 2 });
      const video = { id: "bench", path: f, meta };
      ours.push(await time(() => Promise.all(Array.from({ length: store.chunkCount(meta) }, (_, c) => store.getChunk(video, c)))));
      rmSync(cacheDir, { recursive: true, force: true });
      const out = path.join(work, `ref-${i}`);
      mkdirSync(out);
      ref.push(await time(() => execFileSync(ffmpegPath(), ["-v", "error", "-i", f, "-map", "0:v:0", "-vsync", "0", "-c:v", "mjpeg", "-q:v", "6", "-pix_fmt", "yuvj420p", "-f", "image2", path.join(out, "%06d.jpg")])));
      rmSync(out, { recursive: true, force: true });
    }
    const [o, r] = [median(ours), median(ref)];
    console.log(`${path.basename(f).padEnd(24)} ${String(meta.frameCount).padStart(6)}  ${o.toFixed(0).padStart(20)}  ${r.toFixed(0).padStart(15)}  ${(o / r).toFixed(2).padStart(5)}`);
  }
}

await main();
