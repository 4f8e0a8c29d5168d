// The /models view: reading the registry's stored metrics and decision records; curve decimation in SQLite
// checked against a plain JS statement of the same rule on a real database.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createTestDb, type TestDb } from "../../helpers/db";
import { decisionOf, headlineOf, numericMetrics, runCurves } from "../../../lib/services/models-view";

/** The rule, in JS: B = ⌊(max − 1) / 3⌋ step buckets; per bucket first, lowest and highest point; plus the last. */
function reference(points: ReadonlyArray<readonly [number, number]>, max: number): Array<[number, number]> {
  if (points.length <= max) return points.map((p) => [p[0], p[1]]);
  const B = Math.floor((max - 1) / 3);
  const lo = points[0]![0];
  const hi = points[points.length - 1]![0];
  const keep = new Map<number, number>([[hi, points[points.length - 1]![1]]]);
  const groups = new Map<number, Array<readonly [number, number]>>();
  for (const p of points) {
    const b = Math.floor(((p[0] - lo) * B) / (hi - lo + 1));
    if (!groups.has(b)) groups.set(b, []);
    groups.get(b)!.push(p);
  }
  for (const g of groups.values()) {
    keep.set(g[0]![0], g[0]![1]);
    const mn = g.reduce((a, p) => (p[1] < a[1] ? p : a));
    const mx = g.reduce((a, p) => (p[1] > a[1] ? p : a));
    keep.set(mn[0], mn[1]);
    keep.set(mx[0], mx[1]);
  }
  return [...keep].sort((a, b) => a[0] - b[0]);
}

let t: TestDb;
before(async () => {
  t = await createTestDb();
});
after(async () => {
  await t.close();
});

describe("models view", () => {
  it("reads an evaluation report as stored by the registry (overall + bySource), headline from its key names", () => {
    const stored = {
      benchmarkHash: "h", engine: "builtin", seconds: 12.5, evaluatedAt: "2026-01-01",
      overall: { examples: 6, f1: 0.5, precision: 0.6, recall: 0.4, HOTA: 0.3, DetA: 0.35, AssA: 0.25, countAccuracy: 0.5, closeAccuracy: 0.75 },
      bySource: { synth: { examples: 4, f1: 0.55, HOTA: 0.33 }, tasks: { examples: 2, f1: NaN } },
      perExample: [{ id: "a", f1: 1 }],
    };
    const n = numericMetrics(stored);
    assert.equal(n.f1, 0.5);
    assert.equal(n.seconds, 12.5);
    assert.equal(n["synth:f1"], 0.55);
    assert.equal(n["tasks:examples"], 2);
    assert.equal("tasks:f1" in n, false, "NaN is no number to show");
    assert.equal("perExample" in n, false);
    assert.deepEqual(headlineOf(n), { pointF1: 0.5, pointHota: 0.3, countAcc: 0.5, closeAcc: 0.75 });
    assert.deepEqual(headlineOf({}), { pointF1: null, pointHota: null, countAcc: null, closeAcc: null });
  });
  it("reads the registry's automatic decision and a decision by hand", () => {
    const auto = { primary: "f1", candidate: { version: "b" }, current: { version: "a", f1: 0.6 }, decision: "rejected", reason: "point F1 0.5000 does not beat 0.6000 of a" };
    assert.deepEqual(decisionOf(auto), { promoted: false, manual: false, reason: "point F1 0.5000 does not beat 0.6000 of a", against: "a" });
    assert.deepEqual(decisionOf({ decision: "promoted", current: null, reason: "no version was promoted" }), { promoted: true, manual: false, reason: "no version was promoted", against: null });
    assert.deepEqual(decisionOf({ manual: true, promoted: true, against: "a", reason: "rollback" }), { promoted: true, manual: true, reason: "rollback", against: "a" });
    assert.deepEqual(decisionOf({}), { promoted: null, manual: false, reason: null, against: null });
  });
  it("curves: SQLite decimation equals the JS rule (irregular steps, a spike), short series and `since` are exact", async () => {
    const snap = await t.db.datasetSnapshot.create({ data: { contentHash: "c", benchmarkHash: "b", path: "/nonexistent" } });
    const run = await t.db.trainingRun.create({ data: { snapshotId: snap.id, steps: 5000, checkpointDir: "/nonexistent" } });
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const loss: Array<[number, number]> = [];
    for (let step = 3; step <= 4000; step += 1 + Math.floor(rnd() * 3)) loss.push([step, 2 / Math.sqrt(step) + rnd() * 0.1]);
    loss[Math.floor(loss.length / 2)]![1] = 50; // a spike
    const val: Array<[number, number]> = [[1000, 0.2], [2000, 0.4], [4000, 0.5]];
    await t.db.trainingMetric.createMany({ data: [...loss.map(([step, value]) => ({ runId: run.id, name: "loss", step, value })), ...val.map(([step, value]) => ({ runId: run.id, name: "val_f1", step, value }))] });
    // The reference works on the values as stored (the SQLite round trip may change a double's last digit).
    const stored = await t.db.trainingMetric.findMany({ where: { runId: run.id, name: "loss" }, orderBy: { step: "asc" }, select: { step: true, value: true } });
    loss.splice(0, loss.length, ...stored.map((r) => [r.step, r.value] as [number, number]));
    for (const max of [4, 40, 301, 2000]) {
      const c = await runCurves(t.db, run.id, { maxPoints: max });
      assert.deepEqual(c.series.loss, reference(loss, max), `maxPoints ${max}`);
      assert.ok(c.series.loss!.length <= Math.max(max, 4), `${c.series.loss!.length} ≤ ${max}`);
      assert.deepEqual(c.series.val_f1, val);
      assert.deepEqual(c.counts, { loss: loss.length, val_f1: 3 });
      assert.equal(c.lastStep, 4000, "the highest step of any series");
    }
    assert.ok((await runCurves(t.db, run.id, { maxPoints: 40 })).series.loss!.some(([, y]) => y === 50), "the spike survives");
    const tail = loss.filter(([s]) => s > 3900);
    const since = await runCurves(t.db, run.id, { sinceStep: 3900 });
    assert.deepEqual(since.series.loss, tail);
    assert.deepEqual(since.series.val_f1, [[4000, 0.5]]);
    const none = await runCurves(t.db, run.id, { sinceStep: 4000 });
    assert.deepEqual(none, { runId: run.id, series: {}, counts: {}, lastStep: 4000 });
  });
});
