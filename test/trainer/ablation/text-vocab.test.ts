import assert from "node:assert/strict";
import { test } from "node:test";
import type { TrackSet } from "../../../lib/tracks/types";
import { measureTokens, visiblePoints } from "../../../bench/ablation/tokens";
import {
  decodeAnswer,
  encodeAnswer,
  parseAnswer,
  teacherForcing,
  TEXT_TOKEN,
  TEXT_VOCAB,
  trackAnswerText,
} from "../../../trainer/model/text-baseline-vocab";

// Two objects on a 10 fps, 320×240 video; the model sees frames 0, 5, 10. Object 7 is occluded on frame 5 and
// object 3 has left the frame on frame 10.
const set: TrackSet = {
  video: { width: 320, height: 240, fps: 10, frameCount: 20 },
  expression: "the red circles",
  objects: [
    {
      objectId: "7",
      keyframes: [
        { frame: 0, x: 100, y: 50, state: "visible", source: "human" },
        { frame: 5, x: 110, y: 52, state: "occluded", source: "human" },
        { frame: 10, x: 120.4, y: 60, state: "visible", source: "human" },
      ],
    },
    {
      objectId: "3",
      keyframes: [
        { frame: 0, x: 10, y: 200, state: "visible", source: "human" },
        { frame: 5, x: 300, y: 230, state: "visible", source: "human" },
        { frame: 10, x: 319, y: 239, state: "outside", source: "human" },
      ],
    },
  ],
};
const frames = [0, 5, 10];

test("the answer is Molmo2 html-v2 track text with ids renumbered by first appearance and occluded points skipped", () => {
  const text = trackAnswerText(set, frames);
  // Frame 0 sorted by x: object 3 (x 10) first → id 1; object 7 → id 2. Occluded 7 on frame 5 and outside 3 on 10 are absent.
  assert.equal(text, '<tracks coords="0.0 1 031 833 2 312 208;0.5 1 938 958;1.0 2 376 250"></tracks>');
});

test("encode → decode is the identity on answers and every token is one vocabulary entry", () => {
  const text = trackAnswerText(set, frames);
  const ids = encodeAnswer(text);
  assert.equal(decodeAnswer(ids), text);
  assert.equal(ids[0], TEXT_VOCAB.indexOf('<tracks coords="'));
  assert.equal(ids.at(-1), TEXT_VOCAB.indexOf("</tracks>"));
  // Digits are single tokens: "031" is three of them.
  const digits = ids.filter((i) => /^[0-9]$/.test(TEXT_VOCAB[i])).length;
  assert.equal(digits, (text.match(/[0-9]/g) ?? []).length);
  // Decoding stops at <eos>.
  assert.equal(decodeAnswer([...ids, TEXT_TOKEN.eos, ids[0]]), text);
  assert.equal(encodeAnswer("No tracks available.").length, 1);
});

test("characters outside the vocabulary are refused with their offset", () => {
  assert.throws(() => encodeAnswer('<tracks coords="0.0 1 5x0'), /offset 23: 'x0'/);
  assert.throws(() => decodeAnswer([TEXT_TOKEN.bos]), /token 0: id 1/);
  assert.throws(() => decodeAnswer([TEXT_VOCAB.length]), /not an answer token/);
});

test("decode → the project's Molmo2 parser gives back the points (to 1/1000 of the frame) on their frames", () => {
  const text = decodeAnswer(encodeAnswer(trackAnswerText(set, frames)));
  const parsed = parseAnswer(text, set.video);
  assert.deepEqual(parsed.map((f) => f.frame), [0, 5, 10]);
  const near = (a: number, b: number, size: number) => Math.abs(a - b) <= size / 1000;
  const f0 = parsed[0].points;
  assert.equal(f0.length, 2);
  assert.ok(near(f0[0].x, 10, 320) && near(f0[0].y, 200, 240));
  assert.ok(near(f0[1].x, 100, 320) && near(f0[1].y, 50, 240));
  assert.ok(near(parsed[2].points[0].x, 120.4, 320));
  // Garbage predicts nothing rather than throwing.
  assert.deepEqual(parseAnswer("1 2 3 ;;", set.video), []);
});

test("teacher forcing: input t+1 is target t, <bos> first and <eos> last", () => {
  const ids = encodeAnswer(trackAnswerText(set, frames));
  const { inputs, targets } = teacherForcing(ids);
  assert.equal(inputs.length, targets.length);
  assert.equal(inputs[0], TEXT_TOKEN.bos);
  assert.equal(targets.at(-1), TEXT_TOKEN.eos);
  for (let t = 0; t + 1 < inputs.length; t++) assert.equal(inputs[t + 1], targets[t]);
});

test("tokens per point: text counts its tokens + <eos>, grounding 4 per point + the no-more-points token", () => {
  assert.equal(visiblePoints(set, frames), 4);
  const s = measureTokens([{ set, frames }]);
  const textTokens = encodeAnswer(trackAnswerText(set, frames)).length + 1;
  assert.deepEqual(
    { points: s.points, textTokens: s.textTokens, groundingTokens: s.groundingTokens },
    { points: 4, textTokens, groundingTokens: 17 },
  );
  assert.equal(s.textPerPoint, textTokens / 4);
  assert.equal(s.groundingPerPoint, 17 / 4);
});
