// Real-browser upload check: ffmpeg.wasm (served by the app from node_modules/@ffmpeg/core) probes the chosen file
// in Chromium; a real video shows its first frame and details and uploads; a non-video is refused with no request.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { ffmpegPath } from "../../lib/video";
import { apiLogin, startServer, type RunningServer } from "./server";
import { launchChromium, loggedIn, shot } from "./browser";

let server: RunningServer;
let browser: Browser;
let dir: string;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "gt-e2e-upload-"));
  server = await startServer();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("the ffmpeg core is served by the app, to signed-in users, allow-listed names only", async () => {
  assert.equal((await fetch(`${server.url}/ffmpeg-core/ffmpeg-core.wasm`)).status, 401);
  const cookie = await apiLogin(server.url, "annotator", server.passwords.annotator!);
  const wasm = await fetch(`${server.url}/ffmpeg-core/ffmpeg-core.wasm`, { headers: { cookie } });
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers.get("content-type"), "application/wasm");
  // The body really is WebAssembly (magic "\0asm"); the rest is not needed here (the probe test loads it whole).
  const reader = wasm.body!.getReader();
  const first = await reader.read();
  assert.deepEqual([...(first.value ?? new Uint8Array()).subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d]);
  await reader.cancel();
  assert.equal((await fetch(`${server.url}/ffmpeg-core/..%2Fpackage.json`, { headers: { cookie } })).status, 404);
  assert.equal((await fetch(`${server.url}/ffmpeg-core/package.json`, { headers: { cookie } })).status, 404);
});

test("probe before upload: a real video shows its first frame and uploads; a non-video is refused unsent", async () => {
  const video = path.join(dir, "bars.mp4");
  const mk = spawnSync(ffmpegPath(), ["-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=25:duration=2", "-c:v", "libx264", "-pix_fmt", "yuv420p", video]);
  assert.equal(mk.status, 0, mk.stderr?.toString());
  const bogus = path.join(dir, "notes.mp4");
  writeFileSync(bogus, "definitely not a video\n".repeat(100));

  const { page, context } = await loggedIn(browser, server.url, "admin", server.passwords.admin!);
  const uploads: string[] = [];
  page.on("request", (r) => { if (r.url().includes("/api/videos/upload")) uploads.push(r.url()); });
  const cdn: string[] = [];
  page.on("request", (r) => { if (!r.url().startsWith(server.url) && !r.url().startsWith("blob:") && !r.url().startsWith("data:")) cdn.push(r.url()); });
  await page.goto("/upload");

  await page.setInputFiles('[data-testid="file"]', bogus);
  await page.waitForSelector('[data-testid="refused"]', { timeout: 60_000 });
  assert.equal(await page.textContent('[data-testid="decodable"]'), "no");
  assert.equal(await page.locator('[data-testid="send"]').count(), 0, "no upload button for a refused file");
  await shot(page, "upload-refused");
  assert.deepEqual(uploads, [], "nothing was sent");

  await page.setInputFiles('[data-testid="file"]', video);
  await page.waitForSelector('[data-testid="probe"][data-ok="1"]', { timeout: 60_000 });
  assert.equal(await page.textContent('[data-testid="decodable"]'), "yes");
  assert.match((await page.textContent('[data-testid="codec"]')) ?? "", /^h264/);
  assert.equal(await page.textContent('[data-testid="duration"]'), "2.00 s");
  // The probe is done before the browser has decoded the frame's blob URL: wait for the image itself.
  await page.waitForFunction(() => {
    const img = document.querySelector('[data-testid="first-frame"]') as HTMLImageElement | null;
    return img !== null && img.complete && img.naturalWidth > 0;
  }, undefined, { timeout: 30_000 });
  const natural = await page.$eval('[data-testid="first-frame"]', (img) => [(img as HTMLImageElement).naturalWidth, (img as HTMLImageElement).naturalHeight]);
  assert.deepEqual(natural, [320, 180]);
  await shot(page, "upload-probed");
  assert.deepEqual(uploads, [], "probing sends nothing");

  await page.click('[data-testid="send"]');
  await page.waitForSelector('[data-testid="uploaded"]', { timeout: 60_000 });
  assert.match((await page.textContent('[data-testid="uploaded"]')) ?? "", /50 frames indexed/);
  assert.equal(uploads.length, 1);
  assert.deepEqual(cdn, [], "no request left the app (no CDN)");
  await context.close();
});
