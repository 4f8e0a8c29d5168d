// Route handlers against a real SQLite file built from the migrations: auth (401/403 per role),
// workflow transitions, optimistic concurrency.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestDb, type TestDb } from "../helpers/db";
import { call, loginCookie, seedWorld, type World } from "../helpers/app";
import * as me from "../../app/api/auth/me/route";
import * as logout from "../../app/api/auth/logout/route";
import * as login from "../../app/api/auth/login/route";
import * as tasks from "../../app/api/tasks/route";
import * as next from "../../app/api/tasks/next/route";
import * as task from "../../app/api/tasks/[id]/route";
import * as start from "../../app/api/tasks/[id]/start/route";
import * as submit from "../../app/api/tasks/[id]/submit/route";
import * as review from "../../app/api/tasks/[id]/review/route";
import * as reopen from "../../app/api/tasks/[id]/reopen/route";
import * as assign from "../../app/api/tasks/[id]/assign/route";
import * as obs from "../../app/api/tasks/[id]/observations/route";
import * as queue from "../../app/api/review/queue/route";
import * as progress from "../../app/api/admin/progress/route";
import * as projects from "../../app/api/projects/route";
import * as expressions from "../../app/api/expressions/route";
import * as users from "../../app/api/users/route";
import * as nextPage from "../../app/next/route";

let t: TestDb;
let w: World;
const cookies: Record<"admin" | "rev" | "ann1" | "ann2", string> = { admin: "", rev: "", ann1: "", ann2: "" };

before(async () => {
  t = await createTestDb();
  process.env.DATABASE_URL = t.url;
  w = await seedWorld(t.db);
  for (const u of ["admin", "rev", "ann1", "ann2"] as const) cookies[u] = await loginCookie(u, w.password);
});
after(async () => {
  const { getDb } = await import("../../lib/db");
  await getDb().$disconnect();
  await t.close();
});

const id = (n: number) => ({ id: String(n) });

