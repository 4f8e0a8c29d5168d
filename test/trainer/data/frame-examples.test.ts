// singleFrameExamples: each sampled frame of a video example becomes a one-frame pointing example with that frame's
// pixels (shared between queries of the same video), its points re-based to the frame, ids renumbered by first
// appearance, and only the no-more-points target when the frame has no point.
import assert from "node:assert/strict";
import { test } from "node:test";
import { singleFrameExamples } from "../../../trainer/data/frame-examples";
import { tinyGeometry } from "../../../trainer/model/config";
import { TINY, tinyExamples } from "../model/tiny";

test("one-frame examples: pixels, re-based patches, renumbered ids, empty frames", () => {
  const g = tinyGeometry(TINY);
  const T = g.tokensPerFrame;
  const [a, b] = tinyExamples(2, 5);
  // a: points at patch 1 (frame 0, id 1), N−3 twice (frame 1, ids 2 and 1); b shares a's video.
  const b2 = { ...b, frames: a.frames };
  const out = singleFrameExamples([a, b2], TINY);
  assert.deepEqual(out.map((e) => e.id), ["a@f0", "a@f1", "b@f0", "b@f1"]);
  const frameLen = 3 * TINY.cropSize * TINY.cropSize;
  assert.ok(out.every((e) => e.nFrames === 1 && e.frames.length === frameLen));
  assert.deepEqual([...out[1].frames], [...a.frames.subarray(frameLen, 2 * frameLen)]);
  // Queries of one video share each frame's pixel array (so shared-video batches can group them).
  assert.equal(out[0].frames, out[2].frames);
  assert.equal(out[1].frames, out[3].frames);
  assert.deepEqual(out[0].targets, [a.targets[0]]);
  assert.deepEqual(out[0].ids, [1]);
  assert.deepEqual(out[1].targets, a.targets.slice(1).map((t) => ({ ...t, patch: t.patch - T })));
  assert.deepEqual(out[1].ids, [1, 2]);
  assert.ok(out[1].targets.every((t) => t.patch >= 0 && t.patch < T));
  assert.equal(out[0].queryIds, a.queryIds);
  // b: patch 0 on frame 0, patch N−1 on frame 1.
  assert.deepEqual(out[2].targets.map((t) => t.patch), [0]);
  assert.deepEqual(out[3].targets.map((t) => t.patch), [T - 1]);
  const c = tinyExamples(2, 5)[2]; // no points at all
  assert.deepEqual(singleFrameExamples([c], TINY).map((e) => e.targets.length), [0, 0]);
});
