// /api/models and /api/training route handlers on a real SQLite DB and the real registry: auth (401/403), the
// page's view (headline metrics, decisions), comparison deltas, promotion/retirement through the registry's rules
// with stale-view 409s and the note a promotion by hand over the benchmark needs, external registration, curves.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestDb, type TestDb } from "../../helpers/db";
import { call, loginCookie, seedWorld, type World } from "../../helpers/app";
import { registerBuiltinVersion, rejectVersion } from "../../../lib/services/models";
import * as models from "../../../app/api/models/route";
import * as version from "../../../app/api/models/[version]/route";
import * as promote from "../../../app/api/models/[version]/promote/route";
import * as retire from "../../../app/api/models/[version]/retire/route";
import * as compare from "../../../app/api/models/compare/route";
import * as external from "../../../app/api/models/external/route";
import * as runs from "../../../app/api/training/runs/route";
import * as run from "../../../app/api/training/runs/[id]/route";
import * as snapshots from "../../../app/api/training/snapshots/route";

let t: TestDb;
let w: World;
let modelsDir: string;
let runId: number;
const cookies = { admin: "", rev: "", ann1: "" };

const overall = (f1: number, hota: number, count: number, close: number) => ({ overall: { examples: 4, f1, precision: f1, recall: f1, HOTA: hota, DetA: hota, AssA: hota, countAccuracy: count, closeAccuracy: close } });

async function builtin(name: string, metrics: Record<string, unknown>, snapshotId: number, benchmarkHash = "bench-1") {
  const dir = path.join(modelsDir, "versions", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "config.json"), "{}\n");
  return registerBuiltinVersion(t.db, w.users.admin, { version: name, dir, snapshotId, benchmarkHash, metrics });
}

before(async () => {
  modelsDir = mkdtempSync(path.join(os.tmpdir(), "gt-models-api-"));
  process.env.GROUNDTRACK_MODELS_DIR = modelsDir;
  t = await createTestDb();
  process.env.DATABASE_URL = t.url;
  w = await seedWorld(t.db);
  for (const u of ["admin", "rev", "ann1"] as const) cookies[u] = await loginCookie(u, w.password);
  const snap = await t.db.datasetSnapshot.create({ data: { name: "snap-a", contentHash: "c1", benchmarkHash: "bench-1", path: path.join(modelsDir, "snap"), counts: JSON.stringify({ train: { synth: 8 }, test: { synth: 4 } }) } });
  await builtin("v1", overall(0.5, 0.4, 0.5, 0.75), snap.id);
  await builtin("v2", overall(0.6, 0.45, 0.75, 1), snap.id);
  await builtin("v3-worse", overall(0.3, 0.2, 0.25, 0.5), snap.id);
  await builtin("v4-other-split", overall(0.9, 0.9, 1, 1), snap.id, "bench-2");
  const r = await t.db.trainingRun.create({ data: { status: "running", snapshotId: snap.id, steps: 400, step: 300, stage: "train", loss: 0.8, checkpointDir: path.join(modelsDir, "ckpt"), config: JSON.stringify({ lr: 0.001, batchSize: 4 }) } });
  runId = r.id;
  const rows: Array<{ runId: number; step: number; name: string; value: number }> = [];
  for (let s = 1; s <= 300; s++) {
    rows.push({ runId, step: s, name: "loss", value: 4 / Math.sqrt(s) + (s === 150 ? 3 : 0) });
    rows.push({ runId, step: s, name: "loss_patch", value: 2 / Math.sqrt(s) });
    if (s % 100 === 0) rows.push({ runId, step: s, name: "val_f1", value: s / 500 });
  }
  await t.db.trainingMetric.createMany({ data: rows });
});

after(async () => {
  const { getDb } = await import("../../../lib/db");
  await getDb().$disconnect();
  await t.close();
  rmSync(modelsDir, { recursive: true, force: true });
});

const P = (v: string) => ({ params: { version: v } });

