import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { editAt, keyframeAt, nextKeyframe, previousKeyframe, removeKeyframe, setKeyframe } from "../../lib/tracks/edit";
import { interpolateTrack } from "../../lib/tracks/interpolate";
import type { Keyframe } from "../../lib/tracks/types";

const kf = (frame: number, x = 0, y = 0): Keyframe => ({ frame, x, y, state: "visible", source: "human" });

test("next/previous keyframe skip the current frame and ignore input order", () => {
  const ks = [kf(9), kf(2), kf(5)];
  assert.equal(nextKeyframe(ks, 2)?.frame, 5);
  assert.equal(nextKeyframe(ks, 4)?.frame, 5);
  assert.equal(nextKeyframe(ks, 9), null);
  assert.equal(previousKeyframe(ks, 5)?.frame, 2);
  assert.equal(previousKeyframe(ks, 100)?.frame, 9);
  assert.equal(previousKeyframe(ks, 2), null);
  assert.equal(keyframeAt(ks, 5)?.frame, 5);
  assert.equal(keyframeAt(ks, 6), null);
});

test("setKeyframe / removeKeyframe are immutable and keep frames sorted and unique", () => {
  const ks = Object.freeze([kf(1), kf(4)]) as readonly Keyframe[];
  const a = setKeyframe(ks, kf(2, 7, 7));
  assert.deepEqual(a.map((k) => k.frame), [1, 2, 4]);
  const b = setKeyframe(a, kf(2, 9, 9));
  assert.deepEqual(b.map((k) => [k.frame, k.x]), [[1, 0], [2, 9], [4, 0]]);
  assert.deepEqual(removeKeyframe(b, 2).map((k) => k.frame), [1, 4]);
  assert.deepEqual(ks.map((k) => k.frame), [1, 4]);
  assert.equal(a.length, 3);
});

test("editAt on a non-keyframe copies the interpolated point first (CVAT)", () => {
  const ks = [kf(0, 0, 0), kf(4, 8, 4)];
  const out = editAt(ks, 2, { state: "occluded" }, "human", { frameCount: 5 });
  assert.deepEqual(keyframeAt(out, 2), { frame: 2, x: 4, y: 2, state: "occluded", source: "human" });
  // the dense track is unchanged except for the state from frame 2 on
  const d = interpolateTrack(out, { frameCount: 5 });
  assert.deepEqual(d.map((p) => p?.x), [0, 2, 4, 6, 8]);
  assert.throws(() => editAt([], 1, { state: "visible" }, "human", { frameCount: 5 }), /x and y are required/);
  assert.equal(editAt([], 1, { x: 3, y: 4 }, "human", { frameCount: 5 })[0].state, "visible");
});

test("property: set then remove restores the original keyframes (when the frame was free)", () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 50 }), { maxLength: 10 }), fc.integer({ min: 0, max: 50 }), (frames, f) => {
      fc.pre(!frames.includes(f));
      const ks = frames.map((x) => kf(x, x));
      const sorted = [...ks].sort((a, b) => a.frame - b.frame);
      assert.deepEqual(removeKeyframe(setKeyframe(ks, kf(f, 1, 1)), f), sorted);
    }),
  );
});
