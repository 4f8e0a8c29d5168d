// Unit parity with davis2017-evaluation pieces: db_statistics, scipy's linear_sum_assignment on tie-heavy
// matrices, db_eval_iou / db_eval_boundary (f_measure + _seg2bmap + disk dilation) on small masks.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { boundaryRadius, diskHalfWidths, fMeasure, jaccard, labelBoundaries } from "../../lib/metrics/davis/boundary";
import { linearSumAssignment } from "../../lib/metrics/assignment";
import { dbStatistics, decayBinIds } from "../../lib/metrics/davis/statistics";

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "metrics", "davis", "units.json");
type Num = number | "NaN";
interface Rle {
  h: number;
  w: number;
  runs: number[];
}
const units: {
  statistics: { values: number[]; mean: Num; recall: Num; decay: Num }[];
  lsap: { scores: number[][]; rows: number[]; cols: number[] }[];
  frames: { gt: Rle; seg: Rle; void: Rle; J: Num; F: Num; Jvoid: Num; Fvoid: Num }[];
} = JSON.parse(readFileSync(fixture, "utf8"));

export function close(actual: number, expected: Num, what: string): void {
  if (expected === "NaN") assert.ok(Number.isNaN(actual), `${what}: expected NaN, got ${actual}`);
  else assert.ok(Math.abs(actual - expected) <= 1e-9, `${what}: expected ${expected}, got ${actual}`);
}

function decode(r: Rle): Uint8Array {
  const out = new Uint8Array(r.h * r.w);
  let p = 0;
  r.runs.forEach((n, i) => {
    out.fill(i % 2, p, p + n);
    p += n;
  });
  assert.equal(p, out.length);
  return out;
}

test("db_statistics: mean, strict >0.5 recall, decay bins (incl. uint8 wrap past 256 frames)", () => {
  for (const c of units.statistics) {
    const s = dbStatistics(c.values);
    const n = c.values.length;
    close(s.mean, c.mean, `mean n=${n}`);
    close(s.recall, c.recall, `recall n=${n}`);
    close(s.decay, c.decay, `decay n=${n}`);
  }
  assert.deepEqual(decayBinIds(300), [0, 75, 150, 224, 43]);
  assert.deepEqual(decayBinIds(6), [0, 1, 3, 4, 5]);
});

test("linear_sum_assignment matches scipy on tie-heavy matrices", () => {
  for (const c of units.lsap) {
    const got = linearSumAssignment(c.scores.map((row) => row.map((v) => -v)), c.scores.length, c.scores[0]?.length ?? 0);
    assert.deepEqual({ rows: Array.from(got.rows), cols: Array.from(got.cols) }, { rows: c.rows, cols: c.cols }, JSON.stringify(c.scores));
  }
});

test("boundary radius and disk match the reference", () => {
  assert.equal(boundaryRadius(480, 854), 8);
  assert.equal(boundaryRadius(60, 80), 1);
  assert.equal(boundaryRadius(1080, 1920), 18);
  // skimage.morphology.disk(2) rows: 00100 / 01110 / 11111 / 01110 / 00100
  assert.deepEqual(Array.from(diskHalfWidths(2)), [0, 1, 2, 1, 0]);
  assert.deepEqual(Array.from(diskHalfWidths(3)), [0, 2, 2, 3, 2, 2, 0]);
});

test("J and F per frame equal db_eval_iou / db_eval_boundary, with and without void", () => {
  for (const [i, c] of units.frames.entries()) {
    const gt = decode(c.gt);
    const seg = decode(c.seg);
    const vd = decode(c.void);
    const { h, w } = c.gt;
    const hw = diskHalfWidths(boundaryRadius(h, w));
    for (const withVoid of [false, true]) {
      const keep = (m: Uint8Array) => (withVoid ? m.map((v, p) => (vd[p] ? 0 : v)) : m);
      let inter = 0;
      let union = 0;
      for (let p = 0; p < gt.length; p++) {
        if (withVoid && vd[p]) continue;
        inter += gt[p] & seg[p];
        union += gt[p] | seg[p];
      }
      const f = fMeasure(labelBoundaries(keep(seg), w, h, 1)[1], labelBoundaries(keep(gt), w, h, 1)[1], hw, h);
      close(jaccard(inter, union), withVoid ? c.Jvoid : c.J, `frame ${i} (${h}x${w}) J void=${withVoid}`);
      close(f, withVoid ? c.Fvoid : c.F, `frame ${i} (${h}x${w}) F void=${withVoid}`);
    }
  }
});
