// /api/reports and /api/reports/predictions route handlers on a real SQLite DB: auth (401/403), import errors
// that name the field, CSV shapes.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestDb, type TestDb } from "../helpers/db";
import { call, loginCookie, seedWorld, type World } from "../helpers/app";
import * as reports from "../../app/api/reports/route";
import * as predictions from "../../app/api/reports/predictions/route";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SUMMARY_HEADER } from "../../lib/services/reports-csv";
import { runTracks } from "../../cli/commands/eval-tracks";

let t: TestDb;
let w: World;
const cookies = { admin: "", rev: "", ann1: "" };

async function raw(handler: (req: Request) => Promise<Response>, path: string, cookie: string, init: RequestInit = {}) {
  const res = await handler(new Request(`http://127.0.0.1${path}`, { ...init, headers: { cookie, ...(init.headers ?? {}) } }));
  return { status: res.status, type: res.headers.get("content-type") ?? "", disposition: res.headers.get("content-disposition"), text: await res.text() };
}

const trackAny = (video: string, expression: string, objects: number[]) =>
  JSON.stringify({
    video, expression, fps: 25, height: 480, width: 640, n_frames: 100,
    frame_trajectories: [0, 25, 50, 75].map((f) => ({ frame: f, time: f / 25, points: objects.map((k) => ({ id: k, point: [10 + k * 100 + f, 20], occluded: false })) })),
    mask_id: objects.map(String),
  });

before(async () => {
  t = await createTestDb();
  process.env.DATABASE_URL = t.url;
  w = await seedWorld(t.db);
  for (const u of ["admin", "rev", "ann1"] as const) cookies[u] = await loginCookie(u, w.password);
  // Ground truth: the world's three objects, accepted, moving right by one pixel per frame.
  const objects = await t.db.trackedObject.findMany({ where: { expressionId: w.expressionId }, orderBy: { objectKey: "asc" } });
  await t.db.observation.deleteMany({ where: { objectId: { in: objects.map((o) => o.id) } } }); // the seed keyframes
  for (const o of objects) {
    await t.db.observation.createMany({ data: [0, 99].map((f) => ({ objectId: o.id, frameIndex: f, x: 10 + o.objectKey * 100 + f, y: 20, state: "visible", source: "human" })) });
  }
  await t.db.task.updateMany({ where: { id: { in: w.taskIds } }, data: { status: "accepted" } });
  await t.db.project.update({ where: { id: w.projectId }, data: { domain: "balls" } });
});
after(async () => {
  const { getDb } = await import("../../lib/db");
  await getDb().$disconnect();
  await t.close();
});

describe("auth", () => {
  it("401 without a session, 403 for annotators, 200 for reviewers", async () => {
    assert.equal((await call(reports.GET, { path: "/api/reports" })).status, 401);
    assert.equal((await call(predictions.GET, { path: "/api/reports/predictions" })).status, 401);
    assert.equal((await call(predictions.POST, { path: "/api/reports/predictions", body: {} })).status, 401);
    assert.equal((await call(reports.GET, { path: "/api/reports", cookie: cookies.ann1 })).status, 403);
    assert.equal((await call(predictions.POST, { path: "/api/reports/predictions", cookie: cookies.ann1, body: {} })).status, 403);
    assert.equal((await call(reports.GET, { path: "/api/reports", cookie: cookies.rev })).status, 200);
    assert.equal((await call(predictions.GET, { path: "/api/reports/predictions", cookie: cookies.admin })).status, 200);
  });
});

