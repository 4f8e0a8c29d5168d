// /reports service on a real SQLite DB built from the migrations: values computed by hand for a small seeded
// world, equality with `groundtrack eval tracks` on the exported inputs, masks + J&F, gold agreement, import.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestDb, type TestDb } from "../helpers/db";
import type { Actor } from "../../lib/auth/roles";
import { encodeRle } from "../../lib/masks/rle";
import { ServiceError } from "../../lib/services/errors";
import { buildReport, evalInputs, loadGroundTruth, loadPredictions, parseReportQuery, samplingGrid, type SetReport } from "../../lib/services/reports";
import { annotatorAgreement } from "../../lib/services/reports-agreement";
import { serializeKeyframes, type PredictedKeyframe } from "../../lib/services/reports-data";
import { importPredictionSet } from "../../lib/services/reports-import";
import { runTracks } from "../../cli/commands/eval-tracks";

let t: TestDb;
let admin: Actor;
const ids = {
  videoA: 0, videoB: 0, exprA: 0, exprATwin: 0, exprB: 0, objA0: 0, objA1: 0, objTwin0: 0, objB0: 0,
  users: { ann1: 0, ann2: 0 }, setP: 0, setPerfect: 0, goldTask: 0,
};
const W = 200;
const H = 100;

const kf = (frame: number, x: number, y: number, state: PredictedKeyframe["state"] = "visible"): PredictedKeyframe => ({ frame, x, y, state });

async function observe(objectId: number, keys: PredictedKeyframe[], authorId: number | null = null) {
  for (const k of keys) await t.db.observation.create({ data: { objectId, frameIndex: k.frame, x: k.x, y: k.y, state: k.state, source: "human", authorId } });
}

async function task(videoId: number, expressionId: number, objectId: number, status: string, extra: { isGold?: boolean; assigneeId?: number } = {}) {
  return t.db.task.create({ data: { videoId, expressionId, objectId, seedFrame: 0, seedX: 0, seedY: 0, status, ...extra } });
}

// GT object 0: visible on every frame, x = 20 + f. GT object 1: visible at (150, 80) on frames 0..49, outside from 50.
const GT0 = [kf(0, 20, 20), kf(90, 110, 20)];
const GT1 = [kf(0, 150, 80), kf(49, 150, 80), kf(50, 150, 80, "outside")];