describe("auth", () => {
  it("every route needs a session (401); reading is for any role; actions are admin-only (403)", async () => {
    for (const [h, opts] of [
      [models.GET, {}], [version.GET, P("v1")], [compare.GET, { path: "/api/models/compare?a=v1&b=v2" }], [runs.GET, {}],
      [run.GET, { params: { id: String(runId) } }], [snapshots.GET, {}],
    ] as const) {
      assert.equal((await call(h, opts)).status, 401);
      assert.equal((await call(h, { ...opts, cookie: cookies.ann1 })).status, 200);
    }
    for (const [h, opts] of [[promote.POST, { ...P("v2"), body: {} }], [retire.POST, { ...P("v2"), body: {} }], [external.POST, { body: { version: "x", endpoint: "http://127.0.0.1:9/v1", model: "m" } }]] as const) {
      assert.equal((await call(h, opts)).status, 401);
      assert.equal((await call(h, { ...opts, cookie: cookies.ann1 })).status, 403);
      assert.equal((await call(h, { ...opts, cookie: cookies.rev })).status, 403);
    }
    const still = await call(models.GET, { cookie: cookies.rev });
    assert.equal(still.body.promoted, null, "nothing was promoted by a refused request");
  });
});

describe("reading", () => {
  it("the overview lists versions with headline metrics, runs and snapshots", async () => {
    const r = await call(models.GET, { cookie: cookies.ann1 });
    assert.equal(r.status, 200);
    const v2 = r.body.versions.find((v: { version: string }) => v.version === "v2");
    assert.deepEqual(v2.headline, { pointF1: 0.6, pointHota: 0.45, countAcc: 0.75, closeAcc: 1 });
    assert.equal(v2.kind, "built-in");
    assert.equal(v2.status, "candidate");
    assert.equal(v2.snapshotName, "snap-a");
    assert.equal(r.body.runs[0].id, runId);
    assert.equal(r.body.runs[0].step, 300);
    assert.equal(r.body.snapshots[0].name, "snap-a");
  });
  it("one version; an unknown one is 404, a malformed name 400", async () => {
    assert.equal((await call(version.GET, { ...P("v1"), cookie: cookies.ann1 })).body.version.headline.pointF1, 0.5);
    assert.equal((await call(version.GET, { ...P("nope"), cookie: cookies.ann1 })).status, 404);
    const bad = await call(version.GET, { ...P("../etc"), cookie: cookies.ann1 });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^version: /);
  });
  it("compares two versions per metric with deltas b − a, and says whether the benchmark split is the same", async () => {
    const r = await call(compare.GET, { path: "/api/models/compare?a=v1&b=v2", cookie: cookies.ann1 });
    assert.equal(r.status, 200);
    assert.equal(r.body.sameBenchmark, true);
    const byKey = Object.fromEntries(r.body.rows.map((x: { key: string }) => [x.key, x]));
    assert.deepEqual(Object.keys(byKey).slice(0, 4), ["pointF1", "pointHota", "countAcc", "closeAcc"]);
    assert.ok(Math.abs(byKey.pointF1.delta - 0.1) < 1e-12);
    assert.equal(byKey.countAcc.delta, 0.25);
    assert.equal(byKey.DetA.a, 0.4, "non-headline numbers follow");
    const other = await call(compare.GET, { path: "/api/models/compare?a=v1&b=v4-other-split", cookie: cookies.ann1 });
    assert.equal(other.body.sameBenchmark, false);
    assert.equal((await call(compare.GET, { path: "/api/models/compare?a=v1&b=v1", cookie: cookies.ann1 })).status, 400);
    const missing = await call(compare.GET, { path: "/api/models/compare?a=v1", cookie: cookies.ann1 });
    assert.equal(missing.status, 400);
    assert.match(missing.body.error.message, /^b: /);
    assert.equal((await call(compare.GET, { path: "/api/models/compare?a=v1&b=zz", cookie: cookies.ann1 })).status, 404);
  });
  it("per-example scores stay out of the page payload; per-source numbers compare with readable labels", async () => {
    const snapId = (await t.db.datasetSnapshot.findFirstOrThrow()).id;
    const withSources = (f1: number) => ({ ...overall(f1, 0.3, 0.5, 0.5), seconds: 3, bySource: { synth: { examples: 3, f1 } }, perExample: Array.from({ length: 50 }, (_, i) => ({ id: `ex${i}`, f1 })) });
    await builtin("src-a", withSources(0.4), snapId);
    await builtin("src-b", withSources(0.5), snapId);
    const o = await call(models.GET, { cookie: cookies.ann1 });
    const a = o.body.versions.find((v: { version: string }) => v.version === "src-a");
    assert.equal("perExample" in a.metrics, false);
    assert.equal(a.metrics.overall.f1, 0.4);
    const c = await call(compare.GET, { path: "/api/models/compare?a=src-a&b=src-b", cookie: cookies.ann1 });
    const labels = Object.fromEntries(c.body.rows.map((r: { key: string; label: string }) => [r.key, r.label]));
    assert.equal(labels["synth:f1"], "synth · Point F1");
    assert.equal(labels.seconds, "Evaluation time (s)");
    const keys = c.body.rows.map((r: { key: string }) => r.key);
    assert.ok(keys.indexOf("seconds") < keys.indexOf("synth:f1"), "overall numbers before per-source ones");
    assert.ok(keys.indexOf("synth:f1") < keys.indexOf("synth:examples"), "per source: point F1 first");
    assert.ok(Math.abs(c.body.rows.find((r: { key: string }) => r.key === "synth:f1").delta - 0.1) < 1e-12);
    const detail = await call(version.GET, { ...P("src-b"), path: "/api/models/src-b?detail=1", cookie: cookies.ann1 });
    assert.equal(detail.status, 200);
    assert.equal(detail.body.version.version, "src-b");
    assert.equal(detail.body.examples.length, 50);
    assert.deepEqual(detail.body.bySource.synth, { examples: 3, f1: 0.5 });
    assert.equal(detail.body.engine, null);
        await t.db.modelVersion.deleteMany({ where: { version: { in: ["src-a", "src-b"] } } });
  });
  it("a run's curves, only later steps with `since`, and decimation that keeps the loss spike", async () => {
    const r = await call(run.GET, { params: { id: String(runId) }, path: `/api/training/runs/${runId}`, cookie: cookies.ann1 });
    assert.equal(r.status, 200);
    assert.equal(r.body.run.status, "running");
    assert.equal(r.body.curves.series.loss.length, 300);
    assert.deepEqual(r.body.curves.series.val_f1, [[100, 0.2], [200, 0.4], [300, 0.6]]);
    assert.equal(r.body.curves.lastStep, 300);
    const since = await call(run.GET, { params: { id: String(runId) }, path: `/api/training/runs/${runId}?since=250`, cookie: cookies.ann1 });
    assert.equal(since.body.curves.series.loss.length, 50);
    assert.equal(since.body.curves.series.loss[0][0], 251);
    assert.deepEqual(since.body.curves.series.val_f1, [[300, 0.6]]);
    const dec = await call(run.GET, { params: { id: String(runId) }, path: `/api/training/runs/${runId}?maxPoints=40`, cookie: cookies.ann1 });
    const loss: Array<[number, number]> = dec.body.curves.series.loss;
    assert.ok(loss.length <= 40, `${loss.length} points`);
    assert.equal(dec.body.curves.counts.loss, 300);
    assert.ok(loss.some(([s]) => s === 150), "the spike at step 150 survives decimation");
    assert.equal(loss.at(-1)![0], 300);
    assert.ok(Math.abs(loss.at(-1)![1] - 4 / Math.sqrt(300)) < 1e-12);
    assert.equal((await call(run.GET, { params: { id: "999" }, cookie: cookies.ann1 })).status, 404);
    assert.equal((await call(run.GET, { params: { id: String(runId) }, path: `/api/training/runs/${runId}?since=abc`, cookie: cookies.ann1 })).status, 400);
    assert.equal((await call(run.GET, { params: { id: "x" }, cookie: cookies.ann1 })).status, 400);
  });
});

