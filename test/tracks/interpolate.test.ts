import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { interpolateTrack, TrackSampler, InvalidTrackError, keyframeIssues } from "../../lib/tracks/interpolate";
import type { Keyframe, PointState } from "../../lib/tracks/types";

const kf = (frame: number, x: number, y: number, state: PointState = "visible"): Keyframe => ({ frame, x, y, state, source: "human" });

test("linear between two visible keyframes, exact values", () => {
  const d = interpolateTrack([kf(0, 0, 10), kf(4, 8, 2)], { frameCount: 6 });
  assert.deepEqual(
    d.map((p) => p && [p.x, p.y, p.state, p.isKeyframe, p.source]),
    [
      [0, 10, "visible", true, "human"],
      [2, 8, "visible", false, "interpolated"],
      [4, 6, "visible", false, "interpolated"],
      [6, 4, "visible", false, "interpolated"],
      [8, 2, "visible", true, "human"],
      [8, 2, "visible", false, "interpolated"], // held after the last keyframe
    ],
  );
});

test("frames before the first keyframe are unknown (null)", () => {
  const d = interpolateTrack([kf(3, 1, 1)], { frameCount: 5 });
  assert.deepEqual(d.slice(0, 3), [null, null, null]);
  assert.equal(d[4]?.x, 1);
});

test("an outside keyframe ends the track until the next keyframe", () => {
  const d = interpolateTrack([kf(0, 0, 0), kf(2, 10, 10, "outside"), kf(5, 40, 40)], { frameCount: 7 });
  assert.deepEqual(d.map((p) => p?.state), ["visible", "visible", "outside", "outside", "outside", "visible", "visible"]);
  // CVAT points-track: position keeps the linear formula even on outside frames (it is never drawn).
  assert.equal(d[1]?.x, 5);
  assert.equal(d[3]?.x, 20);
});

test("an occluded keyframe keeps interpolating positions but marks frames occluded", () => {
  const d = interpolateTrack([kf(0, 0, 0, "occluded"), kf(4, 4, 8)], { frameCount: 5 });
  assert.deepEqual(d.map((p) => p && [p.x, p.y, p.state]), [
    [0, 0, "occluded"],
    [1, 2, "occluded"],
    [2, 4, "occluded"],
    [3, 6, "occluded"],
    [4, 8, "visible"],
  ]);
});

test("the last state (occluded/outside) is held to the end of the shot", () => {
  const d = interpolateTrack([kf(0, 1, 1), kf(1, 2, 2, "occluded")], { frameCount: 4 });
  assert.deepEqual(d.map((p) => p?.state), ["visible", "occluded", "occluded", "occluded"]);
});

test("never interpolates across a shot boundary", () => {
  const d = interpolateTrack([kf(0, 0, 0), kf(3, 100, 100), kf(6, 10, 10)], { frameCount: 8, shotBoundaries: [5] });
  // shot [0,5): 0..3 linear, then held; shot [5,8): frame 5 unknown, 6.. from the keyframe at 6
  assert.deepEqual(d.map((p) => p && p.x), [0, 100 * (1 / 3), 100 * (2 / 3), 100, 100, null, 10, 10]);
  // keyframe at 3 does not interpolate toward the keyframe at 6 in the next shot
  assert.equal(d[4]?.isKeyframe, false);
  assert.equal(d[4]?.x, 100);
});

test("shot with no keyframes is entirely unknown; keyframes may come unsorted", () => {
  const d = interpolateTrack([kf(7, 1, 1), kf(1, 0, 0)], { frameCount: 9, shotBoundaries: [6, 3] });
  assert.deepEqual(d.map((p) => (p ? p.x : null)), [null, 0, 0, null, null, null, null, 1, 1]);
});

test("model/propagated sources are kept on keyframes", () => {
  const d = interpolateTrack([{ frame: 0, x: 0, y: 0, state: "visible", source: "model:molmopoint-8b@1" }, { frame: 2, x: 2, y: 2, state: "visible", source: "propagated" }], { frameCount: 3 });
  assert.deepEqual(d.map((p) => p?.source), ["model:molmopoint-8b@1", "interpolated", "propagated"]);
});

test("invalid input is an InvalidTrackError naming the problem", () => {
  assert.throws(() => interpolateTrack([kf(5, 0, 0)], { frameCount: 5 }), (e: unknown) => e instanceof InvalidTrackError && /frame 5 is not an integer in \[0, 5\)/.test(e.message));
  assert.throws(() => interpolateTrack([kf(-1, 0, 0)], { frameCount: 5 }), InvalidTrackError);
  assert.throws(() => interpolateTrack([kf(1.5, 0, 0)], { frameCount: 5 }), InvalidTrackError);
  assert.throws(() => interpolateTrack([kf(1, 0, 0), kf(1, 2, 2)], { frameCount: 5 }), /frame 1 already has a keyframe/);
  assert.throws(() => interpolateTrack([kf(1, NaN, 0)], { frameCount: 5 }), /finite/);
  assert.throws(() => interpolateTrack([], { frameCount: 5, shotBoundaries: [0] }), /shot boundary 0/);
  assert.throws(() => interpolateTrack([], { frameCount: 5, shotBoundaries: [2, 2] }), /repeated/);
  assert.throws(() => interpolateTrack([], { frameCount: 0 }), /frameCount/);
  assert.throws(() => new TrackSampler([kf(1, 0, 0), kf(1, 2, 2)], { frameCount: 5 }), InvalidTrackError);
  assert.deepEqual(keyframeIssues([kf(0, 0, 0)], { frameCount: 1 }), []);
});

