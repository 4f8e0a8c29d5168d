// npm run bench:lk — Lucas–Kanade point tracking speed on real 1080p footage.
//
// A real OpenCV sample video ($GROUNDTRACK_SAMPLES or data/samples, fetched by scripts/system-deps.mjs when
// missing; default cup.mp4) is scaled to 1920×1080 with ffmpeg. Reported, each as fps and as the real-time
// factor (fps ÷ the video's own fps, measured from the same file in the same run):
//   decode      ffmpeg decoding the 1080p file to 8-bit gray (the I/O every tracker pays)
//   lk@1080p    pyramid (4 levels) + forward–backward LK for K points on full-resolution frames (K = 1, 16, 64;
//               default adaptive window; a point the checks drop is re-seeded where it was, keeping the load)
//   propagate   lib/tracking propagatePoint end to end (frame-exact decode through lib/video, 640-px working width)
// Wall-clock fps depends on machine load; the "cpu fps" column divides by this process's CPU time instead
// (for decode and propagate it excludes the ffmpeg child processes, so there only wall time is comparable).
// Usage: npm run bench:lk [-- --video cup.mp4 --frames 120]
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ffmpegPath, probeVideo } from "../../lib/video";
import { buildPyramid, grayFromBytes, type GrayImage } from "../../lib/tracking/pyramid";
import { LucasKanade, PointTracker } from "../../lib/tracking/lk";
import { propagatePoint } from "../../lib/tracking/propagate";

const { values } = parseArgs({ options: { video: { type: "string" }, frames: { type: "string" } } });
const FRAMES = Number(values.frames ?? 120);
const W = 1920, H = 1080;

async function samplesDir(): Promise<string> {
  if (process.env.GROUNDTRACK_SAMPLES && existsSync(process.env.GROUNDTRACK_SAMPLES)) return process.env.GROUNDTRACK_SAMPLES;
  const root = path.resolve(import.meta.dirname, "..", "..");
  const mod = (await import(path.join(root, "scripts", "system-deps.mjs"))) as { ensureSampleVideos(root: string): string };
  return mod.ensureSampleVideos(root);
}

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(ffmpegPath(), args, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    p.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exit ${code}: ${err}`))));
  });
}

/** Decodes up to `n` frames as 8-bit gray; returns them and the decode wall time. */
function decodeGray(file: string, n: number): Promise<{ frames: Uint8Array[]; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(ffmpegPath(), ["-nostdin", "-v", "error", "-i", file, "-frames:v", String(n), "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"], { stdio: ["ignore", "pipe", "pipe"] });
    const size = W * H;
    const frames: Uint8Array[] = [];
    let cur = new Uint8Array(size);
    let fill = 0;
    p.stdout.on("data", (c: Buffer) => {
      let o = 0;
      while (o < c.length) {
        const k = Math.min(size - fill, c.length - o);
        cur.set(c.subarray(o, o + k), fill);
        fill += k;
        o += k;
        if (fill === size) {
          frames.push(cur);
          cur = new Uint8Array(size);
          fill = 0;
        }
      }
    });
    p.on("close", (code) => (code === 0 ? resolve({ frames, ms: performance.now() - t0 }) : reject(new Error(`ffmpeg decode exit ${code}`))));
  });
}

/** The k most trackable grid points (largest structure-tensor minimum eigenvalue, 21-px window). */
function goodPoints(img: GrayImage, k: number): Array<[number, number]> {
  const lk = new LucasKanade({ window: 21 });
  const cand: Array<[number, number, number]> = [];
  for (let y = 60; y < img.height - 60; y += 30) for (let x = 60; x < img.width - 60; x += 30) cand.push([x, y, lk.minEigenvalue(img, x, y)]);
  cand.sort((a, b) => b[2] - a[2]);
  return cand.slice(0, k).map(([x, y]) => [x, y]);
}

async function main(): Promise<void> {
  const name = values.video ?? "cup.mp4";
  const src = path.join(await samplesDir(), name);
  if (!existsSync(src)) throw new Error(`sample video ${src} not found`);
  const dir = mkdtempSync(path.join(tmpdir(), "gt-bench-lk-"));
  try {
    const file = path.join(dir, "hd.mp4");
    await run(["-nostdin", "-v", "error", "-y", "-i", src, "-frames:v", String(FRAMES), "-vf", `scale=${W}:${H}:flags=bicubic`, "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", "-an", file]);
    const meta = await probeVideo(file);
    const fps = meta.fps;
    const { frames, ms: decodeMs } = await decodeGray(file, FRAMES);
    const n = frames.length;
    console.log(`video: ${name} scaled to ${meta.width}x${meta.height}, ${n} frames, ${fps.toFixed(2)} fps (real-time = ${fps.toFixed(2)} fps)`);
    const rows: Array<[string, number, number | null]> = [["decode (ffmpeg → gray)", (n / decodeMs) * 1000, null]];
    const first = grayFromBytes(W, H, frames[0]);
    for (const K of [1, 16, 64]) {
      const pts = goodPoints(first, K);
      const trackers = pts.map(() => new PointTracker());
      const buf = [new Float32Array(W * H), new Float32Array(W * H)];
      let pyr = buildPyramid(grayFromBytes(W, H, frames[0], buf[0]), 4);
      trackers.forEach((t, i) => t.start(pyr, pts[i][0], pts[i][1]));
      let lost = 0;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let f = 1; f < n; f++) {
        pyr = buildPyramid(grayFromBytes(W, H, frames[f], buf[f % 2]), 4);
        for (let i = 0; i < trackers.length; i++) {
          const s = trackers[i].step(pyr);
          if (s.state !== "visible") {
            lost++;
            trackers[i].start(pyr, Math.min(W - 1, Math.max(0, s.x)), Math.min(H - 1, Math.max(0, s.y))); // re-seed: keep the workload constant
          }
        }
      }
      const sec = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      rows.push([`lk@1080p, ${K} point${K > 1 ? "s" : ""} (${lost} re-seeds)`, (n - 1) / sec, (n - 1) / ((c.user + c.system) / 1e6)]);
    }
    const pts = goodPoints(first, 1);
    for (const workWidth of [640, 1920]) {
      const t0 = performance.now();
      const r = await propagatePoint({ video: { id: "bench", path: file, meta }, from: { frame: 0, x: pts[0][0] + 0.5, y: pts[0][1] + 0.5 }, direction: "forward", workWidth });
      const sec = (performance.now() - t0) / 1000;
      const done = r.stops.forward?.lastFrame ?? 0;
      rows.push([`propagate end-to-end @${workWidth}px (${done} frames, stop: ${r.stops.forward?.reason})`, done / sec, null]);
    }
    console.log("");
    console.log(`${"stage".padEnd(58)} ${"wall fps".padStart(9)} ${"× real-time".padStart(12)} ${"cpu fps".padStart(9)} ${"× real-time".padStart(12)}`);
    for (const [label, v, c] of rows) {
      const cpu = c === null ? ["-", "-"] : [c.toFixed(1), (c / fps).toFixed(2)];
      console.log(`${label.padEnd(58)} ${v.toFixed(1).padStart(9)} ${(v / fps).toFixed(2).padStart(12)} ${cpu[0].padStart(9)} ${cpu[1].padStart(12)}`);
    }
    console.log(`\nload average ${(await import("node:os")).loadavg().map((l) => l.toFixed(1)).join(" ")} on ${(await import("node:os")).cpus().length} CPUs`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
