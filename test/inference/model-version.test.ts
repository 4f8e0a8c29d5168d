// Query jobs naming a registered model version, end to end on a real SQLite database, real synthetic video, the
// Molmo2 stub server (external versions) and generated built-in models in versionDir(v): the runtime comes from the
// registry, the prediction set is `model:<version>`, bad versions are 400s at creation, and a version whose endpoint
// or files are gone fails its job clearly while the worker keeps serving. Also the POST /api/query route.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { createQueryJob, getJob, getJobResults, parseJobParams } from "../../lib/services/inference-jobs";
import { listQueryableVersions, promoteVersion, registerBuiltinVersion, registerExternalVersion, rejectVersion, retireVersion, versionDir } from "../../lib/services/models";
import { ServiceError } from "../../lib/services/errors";
import type { SyntheticGroundTruth, VideoMeta } from "../../lib/video";
import { answerGrid } from "../../inference/runtimes/remote";
import { QueryWorker } from "../../inference/service";
import { generateBuiltinModel } from "../../inference/builtin/generate-model";
import * as query from "../../app/api/query/route";
import { call, loginCookie, seedWorld, type World } from "../helpers/app";
import { createTestDb, type TestDb } from "../helpers/db";
import { twoRedSquaresVideo } from "../helpers/scenes";
import { molmo2TrackAnswer, startMolmo2Stub, type Molmo2Stub } from "../helpers/molmo2-stub";

const W = 160;
const H = 120;
let t: TestDb;
let w: World;
let dir: string;
let stub: Molmo2Stub;
let gt: SyntheticGroundTruth;
let meta: VideoMeta;
let videoId: number;
const savedModelsDir = process.env.GROUNDTRACK_MODELS_DIR;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "gt-model-version-"));
  // Version dirs and the promoted pointer live here, never in the repository's models/.
  process.env.GROUNDTRACK_MODELS_DIR = path.join(dir, "models");
  t = await createTestDb();
  process.env.DATABASE_URL = t.url;
  w = await seedWorld(t.db);
  const file = path.join(dir, "shapes.mp4");
  const r = await twoRedSquaresVideo(file);
  gt = r.groundTruth;
  meta = r.meta as VideoMeta;
  const v = await t.db.video.create({
    data: {
      projectId: w.projectId, name: "shapes.mp4", container: "mp4", codec: meta.codec, width: W, height: H, fps: meta.fps, durationSec: meta.durationSec, frameCount: meta.frameCount,
      frameTimestamps: JSON.stringify(meta.timestamps), shotBoundaries: JSON.stringify(meta.shotBoundaries), storagePath: file, sizeBytes: meta.sizeBytes,
    },
  });
  videoId = v.id;
  stub = await startMolmo2Stub();
});
after(async () => {
  await stub.close();
  const { getDb } = await import("../../lib/db");
  await getDb().$disconnect();
  await t.close();
  rmSync(dir, { recursive: true, force: true });
  if (savedModelsDir === undefined) delete process.env.GROUNDTRACK_MODELS_DIR;
  else process.env.GROUNDTRACK_MODELS_DIR = savedModelsDir;
});

/** Molmo2 answer with the given ground-truth objects on its 2 fps answer grid. */
function answer(ids: number[]): string {
  const s = answerGrid(meta, 2);
  return molmo2TrackAnswer(s.frames.map((f, k) => ({ time: s.times[k]!, points: ids.map((id) => ({ id, x: gt.objects[id - 1]!.track[f]!.x, y: gt.objects[id - 1]!.track[f]!.y })) })), { width: W, height: H }, "red squares");
}

async function status400(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ServiceError, `expected a ServiceError, got ${String(e)}`);
    assert.equal(e.status, 400);
    assert.match(e.message, re);
    return true;
  });
}