before(async () => {
  t = await createTestDb();
  const mkUser = (username: string, role: string) => t.db.user.create({ data: { username, displayName: username.toUpperCase(), role, passwordHash: "x" } });
  const a = await mkUser("admin", "admin");
  admin = { id: a.id, username: "admin", displayName: "ADMIN", role: "admin" };
  ids.users.ann1 = (await mkUser("ann1", "annotator")).id;
  ids.users.ann2 = (await mkUser("ann2", "annotator")).id;
  const project = await t.db.project.create({ data: { name: "P", domain: "sports" } });
  const video = (name: string, domain: string | null) =>
    t.db.video.create({
      data: {
        projectId: project.id, name, domain, container: "mp4", codec: "h264", width: W, height: H, fps: 10, durationSec: 10, frameCount: 100,
        shotBoundaries: "[]", storagePath: "/nonexistent", sizeBytes: 1,
      },
    });
  const vA = await video("a.mp4", null);
  const vB = await video("b.mp4", "driving");
  ids.videoA = vA.id;
  ids.videoB = vB.id;
  const eA = await t.db.expression.create({ data: { videoId: vA.id, text: "two dots", objects: { create: [{ objectKey: 0 }, { objectKey: 1 }] } }, include: { objects: true } });
  const eTwin = await t.db.expression.create({ data: { videoId: vA.id, text: "Two dots ", objects: { create: [{ objectKey: 0 }, { objectKey: 1 }] } }, include: { objects: true } });
  const eB = await t.db.expression.create({ data: { videoId: vB.id, text: "the car", objects: { create: [{ objectKey: 0 }] } }, include: { objects: true } });
  ids.exprA = eA.id;
  ids.exprATwin = eTwin.id;
  ids.exprB = eB.id;
  ids.objA0 = eA.objects.find((o) => o.objectKey === 0)!.id;
  ids.objA1 = eA.objects.find((o) => o.objectKey === 1)!.id;
  ids.objTwin0 = eTwin.objects.find((o) => o.objectKey === 0)!.id;
  ids.objB0 = eB.objects[0].id;
  await observe(ids.objA0, GT0);
  await observe(ids.objA1, GT1);
  await observe(ids.objB0, [kf(0, 50, 50), kf(99, 50, 50)]);
  ids.goldTask = (await task(vA.id, eA.id, ids.objA0, "accepted", { isGold: true })).id;
  await task(vA.id, eA.id, ids.objA1, "accepted");
  await task(vB.id, eB.id, ids.objB0, "accepted");
  const eB2 = await t.db.expression.create({ data: { videoId: vB.id, text: "two cars", objects: { create: [{ objectKey: 0 }, { objectKey: 1 }] } }, include: { objects: true } });
  await observe(eB2.objects[0].id, [kf(0, 60, 60)]);
  await task(vB.id, eB2.id, eB2.objects[0].id, "accepted");
  // Twin expression: ann1 tracks object 0 3 px off the gold track (a hit at radius 10), ann2 30 px off (a miss).
  await observe(ids.objTwin0, [kf(0, 23, 20), kf(90, 113, 20)], ids.users.ann1);
  await task(vA.id, eTwin.id, ids.objTwin0, "submitted", { assigneeId: ids.users.ann1 });
  const eTwin2 = await t.db.expression.create({ data: { videoId: vA.id, text: "TWO  dots", objects: { create: [{ objectKey: 0 }] } }, include: { objects: true } });
  await observe(eTwin2.objects[0].id, [kf(0, 50, 20), kf(90, 140, 20)], ids.users.ann2);
  await task(vA.id, eTwin2.id, eTwin2.objects[0].id, "rejected", { assigneeId: ids.users.ann2 });
  // Not yet submitted: not compared.
  await task(vA.id, eTwin2.id, eTwin2.objects[0].id, "in_progress", { assigneeId: ids.users.ann1 });

  // Prediction set P: object 0 exact, object 1 30 px to the right while GT object 1 is visible; nothing for video B.
  const p = await t.db.predictionSet.create({ data: { name: "P", source: "model:test-1", engine: "unit", createdById: admin.id } });
  ids.setP = p.id;
  await t.db.predictedTrack.createMany({
    data: [
      { predictionSetId: p.id, videoId: vA.id, expressionId: eA.id, objectKey: 7, keyframes: serializeKeyframes(GT0) },
      { predictionSetId: p.id, videoId: vA.id, expressionId: eA.id, objectKey: 8, keyframes: serializeKeyframes([kf(0, 180, 80), kf(49, 180, 80), kf(50, 180, 80, "outside")]) },
    ],
  });
  const perfect = await t.db.predictionSet.create({ data: { name: "perfect", source: "import" } });
  ids.setPerfect = perfect.id;
  await t.db.predictedTrack.createMany({
    data: [
      { predictionSetId: perfect.id, videoId: vA.id, expressionId: eA.id, objectKey: 0, keyframes: serializeKeyframes(GT0) },
      { predictionSetId: perfect.id, videoId: vA.id, expressionId: eA.id, objectKey: 1, keyframes: serializeKeyframes(GT1) },
      { predictionSetId: perfect.id, videoId: vB.id, expressionId: eB.id, objectKey: 0, keyframes: serializeKeyframes([kf(0, 50, 50), kf(99, 50, 50)]) },
    ],
  });
});
after(async () => t.close());

