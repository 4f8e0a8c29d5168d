// The query job service end to end on a real SQLite database, real synthetic videos and the Molmo2 stub server:
// leased claims, per-video results, ranking, masks, events relayed over socket.io, cancel, bad input, and a worker
// process killed with SIGKILL mid-job whose job another worker process finishes with exactly one result set.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { Server } from "socket.io";
import { io as ioClient } from "socket.io-client";
import { createUser } from "../../lib/services/catalog";
import { acceptJobResults, ANALYST_ROLES, cancelJob, createQueryJob, exportJobVideo, getJob, getJobResults } from "../../lib/services/inference-jobs";
import { login } from "../../lib/auth/sessions";
import { authorize } from "../../app/_server/auth";
import type { Actor } from "../../lib/auth/roles";
import type { SyntheticGroundTruth, VideoMeta } from "../../lib/video";
import { answerGrid } from "../../inference/runtimes/remote";
import { attachJobRelay, claimJob, QueryWorker } from "../../inference/service";
import { decodeRle } from "../../lib/masks/rle";
import { generateBuiltinModel } from "../../inference/builtin/generate-model";
import { createTestDb, type TestDb } from "../helpers/db";
import { twoRedSquaresVideo } from "../helpers/scenes";
import { molmo2TrackAnswer, startMolmo2Stub, type Molmo2Stub } from "../helpers/molmo2-stub";

const W = 160;
const H = 120;
const root = path.resolve(import.meta.dirname, "..", "..");
let t: TestDb;
let dir: string;
let stub: Molmo2Stub;
let admin: Actor;
let reviewer: Actor;
let videoIds: number[] = [];
let gt: SyntheticGroundTruth;
let meta: VideoMeta;
let file: string;