test("an external version: the job runs the remote runtime on its endpoint/model; set and keyframes are model:<version>", async () => {
  await registerExternalVersion(t.db, w.users.admin, { version: "molmo2-ext", endpoint: stub.url, model: "allenai/Molmo2-4B" });
  stub.setReplies([{ kind: "text", text: answer([1, 2]) }]);
  const n0 = stub.requests.length;
  const job = await createQueryJob(t.db, w.users.reviewer, { expression: "red squares", videoIds: [videoId], modelVersion: "molmo2-ext" });
  assert.equal(job.modelVersion, "molmo2-ext");
  assert.equal(job.runtime, "remote");
  const stored = await t.db.inferenceJob.findUniqueOrThrow({ where: { id: job.id } });
  assert.deepEqual(JSON.parse(stored.params), { expression: "red squares", videoIds: [videoId], projectId: null, runtime: "remote", remote: null, modelVersion: "molmo2-ext", masks: false });
  const auditRow = await t.db.auditEvent.findFirstOrThrow({ where: { action: "job.create", entityId: job.id } });
  assert.equal(JSON.parse(auditRow.detail).modelVersion, "molmo2-ext");

  const worker = new QueryWorker({ db: t.db, log: () => {} });
  assert.equal(await worker.runOnce(), true);
  await worker.stop();
  assert.equal(stub.requests.length - n0, 1);
  assert.equal(stub.requests.at(-1)!.model, "allenai/Molmo2-4B");

  const res = await getJobResults(t.db, job.id);
  assert.equal(res.job.status, "done", res.job.error ?? "");
  assert.equal(res.job.modelVersion, "molmo2-ext");
  const v = res.videos[0]!;
  assert.equal(v.engine, `remote:allenai/Molmo2-4B@${stub.url}`);
  assert.equal(v.rawOutput, answer([1, 2]));
  // The tracks are the stub's answer, parsed: on the answer grid, the ground-truth points.
  assert.equal(v.tracks.objects.length, 2);
  const grid = answerGrid(meta, 2).frames;
  for (const [i, o] of v.tracks.objects.entries()) {
    for (const k of o.keyframes) {
      assert.equal(k.source, "model:molmo2-ext");
      if (!grid.includes(k.frame)) continue;
      const g = gt.objects[i]!.track[k.frame]!;
      assert.ok(Math.abs(k.x - g.x) <= 0.5 && Math.abs(k.y - g.y) <= 0.5, `object ${o.objectId} frame ${k.frame}`);
    }
  }
  const set = await t.db.predictionSet.findUniqueOrThrow({ where: { id: res.job.predictionSetId! } });
  assert.equal(set.source, "model:molmo2-ext");
});