const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} != ${b}`);
const setOf = (r: { sets: SetReport[] }, id: number) => r.sets.find((s) => s.id === id)!;

describe("report on accepted ground truth (hard distance judge, values computed by hand)", () => {
  it("per expression, video, domain and overall", async () => {
    const q = parseReportQuery({ gt: "accepted", pred: [String(ids.setP), String(ids.setPerfect)], judge: "distance", radius: "10", soft: "0" });
    const r = await buildReport(t.db, q);
    assert.equal(r.gt.examples, 2, "twins (nothing accepted) and 'two cars' (one of two objects accepted) are not GT");
    assert.deepEqual(r.gt.incomplete, [{ videoName: "b.mp4", expressionText: "two cars", missingObjects: 1 }]);
    assert.deepEqual(r.judge, { kind: "distance", radius: 10, soft: false });
    const p = setOf(r, ids.setP);
    const a = p.examples.find((e) => e.expressionId === ids.exprA)!;
    // Grid: frames 0, 10, ..., 90. Frames 0-40: pred 0 hits, pred 1 misses (30 px) -> P = R = 1/2; 50-90: one hit.
    near(a.scores.precision, 0.75, "precision");
    near(a.scores.recall, 0.75, "recall");
    assert.ok(Math.abs(a.scores.f1 - 0.75) < 1e-9);
    // HOTA: TP 10, FN 5, FP 5 -> DetA 1/2; the TP pairs are all (gt 0, pred 7) -> AssA 1.
    near(a.scores.DetA, 0.5, "DetA");
    near(a.scores.AssA, 1, "AssA");
    near(a.scores.HOTA, Math.SQRT1_2, "HOTA");
    assert.equal(a.gtObjects, 2);
    assert.equal(a.predObjects, 2);
    assert.equal(a.count.correct, true);
    const b = p.examples.find((e) => e.expressionId === ids.exprB)!;
    assert.equal(b.predictionMissing, true);
    assert.equal(b.scores.f1, 0);
    assert.equal(b.scores.HOTA, 0);
    assert.deepEqual([b.count.correct, b.count.close], [false, true]);
    near(p.overall.f1, (a.scores.f1 + 0) / 2, "overall f1");
    near(p.overall.HOTA, Math.SQRT1_2 / 2, "overall HOTA");
    assert.equal(p.overall.countCorrect, 0.5);
    assert.equal(p.overall.countClose, 1);
    assert.deepEqual(p.domains.map((d) => [d.label, d.n]), [["driving", 1], ["sports", 1]]);
    assert.deepEqual(p.videos.map((d) => d.label), ["a.mp4", "b.mp4"]);
    assert.equal(p.overall.HOTA_array.length, 19);
    assert.equal(p.overall.J, null);
    const perfect = setOf(r, ids.setPerfect);
    for (const k of ["precision", "recall", "HOTA", "DetA", "AssA"] as const) near(perfect.overall[k], 1, k);
    assert.equal(perfect.overall.countCorrect, 1);
  });

  it("filters by domain and by project", async () => {
    const r = await buildReport(t.db, parseReportQuery({ gt: "accepted", domain: "driving", pred: String(ids.setPerfect) }));
    assert.deepEqual(r.sets[0].examples.map((e) => e.videoName), ["b.mp4"]);
    const none = await buildReport(t.db, parseReportQuery({ gt: "accepted", project: "999", pred: String(ids.setPerfect) }));
    assert.equal(none.gt.examples, 0);
  });

  it("soft distance similarity gives a HOTA curve over the 19 alphas", async () => {
    const r = await buildReport(t.db, parseReportQuery({ gt: "accepted", pred: String(ids.setP), radius: "40", soft: "1" }));
    const a = r.sets[0].examples.find((e) => e.expressionId === ids.exprA)!;
    assert.equal(r.alphas.length, 19);
    // pred 1 is 30 px off: similarity 1 - 30/40 = 0.25, a TP for alpha <= 0.25 only.
    assert.ok(a.scores.HOTA_array[0] > a.scores.HOTA_array[18], `${a.scores.HOTA_array}`);
    assert.equal(a.scores.DetA_array[0], 1);
  });

  it("rejects bad queries with the parameter named", () => {
    assert.throws(() => parseReportQuery({ gt: "gold" }), (e: unknown) => e instanceof ServiceError && e.status === 400 && /gt:/.test(e.message));
    assert.throws(() => parseReportQuery({ pred: "x" }), (e: unknown) => e instanceof ServiceError && /pred/.test(e.message));
    assert.throws(() => parseReportQuery({ radius: "-1" }), (e: unknown) => e instanceof ServiceError && /radius/.test(e.message));
  });

  it("a stored track that cannot be interpolated is a 400 naming the row, not a crash", async () => {
    const bad = await t.db.predictionSet.create({ data: { name: "bad", source: "model:x" } });
    const row = await t.db.predictedTrack.create({ data: { predictionSetId: bad.id, videoId: ids.videoA, expressionId: ids.exprA, objectKey: 0, keyframes: serializeKeyframes([kf(0, 1, 1), kf(500, 1, 1)]) } });
    await assert.rejects(buildReport(t.db, parseReportQuery({ pred: String(bad.id) })), (e: unknown) => e instanceof ServiceError && e.status === 400 && e.message.startsWith(`PredictedTrack #${row.id} on a.mp4 “two dots”: keyframes:`));
    await t.db.predictedTrack.update({ where: { id: row.id }, data: { keyframes: '[{"frame":0,"x":1}]' } });
    await assert.rejects(buildReport(t.db, parseReportQuery({ pred: String(bad.id) })), (e: unknown) => e instanceof ServiceError && e.message.startsWith(`PredictedTrack #${row.id}: keyframes.0.y:`));
    await t.db.predictionSet.delete({ where: { id: bad.id } });
  });

  it("mask judge without GT masks is a clear error", async () => {
    await assert.rejects(buildReport(t.db, parseReportQuery({ judge: "mask", pred: String(ids.setP) })), /judge: mask needs GT masks/);
  });
});