before(async () => {
  process.env.GROUNDTRACK_BCRYPT_COST = "4";
  t = await createTestDb();
  dir = mkdtempSync(path.join(tmpdir(), "gt-service-"));
  file = path.join(dir, "shapes.mp4");
  const r = await twoRedSquaresVideo(file);
  gt = r.groundTruth;
  meta = r.meta as VideoMeta;
  stub = await startMolmo2Stub();
  const mk = async (username: string, role: "admin" | "reviewer" | "annotator"): Promise<Actor> => {
    const u = await createUser(t.db, null, { username, displayName: username, role, password: "pw-123456789" });
    return { id: u.id, username, displayName: username, role };
  };
  admin = await mk("admin", "admin");
  reviewer = await mk("rev", "reviewer");
  await mk("ann", "annotator");
  const project = await t.db.project.create({ data: { name: "P" } });
  for (const name of ["a.mp4", "b.mp4", "c.mp4"]) {
    const v = await t.db.video.create({
      data: {
        projectId: project.id, name, container: "mp4", codec: meta.codec, width: W, height: H, fps: meta.fps, durationSec: meta.durationSec, frameCount: meta.frameCount,
        frameTimestamps: JSON.stringify(meta.timestamps), shotBoundaries: JSON.stringify(meta.shotBoundaries), storagePath: file, sizeBytes: meta.sizeBytes,
      },
    });
    videoIds.push(v.id);
  }
});
after(async () => {
  await stub.close();
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Molmo2 answer with the given ground-truth objects on its 2 fps answer grid. */
function answer(ids: number[]): string {
  const s = answerGrid(meta, 2);
  return molmo2TrackAnswer(s.frames.map((f, k) => ({ time: s.times[k]!, points: ids.map((id) => ({ id, x: gt.objects[id - 1]!.track[f]!.x, y: gt.objects[id - 1]!.track[f]!.y })) })), { width: W, height: H }, "red squares");
}
const remote = () => ({ endpoint: stub.url, model: "allenai/Molmo2-8B", maxFrames: 8, retries: 0, timeoutMs: 5000 });

async function until(what: string, cond: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("a job runs per video, ranks videos by matched objects, streams events over socket.io; accept and export", async () => {
  // Real socket.io relay with cookie authentication.
  const server = http.createServer();
  const io = new Server(server);
  const relay = await attachJobRelay(io, t.db, { authenticate: (c) => authorize(t.db, c, ANALYST_ROLES), pollMs: 50 });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jobs`;
  const session = (await login(t.db, "rev", "pw-123456789"))!;
  const annSession = (await login(t.db, "ann", "pw-123456789"))!;
  const refused = ioClient(url, { transports: ["websocket"], extraHeaders: { cookie: `gt_session=${annSession.token}` } });
  const refusal = await new Promise<string>((r) => refused.on("connect_error", (e) => r(e.message)));
  assert.match(refusal, /role|not allowed|forbidden/i);
  refused.close();

  stub.setReplies([{ kind: "text", text: answer([1]) }, { kind: "text", text: answer([1, 2]) }, { kind: "text", text: "There are none." }]);
  const job = await createQueryJob(t.db, reviewer, { expression: "red squares", videoIds, runtime: "remote", remote: remote() });
  assert.equal(job.status, "queued");

  const client = ioClient(url, { transports: ["websocket"], extraHeaders: { cookie: `gt_session=${session.token}` } });
  const events: Array<{ name: string; body: Record<string, unknown> }> = [];
  for (const name of ["job:progress", "job:partial", "job:done", "job:error"]) client.on(name, (body: Record<string, unknown>) => events.push({ name, body }));
  await new Promise<void>((resolve, reject) => client.emit("job:join", { jobId: job.id }, (r: { ok: boolean; error?: string }) => (r.ok ? resolve() : reject(new Error(r.error)))));

  const worker = new QueryWorker({ db: t.db, leaseMs: 5000, log: () => {} });
  assert.equal(await worker.runOnce(), true);
  await worker.stop();
  await until("job:done relayed", async () => (await relay.flush(), events.some((e) => e.name === "job:done")), 5000);
  client.close();
  relay.close();
  io.close();
  server.close();

  const done = await getJob(t.db, job.id);
  assert.equal(done.status, "done");
  assert.equal(done.progress, 1);
  assert.equal(done.attempts, 1);
  assert.ok(events.some((e) => e.name === "job:progress"));
  assert.ok(events.filter((e) => e.name === "job:partial" && e.body.status === "done").length === 3);
  assert.ok(events.every((e) => e.body.jobId === job.id));

  const res = await getJobResults(t.db, job.id);
  assert.deepEqual(res.videos.map((v) => [v.name, v.tracks.objects.length]), [["b.mp4", 2], ["a.mp4", 1], ["c.mp4", 0]]);
  const b = res.videos[0]!;
  assert.equal(b.engine, `remote:allenai/Molmo2-8B@${stub.url}`);
  assert.equal(b.rawOutput, answer([1, 2]));
  for (const o of b.tracks.objects) for (const k of o.keyframes) assert.equal(k.source, "model:allenai/Molmo2-8B");
  const set = await t.db.predictionSet.findUniqueOrThrow({ where: { id: done.predictionSetId! }, include: { tracks: true } });
  assert.equal(set.tracks.length, 3);
  assert.equal(set.source, "model:allenai/Molmo2-8B");

  // Export: TrackAny JSON at the sampled frames, Molmo2 text that parses back to the model's own answer.
  const ta = JSON.parse((await exportJobVideo(t.db, job.id, b.videoId, "trackany")).body) as { frame_trajectories: unknown[]; mask_id: string[]; expression: string };
  assert.equal(ta.frame_trajectories.length, b.sampledFrames.length);
  assert.deepEqual(ta.mask_id, ["0", "1"]);
  assert.equal(ta.expression, "red squares");
  const m2 = await exportJobVideo(t.db, job.id, b.videoId, "molmo2");
  assert.equal(m2.body, b.rawOutput);

  // Accept: tasks with model keyframes as model:<version> observations; a second accept skips them.
  const acc = await acceptJobResults(t.db, admin, job.id, { videoIds: [b.videoId] });
  assert.equal(acc.tasks.length, 2);
  const obs = await t.db.observation.findMany({ where: { object: { expressionId: b.expressionId! } } });
  assert.equal(obs.length, b.tracks.objects.reduce((n, o) => n + o.keyframes.length, 0));
  assert.ok(obs.every((o) => o.source === "model:allenai/Molmo2-8B"));
  assert.equal((await acceptJobResults(t.db, admin, job.id, { videoIds: [b.videoId] })).skipped, 2);
  await assert.rejects(acceptJobResults(t.db, reviewer, job.id, {}), /only admins/);
});

test("masks: each object's first point goes to the mask engine; masks are stored per frame with their engine", async () => {
  stub.setReplies([{ kind: "text", text: answer([1, 2]) }]);
  const job = await createQueryJob(t.db, reviewer, { expression: "red squares", videoIds: [videoIds[0]!], runtime: "remote", remote: remote(), masks: true });
  const worker = new QueryWorker({ db: t.db, log: () => {} });
  await worker.runOnce();
  await worker.stop();
  const res = await getJobResults(t.db, job.id);
  const v = res.videos[0]!;
  assert.equal(res.job.status, "done", res.job.error ?? "");
  assert.match(v.maskEngine, /^classical:|^sam2:/);
  assert.equal(Object.keys(v.masks).length, 2);
  const track = await t.db.predictedTrack.findFirstOrThrow({ where: { predictionSetId: res.job.predictionSetId!, objectKey: 0 } });
  assert.equal(track.engine, `${v.engine}+${v.maskEngine}`);
  // Every frame has a mask for object 0, and it covers the red square it was prompted on.
  const m = v.masks["0"]!;
  assert.equal(Object.keys(m).length, meta.frameCount);
  const first = v.tracks.objects[0]!.keyframes[0]!;
  const bin = decodeRle(m[String(first.frame)]!);
  assert.equal(bin[Math.round(first.y) * W + Math.round(first.x)], 1);
});

test("bad input: unreadable video fails alone; server down fails the job clearly; missing model; the worker keeps serving", async () => {
  const badFile = path.join(dir, "garbage.mp4");
  writeFileSync(badFile, Buffer.alloc(8192, 3));
  const project = await t.db.project.create({ data: { name: "bad" } });
  const bad = await t.db.video.create({
    data: { projectId: project.id, name: "garbage.mp4", container: "mp4", codec: "h264", width: W, height: H, fps: 10, durationSec: 2, frameCount: 20, frameTimestamps: JSON.stringify(meta.timestamps), shotBoundaries: "[]", storagePath: badFile, sizeBytes: 8192 },
  });
  const worker = new QueryWorker({ db: t.db, log: () => {}, builtinModelDir: path.join(dir, "no-such-model") });

  stub.setReplies([{ kind: "text", text: answer([1]) }]);
  const j1 = await createQueryJob(t.db, reviewer, { expression: "red squares", videoIds: [bad.id, videoIds[0]!], runtime: "remote", remote: remote() });
  await worker.runOnce();
  const r1 = await getJobResults(t.db, j1.id);
  assert.equal(r1.job.status, "done");
  const g = r1.job.videos.find((v) => v.videoId === bad.id)!;
  assert.equal(g.status, "failed");
  assert.match(g.error!, /video_unreadable: .*garbage\.mp4/);
  assert.equal(r1.videos.find((v) => v.videoId === videoIds[0])!.tracks.objects.length, 1);

  const down = await startMolmo2Stub();
  await down.close();
  const j2 = await createQueryJob(t.db, reviewer, { expression: "x", videoIds: [videoIds[0]!], runtime: "remote", remote: { ...remote(), endpoint: down.url } });
  await worker.runOnce();
  const f2 = await getJob(t.db, j2.id);
  assert.equal(f2.status, "failed");
  assert.match(f2.error!, /server_unreachable: Molmo2 server http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions is unreachable \(ECONNREFUSED\)/);

  const j3 = await createQueryJob(t.db, reviewer, { expression: "x", videoIds: [videoIds[0]!], runtime: "built-in" });
  await worker.runOnce();
  const f3 = await getJob(t.db, j3.id);
  assert.equal(f3.status, "failed");
  assert.match(f3.error!, /model_missing|no-such-model/);

  // A corrupt model directory is an error too (never a silent fallback).
  const corrupt = path.join(dir, "corrupt-model");
  mkdirSync(corrupt, { recursive: true });
  writeFileSync(path.join(corrupt, "config.json"), "{ not json");
  const w2 = new QueryWorker({ db: t.db, log: () => {}, builtinModelDir: corrupt });
  const j3b = await createQueryJob(t.db, reviewer, { expression: "x", videoIds: [videoIds[0]!], runtime: "built-in" });
  await w2.runOnce();
  await w2.stop();
  const f3b = await getJob(t.db, j3b.id);
  assert.equal(f3b.status, "failed");
  assert.match(f3b.error!, /model_(missing|invalid)/);

  // Still serving: the next job succeeds; earlier results are intact.
  stub.setReplies([{ kind: "text", text: answer([2]) }]);
  const j4 = await createQueryJob(t.db, reviewer, { expression: "red squares", videoIds: [videoIds[1]!], runtime: "remote", remote: remote() });
  await worker.runOnce();
  await worker.stop();
  assert.equal((await getJob(t.db, j4.id)).status, "done");
  assert.equal((await getJobResults(t.db, j1.id)).videos.find((v) => v.videoId === videoIds[0])!.tracks.objects.length, 1);
});

test("built-in runtime: a job runs the project's ONNX model (lazily loaded through the registry)", async () => {
  const modelDir = path.join(dir, "builtin-model");
  await generateBuiltinModel(modelDir);
  const job = await createQueryJob(t.db, reviewer, { expression: "red squares", videoIds: [videoIds[0]!], runtime: "built-in" });
  const worker = new QueryWorker({ db: t.db, log: () => {}, builtinModelDir: modelDir });
  await worker.runOnce();
  await worker.stop();
  const res = await getJobResults(t.db, job.id);
  assert.equal(res.job.status, "done", res.job.error ?? "");
  const v = res.videos[0]!;
  assert.match(v.engine, /^built-in:/);
  assert.ok(v.tracks.objects.length >= 1, "the colour-matching model finds the red squares");
  // Its points lie on red squares (ground truth ±12 px, the squares' half side).
  for (const o of v.tracks.objects) {
    for (const k of o.keyframes.filter((x) => x.state === "visible")) {
      const d = Math.min(...gt.objects.map((g) => Math.hypot(g.track[k.frame]!.x - k.x, g.track[k.frame]!.y - k.y)));
      assert.ok(d <= 12 * Math.SQRT2 + 1, `keyframe ${k.frame} (${k.x}, ${k.y}) is ${d.toFixed(1)} px from a red square`);
    }
  }
});

test("cancel: a queued job is cancelled at once; a running one is aborted by its worker", async () => {
  const q = await createQueryJob(t.db, reviewer, { expression: "x", videoIds: [videoIds[0]!], runtime: "remote", remote: remote() });
  assert.equal((await cancelJob(t.db, reviewer, q.id)).status, "cancelled");
  assert.equal(await claimJob(t.db, "w", 1000), null);

  stub.setReplies([{ kind: "hang" }]);
  const j = await createQueryJob(t.db, reviewer, { expression: "x", videoIds: [videoIds[0]!], runtime: "remote", remote: { ...remote(), timeoutMs: 60_000 } });
  const worker = new QueryWorker({ db: t.db, leaseMs: 300, pollMs: 20, log: () => {} }).start();
  await until("job running", async () => (await getJob(t.db, j.id)).status === "running");
  const t0 = Date.now();
  await cancelJob(t.db, reviewer, j.id);
  await until("job cancelled", async () => (await getJob(t.db, j.id)).status === "cancelled", 5000);
  assert.ok(Date.now() - t0 < 3000);
  await worker.stop();
  await assert.rejects(cancelJob(t.db, reviewer, j.id), /already cancelled/);
});

function spawnWorker(id: string): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "inference", "worker.ts")], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: t.url, GROUNDTRACK_WORKER_ID: id, GROUNDTRACK_LEASE_MS: "800", GROUNDTRACK_POLL_MS: "100" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

test("a worker process killed with SIGKILL mid-job: another worker finishes it, exactly one result set", async () => {
  // The second video's first answer streams slowly (~1.5 s) so the kill lands while it is in flight.
  const fast = (ids: number[]) => ({ kind: "text" as const, text: answer(ids) });
  stub.setReplies([fast([1]), { kind: "text", text: answer([1, 2]), chunk: 4, delayMs: 25 }, fast([1, 2]), fast([2])]);
  const n0 = stub.requests.length;
  const job = await createQueryJob(t.db, reviewer, { expression: "red squares", videoIds, runtime: "remote", remote: remote() });
  const a = spawnWorker("worker-a");
  let b: ChildProcess | null = null;
  try {
    await until("first video done by worker A", async () => (await t.db.inferenceJobVideo.count({ where: { jobId: job.id, status: "done" } })) >= 1);
    await until("worker A asking about the second video", async () => stub.requests.length - n0 >= 2);
    a.kill("SIGKILL");
    await new Promise((r) => a.once("exit", r));
    const mid = await t.db.inferenceJob.findUniqueOrThrow({ where: { id: job.id } });
    assert.equal(mid.status, "running");
    assert.equal(mid.leaseOwner, "worker-a");
    b = spawnWorker("worker-b");
    await until("job done by worker B", async () => (await getJob(t.db, job.id)).status === "done", 30_000);
  } finally {
    a.kill("SIGKILL");
    b?.kill("SIGTERM");
    if (b) await new Promise((r) => b!.once("exit", r));
  }
  const j = await t.db.inferenceJob.findUniqueOrThrow({ where: { id: job.id }, include: { videos: { orderBy: { ordinal: "asc" } } } });
  assert.equal(j.attempts, 2);
  assert.equal(j.leaseOwner, null);
  // Video 1 was finished by A (attempt 1) and not asked again; the others by B (attempt 2).
  assert.deepEqual(j.videos.map((v) => [v.status, v.attempt]), [["done", 1], ["done", 2], ["done", 2]]);
  assert.equal(stub.requests.length - n0, 4); // a, b (killed mid-answer), b again, c
  // Exactly one result set: one prediction set, one expression per video, one track per (video, object).
  const tracks = await t.db.predictedTrack.findMany({ where: { predictionSetId: j.predictionSetId! } });
  const counts = j.videos.map((v) => tracks.filter((tr) => tr.videoId === v.videoId).length);
  assert.deepEqual(counts, [1, 2, 1]);
  assert.equal(new Set(tracks.map((tr) => `${tr.expressionId}:${tr.objectKey}`)).size, tracks.length);
  for (const v of j.videos) assert.equal(await t.db.expression.count({ where: { videoId: v.videoId, text: "red squares" } }), 1);
});
