import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { interpolateTrack } from "../../lib/tracks/interpolate";
import type { Keyframe, PointState } from "../../lib/tracks/types";

interface CvatFrame {
  x: number;
  y: number;
  occluded: boolean;
  outside: boolean;
  keyframe: boolean;
}
const { cases } = JSON.parse(readFileSync(new URL("../fixtures/formats/cvat_interpolation_reference.json", import.meta.url), "utf8")) as {
  cases: { frameCount: number; keyframes: { frame: number; x: number; y: number; state: PointState }[]; cvat: (CvatFrame | null)[] }[];
};

test("interpolateTrack equals CVAT's points-track interpolation frame by frame (reference run)", () => {
  assert.equal(cases.length, 40);
  let compared = 0;
  for (const [i, c] of cases.entries()) {
    const keyframes: Keyframe[] = c.keyframes.map((k) => ({ ...k, source: "human" }));
    const ours = interpolateTrack(keyframes, { frameCount: c.frameCount });
    const first = keyframes.length ? keyframes[0].frame : Infinity;
    for (let f = 0; f < c.frameCount; f++) {
      const ref = c.cvat[f];
      const p = ours[f];
      if (f < first) {
        // CVAT: no keyframe yet -> outside (or no object at all); ours: unknown
        assert.equal(p, null, `case ${i} frame ${f}`);
        assert.ok(ref === null || ref.outside, `case ${i} frame ${f}`);
        continue;
      }
      assert.ok(p && ref, `case ${i} frame ${f}`);
      const refState: PointState = ref.outside ? "outside" : ref.occluded ? "occluded" : "visible";
      assert.deepEqual([p.x, p.y, p.state, p.isKeyframe], [ref.x, ref.y, refState, ref.keyframe], `case ${i} frame ${f}`);
      compared++;
    }
  }
  assert.ok(compared > 300, `only ${compared} frames compared`);
});