async function evalTracksJson(gtRows: unknown[], pred: unknown[], flags: string[]): Promise<{ mean: Record<string, number>; perVideo: Array<Record<string, unknown>>; counting: { correct: number; close: number } }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "gt-reports-"));
  try {
    writeFileSync(path.join(dir, "gt.json"), JSON.stringify(gtRows));
    writeFileSync(path.join(dir, "pred.json"), JSON.stringify(pred));
    const log = console.log;
    const err = console.error;
    console.log = () => {};
    console.error = () => {};
    try {
      assert.equal(await runTracks(["--gt", path.join(dir, "gt.json"), "--pred", path.join(dir, "pred.json"), "--out", path.join(dir, "out.json"), "--quiet", ...flags]), 0);
    } finally {
      console.log = log;
      console.error = err;
    }
    return JSON.parse(readFileSync(path.join(dir, "out.json"), "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("equality with `groundtrack eval tracks`", () => {
  for (const soft of [false, true]) {
    it(`distance judge (soft ${soft}): every number equals the CLI's on the exported files`, async () => {
      const q = parseReportQuery({ gt: "accepted", pred: String(ids.setP), judge: "distance", radius: "40", soft: soft ? "1" : "0" });
      const report = await buildReport(t.db, q);
      const gt = await loadGroundTruth(t.db, q);
      const { byKey } = await loadPredictions(t.db, ids.setP, gt.examples);
      const files = evalInputs(gt, byKey);
      const cli = await evalTracksJson(files.gt, files.pred, ["--judge", "distance", "--radius", "40", ...(soft ? ["--soft"] : [])]);
      const set = report.sets[0];
      for (const k of ["precision", "recall", "f1", "HOTA", "DetA", "AssA", "DetPr", "DetRe", "LocA", "HOTA_alphaMean"] as const) {
        assert.equal(set.overall[k], cli.mean[k], `mean ${k}`);
      }
      assert.equal(set.overall.countCorrect, cli.counting.correct);
      assert.equal(set.overall.countClose, cli.counting.close);
      for (const v of cli.perVideo) {
        const mine = set.examples.find((e) => e.key === v.id)!;
        assert.deepEqual(mine.scores.HOTA_array, v.HOTA_array);
        assert.deepEqual(mine.scores.AssA_array, v.AssA_array);
        assert.equal(mine.scores.f1, v.f1);
        assert.equal(mine.predictionMissing, v.predictionMissing);
      }
    });
  }
});

describe("ground truth from a stored set with masks: mask judge and J&F", () => {
  let gtSet = 0;
  let predSet = 0;
  const box = (x0: number, y0: number, w: number, h: number) => {
    const m = new Uint8Array(W * H);
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) m[y * W + x] = 1;
    return encodeRle(m, H, W);
  };
  before(async () => {
    const masks = (dx: number, w: number) => JSON.stringify(Object.fromEntries(samplingGrid(100, 10, 1).map((f) => [String(f), box(10 + dx, 10, w, 20)])));
    const g = await t.db.predictionSet.create({ data: { name: "gt file", source: "import" } });
    gtSet = g.id;
    await t.db.predictedTrack.create({ data: { predictionSetId: g.id, videoId: ids.videoA, expressionId: ids.exprA, objectKey: 0, keyframes: serializeKeyframes([kf(0, 20, 20), kf(99, 20, 20)]), masks: masks(0, 40) } });
    const p = await t.db.predictionSet.create({ data: { name: "half", source: "model:m" } });
    predSet = p.id;
    // The predicted mask is the left half of the GT box; the point (25, 20) is inside the GT box.
    await t.db.predictedTrack.create({ data: { predictionSetId: p.id, videoId: ids.videoA, expressionId: ids.exprA, objectKey: 0, keyframes: serializeKeyframes([kf(0, 25, 20), kf(99, 25, 20)]), masks: masks(0, 20) } });
  });

  it("auto-selects the mask judge, scores hits and J = 1/2", async () => {
    const r = await buildReport(t.db, parseReportQuery({ gt: `set:${gtSet}`, pred: String(predSet) }));
    assert.deepEqual(r.judge, { kind: "mask", molmo2Compat: true });
    const e = r.sets[0].examples[0];
    assert.equal(e.scores.f1 > 0.99, true);
    assert.equal(e.scores.HOTA, 1);
    assert.ok(e.jf);
    near(e.jf.J, 0.5, "J");
    assert.equal(e.jf.frames, 10);
    assert.ok(e.jf.F > 0 && e.jf.F < 1);
    near(e.jf.JF, (e.jf.J + e.jf.F) / 2, "J&F");
    assert.equal(r.sets[0].overall.J, e.jf.J);
  });

  it("mask judge numbers equal eval tracks on the exported files (masks included)", async () => {
    const q = parseReportQuery({ gt: `set:${gtSet}`, pred: String(predSet) });
    const report = await buildReport(t.db, q);
    const gt = await loadGroundTruth(t.db, q);
    const { byKey } = await loadPredictions(t.db, predSet, gt.examples);
    const files = evalInputs(gt, byKey);
    assert.ok(Array.isArray(files.gt[0].masks));
    const cli = await evalTracksJson(files.gt, files.pred, []);
    for (const k of ["f1", "HOTA", "DetA", "AssA"] as const) assert.equal(report.sets[0].overall[k], cli.mean[k], k);
  });
});

