import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { linearSumAssignment, uniquePositiveMatching } from "../../lib/metrics/assignment";

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

test("uniquePositiveMatching, when it answers, equals the positive pairs of the full solver", () => {
  let seed = 99;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  let answered = 0;
  let declined = 0;
  for (let k = 0; k < 3000; k++) {
    const G = 1 + Math.floor(rand() * 7);
    const H = 1 + Math.floor(rand() * 7);
    const density = rand() * 0.5;
    const tieHeavy = k % 2 === 0;
    const score = new Float64Array(G * H);
    for (let i = 0; i < score.length; i++) if (rand() < density) score[i] = tieHeavy ? [0.5, 1][Math.floor(rand() * 2)] : rand();
    const fast = uniquePositiveMatching(score, G, H);
    const full = linearSumAssignment(score.map((x) => -x), G, H);
    const positive: [number, number][] = [];
    for (let p = 0; p < full.rows.length; p++) if (score[full.rows[p] * H + full.cols[p]] > 0) positive.push([full.rows[p], full.cols[p]]);
    if (fast === null) {
      declined++;
      continue;
    }
    answered++;
    assert.deepEqual(Array.from(fast.rows, (r, p) => [r, fast.cols[p]]), positive, `case ${k}`);
  }
  assert.ok(answered > 1000 && declined > 50, `answered ${answered}, declined ${declined}`);
});