// ---- properties -------------------------------------------------------------------------------------------

const scenario = fc
  .integer({ min: 1, max: 60 })
  .chain((frameCount) =>
    fc.record({
      frameCount: fc.constant(frameCount),
      shotBoundaries: frameCount > 1 ? fc.uniqueArray(fc.integer({ min: 1, max: frameCount - 1 }), { maxLength: 4 }) : fc.constant([] as number[]),
      keyframes: fc
        .uniqueArray(
          fc.record({
            frame: fc.integer({ min: 0, max: frameCount - 1 }),
            x: fc.double({ min: -1e4, max: 1e4, noNaN: true }),
            y: fc.double({ min: -1e4, max: 1e4, noNaN: true }),
            state: fc.constantFrom<PointState>("visible", "occluded", "outside"),
            source: fc.constantFrom<Keyframe["source"]>("human", "propagated", "model:v1"),
          }),
          { selector: (k) => k.frame, maxLength: 12 },
        ),
    }),
  );

function shotOf(frame: number, boundaries: number[]): number {
  return boundaries.filter((b) => b <= frame).length;
}

test("property: TrackSampler.at equals interpolateTrack for every frame", () => {
  fc.assert(
    fc.property(scenario, ({ frameCount, shotBoundaries, keyframes }) => {
      const dense = interpolateTrack(keyframes, { frameCount, shotBoundaries });
      const sampler = new TrackSampler(keyframes, { frameCount, shotBoundaries });
      assert.equal(dense.length, frameCount);
      for (let f = 0; f < frameCount; f++) assert.deepEqual(sampler.at(f), dense[f]);
      assert.equal(sampler.at(-1), null);
      assert.equal(sampler.at(frameCount), null);
    }),
    { numRuns: 300 },
  );
});

test("property: each frame follows the previous keyframe of its own shot", () => {
  fc.assert(
    fc.property(scenario, ({ frameCount, shotBoundaries, keyframes }) => {
      const dense = interpolateTrack(keyframes, { frameCount, shotBoundaries });
      const sorted = [...keyframes].sort((a, b) => a.frame - b.frame);
      for (let f = 0; f < frameCount; f++) {
        const shot = shotOf(f, shotBoundaries);
        const inShot = sorted.filter((k) => shotOf(k.frame, shotBoundaries) === shot);
        const prev = inShot.filter((k) => k.frame <= f).at(-1);
        const next = inShot.find((k) => k.frame > f);
        const p = dense[f];
        if (!prev) {
          assert.equal(p, null, `frame ${f} has no earlier keyframe in its shot`);
          continue;
        }
        assert.ok(p);
        assert.equal(p.frame, f);
        assert.equal(p.state, prev.state);
        assert.equal(p.isKeyframe, prev.frame === f);
        if (prev.frame === f) {
          assert.deepEqual([p.x, p.y, p.source], [prev.x, prev.y, prev.source]);
        } else {
          assert.equal(p.source, "interpolated");
          const lo = Math.min(prev.x, next?.x ?? prev.x);
          const hi = Math.max(prev.x, next?.x ?? prev.x);
          assert.ok(p.x >= lo - 1e-9 && p.x <= hi + 1e-9, `x ${p.x} outside [${lo}, ${hi}]`);
          if (next) {
            const t = (f - prev.frame) / (next.frame - prev.frame);
            assert.ok(Math.abs(p.y - (prev.y + (next.y - prev.y) * t)) < 1e-6);
          } else assert.deepEqual([p.x, p.y], [prev.x, prev.y]);
        }
      }
    }),
    { numRuns: 300 },
  );
});

test("property: keyframes of other shots never change a shot's frames", () => {
  fc.assert(
    fc.property(scenario, ({ frameCount, shotBoundaries, keyframes }) => {
      const dense = interpolateTrack(keyframes, { frameCount, shotBoundaries });
      for (let shot = 0; shot <= shotBoundaries.length; shot++) {
        const own = keyframes.filter((k) => shotOf(k.frame, shotBoundaries) === shot);
        const alone = interpolateTrack(own, { frameCount, shotBoundaries });
        for (let f = 0; f < frameCount; f++) if (shotOf(f, shotBoundaries) === shot) assert.deepEqual(alone[f], dense[f]);
      }
    }),
    { numRuns: 200 },
  );
});