describe("admin actions", () => {
  it("promotes a version when none is promoted; the pointer file follows; the decision is recorded", async () => {
    const r = await call(promote.POST, { ...P("v1"), cookie: cookies.admin, body: { expectedStatus: "candidate", expectedPromoted: null } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.version.status, "promoted");
    assert.equal(r.body.version.decision.manual, true);
    assert.match(r.body.version.decision.reason, /promoted by hand by admin: no version was promoted/);
    const pointer = JSON.parse(readFileSync(path.join(modelsDir, "versions", "promoted.json"), "utf8"));
    assert.equal(pointer.version, "v1");
  });
  it("a stale view is a 409 carrying the current state; nothing changes", async () => {
    const stale = await call(promote.POST, { ...P("v2"), cookie: cookies.admin, body: { expectedStatus: "candidate", expectedPromoted: null } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.error.code, "conflict");
    assert.match(stale.body.error.message, /the promoted version is now 'v1'/);
    assert.equal(stale.body.error.details.version, "v1");
    const wrongStatus = await call(retire.POST, { ...P("v2"), cookie: cookies.admin, body: { expectedStatus: "promoted" } });
    assert.equal(wrongStatus.status, 409);
    assert.match(wrongStatus.body.error.message, /'v2' is now candidate/);
    const o = await call(models.GET, { cookie: cookies.admin });
    assert.equal(o.body.promoted, "v1");
  });
  it("a better version replaces the promoted one (which is retired), with the deltas recorded", async () => {
    const r = await call(promote.POST, { ...P("v2"), cookie: cookies.admin, body: { expectedStatus: "candidate", expectedPromoted: "v1" } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.version.decision.against, "v1");
    assert.ok(Math.abs((r.body.version.comparison.metrics.pointF1.delta as number) - 0.1) < 1e-12);
    const v1 = await call(version.GET, { ...P("v1"), cookie: cookies.admin });
    assert.equal(v1.body.version.status, "retired");
    assert.equal(JSON.parse(readFileSync(path.join(modelsDir, "versions", "promoted.json"), "utf8")).version, "v2");
  });
  it("promoting over the benchmark (worse F1, another split, or rejected) needs a note that names why", async () => {
    const worse = await call(promote.POST, { ...P("v3-worse"), cookie: cookies.admin, body: {} });
    assert.equal(worse.status, 400);
    assert.match(worse.body.error.message, /^note: .*point F1 30\.0 is below 'v2' \(60\.0\)/);
    const other = await call(promote.POST, { ...P("v4-other-split"), cookie: cookies.admin, body: {} });
    assert.equal(other.status, 400);
    assert.match(other.body.error.message, /no point F1 comparable with 'v2' on the same frozen split/);
    await rejectVersion(t.db, "v3-worse", { promoted: false, reason: "point F1 0.300 ≤ 0.600 of v2", against: "v2" });
    const rejected = await call(version.GET, { ...P("v3-worse"), cookie: cookies.admin });
    assert.deepEqual(rejected.body.version.decision, { promoted: false, manual: false, reason: "point F1 0.300 ≤ 0.600 of v2", against: "v2" });
    const noNote = await call(promote.POST, { ...P("v3-worse"), cookie: cookies.admin, body: { note: "   " } });
    assert.equal(noNote.status, 400);
    assert.match(noNote.body.error.message, /rejected by the benchmark/);
    assert.equal((await call(models.GET, { cookie: cookies.admin })).body.promoted, "v2", "still v2 after the refusals");
    const ok = await call(promote.POST, { ...P("v3-worse"), cookie: cookies.admin, body: { note: "rollback: v2 breaks on night footage" } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.version.decision.reason, "rollback: v2 breaks on night footage");
    assert.equal(ok.body.version.comparison.by, "admin");
  });
  it("bad bodies are 400s naming the field", async () => {
    const r = await call(promote.POST, { ...P("v2"), cookie: cookies.admin, body: { expectedStatus: "winner" } });
    assert.equal(r.status, 400);
    assert.match(r.body.error.message, /^expectedStatus: /);
    const extra = await call(retire.POST, { ...P("v2"), cookie: cookies.admin, body: { force: true } });
    assert.equal(extra.status, 400);
    const notJson = await call(retire.POST, { ...P("v2"), cookie: cookies.admin, body: "{" });
    assert.equal(notJson.status, 400);
    assert.match(notJson.body.error.message, /not valid JSON/);
  });
  it("retiring the promoted version leaves none promoted and removes the pointer", async () => {
    const r = await call(retire.POST, { ...P("v3-worse"), cookie: cookies.admin, body: { expectedStatus: "promoted", expectedPromoted: "v3-worse" } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.version.status, "retired");
    assert.equal(existsSync(path.join(modelsDir, "versions", "promoted.json")), false);
    assert.equal((await call(models.GET, { cookie: cookies.admin })).body.promoted, null);
  });
  it("registers an external model; bad endpoint and duplicate names are refused", async () => {
    const r = await call(external.POST, { cookie: cookies.admin, body: { version: "molmo2-8b-ext", endpoint: "http://127.0.0.1:8000/v1", model: "allenai/Molmo2-8B", description: "vLLM box" } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.version.kind, "external");
    assert.equal(r.body.version.status, "candidate");
    assert.equal(r.body.version.remoteModel, "allenai/Molmo2-8B");
    const bad = await call(external.POST, { cookie: cookies.admin, body: { version: "e2", endpoint: "ftp://x", model: "m" } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /endpoint/);
    const dup = await call(external.POST, { cookie: cookies.admin, body: { version: "molmo2-8b-ext", endpoint: "http://127.0.0.1:8000/v1", model: "m" } });
    assert.equal(dup.status, 409);
  });
});

describe("starting a training run", () => {
  it("admin only; the body is validated; the CLI's refusal (unknown snapshot) is a 400 with its message", async () => {
    assert.equal((await call(runs.POST, { body: { snapshotId: 1, steps: 5 } })).status, 401);
    assert.equal((await call(runs.POST, { cookie: cookies.rev, body: { snapshotId: 1, steps: 5 } })).status, 403);
    const bad = await call(runs.POST, { cookie: cookies.admin, body: { snapshotId: 1, steps: 0 } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^steps: /);
    const unknown = await call(runs.POST, { cookie: cookies.admin, body: { snapshotId: 999, steps: 5 } });
    assert.equal(unknown.status, 400, JSON.stringify(unknown.body));
    assert.match(unknown.body.error.message, /snapshot #999 does not exist/);
  });
  it("starts a real `train run` process: 202 with the run id; a snapshot whose files are gone fails the run with a clear code", async () => {
    const snap = await t.db.datasetSnapshot.create({ data: { name: "gone", contentHash: "g", benchmarkHash: "g", path: path.join(modelsDir, "no-such-snapshot") } });
    const before = (await t.db.modelVersion.findMany({ select: { version: true, status: true } })).map((v) => `${v.version}:${v.status}`).sort();
    const r = await call(runs.POST, { cookie: cookies.admin, body: { snapshotId: snap.id, steps: 3, batchSize: 1, version: "web-run-1" } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const id = r.body.runId as number;
    let row = await t.db.trainingRun.findUniqueOrThrow({ where: { id } });
    assert.equal(row.snapshotId, snap.id);
    for (let i = 0; i < 600 && !["failed", "succeeded", "killed"].includes(row.status); i++) {
      await new Promise((res) => setTimeout(res, 100));
      row = await t.db.trainingRun.findUniqueOrThrow({ where: { id } });
    }
    assert.equal(row.status, "failed");
    assert.equal(row.errorCode, "corrupt_snapshot");
    assert.match(row.errorMessage ?? "", /no-such-snapshot/);
    const afterRows = (await t.db.modelVersion.findMany({ select: { version: true, status: true } })).map((v) => `${v.version}:${v.status}`).sort();
    assert.deepEqual(afterRows, before, "nothing registered or promoted");
    const listed = await call(runs.GET, { cookie: cookies.ann1 });
    assert.equal(listed.body.runs[0].id, id);
  });
});
