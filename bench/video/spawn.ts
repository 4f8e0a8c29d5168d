// npm run bench:spawn — what starting ffmpeg costs the calling thread in a large process, with children forked from
// the process itself (the reference: node's spawn) against children started through the spawn helper
// (lib/video/spawn-helper.ts). The process first holds --ballast MB of touched memory, like one holding
// onnxruntime sessions (the SAM2 loop's process held 0.5–0.6 GB with SAM2-shape test models).
//
// Per spawn: "blocked" is the synchronous part of runBinary (node's spawn forks in it: the calling thread waits for
// the page-table copy), "lag" the worst event-loop delay a 1 ms timer saw while the child ran, "total" the time to
// the child's exit. The two ways alternate (ABAB), the same ffmpeg command each time (decode 8 frames of a small
// video to raw RGB on stdout).
// Usage: npm run bench:spawn [-- --ballast MB --spawns N]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { ffmpegPath, generateSyntheticVideo } from "../../lib/video";
import { runBinary } from "../../lib/video/run";

const { values } = parseArgs({ options: { ballast: { type: "string" }, spawns: { type: "string" } } });
const BALLAST_MB = Number(values.ballast ?? 600);
const SPAWNS = Number(values.spawns ?? 20);

// Touched pages, as a process holding model weights and arenas has them (untouched ones cost fork nothing).
const ballast: Uint8Array[] = [];
for (let i = 0; i < BALLAST_MB / 8; i++) ballast.push(new Uint8Array(8 * 2 ** 20).fill(1 + (i % 255)));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const work = mkdtempSync(path.join(tmpdir(), "gt-bench-spawn-"));
try {
  const file = path.join(work, "clip.mp4");
  await generateSyntheticVideo(file, { width: 320, height: 240, frames: 8, fps: 10, objects: [] }, 1);
  const args = ["-nostdin", "-hide_banner", "-loglevel", "error", "-i", file, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"];

  async function once(helper: boolean): Promise<{ blocked: number; lag: number; total: number }> {
    process.env.GROUNDTRACK_SPAWN_HELPER = helper ? "1" : "0";
    let lag = 0;
    let last = performance.now();
    const tick = setInterval(() => {
      const now = performance.now();
      lag = Math.max(lag, now - last - 1);
      last = now;
    }, 1);
    await new Promise((r) => setTimeout(r, 5));
    lag = 0;
    const t0 = performance.now();
    const run = runBinary(ffmpegPath(), args);
    const blocked = performance.now() - t0;
    const r = await run;
    const total = performance.now() - t0;
    clearInterval(tick);
    if (r.code !== 0 || r.stdout.length !== 8 * 320 * 240 * 3) throw new Error(`bench: ffmpeg gave ${r.stdout.length} bytes, code ${r.code}: ${r.stderr}`);
    return { blocked, lag: Math.max(lag, blocked), total };
  }

  // Warm-up: starts the helper (its own one-time fork) and pages in ffmpeg.
  await once(true);
  await once(false);
  const rows = { direct: [] as Array<{ blocked: number; lag: number; total: number }>, helper: [] as Array<{ blocked: number; lag: number; total: number }> };
  for (let i = 0; i < SPAWNS; i++) {
    rows.direct.push(await once(false));
    rows.helper.push(await once(true));
  }
  const rss = process.memoryUsage.rss() / 2 ** 20;
  console.log(`ffmpeg spawns from a process of ${rss.toFixed(0)} MB resident (${BALLAST_MB} MB ballast), ${SPAWNS} each way, alternating; medians:`);
  for (const [name, rs] of Object.entries(rows)) {
    console.log(
      `  ${name === "direct" ? "forked from this process (reference)" : "through the spawn helper         "}: thread blocked ${median(rs.map((r) => r.blocked)).toFixed(2)} ms, ` +
        `worst event-loop lag ${median(rs.map((r) => r.lag)).toFixed(2)} ms, time to exit ${median(rs.map((r) => r.total)).toFixed(1)} ms`,
    );
  }
  const ratio = (k: "blocked" | "lag" | "total") => (median(rows.direct.map((r) => r[k])) / median(rows.helper.map((r) => r[k]))).toFixed(1);
  console.log(`  reference / helper: blocked ${ratio("blocked")}×, event-loop lag ${ratio("lag")}×, time to exit ${ratio("total")}×`);
} finally {
  rmSync(work, { recursive: true, force: true });
  ballast.length = 0;
}