describe("auth", () => {
  it("rejects a wrong password with 401 and sets no cookie", async () => {
    const r = await call(login.POST, { body: { username: "ann1", password: "nope" } });
    assert.equal(r.status, 401);
    assert.equal(r.headers.get("set-cookie"), null);
  });

  it("sets an httpOnly cookie whose token is stored only hashed", async () => {
    const r = await call(login.POST, { body: { username: "ann1", password: w.password } });
    const sc = r.headers.get("set-cookie")!;
    assert.match(sc, /HttpOnly/);
    const token = decodeURIComponent(sc.split(";")[0]!.split("=")[1]!);
    const rows = await t.db.session.findMany();
    assert.ok(rows.length > 0);
    assert.ok(rows.every((s) => s.tokenHash !== token && s.tokenHash.length === 64));
  });

  it("every route answers 401 without a session and with a forged token", async () => {
    const routes: [unknown, string, Record<string, string> | undefined][] = [
      [me.GET, "GET", undefined], [tasks.GET, "GET", undefined], [next.GET, "GET", undefined], [task.GET, "GET", id(w.taskIds[0]!)],
      [obs.GET, "GET", id(w.taskIds[0]!)], [queue.GET, "GET", undefined], [progress.GET, "GET", undefined], [projects.GET, "GET", undefined],
    ];
    for (const [h, method, params] of routes) {
      assert.equal((await call(h, { method, params })).status, 401);
      assert.equal((await call(h, { method, params, cookie: "gt_session=forged" })).status, 401);
    }
  });

  it("enforces roles: 403 for the wrong role, 200 for the right one", async () => {
    assert.equal((await call(queue.GET, { cookie: cookies.ann1 })).status, 403);
    assert.equal((await call(queue.GET, { cookie: cookies.rev })).status, 200);
    assert.equal((await call(progress.GET, { cookie: cookies.rev })).status, 403);
    assert.equal((await call(progress.GET, { cookie: cookies.ann1 })).status, 403);
    assert.equal((await call(progress.GET, { cookie: cookies.admin })).status, 200);
    assert.equal((await call(next.GET, { cookie: cookies.rev })).status, 403);
    assert.equal((await call(projects.POST, { cookie: cookies.ann1, body: { name: "x" } })).status, 403);
    assert.equal((await call(users.POST, { cookie: cookies.rev, body: { username: "z", displayName: "z", role: "admin", password: "12345678" } })).status, 403);
    assert.equal((await call(review.POST, { cookie: cookies.ann1, params: id(w.taskIds[0]!), body: { decision: "accepted" } })).status, 403);
    assert.equal((await call(assign.POST, { cookie: cookies.rev, params: id(w.taskIds[0]!), body: { assigneeId: w.users.ann1.id } })).status, 403);
  });

  it("an HTML form login redirects (303) to a same-site `next` only, and a failed one back to /login", async () => {
    const form = (fields: Record<string, string>) => login.POST(new Request("http://127.0.0.1/api/auth/login", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() }));
    const ok = await form({ username: "rev", password: w.password, next: "/review" });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get("location"), "/review");
    assert.match(ok.headers.get("set-cookie") ?? "", /^gt_session=.+HttpOnly/);
    assert.equal((await form({ username: "rev", password: w.password, next: "//evil.example" })).headers.get("location"), "/");
    const bad = await form({ username: "rev", password: "x", next: "/review" });
    assert.equal(bad.status, 303);
    assert.equal(bad.headers.get("location"), "/login?error=1&next=%2Freview");
    assert.equal(bad.headers.get("set-cookie"), null);
  });

  it("/next sends anonymous users to /login and reviewers get 403", async () => {
    const anon = await nextPage.GET(new Request("http://127.0.0.1/next"));
    assert.equal(anon.status, 303);
    assert.equal(anon.headers.get("location"), "/login?next=/next");
    assert.equal((await nextPage.GET(new Request("http://127.0.0.1/next", { headers: { cookie: cookies.rev } }))).status, 403);
  });

  it("throttles a username after 5 failed logins (429 with Retry-After), even for the right password", async () => {
    for (let i = 0; i < 5; i++) assert.equal((await call(login.POST, { body: { username: "ann2", password: `wrong${i}` } })).status, 401);
    const r = await call(login.POST, { body: { username: "ann2", password: w.password } });
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get("retry-after")) > 0);
    assert.equal((await call(login.POST, { body: { username: "ann1", password: w.password } })).status, 200, "other users are unaffected");
    const { loginThrottle } = await import("../../lib/auth/throttle");
    loginThrottle().succeed("ann2"); // reset for the following tests
  });

  it("logout invalidates the session", async () => {
    const c = await loginCookie("ann2", w.password);
    assert.equal((await call(me.GET, { cookie: c })).status, 200);
    assert.equal((await call(logout.POST, { cookie: c, body: {} })).status, 200);
    assert.equal((await call(me.GET, { cookie: c })).status, 401);
  });
});

