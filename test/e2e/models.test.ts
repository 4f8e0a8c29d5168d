// Real-browser /models: the production build on a real server, Chromium through playwright-core. Seeds two model
// versions on one frozen split and a running training run with loss/metric rows, then: any signed-in user sees
// the runs, the curves (with hover values) and the comparison; the page follows the run as it trains (rows written
// by another process); an admin promotes the better version through the confirmation dialog; a stale action shows
// the server's 409 and changes nothing.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { createDb, type Db } from "../../lib/db";
import { promoteVersion, registerBuiltinVersion } from "../../lib/services/models";
import { apiLogin, startServer, type RunningServer } from "./server";
import { ARTIFACTS, launchChromium, loggedIn, shot } from "./browser";

let server: RunningServer;
let browser: Browser;
let db: Db;
let modelsDir: string;
let runId: number;

const metrics = (f1: number, hota: number, count: number, close: number) => ({
  engine: "builtin-tiny", evaluatedAt: "2026-11-21T12:00:00.000Z",
  overall: { examples: 6, f1, precision: f1 + 0.02, recall: f1 - 0.02, HOTA: hota, DetA: hota + 0.05, AssA: hota - 0.05, countAccuracy: count, closeAccuracy: close },
  bySource: { synth: { examples: 4, f1: f1 + 0.05, HOTA: hota, countAccuracy: count, closeAccuracy: close }, tasks: { examples: 2, f1: f1 - 0.1, HOTA: hota, countAccuracy: count, closeAccuracy: close } },
  perExample: Array.from({ length: 6 }, (_, i) => ({ id: `synth-test-${i}`, source: i < 4 ? "synth" : "tasks", expression: `shape ${i}`, f1: Math.min(1, f1 + 0.1 * (i - 2.5)), HOTA: hota, gtCount: 2, predCount: i === 0 ? 1 : 2, countCorrect: i !== 0, countClose: true })),
});

function metricRows(from: number, to: number) {
  const rows: Array<{ runId: number; step: number; name: string; value: number }> = [];
  for (let s = from; s <= to; s++) {
    const d = Math.exp(-s / 60);
    rows.push({ runId, step: s, name: "loss", value: 0.6 + 5 * d + 0.08 * Math.sin(s) });
    rows.push({ runId, step: s, name: "loss_patch", value: 0.25 + 2.2 * d });
    rows.push({ runId, step: s, name: "loss_subpatch", value: 0.2 + 1.4 * d });
    rows.push({ runId, step: s, name: "loss_location", value: 0.1 + 0.9 * d });
    rows.push({ runId, step: s, name: "loss_id", value: 0.05 + 0.5 * d });
    rows.push({ runId, step: s, name: "lr", value: 5e-4 * Math.min(1, s / 20) });
    if (s % 20 === 0) rows.push({ runId, step: s, name: "val_f1", value: 0.7 - 0.6 * d });
    if (s % 20 === 0) rows.push({ runId, step: s, name: "val_hota", value: 0.55 - 0.5 * d });
  }
  return rows;
}

before(async () => {
  modelsDir = mkdtempSync(path.join(os.tmpdir(), "gt-e2e-models-"));
  server = await startServer({ env: { GROUNDTRACK_MODELS_DIR: modelsDir } });
  browser = await launchChromium();
  db = createDb(server.dbUrl);
  process.env.GROUNDTRACK_MODELS_DIR = modelsDir; // the registry writes the promoted pointer here from this process too
  const snap = await db.datasetSnapshot.create({ data: { name: "snap-e2e", contentHash: "c-e2e", benchmarkHash: "bench-e2e", path: path.join(modelsDir, "snap"), counts: JSON.stringify({ train: { synth: 24 }, test: { synth: 6 } }) } });
  for (const [name, m] of [["tiny-v1", metrics(0.52, 0.41, 0.5, 0.83)], ["tiny-v2", metrics(0.64, 0.5, 0.67, 1)]] as const) {
    const dir = path.join(modelsDir, "versions", name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "config.json"), "{}\n");
    await registerBuiltinVersion(db, null, { version: name, dir, snapshotId: snap.id, benchmarkHash: "bench-e2e", metrics: m });
  }
  await promoteVersion(db, null, "tiny-v1", { promoted: true, reason: "first version on the frozen split", against: null });
  const run = await db.trainingRun.create({ data: { status: "running", snapshotId: snap.id, steps: 300, step: 120, stage: "train", loss: 1.3, attempts: 1, workerPid: process.pid, workerHost: os.hostname(), heartbeatAt: new Date(), startedAt: new Date(Date.now() - 95_000), checkpointDir: path.join(modelsDir, "ckpt"), config: JSON.stringify({ steps: 300, batchSize: 4, lr: 0.0005, seed: 1 }) } });
  runId = run.id;
  await db.trainingMetric.createMany({ data: metricRows(1, 120) });
});

after(async () => {
  await db?.$disconnect();
  await browser?.close();
  await server?.stop();
  rmSync(modelsDir, { recursive: true, force: true });
});