describe("import", () => {
  it("bad imports answer 400 naming the field; nothing is stored", async () => {
    const post = (body: unknown) => call(predictions.POST, { path: "/api/reports/predictions", cookie: cookies.rev, body });
    const cases: Array<[unknown, RegExp]> = [
      ["{", /body: not valid JSON/],
      [{ format: "trackany", items: [{ content: "{}" }] }, /^name: /],
      [{ name: "x", format: "mot", items: [{ content: "1" }] }, /^format: expected trackany or molmo2/],
      [{ name: "x", format: "trackany", items: [] }, /^items: at least one item/],
      [{ name: "x", format: "trackany", items: [{ content: "[1]" }] }, /items\[0\]\.content: expected one TrackAny example/],
      [{ name: "x", format: "trackany", items: [{ content: trackAny("v.mp4", "the three balls", [0]).replace('"frame":25', '"frame":-1') }] }, /items\[0\]\.content: frame_trajectories\[1\]\.frame/],
      [{ name: "x", format: "trackany", items: [{ content: trackAny("v.mp4", "the three balls", [0]).replace('"n_frames":100', '"n_frames":101') }] }, /items\[0\]\.content\.n_frames: 101 does not match/],
      [{ name: "x", format: "molmo2", items: [{ content: '<tracks coords="0.0 1 100 200">the three balls</tracks>' }] }, /items\[0\]\.videoId: required/],
      [{ name: "x", format: "molmo2", items: [{ videoId: w.videoId, content: '<tracks coords="0.0 1 100 2x00">z</tracks>' }] }, /items\[0\]\.content/],
    ];
    for (const [body, re] of cases) {
      const r = await post(body);
      assert.equal(r.status, 400, JSON.stringify(body).slice(0, 80));
      assert.match(r.body.error.message, re);
    }
    assert.equal(await t.db.predictionSet.count(), 0);
  });

  it("a good import answers 201 and is listed", async () => {
    const r = await call(predictions.POST, { path: "/api/reports/predictions", cookie: cookies.admin, body: { name: "two of three", format: "trackany", engine: "test", items: [{ content: trackAny("v.mp4", "the three balls", [0, 1]) }] } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual([r.body.tracks, r.body.expressions], [2, 1]);
    const list = await call(predictions.GET, { path: "/api/reports/predictions", cookie: cookies.rev });
    assert.deepEqual(list.body.sets.map((s: { name: string; tracks: number; source: string }) => [s.name, s.tracks, s.source]), [["two of three", 2, "import"]]);
  });
});

describe("report formats", () => {
  it("JSON: the report and the agreement table", async () => {
    const set = await t.db.predictionSet.findFirstOrThrow();
    const r = await call(reports.GET, { path: `/api/reports?pred=${set.id}&radius=5&soft=0`, cookie: cookies.rev });
    assert.equal(r.status, 200);
    const s = r.body.report.sets[0];
    assert.equal(s.name, "two of three");
    assert.equal(s.examples.length, 1);
    // Two of three objects exactly: P 1, R 2/3 on every GT frame, count wrong but close.
    assert.equal(s.overall.precision, 1);
    assert.ok(Math.abs(s.overall.recall - 2 / 3) < 1e-12);
    assert.deepEqual([s.overall.countCorrect, s.overall.countClose], [0, 1]);
    assert.deepEqual(r.body.agreement.rows, []);
  });

  it("CSV summary: header, one row per level, raw values", async () => {
    const set = await t.db.predictionSet.findFirstOrThrow();
    const r = await raw(reports.GET, `/api/reports?pred=${set.id}&radius=5&soft=0&format=csv`, cookies.rev);
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/csv/);
    assert.match(r.disposition ?? "", /attachment; filename="groundtrack-report-summary.csv"/);
    const rows = r.text.trimEnd().split("\r\n").map((l) => l.split(","));
    assert.deepEqual(rows[0], SUMMARY_HEADER);
    assert.deepEqual(rows.slice(1).map((x) => x[0]), ["overall", "domain", "video", "expression"]);
    assert.ok(rows.every((x) => x.length === SUMMARY_HEADER.length));
    const expr = rows[4];
    assert.equal(expr[SUMMARY_HEADER.indexOf("domain")], "balls");
    assert.equal(expr[SUMMARY_HEADER.indexOf("precision")], "1");
    assert.equal(Number(expr[SUMMARY_HEADER.indexOf("recall")]), 2 / 3);
    assert.equal(expr[SUMMARY_HEADER.indexOf("J")], "");
  });

  it("CSV alphas: 19 rows per set; agreement CSV has its header", async () => {
    const set = await t.db.predictionSet.findFirstOrThrow();
    const a = await raw(reports.GET, `/api/reports?pred=${set.id}&format=csv&table=alphas`, cookies.rev);
    const rows = a.text.trimEnd().split("\r\n");
    assert.equal(rows[0], "prediction_set_id,prediction_set,alpha,HOTA,DetA,AssA");
    assert.equal(rows.length, 1 + 19);
    assert.equal(Number(rows[1].split(",")[2]), 0.05);
    const g = await raw(reports.GET, `/api/reports?format=csv&table=agreement`, cookies.rev);
    assert.equal(g.text, "user_id,username,display_name,tasks,gold_points,precision,recall,f1,HOTA,DetA,AssA,HOTA_alphaMean\r\n");
  });

  it("eval-gt / eval-pred downloads re-scored by `eval tracks` give the report's numbers", async () => {
    const set = await t.db.predictionSet.findFirstOrThrow();
    const q = `pred=${set.id}&judge=distance&radius=7&soft=1&fps=2`;
    const gt = await raw(reports.GET, `/api/reports?${q}&format=eval-gt`, cookies.rev);
    const pred = await raw(reports.GET, `/api/reports?${q}&format=eval-pred`, cookies.rev);
    assert.match(gt.type, /^application\/x-ndjson/);
    assert.equal(gt.text.trimEnd().split("\n").length, 1);
    const report = (await call(reports.GET, { path: `/api/reports?${q}`, cookie: cookies.rev })).body.report;
    const dir = mkdtempSync(path.join(os.tmpdir(), "gt-reports-route-"));
    try {
      writeFileSync(path.join(dir, "gt.jsonl"), gt.text);
      writeFileSync(path.join(dir, "pred.jsonl"), pred.text);
      const log = console.log;
      console.log = () => {};
      try {
        assert.equal(await runTracks(["--gt", path.join(dir, "gt.jsonl"), "--pred", path.join(dir, "pred.jsonl"), "--judge", "distance", "--radius", "7", "--soft", "--out", path.join(dir, "out.json"), "--quiet"]), 0);
      } finally {
        console.log = log;
      }
      const cli = JSON.parse(readFileSync(path.join(dir, "out.json"), "utf8"));
      for (const k of ["precision", "recall", "f1", "HOTA", "DetA", "AssA", "HOTA_alphaMean"]) assert.equal(report.sets[0].overall[k], cli.mean[k], k);
      assert.deepEqual(report.sets[0].overall.HOTA_array, cli.perVideo[0].HOTA_array);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const two = await call(reports.GET, { path: `/api/reports?pred=1,2&format=eval-pred`, cookie: cookies.rev });
    assert.equal(two.status, 400);
    assert.match(two.body.error.message, /^pred: eval-pred exports exactly one/);
  });

  it("bad parameters are 400 with the parameter named", async () => {
    for (const [q, re] of [["format=xml", /^format:/], ["table=x&format=csv", /^table:/], ["gt=set:abc", /^gt:/], ["pred=0", /pred/], ["judge=mask", /judge: mask needs GT masks/], ["gt=set:999", /prediction set #999 not found/]] as const) {
      const r = await call(reports.GET, { path: `/api/reports?${q}`, cookie: cookies.rev });
      assert.ok(r.status === 400 || r.status === 404, `${q}: ${r.status}`);
      assert.match(r.body.error.message, re);
    }
  });
});
