// The query/job route handlers: authentication and analyst authorisation, input validation, and a job whose
// video cannot be read failing with an error that names the video (what /query shows).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createTestDb, type TestDb } from "../helpers/db";
import { call, loginCookie, seedWorld, type World } from "../helpers/app";
import * as query from "../../app/api/query/route";
import * as jobs from "../../app/api/jobs/route";
import * as job from "../../app/api/jobs/[id]/route";
import * as cancel from "../../app/api/jobs/[id]/cancel/route";
import * as results from "../../app/api/jobs/[id]/results/route";
import * as accept from "../../app/api/jobs/[id]/accept/route";
import * as exp from "../../app/api/jobs/[id]/export/route";
import { QueryWorker } from "../../inference/service";

let t: TestDb;
let w: World;
const c: Record<"admin" | "rev" | "ann1", string> = { admin: "", rev: "", ann1: "" };

before(async () => {
  t = await createTestDb();
  process.env.DATABASE_URL = t.url;
  w = await seedWorld(t.db);
  for (const u of ["admin", "rev", "ann1"] as const) c[u] = await loginCookie(u, w.password);
});
after(async () => {
  const { getDb } = await import("../../lib/db");
  await getDb().$disconnect();
  await t.close();
});

const remote = { endpoint: "http://127.0.0.1:9/v1", model: "allenai/Molmo2-8B", retries: 0 };

test("POST /api/query: 401 without a session, 403 for annotators, 400 naming the field, 201 for analysts", async () => {
  const body = { expression: "the balls", videoIds: [w.videoId], runtime: "remote", remote };
  assert.equal((await call(query.POST, { body })).status, 401);
  assert.equal((await call(query.POST, { body, cookie: c.ann1 })).status, 403);
  const noVideos = await call(query.POST, { body: { expression: "x", runtime: "built-in" }, cookie: c.rev });
  assert.equal(noVideos.status, 400);
  assert.match(noVideos.body.error.message, /videoIds: give either videoIds or projectId/);
  const noRemote = await call(query.POST, { body: { expression: "x", videoIds: [w.videoId], runtime: "remote" }, cookie: c.rev });
  assert.equal(noRemote.status, 400);
  assert.match(noRemote.body.error.message, /remote: the remote runtime needs/);
  const missing = await call(query.POST, { body: { ...body, videoIds: [999] }, cookie: c.rev });
  assert.equal(missing.status, 400);
  assert.match(missing.body.error.message, /video 999 does not exist/);
  const ok = await call(query.POST, { body: { expression: "the balls", projectId: w.projectId, runtime: "remote", remote }, cookie: c.rev });
  assert.equal(ok.status, 201);
  assert.equal(ok.body.job.status, "queued");
  assert.deepEqual(ok.body.job.videos.map((v: { videoId: number }) => v.videoId), [w.videoId]);
  assert.equal((await call(jobs.GET, { cookie: c.ann1 })).status, 403);
  const list = await call(jobs.GET, { cookie: c.admin });
  assert.equal(list.body.jobs[0].id, ok.body.job.id);
  // Cancel while queued.
  const cx = await call(cancel.POST, { params: { id: String(ok.body.job.id) }, cookie: c.rev, body: {} });
  assert.equal(cx.status, 200);
  assert.equal(cx.body.job.status, "cancelled");
  assert.equal((await call(cancel.POST, { params: { id: String(ok.body.job.id) }, cookie: c.rev, body: {} })).status, 409);
});

test("a job whose video cannot be read fails with a clear error; results, export and accept answer sensibly", async () => {
  const created = await call(query.POST, { body: { expression: "the balls", videoIds: [w.videoId], runtime: "remote", remote }, cookie: c.rev });
  const id = String(created.body.job.id);
  const worker = new QueryWorker({ db: t.db, log: () => {} });
  await worker.runOnce();
  await worker.stop();
  const j = await call(job.GET, { params: { id }, cookie: c.rev });
  assert.equal(j.body.job.status, "failed");
  assert.match(j.body.job.error, /no video could be queried: v\.mp4: video_unreadable: .*\/nonexistent\/v\.mp4/);
  assert.equal((await call(job.GET, { params: { id }, cookie: c.ann1 })).status, 403);
  assert.equal((await call(job.GET, { params: { id: "424242" }, cookie: c.rev })).status, 404);
  const r = await call(results.GET, { params: { id }, path: "/api/jobs/x/results?masks=0", cookie: c.rev });
  assert.equal(r.status, 200);
  assert.equal(r.body.videos[0].status, "failed");
  assert.equal(r.body.videos[0].tracks.objects.length, 0);
  assert.equal((await call(exp.GET, { params: { id }, path: `/api/jobs/x/export?videoId=${w.videoId}&format=xml`, cookie: c.rev })).status, 400);
  assert.equal((await call(exp.GET, { params: { id }, path: "/api/jobs/x/export?videoId=777&format=trackany", cookie: c.rev })).status, 404);
  const acc = await call(accept.POST, { params: { id }, cookie: c.admin, body: {} });
  assert.equal(acc.status, 409);
  assert.match(acc.body.error.message, /only finished jobs/);
});