describe("workflow", () => {
  it("next task claims distinct tasks for two annotators and returns the same one again", async () => {
    const a = await call(next.GET, { cookie: cookies.ann1 });
    const page = await nextPage.GET(new Request("http://127.0.0.1/next", { headers: { cookie: cookies.ann1 } }));
    assert.equal(page.headers.get("location"), `/tasks/${a.body.task.id}`, "/next opens the same task");
    const b = await call(next.GET, { cookie: cookies.ann2 });
    assert.equal(a.status, 200);
    assert.notEqual(a.body.task.id, b.body.task.id);
    assert.equal(a.body.task.assignee.id, w.users.ann1.id);
    assert.equal((await call(next.GET, { cookie: cookies.ann1 })).body.task.id, a.body.task.id);
  });

  it("an annotator cannot see or start another annotator's task", async () => {
    const mine = (await call(next.GET, { cookie: cookies.ann2 })).body.task.id;
    assert.equal((await call(task.GET, { cookie: cookies.ann1, params: id(mine) })).status, 403);
    assert.equal((await call(start.POST, { cookie: cookies.ann1, params: id(mine), body: {} })).status, 403);
    assert.equal((await call(obs.GET, { cookie: cookies.ann1, params: id(mine) })).status, 403);
  });

  it("rejects invalid transitions with 409 and walks the valid path new → in_progress → submitted → rejected → in_progress → submitted → accepted → reopened", async () => {
    const tid = (await call(next.GET, { cookie: cookies.ann1 })).body.task.id as number;
    const p = id(tid);
    assert.equal((await call(submit.POST, { cookie: cookies.ann1, params: p, body: {} })).status, 409, "cannot submit a new task");
    assert.equal((await call(review.POST, { cookie: cookies.rev, params: p, body: { decision: "accepted" } })).status, 409, "cannot review a new task");
    const s = await call(start.POST, { cookie: cookies.ann1, params: p });
    assert.equal(s.status, 200);
    assert.equal(s.body.task.status, "in_progress");
    assert.equal((await call(reopen.POST, { cookie: cookies.rev, params: p, body: {} })).status, 409, "cannot reopen an in-progress task");
    assert.equal((await call(submit.POST, { cookie: cookies.ann1, params: p, body: {} })).body.task.status, "submitted");
    assert.equal((await call(obs.PUT, { method: "PUT", cookie: cookies.ann1, params: p, body: { expectedVersion: (await call(task.GET, { cookie: cookies.ann1, params: p })).body.task.version, edits: [{ frame: 5, x: 1, y: 1, state: "visible" }] } })).status, 409, "no edits after submit");
    const q = await call(queue.GET, { cookie: cookies.rev });
    assert.ok(q.body.tasks.some((x: { id: number }) => x.id === tid));
    assert.equal((await call(review.POST, { cookie: cookies.rev, params: p, body: { decision: "rejected" } })).status, 400, "a rejection needs a reason");
    assert.equal((await call(review.POST, { cookie: cookies.rev, params: p, body: { decision: "rejected", comment: "c", flaggedFrames: [1000] } })).status, 400, "flagged frame outside the video");
    const rej = await call(review.POST, { cookie: cookies.rev, params: p, body: { decision: "rejected", comment: "drifts after frame 40", flaggedFrames: [41, 40, 41] } });
    assert.equal(rej.status, 200);
    assert.equal(rej.body.task.status, "rejected");
    assert.deepEqual(rej.body.task.lastReview.flaggedFrames, [40, 41]);
    assert.equal((await call(next.GET, { cookie: cookies.ann1 })).body.task.id, tid, "the rejected task comes back first");
    assert.equal((await call(start.POST, { cookie: cookies.ann1, params: p })).body.task.status, "in_progress");
    await call(submit.POST, { cookie: cookies.ann1, params: p });
    const acc = await call(review.POST, { cookie: cookies.rev, params: p, body: { decision: "accepted", comment: "" } });
    assert.equal(acc.body.task.status, "accepted");
    assert.equal((await call(start.POST, { cookie: cookies.ann1, params: p })).status, 409, "cannot restart an accepted task");
    assert.equal((await call(review.POST, { cookie: cookies.rev, params: p, body: { decision: "accepted" } })).status, 409, "cannot accept twice");
    const ro = await call(reopen.POST, { cookie: cookies.rev, params: p });
    assert.equal(ro.body.task.status, "in_progress");
    const audit = await t.db.auditEvent.findMany({ where: { entity: "task", entityId: tid }, orderBy: { id: "asc" } });
    assert.deepEqual(audit.map((a) => a.action).filter((a) => a !== "task.create"), ["task.claim", "task.start", "task.submit", "task.reject", "task.start", "task.submit", "task.accept", "task.reopen"]);
  });

  it("a transition with a stale expectedVersion is a 409 carrying the current task", async () => {
    const c = await call(tasks.POST, { cookie: cookies.admin, body: { videoId: w.videoId, expressionId: w.expressionId, objectKey: 7, seed: { frame: 3, x: 5, y: 5 }, assigneeId: w.users.ann2.id } });
    assert.equal(c.status, 201);
    const r = await call(assign.POST, { cookie: cookies.admin, params: id(c.body.task.id), body: { assigneeId: w.users.ann1.id, expectedVersion: c.body.task.version - 1 } });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.details.task.assignee.id, w.users.ann2.id);
  });

  it("validates input and names the field", async () => {
    const r = await call(tasks.POST, { cookie: cookies.admin, body: { videoId: w.videoId, expressionId: w.expressionId, objectKey: 0, seed: { frame: 500, x: 5, y: 5 } } });
    assert.equal(r.status, 400);
    assert.match(r.body.error.message, /seed\.frame/);
    const bad = await call(tasks.POST, { cookie: cookies.admin, body: "{not json" });
    assert.equal(bad.status, 400);
    const z = await call(projects.POST, { cookie: cookies.admin, body: { name: "" } });
    assert.equal(z.status, 400);
    assert.match(z.body.error.message, /^name:/);
    assert.equal((await call(task.GET, { cookie: cookies.admin, params: { id: "abc" } })).status, 400);
    assert.equal((await call(task.GET, { cookie: cookies.admin, params: id(99999) })).status, 404);
  });
});

