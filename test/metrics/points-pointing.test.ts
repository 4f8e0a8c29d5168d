// Molmo2 pointing / PointBench / video pointing / counting parity (PointingEval, PointBenchEval, VixMoPointEval,
// VixMoPointCountEval, PointCountEval run locally; see test/fixtures/metrics/points/README.md).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseRle, type RleInput } from "../../lib/masks/rle";
import {
  parseVideoCount,
  pointBenchCorrect,
  scoreImageCount,
  scoreImagePointing,
  scoreVideoCount,
  scoreVideoPointing,
  summarizeCounts,
  type Tubelet,
} from "../../lib/metrics/points";

type Prf = { precision: number; recall: number; f1: number };
interface Fx {
  image_pointing: Array<{ width: number; height: number; gt: number[][]; masks: RleInput[]; pred: number[][]; expected: Prf }>;
  pointbench: Array<{ width: number; height: number; mask: RleInput; pred: number[][]; expected: boolean }>;
  video_pointing: Array<{ width: number; height: number; duration: number; gt: number[][]; tubelets: Array<Array<{ t: number; mask: RleInput }>>; pred: number[][]; expected: Prf }>;
  video_counting: {
    examples: Array<{ answer: string; gt: number; expected: { valid: boolean; correct: boolean; close: boolean } }>;
    summary: { valid: number; correct: number; close: number; bins: Record<string, number | null> };
  };
  image_counting: Array<{ gt: number; pred: number; expected: { correct: boolean; close: boolean } }>;
}
const fx = JSON.parse(readFileSync(new URL("../fixtures/metrics/points/pointing_counting_molmo2.json", import.meta.url), "utf8")) as Fx;
const xy = (p: number[]) => ({ x: p[0], y: p[1] });
const txy = (p: number[]) => ({ t: p[0], x: p[1], y: p[2] });
const closeTo = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9, `${what}: got ${a}, expected ${b}`);

test("image pointing P/R/F1 equals PointingEval per example", () => {
  fx.image_pointing.forEach((c, i) => {
    const got = scoreImagePointing(c.pred.map(xy), c.gt.map(xy), c.masks.map((m) => parseRle(m)));
    for (const k of ["precision", "recall", "f1"] as const) closeTo(got[k], c.expected[k], `image ${i} ${k}`);
  });
});

test("PointBench all-points-in-mask equals PointBenchEval (int() truncation, mask smaller than image)", () => {
  fx.pointbench.forEach((c, i) => assert.equal(pointBenchCorrect(c.pred.map(xy), parseRle(c.mask), c.width, c.height), c.expected, `pointbench ${i}`));
});

test("PointBench corrected mode floors instead of truncating toward zero", () => {
  const mask = parseRle({ size: [2, 2], counts: [0, 4] });
  assert.equal(pointBenchCorrect([{ x: -0.4, y: 1 }], mask, 2, 2), true);
  assert.equal(pointBenchCorrect([{ x: -0.4, y: 1 }], mask, 2, 2, { molmo2Compat: false }), false);
  assert.equal(pointBenchCorrect([], mask, 2, 2), false);
});

test("video pointing P/R/F1 equals VixMoPointEval (normalised matching, exact timestamp keys)", () => {
  fx.video_pointing.forEach((c, i) => {
    const tubes: Tubelet[] = c.tubelets.map((t) => new Map(t.map((e) => [e.t, parseRle(e.mask)])));
    const got = scoreVideoPointing(c.pred.map(txy), c.gt.map(txy), tubes, { duration: c.duration, width: c.width, height: c.height });
    for (const k of ["precision", "recall", "f1"] as const) closeTo(got[k], c.expected[k], `video ${i} ${k}`);
  });
});

test("video counting: answer parsing, correct and close (1 + floor(0.05 gt)) equal VixMoPointCountEval", () => {
  const scored = fx.video_counting.examples.map((c, i) => {
    const score = scoreVideoCount(c.gt, parseVideoCount(c.answer));
    assert.deepEqual(score, c.expected, `example ${i} answer ${JSON.stringify(c.answer)} gt ${c.gt}`);
    return { gt: c.gt, score };
  });
  const s = summarizeCounts(scored);
  closeTo(s.valid, fx.video_counting.summary.valid, "valid");
  closeTo(s.correct, fx.video_counting.summary.correct, "correct");
  closeTo(s.close, fx.video_counting.summary.close, "close");
  for (const b of s.bins) {
    const e = fx.video_counting.summary.bins[`correct_${b.from}_${b.to}`];
    if (e === null || e === undefined) assert.equal(b.correct, null);
    else closeTo(b.correct!, e, `bin ${b.from}-${b.to}`);
  }
});

test("'none' maps to 0 only in corrected mode (Molmo2's pattern has a backspace where \\b was meant)", () => {
  assert.equal(parseVideoCount("There are none."), null);
  assert.equal(parseVideoCount("There are none.", { molmo2Compat: false }), 0);
  assert.equal(parseVideoCount("nonexistent", { molmo2Compat: false }), null);
});

test("image counting correct / close (|d| <= 1) equal PointCountEval", () => {
  fx.image_counting.forEach((c, i) => {
    const s = scoreImageCount(c.gt, c.pred);
    assert.deepEqual({ correct: s.correct, close: s.close }, c.expected, `image count ${i}`);
  });
});
