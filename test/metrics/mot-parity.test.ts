// Parity with TrackEval (run locally on the generated MOTChallenge-layout data in test/fixtures/metrics/mot/folder):
// every field of HOTA (per alpha), CLEAR, Identity and Count, per sequence and COMBINED_SEQ, to 1e-9.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { resolveMotLayout } from "../../lib/metrics/mot/dataset";
import { evaluateMot, type MotMetrics } from "../../lib/metrics/mot/evaluate";

const root = fileURLToPath(new URL("../fixtures/metrics/mot/folder/", import.meta.url));
type Expected = Record<string, Record<string, Record<string, Record<string, Record<string, number | number[]>>>>>;
const expected = (JSON.parse(readFileSync(`${root}expected.json`, "utf8")) as { results: Expected }).results;

function close(actual: number, want: number, where: string): void {
  assert.ok(Number.isFinite(actual), `${where}: got ${actual}`);
  assert.ok(Math.abs(actual - want) <= 1e-9, `${where}: got ${actual}, TrackEval ${want}`);
}

for (const [set, byTracker] of Object.entries(expected)) {
  const [benchmark, split] = set.split("-");
  test(`eval mot matches TrackEval on ${set}`, () => {
    const layout = resolveMotLayout({ gtFolder: `${root}gt`, trackersFolder: `${root}trackers`, benchmark, split });
    assert.deepEqual(layout.trackers, Object.keys(byTracker).sort());
    const got = evaluateMot(layout);
    let compared = 0;
    for (const [tracker, bySeq] of Object.entries(byTracker)) {
      assert.deepEqual(Object.keys(got[tracker]).sort(), Object.keys(bySeq).sort());
      for (const [seq, byMetric] of Object.entries(bySeq)) {
        for (const [metric, fields] of Object.entries(byMetric)) {
          const mine = got[tracker][seq][metric as keyof MotMetrics] as unknown as Record<string, number | number[]>;
          for (const [field, want] of Object.entries(fields)) {
            const where = `${tracker}/${seq}/${metric}/${field}`;
            const have = mine[field];
            if (Array.isArray(want)) {
              assert.ok(Array.isArray(have) && have.length === want.length, `${where}: shape`);
              want.forEach((w, a) => close((have as number[])[a], w, `${where}[${a}]`));
            } else {
              assert.equal(typeof have, "number", `${where}: missing`);
              close(have as number, want, where);
            }
            compared++;
          }
        }
      }
    }
    assert.ok(compared > 100);
  });
}
