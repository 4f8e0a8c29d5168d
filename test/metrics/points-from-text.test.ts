// Scoring raw Molmo2 answers: parsing (lib/grounding/text) feeding the pointing / counting scores.
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeRle, parseRle } from "../../lib/masks/rle";
import { imageCountFromText, pointBenchCorrectText, scoreImagePointingText, scoreVideoPointingText } from "../../lib/metrics/points";

const W = 100;
const H = 50;
function box(x0: number, x1: number, y0: number, y1: number) {
  const m = new Uint8Array(W * H);
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) m[y * W + x] = 1;
  return parseRle(encodeRle(m, H, W));
}

test("image pointing from an answer: coords are per-mille of the image size", () => {
  // 500/1000 * 100 = 50, 500/1000 * 50 = 25 (inside A); 100 → 10, 100 → 5 (outside both)
  const answer = 'Counting the <points coords="1 1 500 500 2 100 100">dogs</points> shows a total of 2.';
  const a = box(45, 55, 20, 30);
  const b = box(80, 90, 0, 10);
  const r = scoreImagePointingText(answer, [{ x: 50, y: 25 }, { x: 85, y: 5 }], [a, b], { width: W, height: H });
  assert.ok(r.ok);
  assert.equal(r.value.precision, 0.5);
  assert.equal(r.value.recall, 0.5);
  const bench = pointBenchCorrectText('<points coords="1 1 500 500">x</points>', a, { width: W, height: H });
  assert.deepEqual(bench, { ok: true, value: true });
  assert.deepEqual(imageCountFromText(answer), { ok: true, value: 2 });
  assert.deepEqual(imageCountFromText("There are none."), { ok: true, value: 0 });
});

test("video pointing from an answer: timestamps must equal a tubelet key", () => {
  const a = box(45, 55, 20, 30);
  const tubes = [new Map([[1.5, a]])];
  const hit = scoreVideoPointingText('<points coords="1.5 1 500 500">x</points>', [{ t: 1.5, x: 50, y: 25 }], tubes, { duration: 10, width: W, height: H });
  assert.ok(hit.ok);
  assert.equal(hit.value.recall, 1);
  const late = scoreVideoPointingText('<points coords="2.0 1 500 500">x</points>', [{ t: 1.5, x: 50, y: 25 }], tubes, { duration: 10, width: W, height: H });
  assert.ok(late.ok);
  assert.equal(late.value.recall, 0);
});
