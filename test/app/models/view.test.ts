// Pure parts of the /models view: reading the registry's stored metrics and decision records, and decimation.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decimate, decisionOf, headlineOf, numericMetrics } from "../../../lib/services/models-view";

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
  it("decimation keeps first, last, extremes and NaN of every bucket, and leaves short series alone", () => {
    const pts: Array<[number, number]> = Array.from({ length: 1000 }, (_, i) => [i, Math.sin(i / 50)]);
    pts[500] = [500, 9];
    pts[700] = [700, NaN];
    const d = decimate(pts, 100);
    assert.ok(d.length <= 100, `${d.length}`);
    assert.deepEqual(d[0], [0, 0]);
    assert.deepEqual(d.at(-1), pts[999]);
    assert.ok(d.some(([x, y]) => x === 500 && y === 9));
    assert.ok(d.some(([x, y]) => x === 700 && Number.isNaN(y)));
    for (let i = 1; i < d.length; i++) assert.ok(d[i]![0] > d[i - 1]![0], "steps stay increasing");
    assert.deepEqual(decimate([[1, 2], [3, 4]], 100), [[1, 2], [3, 4]]);
  });
});
