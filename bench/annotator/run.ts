// bench:annotator — the annotator in real Chromium on a 1080p video with 300 context points:
//   1. keypress → painted frame latency (keydown event time → the requestAnimationFrame after the new frame's
//      image was drawn), p50 / p95, stepping forward and backward;
//   2. UI frame rate during playback (painted frames per second and the interval between them).
// Each number is printed with its ratio to one frame interval of 30 fps video (33.3 ms), measured in the same run.
// Usage: npm run bench:annotator [-- --frames 240 --steps 60]
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDb } from "../../lib/db";
import { createUser } from "../../lib/services/catalog";
import { createTask } from "../../lib/services/tasks";
import { registerVideo } from "../../lib/services/videos";
import { generateSyntheticVideo, ingestVideo } from "../../lib/video";
import { seededRandom } from "../../lib/random";
import { apiLogin, startServer } from "../../test/e2e/server";
import { launchChromium, loggedIn } from "../../test/e2e/browser";
import { openTask, readout } from "../../test/e2e/annotator-page";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const FRAMES = arg("frames", 240);
const STEPS = arg("steps", 60);
const CONTEXT = arg("context", 300);
const FPS = 30;
const FRAME_MS = 1000 / FPS;
const PASSWORD = "bench-password-1";

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const fmt = (ms: number) => `${ms.toFixed(1)} ms (${(ms / FRAME_MS).toFixed(2)}× a 33.3 ms frame)`;

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), "gt-bench-ann-"));
  const video = path.join(work, "bench-1080p.mp4");
  console.log(`[bench] generating a ${FRAMES}-frame 1920x1080 ${FPS} fps synthetic video (lib/video generator)`);
  await generateSyntheticVideo(video, { width: 1920, height: 1080, frames: FRAMES, fps: FPS, cuts: [] }, 11);

  let taskId = 0;
  let videoId = 0;
  const server = await startServer({
    prepare: async (dbUrl, dataDir) => {
      const db = createDb(dbUrl);
      try {
        const adminRow = await createUser(db, null, { username: "admin", displayName: "Admin", role: "admin", password: PASSWORD });
        await createUser(db, null, { username: "annotator", displayName: "Annotator", role: "annotator", password: PASSWORD });
        const admin = { id: adminRow.id, username: "admin", displayName: "Admin", role: "admin" as const };
        const project = await db.project.create({ data: { name: "Bench", createdById: admin.id } });
        const v = await registerVideo(db, admin, project.id, "bench-1080p.mp4", await ingestVideo(video, { storeDir: path.join(dataDir, "videos"), originalName: "bench-1080p.mp4" }));
        const expression = await db.expression.create({ data: { videoId: v.id, text: "every moving thing" } });
        const rnd = seededRandom(5);
        for (let k = 0; k <= CONTEXT; k++) await db.trackedObject.create({ data: { expressionId: expression.id, objectKey: k, label: `obj ${k}` } });
        const objects = await db.trackedObject.findMany({ where: { expressionId: expression.id }, orderBy: { objectKey: "asc" } });
        const rows = [];
        for (const o of objects.slice(1)) {
          for (let f = 0; f < FRAMES; f += 40) {
            rows.push({ objectId: o.id, frameIndex: f, x: 20 + rnd() * 1880, y: 20 + rnd() * 1040, state: rnd() < 0.1 ? "occluded" : "visible", source: "human", authorId: admin.id, version: 1 });
          }
        }
        await db.observation.createMany({ data: rows });
        const t = await createTask(db, admin, { videoId: v.id, expressionId: expression.id, objectKey: 0, seed: { frame: 0, x: 960, y: 540 }, assigneeId: null, priority: 0 });
        taskId = t.id;
        videoId = v.id;
      } finally {
        await db.$disconnect();
      }
    },
  });
  const browser = await launchChromium();
  try {
    // Decode every chunk once on the server so the numbers are the browser's, not ffmpeg's first decode.
    const cookie = await apiLogin(server.url, "annotator", PASSWORD);
    const t0 = Date.now();
    for (let c = 0; c < Math.ceil(FRAMES / 30); c++) {
      const r = await fetch(`${server.url}/api/videos/${videoId}/frames?chunk=${c}`, { headers: { cookie } });
      if (!r.ok) throw new Error(`chunk ${c}: HTTP ${r.status}`);
      await r.arrayBuffer();
    }
    console.log(`[bench] server decoded and cached ${Math.ceil(FRAMES / 30)} chunks of 30 frames in ${((Date.now() - t0) / 1000).toFixed(1)} s (not part of the UI numbers)`);

    const { page } = await loggedIn(browser, server.url, "annotator", PASSWORD);
    await page.setViewportSize({ width: 1600, height: 1000 });
    await openTask(page, taskId);
    const here = await page.$eval('[data-testid="toggle-context"]', (el) => el.parentElement?.textContent ?? "");
    console.log(`[bench] annotator open on task ${taskId}: ${here.trim()}`);
    // tsx keeps function names with an `__name` helper that does not exist inside the page.
    await page.evaluate("window.__name = (f) => f");
    await page.evaluate(() => {
      const w = window as unknown as { __bench: { downs: number[]; paints: { frame: number; t: number }[]; rafs: number[] } };
      w.__bench = { downs: [], paints: [], rafs: [] };
      window.addEventListener("keydown", (e) => { if (e.key.startsWith("Arrow")) w.__bench.downs.push(e.timeStamp); }, true);
      window.addEventListener("gt:painted", (e) => w.__bench.paints.push((e as CustomEvent<{ frame: number; t: number }>).detail));
    });

    async function step(key: "ArrowRight" | "ArrowLeft", n: number): Promise<number[]> {
      const lat: number[] = [];
      for (let i = 0; i < n; i++) {
        const target = (await readout(page)).frame + (key === "ArrowRight" ? 1 : -1);
        const before = await page.evaluate(() => (window as unknown as { __bench: { downs: number[] } }).__bench.downs.length);
        await page.keyboard.press(key);
        const r = await page.waitForFunction(
          ([f, d]) => {
            const b = (window as unknown as { __bench: { downs: number[]; paints: { frame: number; t: number }[] } }).__bench;
            const p = b.paints.findLast((x) => x.frame === f);
            return b.downs.length > d && p && p.t >= b.downs[d]! ? p.t - b.downs[d]! : null;
          },
          [target, before] as const,
          { timeout: 30_000, polling: "raf" },
        );
        lat.push((await r.jsonValue()) as number);
      }
      return lat;
    }

    const fwd = await step("ArrowRight", STEPS);
    const back = await step("ArrowLeft", STEPS);
    const again = await step("ArrowRight", STEPS);

    // Playback from frame 0: painted frames per second while playing (300 context points drawn each frame).
    await page.keyboard.press("Shift+ArrowLeft");
    await page.waitForFunction(() => document.querySelector('[data-testid="readout"]')?.getAttribute("data-painted-frame") === "0", null, { timeout: 30_000 }).catch(async () => {
      while ((await readout(page)).frame > 0) await page.keyboard.press("Shift+ArrowLeft");
    });
    const play = await page.evaluate(async (ms) => {
      const b = (window as unknown as { __bench: { paints: { frame: number; t: number }[] } }).__bench;
      b.paints = [];
      let rafs = 0;
      let run = true;
      const loop = () => { rafs++; if (run) requestAnimationFrame(loop); };
      requestAnimationFrame(loop);
      window.dispatchEvent(new KeyboardEvent("keydown", { key: " " }));
      window.dispatchEvent(new KeyboardEvent("keyup", { key: " " }));
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, ms));
      run = false;
      const t1 = performance.now();
      window.dispatchEvent(new KeyboardEvent("keydown", { key: " " }));
      window.dispatchEvent(new KeyboardEvent("keyup", { key: " " }));
      return { paints: b.paints.filter((p) => p.t >= t0 && p.t <= t1), rafs, seconds: (t1 - t0) / 1000 };
    }, Math.min(6000, ((FRAMES - 10) / FPS) * 1000));
    const intervals = play.paints.slice(1).map((p, i) => p.t - play.paints[i]!.t);
    const frames = play.paints.length ? play.paints[play.paints.length - 1]!.frame - play.paints[0]!.frame + 1 : 0;

    console.log("");
    console.log(`annotator benchmark — Chromium, 1920x1080 ${FPS} fps video, ${CONTEXT} context points, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}`);
    console.log(`  keypress → painted frame, forward  (first visit, prefetch)  p50 ${fmt(pct(fwd, 50))}, p95 ${fmt(pct(fwd, 95))}  [n=${fwd.length}]`);
    console.log(`  keypress → painted frame, backward                           p50 ${fmt(pct(back, 50))}, p95 ${fmt(pct(back, 95))}  [n=${back.length}]`);
    console.log(`  keypress → painted frame, forward again (cached)             p50 ${fmt(pct(again, 50))}, p95 ${fmt(pct(again, 95))}  [n=${again.length}]`);
    const paintedFps = play.paints.length / play.seconds;
    console.log(`  playback: ${play.paints.length} frames painted in ${play.seconds.toFixed(2)} s = ${paintedFps.toFixed(1)} fps (${(paintedFps / FPS).toFixed(2)}× the video's ${FPS} fps); video frames covered ${frames}`);
    if (intervals.length) console.log(`  playback paint interval p50 ${fmt(pct(intervals, 50))}, p95 ${fmt(pct(intervals, 95))}; page rAF rate ${(play.rafs / play.seconds).toFixed(1)} Hz`);
  } finally {
    await browser.close();
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