describe("per-annotator agreement against gold", () => {
  it("scores twin tasks against the gold track", async () => {
    const a = await annotatorAgreement(t.db, { radius: 10, soft: false, fps: 1, project: undefined });
    assert.equal(a.goldTasks, 1);
    assert.deepEqual(a.rows.map((r) => [r.username, r.tasks, r.goldPoints]), [["ann1", 1, 10], ["ann2", 1, 10]]);
    const [ann1, ann2] = a.rows;
    assert.deepEqual([ann1.precision, ann1.recall, ann1.HOTA], [1, 1, 1]);
    assert.deepEqual([ann2.precision, ann2.recall, ann2.HOTA], [0, 0, 0]);
    // Soft similarity: 3 px at radius 10 -> similarity 0.7 -> LocA 0.7.
    const soft = await annotatorAgreement(t.db, { radius: 10, soft: true, fps: 1, project: undefined });
    near(soft.pairs.find((p) => p.userId === ids.users.ann1)!.result.scores.LocA, 0.7, "LocA");
  });
});

describe("importing predictions", () => {
  const trackAny = (points: Array<[number, number, number]>) =>
    JSON.stringify({
      video: "a.mp4", expression: "two dots", fps: 10, height: H, width: W, n_frames: 100,
      frame_trajectories: samplingGrid(100, 10, 1).map((f) => ({ frame: f, time: f / 10, points: points.map(([id, x, y]) => ({ id, point: [x + f, y], occluded: false })) })),
      mask_id: [...new Set(points.map((p) => String(p[0])))],
    });

  it("stores a TrackAny file resolved by video name and expression text; scores like the stored tracks", async () => {
    const imported = await importPredictionSet(t.db, admin, { name: "imp", format: "trackany", engine: "", items: [{ content: trackAny([[0, 20, 20]]) }] });
    assert.equal(imported.tracks, 1);
    assert.equal(imported.expressions, 1);
    const row = await t.db.predictionSet.findUniqueOrThrow({ where: { id: imported.id }, include: { tracks: true } });
    assert.equal(row.source, "import");
    assert.equal(row.engine, "trackany-file");
    assert.equal(row.tracks[0].expressionId, ids.exprA);
    const r = await buildReport(t.db, parseReportQuery({ pred: String(imported.id), judge: "distance", radius: "10", soft: "0" }));
    const a = r.sets[0].examples.find((e) => e.expressionId === ids.exprA)!;
    // Object 0 exact, object 1 never predicted: frames 0-40 P 1 R 1/2, frames 50-90 P = R = 1.
    near(a.scores.precision, 1, "precision");
    near(a.scores.recall, 0.75, "recall");
  });

  it("imports Molmo2 text with explicit ids", async () => {
    const text = `<tracks coords="0.0 1 100 200;1.0 1 150 200">two dots</tracks>`;
    const imported = await importPredictionSet(t.db, admin, { name: "m2", format: "molmo2", engine: "molmo2", items: [{ videoId: ids.videoA, expressionId: ids.exprA, content: text }] });
    const track = await t.db.predictedTrack.findFirstOrThrow({ where: { predictionSetId: imported.id } });
    const keys = JSON.parse(track.keyframes) as PredictedKeyframe[];
    assert.deepEqual(keys.map((k) => [k.frame, k.x, k.y]), [[0, 20, 20], [10, 30, 20]]);
  });

  it("rejects bad input naming the item and field, and writes nothing", async () => {
    const before = await t.db.predictionSet.count();
    const bad = async (items: Array<{ videoId?: number; expressionId?: number; content: string }>, re: RegExp) =>
      assert.rejects(importPredictionSet(t.db, admin, { name: "x", format: "trackany", engine: "", items }), (e: unknown) => e instanceof ServiceError && e.status === 400 && re.test(e.message));
    await bad([{ content: "{not json" }], /items\[0\]\.content: not valid JSON/);
    await bad([{ content: trackAny([[0, 20, 20]]).replace('"a.mp4"', '"zzz.mp4"') }], /items\[0\]\.content\.video: no video named "zzz.mp4"/);
    await bad([{ content: trackAny([[0, 20, 20]]).replace('"two dots"', '"nobody"') }], /items\[0\]\.content\.expression/);
    await bad([{ content: trackAny([[0, 20, 20]]) }, { content: trackAny([[0, 20, 20]]) }], /items\[1\]: expression #\d+ is already given by items\[0\]/);
    await bad([{ content: trackAny([[0, 20, 20]]).replace('"width":200', '"width":"wide"') }], /items\[0\]\.content: width/);
    await bad([{ videoId: ids.videoB, expressionId: ids.exprA, content: trackAny([[0, 20, 20]]) }], /items\[0\]\.expressionId: no expression/);
    const withMasks = JSON.parse(trackAny([[0, 20, 20]])) as Record<string, unknown>;
    withMasks.masks = [{ object_id: "0", masks: [{ size: [5, 5], counts: "00" }] }];
    await bad([{ content: JSON.stringify(withMasks) }], /items\[0\]\.content\.masks\[0\]\.masks\[0\]\.size/);
    assert.equal(await t.db.predictionSet.count(), before);
  });
});