describe("observations and optimistic concurrency", () => {
  it("GET returns the target keyframes (seed) and the other objects as context", async () => {
    const c = await call(tasks.POST, { cookie: cookies.admin, body: { videoId: w.videoId, expressionId: w.expressionId, objectKey: 9, seed: { frame: 2, x: 50, y: 60 }, assigneeId: w.users.ann2.id } });
    const r = await call(obs.GET, { cookie: cookies.ann2, params: id(c.body.task.id) });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.target.keyframes.map((k: { frame: number; x: number; y: number; source: string }) => [k.frame, k.x, k.y, k.source]), [[2, 50, 60, "human"]]);
    assert.ok(r.body.context.length >= 3);
    assert.ok(r.body.context.every((o: { objectId: number }) => o.objectId !== c.body.task.objectId));
    assert.equal(r.body.video.frameCount, 100);
  });

  it("a stale PUT gets 409 with the newer state and loses nothing; a fresh one applies atomically", async () => {
    const c = await call(tasks.POST, { cookie: cookies.admin, body: { videoId: w.videoId, expressionId: w.expressionId, objectKey: 10, seed: { frame: 0, x: 1, y: 1 }, assigneeId: w.users.ann1.id } });
    const p = id(c.body.task.id);
    const started = await call(start.POST, { cookie: cookies.ann1, params: p });
    const v0 = started.body.task.version as number;
    const a = await call(obs.PUT, { method: "PUT", cookie: cookies.ann1, params: p, body: { expectedVersion: v0, edits: [{ frame: 10, x: 100, y: 100, state: "visible" }, { frame: 20, x: 200, y: 150, state: "occluded", source: "model:molmo-1.0" }] } });
    assert.equal(a.status, 200);
    assert.equal(a.body.version, v0 + 1);
    assert.deepEqual(a.body.keyframes.map((k: { frame: number }) => k.frame), [0, 10, 20]);
    // A second tab still at v0 edits frame 10: rejected, told about the newer state.
    const stale = await call(obs.PUT, { method: "PUT", cookie: cookies.ann1, params: p, body: { expectedVersion: v0, edits: [{ frame: 10, x: 5, y: 5, state: "visible" }, { frame: 30, x: 5, y: 5, state: "visible" }] } });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.error.details.version, v0 + 1);
    assert.deepEqual(stale.body.error.details.keyframes.find((k: { frame: number }) => k.frame === 10), { frame: 10, x: 100, y: 100, state: "visible", source: "human", authorId: w.users.ann1.id, version: v0 + 1 });
    const rows = await t.db.observation.findMany({ where: { objectId: c.body.task.objectId }, orderBy: { frameIndex: "asc" } });
    assert.deepEqual(rows.map((o) => [o.frameIndex, o.x]), [[0, 1], [10, 100], [20, 200]], "nothing of the stale batch was written");
    // A batch that fails validation half-way writes nothing either.
    const half = await call(obs.PUT, { method: "PUT", cookie: cookies.ann1, params: p, body: { expectedVersion: v0 + 1, edits: [{ frame: 11, x: 1, y: 1, state: "visible" }, { frame: 12, x: 9999, y: 1, state: "visible" }] } });
    assert.equal(half.status, 400);
    assert.match(half.body.error.message, /edits\[1\]/);
    assert.equal(await t.db.observation.count({ where: { objectId: c.body.task.objectId, frameIndex: 11 } }), 0);
    const bad = await call(obs.PUT, { method: "PUT", cookie: cookies.ann1, params: p, body: { expectedVersion: v0 + 1, edits: [{ frame: 11, x: 1, y: 1, state: "hidden" }] } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^edits\.0/);
    // Remove + move in one batch, then the other annotator may not write.
    const b = await call(obs.PUT, { method: "PUT", cookie: cookies.ann1, params: p, body: { expectedVersion: v0 + 1, edits: [{ frame: 20, remove: true }, { frame: 10, x: -40, y: 99, state: "outside" }] } });
    assert.equal(b.status, 200);
    assert.deepEqual(b.body.keyframes.map((k: { frame: number; state: string }) => [k.frame, k.state]), [[0, "visible"], [10, "outside"]]);
    assert.equal((await call(obs.PUT, { method: "PUT", cookie: cookies.ann2, params: p, body: { expectedVersion: b.body.version, edits: [{ frame: 1, x: 1, y: 1, state: "visible" }] } })).status, 403);
  });

  it("concurrent PUTs with the same version: exactly one wins, the other gets 409", async () => {
    const c = await call(tasks.POST, { cookie: cookies.admin, body: { videoId: w.videoId, expressionId: w.expressionId, objectKey: 11, seed: { frame: 0, x: 1, y: 1 }, assigneeId: w.users.ann1.id } });
    const p = id(c.body.task.id);
    const v = (await call(start.POST, { cookie: cookies.ann1, params: p })).body.task.version;
    const results = await Promise.all([1, 2, 3, 4].map((k) => call(obs.PUT, { method: "PUT", cookie: cookies.ann1, params: p, body: { expectedVersion: v, edits: [{ frame: k, x: k, y: k, state: "visible" }] } })));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 409, 409, 409]);
    assert.equal(await t.db.observation.count({ where: { objectId: c.body.task.objectId } }), 2);
  });

  it("progress counts tasks per video and annotator", async () => {
    const r = await call(progress.GET, { cookie: cookies.admin });
    const v = r.body.videos.find((x: { videoId: number }) => x.videoId === w.videoId);
    const total = await t.db.task.count({ where: { videoId: w.videoId } });
    assert.equal(v.counts.total, total);
    const a1 = r.body.annotators.find((x: { username: string }) => x.username === "ann1");
    assert.equal(a1.counts.total, await t.db.task.count({ where: { assigneeId: w.users.ann1.id } }));
    assert.equal(a1.rejections, 1);
    assert.equal(a1.keyframesAuthored, await t.db.observation.count({ where: { authorId: w.users.ann1.id } }));
  });

  it("admin CRUD: expressions need an existing video and unique object keys", async () => {
    assert.equal((await call(expressions.POST, { cookie: cookies.admin, body: { videoId: 999, text: "x" } })).status, 400);
    assert.equal((await call(expressions.POST, { cookie: cookies.admin, body: { videoId: w.videoId, text: "x", objects: [{ objectKey: 0 }, { objectKey: 0 }] } })).status, 400);
    const e = await call(expressions.POST, { cookie: cookies.admin, body: { videoId: w.videoId, text: "the dog", objects: [{ objectKey: 0, label: "dog" }] } });
    assert.equal(e.status, 201);
    assert.equal(e.body.expression.objects[0].label, "dog");
    assert.equal((await call(projects.POST, { cookie: cookies.admin, body: { name: "P" } })).status, 409, "duplicate project name");
  });
});