test("creation: unknown, retired and rejected versions are 400s saying why; modelVersion excludes remote and a contradicting runtime", async () => {
  const body = { expression: "x", videoIds: [videoId] };
  await status400(createQueryJob(t.db, w.users.reviewer, { ...body, modelVersion: "nope" }), /modelVersion: model version 'nope' is not registered \(usable: .*molmo2-ext/);
  await registerExternalVersion(t.db, w.users.admin, { version: "old-ext", endpoint: stub.url, model: "m" });
  await retireVersion(t.db, w.users.admin, "old-ext");
  await status400(createQueryJob(t.db, w.users.reviewer, { ...body, modelVersion: "old-ext" }), /model version 'old-ext' is retired; only candidate or promoted versions can be queried/);
  await registerExternalVersion(t.db, w.users.admin, { version: "lost-ext", endpoint: stub.url, model: "m" });
  await rejectVersion(t.db, "lost-ext", { decision: "rejected" });
  await status400(createQueryJob(t.db, w.users.reviewer, { ...body, modelVersion: "lost-ext" }), /model version 'lost-ext' is rejected/);
  await status400(createQueryJob(t.db, w.users.reviewer, { ...body, modelVersion: "molmo2-ext", runtime: "built-in" }), /runtime: model version 'molmo2-ext' is external and runs on the remote runtime, not built-in/);
  await assert.rejects(createQueryJob(t.db, w.users.reviewer, { ...body, modelVersion: "molmo2-ext", remote: { endpoint: stub.url, model: "m" } }), /give either modelVersion or remote/);
  assert.ok(!(await listQueryableVersions(t.db)).some((v) => v.version === "old-ext" || v.version === "lost-ext"));

  // Stored params from before modelVersion existed still parse (as null).
  const old = parseJobParams(JSON.stringify({ expression: "x", videoIds: [1], projectId: null, runtime: "built-in", remote: null, masks: false }), 1);
  assert.equal(old.modelVersion, null);
});

test("POST /api/query accepts modelVersion (201 with the version in the job view) and answers 400 for bad ones", async () => {
  const cookie = await loginCookie("rev", w.password);
  const ok = await call(query.POST, { body: { expression: "red squares", videoIds: [videoId], modelVersion: "molmo2-ext" }, cookie });
  assert.equal(ok.status, 201);
  assert.equal(ok.body.job.modelVersion, "molmo2-ext");
  assert.equal(ok.body.job.runtime, "remote");
  const unknown = await call(query.POST, { body: { expression: "x", videoIds: [videoId], modelVersion: "ghost" }, cookie });
  assert.equal(unknown.status, 400);
  assert.match(unknown.body.error.message, /model version 'ghost' is not registered/);
  const retired = await call(query.POST, { body: { expression: "x", videoIds: [videoId], modelVersion: "old-ext" }, cookie });
  assert.equal(retired.status, 400);
  assert.match(retired.body.error.message, /is retired/);
  const both = await call(query.POST, { body: { expression: "x", videoIds: [videoId], modelVersion: "molmo2-ext", remote: { endpoint: stub.url, model: "m" } }, cookie });
  assert.equal(both.status, 400);
  assert.match(both.body.error.message, /modelVersion: give either modelVersion or remote/);
  // Drain the queued job so later tests start from an empty queue.
  stub.setReplies([{ kind: "text", text: answer([1]) }]);
  const worker = new QueryWorker({ db: t.db, log: () => {} });
  await worker.runOnce();
  await worker.stop();
  assert.equal((await getJob(t.db, ok.body.job.id)).status, "done");
});

test("an external version whose endpoint is down fails its job naming the version; the worker serves the next job", async () => {
  const down = await startMolmo2Stub();
  await down.close();
  await registerExternalVersion(t.db, w.users.admin, { version: "gone-ext", endpoint: down.url, model: "allenai/Molmo2-8B" });
  const j1 = await createQueryJob(t.db, w.users.reviewer, { expression: "x", videoIds: [videoId], modelVersion: "gone-ext" });
  stub.setReplies([{ kind: "text", text: answer([2]) }]);
  const j2 = await createQueryJob(t.db, w.users.reviewer, { expression: "red squares", videoIds: [videoId], modelVersion: "molmo2-ext" });
  const worker = new QueryWorker({ db: t.db, leaseMs: 5000, log: () => {} });
  try {
    assert.equal(await worker.runOnce(), true);
    const f1 = await getJob(t.db, j1.id);
    assert.equal(f1.status, "failed");
    assert.match(f1.error!, /^server_unreachable: model version 'gone-ext' \(external, allenai\/Molmo2-8B @ http:\/\/127\.0\.0\.1:\d+\/v1\): Molmo2 server .* is unreachable \(ECONNREFUSED\)/);
    assert.equal(await worker.runOnce(), true);
  } finally {
    await worker.stop();
  }
  const r2 = await getJobResults(t.db, j2.id);
  assert.equal(r2.job.status, "done", r2.job.error ?? "");
  assert.equal(r2.videos[0]!.tracks.objects.length, 1);
});

test("a built-in version runs its own dir even when another version is promoted; its files gone → the job fails, the worker keeps serving", async () => {
  await generateBuiltinModel(versionDir("tiny-a"), { version: "gen-a" });
  await generateBuiltinModel(versionDir("tiny-b"), { version: "gen-b" });
  await registerBuiltinVersion(t.db, w.users.admin, { version: "tiny-a", dir: versionDir("tiny-a"), snapshotId: null, benchmarkHash: null, metrics: {} });
  await registerBuiltinVersion(t.db, w.users.admin, { version: "tiny-b", dir: versionDir("tiny-b"), snapshotId: null, benchmarkHash: null, metrics: {} });
  await promoteVersion(t.db, w.users.admin, "tiny-b", { manual: true });
  const usable = await listQueryableVersions(t.db);
  assert.equal(usable[0]!.version, "tiny-b", "the promoted version is listed first");

  const named = await createQueryJob(t.db, w.users.reviewer, { expression: "red squares", videoIds: [videoId], modelVersion: "tiny-a" });
  assert.equal(named.runtime, "built-in");
  const dflt = await createQueryJob(t.db, w.users.reviewer, { expression: "red squares", videoIds: [videoId] });
  const worker = new QueryWorker({ db: t.db, leaseMs: 5000, log: () => {} });
  try {
    await worker.runOnce();
    await worker.runOnce();
    const a = await getJobResults(t.db, named.id);
    assert.equal(a.job.status, "done", a.job.error ?? "");
    assert.equal(a.videos[0]!.engine, "built-in:gen-a");
    assert.ok(a.videos[0]!.tracks.objects.length >= 1, "the colour-matching model finds the red squares");
    assert.ok(a.videos[0]!.tracks.objects.every((o) => o.keyframes.every((k) => k.source === "model:tiny-a")));
    const set = await t.db.predictionSet.findUniqueOrThrow({ where: { id: a.job.predictionSetId! } });
    assert.equal(set.source, "model:tiny-a");
    // Without a version the built-in runtime follows the promoted one.
    const d = await getJobResults(t.db, dflt.id);
    assert.equal(d.job.status, "done", d.job.error ?? "");
    assert.equal(d.job.modelVersion, null);
    assert.equal(d.videos[0]!.engine, "built-in:gen-b");

    // tiny-a's files disappear (its runtime is cached in the worker): the next job naming it fails clearly.
    rmSync(versionDir("tiny-a"), { recursive: true, force: true });
    const gone = await createQueryJob(t.db, w.users.reviewer, { expression: "red squares", videoIds: [videoId], modelVersion: "tiny-a" });
    const next = await createQueryJob(t.db, w.users.reviewer, { expression: "red squares", videoIds: [videoId], modelVersion: "tiny-b" });
    await worker.runOnce();
    const g = await getJob(t.db, gone.id);
    assert.equal(g.status, "failed");
    assert.match(g.error!, /^model_missing: model version 'tiny-a': its model files are gone \(.*tiny-a[/\\]config\.json is missing\)/);
    await worker.runOnce();
    const n = await getJobResults(t.db, next.id);
    assert.equal(n.job.status, "done", n.job.error ?? "");
    assert.equal(n.videos[0]!.engine, "built-in:gen-b");
  } finally {
    await worker.stop();
  }
});