test("/models: runs, curves with hover values, live progress, comparison; admin promotes through the dialog; a stale action shows the 409", async () => {
  const t0 = Date.now();
  const phase = (name: string) => console.log(`[e2e models] ${name} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // An annotator reads everything but has no actions.
  const A = await loggedIn(browser, server.url, "annotator", server.passwords.annotator!);
  await A.page.goto("/");
  await A.page.click('header nav a[href="/models"]');
  await A.page.waitForSelector('[data-testid="loss-chart"] path[data-series="loss_id"]');
  assert.equal(await A.page.locator('[data-testid^="promote-"]').count(), 0, "no admin actions for an annotator");
  assert.equal(await A.page.locator('[data-testid="register-external"]').count(), 0);
  await A.context.close();

  const { page, context } = await loggedIn(browser, server.url, "admin", server.passwords.admin!);
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto("/models");
  await page.waitForSelector(`[data-testid="run-detail"][data-run="${runId}"]`);
  // Curves: total loss and the four heads, validation F1 and HOTA, every stored point.
  for (const s of ["loss", "loss_patch", "loss_subpatch", "loss_location", "loss_id"]) {
    await page.waitForSelector(`[data-testid="loss-chart"] path[data-series="${s}"][data-points="120"]`);
  }
  for (const s of ["val_f1", "val_hota"]) await page.waitForSelector(`[data-testid="metric-chart"] path[data-series="${s}"][data-points="6"]`);
  await page.waitForSelector('[data-testid="chart-lr"] path[data-series="lr"][data-points="120"]');
  assert.equal(await page.textContent(`[data-testid="run-${runId}-progress"]`), "120/300");
  assert.equal(await page.textContent('[data-testid="promoted"]'), "tiny-v1");

  phase("curves shown");
  // Hover: the crosshair box lists every series' value at the nearest step.
  const hit = page.locator('[data-testid="loss-chart-hit"]');
  const box = (await hit.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
  const tip = page.locator('[data-testid="loss-chart"] [data-testid="chart-hover"]');
  await tip.waitFor();
  const tipText = (await tip.textContent()) ?? "";
  assert.match(tipText, /^step \d+/);
  const step = Number(/^step (\d+)/.exec(tipText)![1]);
  assert.ok(step > 40 && step < 80, `hovered step ${step} is mid-chart`);
  const expected = 0.25 + 2.2 * Math.exp(-step / 60);
  assert.match(tipText, new RegExp(`loss_patch: ${Number(expected.toPrecision(3))}`));

  // Comparison: A = promoted tiny-v1, B = candidate tiny-v2, deltas B − A.
  await page.waitForSelector('[data-testid="comparison"]');
  assert.equal((await page.textContent('[data-testid="delta-pointF1"]'))?.trim(), "+12.0");
  assert.equal((await page.textContent('[data-testid="delta-countAcc"]'))?.trim(), "+17.0");
  assert.equal(await page.locator('[data-testid="benchmark-warning"]').count(), 0, "same frozen split");
  await page.screenshot({ path: path.join(ARTIFACTS, "models-overview.png"), fullPage: true });
  await page.locator('[data-testid="loss-chart"]').screenshot({ path: path.join(ARTIFACTS, "models-loss-chart.png") });

  // Smoothing: the loss lines become an EMA over the raw values, which stay faint underneath.
  await page.locator('[data-testid="smoothing"]').fill("0.9");
  await page.waitForSelector('[data-testid="loss-chart"] path[data-series="loss (raw)"][data-points="120"]');
  await page.locator('[data-testid="loss-chart"]').screenshot({ path: path.join(ARTIFACTS, "models-loss-smoothed.png") });
  await page.locator('[data-testid="smoothing"]').fill("0");
  await page.waitForSelector('[data-testid="loss-chart"] path[data-series="loss (raw)"]', { state: "detached" });
  // A version's detail: per-source numbers and its benchmark examples, worst point F1 first.
  await page.click('[data-testid="expand-tiny-v2"]');
  const detail = page.locator('[data-testid="detail-tiny-v2"]');
  await detail.locator("tbody tr").first().waitFor();
  const firstExample = (await detail.locator("table").nth(1).locator("tbody tr").first().textContent()) ?? "";
  assert.match(firstExample, /^synth-test-0synth“shape 0”39\.0/);
  assert.match((await detail.locator("table").first().textContent()) ?? "", /tasks254\.0/);
  await detail.screenshot({ path: path.join(ARTIFACTS, "models-version-detail.png") });
  await page.click('[data-testid="expand-tiny-v2"]');
  phase("comparison checked");
  // Live: the run advances in another process (the trainer writes rows); the page follows without a reload.
  await db.trainingMetric.createMany({ data: metricRows(121, 200) });
  await db.trainingRun.update({ where: { id: runId }, data: { step: 200, loss: 0.9 } });
  await page.waitForSelector('[data-testid="loss-chart"] path[data-series="loss"][data-points="200"]', { timeout: 15_000 });
  assert.equal(await page.textContent(`[data-testid="run-${runId}-progress"]`), "200/300");
  await page.waitForSelector('[data-testid="metric-chart"] path[data-series="val_f1"][data-points="10"]');

  phase("live update shown");
  // Promote tiny-v2 through the dialog: it shows both versions' numbers, then the page reflects the new state.
  await page.click('[data-testid="promote-tiny-v2"]');
  const dialog = page.locator('[data-testid="confirm-dialog"]');
  await dialog.waitFor();
  assert.match((await dialog.textContent()) ?? "", /replacing tiny-v1/);
  await shot(page, "models-promote-dialog");
  await page.click('[data-testid="confirm"]');
  await page.waitForSelector('[data-testid="notice"]');
  assert.match((await page.textContent('[data-testid="notice"]')) ?? "", /tiny-v2 is now the promoted model; tiny-v1 was retired/);
  await page.waitForSelector('tr[data-version="tiny-v2"][data-status="promoted"]');
  await page.waitForSelector('tr[data-version="tiny-v1"][data-status="retired"]');
  assert.equal(await page.textContent('[data-testid="promoted"]'), "tiny-v2");
  assert.equal(JSON.parse(readFileSync(path.join(modelsDir, "versions", "promoted.json"), "utf8")).version, "tiny-v2");
  const admin = await apiLogin(server.url, "admin", server.passwords.admin!);
  const v2 = (await (await fetch(`${server.url}/api/models/tiny-v2`, { headers: { cookie: admin } })).json()) as { version: { decision: { manual: boolean; against: string } } };
  assert.deepEqual([v2.version.decision.manual, v2.version.decision.against], [true, "tiny-v1"]);

  phase("promoted");
  // Stale: tiny-v2 is retired elsewhere; retiring it from this (stale) page is refused with the server's reason.
  const r = await fetch(`${server.url}/api/models/tiny-v2/retire`, { method: "POST", headers: { cookie: admin, "content-type": "application/json" }, body: "{}" });
  assert.equal(r.status, 200);
  await page.click('[data-testid="retire-tiny-v2"]');
  await dialog.waitFor();
  await page.click('[data-testid="confirm"]');
  await page.waitForSelector('[data-testid="dialog-error"]');
  assert.match((await page.textContent('[data-testid="dialog-error"]')) ?? "", /'tiny-v2' is now retired \(the page showed promoted\)/);
  assert.equal(await page.locator('[data-testid="confirm"]').count(), 0, "a stale decision cannot be re-sent");
  await page.waitForSelector('tr[data-version="tiny-v2"][data-status="retired"]'); // the page reloaded behind the dialog
  await shot(page, "models-stale-409");
  await page.click('[data-testid="confirm-dialog"] button[type="button"]');

  phase("stale 409 shown");
  // Register an external model: a bad endpoint is refused with the field named; a good one appears as a candidate.
  const reg = page.locator('[data-testid="register-external"]');
  await reg.locator('input[name="version"]').fill("molmo2-8b-vllm");
  await reg.locator('input[name="endpoint"]').fill("ftp://127.0.0.1/v1");
  await reg.locator('input[name="model"]').fill("allenai/Molmo2-8B");
  await reg.locator('button[type="submit"]').click();
  await reg.locator('[role="alert"]').waitFor();
  assert.match((await reg.locator('[role="alert"]').textContent()) ?? "", /endpoint/);
  await reg.locator('input[name="endpoint"]').fill("http://127.0.0.1:8000/v1");
  await reg.locator('button[type="submit"]').click();
  await page.waitForSelector('tr[data-version="molmo2-8b-vllm"][data-status="candidate"]');
  assert.match((await page.textContent('tr[data-version="molmo2-8b-vllm"]')) ?? "", /external.*allenai\/Molmo2-8B @ http:\/\/127\.0\.0\.1:8000\/v1.*External model: not evaluated on the frozen split yet/);
  phase("external model registered");

  // Start a run from the page: a real `train run` process; this snapshot's files do not exist, so the run fails
  // with a clear code and the page shows it (no candidate, nothing promoted).
  await page.fill('[data-testid="start-run"] input[name="steps"]', "3");
  await page.fill('[data-testid="start-run"] input[name="processes"]', "2");
  await page.click('[data-testid="start-run"] button[type="submit"]');
  await page.waitForFunction(() => /Training run #\d+ started/.test(document.querySelector('[data-testid="notice"]')?.textContent ?? ""), null, { timeout: 60_000 });
  const started = Number(/#(\d+)/.exec((await page.textContent('[data-testid="notice"]'))!)![1]);
  assert.ok(started > runId);
  await page.waitForSelector(`tr[data-run="${started}"][data-status="failed"]`, { timeout: 60_000 });
  assert.match((await page.textContent(`tr[data-run="${started}"]`)) ?? "", /corrupt_snapshot/);
  await page.waitForSelector(`[data-testid="run-detail"][data-run="${started}"]`);
  await page.screenshot({ path: path.join(ARTIFACTS, "models-full.png"), fullPage: true });
  phase("failed run shown");
  assert.deepEqual(pageErrors, [], "no script error (hydration included)");
  await context.close();
});

