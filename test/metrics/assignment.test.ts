import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { linearSumAssignment } from "../../lib/metrics/assignment";

interface Case {
  kind: string;
  nRows: number;
  nCols: number;
  maximize: boolean;
  cost: number[][];
  rows: number[];
  cols: number[];
}
const fixture = JSON.parse(readFileSync(new URL("../fixtures/metrics/assignment/lsap_cases.json", import.meta.url), "utf8")) as {
  cases: Case[];
};

test("linearSumAssignment gives scipy's exact assignment on tie-heavy matrices", () => {
  assert.ok(fixture.cases.length >= 200);
  for (const [k, c] of fixture.cases.entries()) {
    const got = linearSumAssignment(c.cost, c.nRows, c.nCols, c.maximize);
    assert.deepEqual([Array.from(got.rows), Array.from(got.cols)], [c.rows, c.cols], `case ${k} (${c.kind} ${c.nRows}x${c.nCols})`);
  }
});

test("Float64Array row-major input gives the same result as number[][]", () => {
  for (const c of fixture.cases.slice(0, 50)) {
    const flat = Float64Array.from(c.cost.flat());
    const got = linearSumAssignment(flat, c.nRows, c.nCols, c.maximize);
    assert.deepEqual([Array.from(got.rows), Array.from(got.cols)], [c.rows, c.cols]);
  }
});

test("constant square matrix gives the identity; empty shapes give empty matchings", () => {
  const r = linearSumAssignment([[1, 1, 1], [1, 1, 1], [1, 1, 1]], 3, 3);
  assert.deepEqual(Array.from(r.cols), [0, 1, 2]);
  assert.equal(linearSumAssignment(new Float64Array(0), 0, 4).rows.length, 0);
});

test("invalid and infeasible matrices throw like scipy", () => {
  assert.throws(() => linearSumAssignment([[NaN, 1]], 1, 2), /invalid/);
  assert.throws(() => linearSumAssignment([[Infinity, Infinity]], 1, 2), /infeasible/);
  assert.throws(() => linearSumAssignment([[1, 2]], 2, 1), /rows/);
});
