// POST /api/tasks/:id/propagate against a real SQLite database and a real encoded synthetic video: propagated
// keyframes follow the ground truth, human keyframes stay untouched, stale or concurrent versions give 409.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestDb, type TestDb } from "../helpers/db";
import { call, loginCookie, seedWorld, type World } from "../helpers/app";
import * as propagate from "../../app/api/tasks/[id]/propagate/route";
import { generateSyntheticVideo, type SyntheticGroundTruth } from "../../lib/video";
import { createTask, startTask } from "../../lib/services/tasks";
import { putObservations, trackState } from "../../lib/services/observations";
import { propagateTask } from "../../lib/services/propagation";
import { setLivePublisher, type TrackUpdate } from "../../app/_server/live-hub";
import type { PropagateProgressEvent } from "../../app/_shared/live-protocol";

let t: TestDb;
let w: World;
let dir: string;
let gt: SyntheticGroundTruth;
let taskId: number;
const cookies: Record<string, string> = {};
const W = 320, H = 240, N = 30;
const diag = Math.hypot(W, H);

before(async () => {
  t = await createTestDb();
  process.env.DATABASE_URL = t.url;
  process.env.GROUNDTRACK_SAM2_DIR = path.join(os.tmpdir(), "gt-no-sam2-here"); // LK: no SAM2 weights in tests
  w = await seedWorld(t.db);
  for (const u of ["admin", "rev", "ann1", "ann2"]) cookies[u] = await loginCookie(u, w.password);
  dir = mkdtempSync(path.join(os.tmpdir(), "gt-propsvc-"));
  const file = path.join(dir, "moving.mp4");
  const r = await generateSyntheticVideo(file, {
    width: W, height: H, frames: N, fps: 25,
    objects: [{ id: 1, category: "square", colour: "orange", size: 13, path: Array.from({ length: 11 }, (_, k) => ({ frame: 3 * k, x: 60 + 18 * k, y: 120 + 35 * Math.cos(k * 0.6) })) }],
  }, 3);
  gt = r.groundTruth;
  const m = r.meta;
  const video = await t.db.video.create({
    data: {
      projectId: w.projectId, name: "moving.mp4", container: m.container, codec: m.codec, width: m.width, height: m.height, fps: m.fps, durationSec: m.durationSec, frameCount: m.frameCount,
      frameTimestamps: JSON.stringify(m.timestamps), shotBoundaries: JSON.stringify(m.shotBoundaries), storagePath: file, sizeBytes: m.sizeBytes,
    },
  });
  const expression = await t.db.expression.create({ data: { videoId: video.id, text: "the orange square", objects: { create: [{ objectKey: 0 }] } } });
  const g = gt.objects[0].track;
  const task = await createTask(t.db, w.users.admin, { videoId: video.id, expressionId: expression.id, objectKey: 0, seed: { frame: 0, x: g[0].x, y: g[0].y }, assigneeId: w.users.ann1.id, priority: 0 });
  taskId = task.id;
  await startTask(t.db, w.users.ann1, taskId);
  // A human correction later in the video that propagation must stop before and leave alone.
  const s = await trackState(t.db, taskId);
  await putObservations(t.db, w.users.ann1, taskId, { expectedVersion: s.version, edits: [{ frame: 24, x: g[24].x + 1, y: g[24].y, state: "visible", source: "human" }] });
});
after(async () => {
  const { getDb } = await import("../../lib/db");
  await getDb().$disconnect();
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

const id = () => ({ id: String(taskId) });

describe("POST /api/tasks/:id/propagate", () => {
  it("needs a login, and the task's annotator (not another annotator)", async () => {
    assert.equal((await call(propagate.POST, { params: id(), body: { fromFrame: 0, direction: "forward" } })).status, 401);
    const r = await call(propagate.POST, { params: id(), cookie: cookies.ann2, body: { fromFrame: 0, direction: "forward" } });
    assert.equal(r.status, 403);
  });

  it("rejects bad bodies with a named field", async () => {
    const r = await call(propagate.POST, { params: id(), cookie: cookies.ann1, body: { fromFrame: 0, direction: "sideways" } });
    assert.equal(r.status, 400);
    assert.match(r.body.error.message, /direction/);
    const r2 = await call(propagate.POST, { params: id(), cookie: cookies.ann1, body: { fromFrame: 5, direction: "backward", toFrame: 9 } });
    assert.equal(r2.status, 400);
    assert.match(r2.body.error.message, /toFrame/);
    const r3 = await call(propagate.POST, { params: id(), cookie: cookies.ann1, body: { fromFrame: 500, direction: "forward" } });
    assert.equal(r3.status, 400);
    assert.match(r3.body.error.message, /fromFrame/);
  });

  it("a stale expectedVersion is a 409 carrying the current track, and nothing is written", async () => {
    const before = await trackState(t.db, taskId);
    const r = await call(propagate.POST, { params: id(), cookie: cookies.ann1, body: { fromFrame: 0, direction: "forward", expectedVersion: before.version - 1 } });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.details.version, before.version);
    assert.deepEqual(await trackState(t.db, taskId), before);
  });

  it("writes propagated keyframes within 2% of the diagonal of the truth, stopping before the human keyframe", async () => {
    const before = await trackState(t.db, taskId);
    const humans = before.keyframes.filter((k) => k.source === "human");
    assert.deepEqual(humans.map((k) => k.frame), [0, 24]);
    const r = await call(propagate.POST, { params: id(), cookie: cookies.ann1, body: { fromFrame: 0, direction: "forward", expectedVersion: before.version } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.engine, "lk");
    assert.deepEqual(r.body.frames, Array.from({ length: 23 }, (_, i) => i + 1));
    assert.deepEqual(r.body.stops.forward, { reason: "human_keyframe", lastFrame: 23 });
    assert.equal(r.body.state.version, before.version + 1);
    const g = gt.objects[0].track;
    const after = await trackState(t.db, taskId);
    for (const k of after.keyframes) {
      if (k.source === "human") continue;
      assert.equal(k.source, "propagated");
      assert.equal(k.state, "visible");
      assert.equal(k.authorId, w.users.ann1.id);
      const e = Math.hypot(k.x - g[k.frame].x, k.y - g[k.frame].y);
      assert.ok(e <= 0.02 * diag, `frame ${k.frame}: ${e.toFixed(2)} px from the truth`);
    }
    assert.deepEqual(after.keyframes.filter((k) => k.source === "human"), humans, "human keyframes untouched");
  });

  it("a reviewer may propagate backward; re-propagation replaces earlier propagated keyframes only", async () => {
    const before = await trackState(t.db, taskId);
    const progress: PropagateProgressEvent[] = [];
    const updates: TrackUpdate[] = [];
    setLivePublisher({ trackUpdated: (u) => updates.push(u), sessionEnded: () => {}, propagateProgress: (e) => progress.push(e) });
    let r;
    try {
      r = await call(propagate.POST, { params: id(), cookie: cookies.rev, body: { fromFrame: 24, direction: "backward", toFrame: 15 } });
    } finally {
      setLivePublisher(undefined);
    }
    assert.equal(r.status, 200, JSON.stringify(r.body));
    // Progress went to the task's video room (throttled, the last one always sent); the result was broadcast.
    assert.ok(progress.length >= 1);
    assert.deepEqual(progress[progress.length - 1], { taskId, videoId: before.videoId, direction: "backward", frame: 15, done: 9, total: 9 });
    assert.equal(updates.length, 1);
    assert.equal(updates[0].version, before.version + 1);
    assert.equal(updates[0].by.username, "rev");
    assert.deepEqual(r.body.frames, [15, 16, 17, 18, 19, 20, 21, 22, 23]);
    const after = await trackState(t.db, taskId);
    const rewritten = after.keyframes.filter((k) => k.frame >= 15 && k.frame <= 23);
    assert.ok(rewritten.every((k) => k.source === "propagated" && k.authorId === w.users.reviewer.id && k.version === before.version + 1));
    assert.deepEqual(after.keyframes.filter((k) => k.source === "human"), before.keyframes.filter((k) => k.source === "human"));
  });

  it("an edit that lands while tracking runs makes the write a 409; the edit survives, nothing else is written", async () => {
    const before = await trackState(t.db, taskId);
    let edited = false;
    const g = gt.objects[0].track;
    await assert.rejects(
      propagateTask(t.db, w.users.ann1, taskId, { fromFrame: 24, direction: "forward" }, {
        onProgress: (p) => {
          if (edited || p.done !== 2) return;
          edited = true;
          void putObservations(t.db, w.users.ann1, taskId, { expectedVersion: before.version, edits: [{ frame: 10, x: g[10].x, y: g[10].y, state: "visible", source: "human" }] });
        },
      }),
      (e: Error & { status?: number }) => e.status === 409,
    );
    assert.ok(edited);
    const after = await trackState(t.db, taskId);
    assert.equal(after.version, before.version + 1);
    assert.equal(after.keyframes.find((k) => k.frame === 10)?.source, "human");
    assert.ok(!after.keyframes.some((k) => k.frame > 24), "no propagated frames written");
  });

  it("refuses to start where the track is not visible", async () => {
    const s = await trackState(t.db, taskId);
    await putObservations(t.db, w.users.ann1, taskId, { expectedVersion: s.version, edits: [{ frame: 27, x: 100, y: 100, state: "occluded", source: "human" }] });
    const r = await call(propagate.POST, { params: id(), cookie: cookies.ann1, body: { fromFrame: 28, direction: "forward" } });
    assert.equal(r.status, 400);
    assert.match(r.body.error.message, /occluded on frame 28/);
  });
});
