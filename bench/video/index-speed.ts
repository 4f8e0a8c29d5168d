// Benchmark: building the frame-exact index (probeVideo: one ffmpeg decode → per-frame pts + shot scores)
// against ffprobe measured in the same run — `ffprobe -count_frames` (decodes, counts only) and
// `ffprobe -show_frames` (decodes, prints per-frame timestamps: the index without shots). Also cold chunk
// extraction through FrameStore (all chunks, JPEG) against one ffmpeg pass writing every frame as JPEG.
// Runs are interleaved and the median of REPEAT runs is reported, as wall time and as CPU time (this process
// plus its waited-for children, from /proc/self/stat — stable on a loaded machine). Ratios > 1 mean lib/video
// is slower.
// Usage: npx tsx bench/video/index-speed.ts
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FrameStore, ffmpegPath, ffprobePath, generateSyntheticVideo, probeVideo } from "../../lib/video";

const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const work = mkdtempSync(path.join(tmpdir(), "gt-bench-video-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** CPU ms used so far by this process and its reaped children (Linux; clock ticks are 10 ms). */
function cpuMs(): number {
  const own = process.cpuUsage();
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  const children = (Number(fields[13]) + Number(fields[14])) * 10; // cutime + cstime (fields 16, 17)
  return (own.user + own.system) / 1000 + children;
}

interface Sample {
  wall: number;
  cpu: number;
}
async function time(fn: () => unknown): Promise<Sample> {
  const t0 = performance.now();
  const c0 = cpuMs();
  await fn();
  return { wall: performance.now() - t0, cpu: cpuMs() - c0 };
}
const med = (xs: Sample[]) => ({ wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)) });
const cell = (x: { wall: number; cpu: number }) => `${x.wall.toFixed(0)}/${x.cpu.toFixed(0)}`.padStart(11);
const ratio = (a: { wall: number; cpu: number }, b: { wall: number; cpu: number }) => `${(a.wall / b.wall).toFixed(2)}/${(a.cpu / b.cpu).toFixed(2)}`.padStart(9);

async function main(): Promise<void> {
  const deps = (await import(path.join(root, "scripts", "system-deps.mjs"))) as { ensureSampleVideos(root: string): string };
  const samples = process.env.GROUNDTRACK_SAMPLES ?? deps.ensureSampleVideos(root);
  const synth = path.join(work, "synthetic-640x360.mp4");
  await generateSyntheticVideo(synth, { width: 640, height: 360, frames: 300, cuts: [100, 200] }, 1);
  const files = [path.join(samples, "vtest.avi"), path.join(samples, "box.mp4"), path.join(samples, "Megamind.avi"), synth];

  console.log("index build: median wall/CPU ms of %d runs; ratio = lib/video / reference (wall/CPU)", REPEAT);
  console.log("file                     frames   probeVideo  ffprobe-count      ratio  ffprobe-frames      ratio");
  for (const f of files) {
    const ours: Sample[] = [];
    const count: Sample[] = [];
    const show: Sample[] = [];
    let frames = 0;
    for (let i = 0; i < REPEAT; i++) {
      ours.push(await time(async () => (frames = (await probeVideo(f)).frameCount)));
      count.push(await time(() => execFileSync(ffprobePath(), ["-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", f], { stdio: ["ignore", "pipe", "ignore"] })));
      show.push(await time(() => execFileSync(ffprobePath(), ["-v", "error", "-select_streams", "v:0", "-show_entries", "frame=best_effort_timestamp_time", "-of", "csv=p=0", f], { maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "ignore"] })));
    }
    const [o, c, s] = [med(ours), med(count), med(show)];
    console.log(`${path.basename(f).padEnd(24)} ${String(frames).padStart(6)}  ${cell(o)}    ${cell(c)}  ${ratio(o, c)}     ${cell(s)}  ${ratio(o, s)}`);
  }

  console.log("\ncold chunk extraction, every frame as JPEG: median wall/CPU ms of %d runs", REPEAT);
  console.log("file                     frames  FrameStore(30/chunk)  ffmpeg-one-pass      ratio");
  for (const f of [path.join(samples, "vtest.avi"), synth]) {
    const meta = await probeVideo(f);
    const ours: Sample[] = [];
    const ref: Sample[] = [];
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
    const [o, r] = [med(ours), med(ref)];
    console.log(`${path.basename(f).padEnd(24)} ${String(meta.frameCount).padStart(6)}  ${cell(o).padStart(20)}  ${cell(r).padStart(15)}  ${ratio(o, r)}`);
  }
}

await main();
