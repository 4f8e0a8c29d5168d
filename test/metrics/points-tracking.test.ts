// Molmo2 tracking metrics parity: evaluate_video_object_tracking (F1 + HOTAMetric) run on generated videos
// (see test/fixtures/metrics/points/README.md).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseRle, type RleInput } from "../../lib/masks/rle";
import {
  computePointHota,
  evaluateVideoTracking,
  POINT_HOTA_ALPHAS,
  POINT_HOTA_FIELDS,
  prepareHotaInput,
  type ObjectMasks,
  type TrackFrame,
  type TrackGroundTruth,
} from "../../lib/metrics/points";

interface FxVideo {
  width: number;
  height: number;
  masks: Array<{ object_id: string; masks: Array<RleInput | null> }>;
  gt: TrackFrame[];
  pred: TrackFrame[];
  expected: Record<string, number | number[]> | null;
  error: string | null;
}
interface Fx {
  alphas: number[];
  videos: FxVideo[];
  distance_hota: Array<{ video: number; radius: number; soft: boolean; expected: Record<string, number[]> }>;
}
const fx = JSON.parse(readFileSync(new URL("../fixtures/metrics/points/tracking_molmo2.json", import.meta.url), "utf8")) as Fx;

function groundTruth(v: FxVideo): TrackGroundTruth {
  const masks: ObjectMasks[] = v.masks.map((o) => {
    const byFrame = new Map<number, ReturnType<typeof parseRle>>();
    o.masks.forEach((m, frame) => {
      if (m) byFrame.set(frame, parseRle(m));
    });
    return { objectId: o.object_id, byFrame };
  });
  return { width: v.width, height: v.height, frames: v.gt, masks };
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9, `${what}: got ${a}, expected ${b}`);

test("alphas equal numpy's arange(0.05, 1.0, 0.05) bit for bit", () => {
  assert.deepEqual([...POINT_HOTA_ALPHAS], fx.alphas);
});

test("evaluateVideoTracking equals Molmo2's evaluate_video_object_tracking on every generated video", () => {
  assert.ok(fx.videos.length >= 50);
  let nonTrivial = 0;
  fx.videos.forEach((v, i) => {
    const got = evaluateVideoTracking(v.pred, groundTruth(v));
    assert.ok(v.expected, `video ${i}: reference raised ${v.error}`);
    const e = v.expected;
    for (const k of ["precision", "recall", "f1", "HOTA", "DetA", "AssA", "DetPr", "DetRe", "LocA"] as const) close(got[k], e[k] as number, `video ${i} ${k}`);
    for (const k of ["HOTA_array", "DetA_array", "AssA_array"] as const) (e[k] as number[]).forEach((x, a) => close(got[k][a], x, `video ${i} ${k}[${a}]`));
    assert.equal(got.num_frames, e.num_frames);
    assert.equal(got.frames_with_pred, e.frames_with_pred);
    assert.equal(got.frames_with_gt, e.frames_with_gt);
    if (got.f1 > 0 && got.f1 < 1 && got.HOTA > 0 && got.HOTA < 1) nonTrivial++;
  });
  assert.ok(nonTrivial >= 15, `only ${nonTrivial} videos with non-trivial scores`);
});

test("Molmo2's HOTA core with soft and hard distance similarities matches for every field and alpha", () => {
  for (const c of fx.distance_hota) {
    const v = fx.videos[c.video];
    const got = computePointHota(prepareHotaInput(v.pred, groundTruth(v), { kind: "distance", radius: c.radius, soft: c.soft }));
    for (const k of POINT_HOTA_FIELDS) c.expected[k].forEach((x, a) => close(got[k][a], x, `video ${c.video} r=${c.radius} soft=${c.soft} ${k}[${a}]`));
  }
});

// Hand-built video: objects A (id 0) and B (id 1); in frame 1 only B is present, which is where Molmo2's
// positional mask pairing and per-video recall denominator differ from the corrected behaviour.
function twoObjectVideo(): TrackGroundTruth {
  const W = 10;
  const H = 4;
  const box = (x0: number, x1: number) => {
    const m = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) for (let x = x0; x <= x1; x++) m[y * W + x] = 1;
    return parseRle({ size: [H, W], counts: runsFromRowMajor(m, H, W) });
  };
  const a = box(0, 3);
  const b = box(6, 9);
  return {
    width: W,
    height: H,
    frames: [
      { frame: 0, points: [{ id: 0, x: 1, y: 1 }, { id: 1, x: 8, y: 1 }] },
      { frame: 1, points: [{ id: 1, x: 8, y: 2 }] },
    ],
    masks: [
      { objectId: "A", byFrame: new Map([[0, a]]) },
      { objectId: "B", byFrame: new Map([[0, b], [1, b]]) },
    ],
  };
}
function runsFromRowMajor(m: Uint8Array, h: number, w: number): number[] {
  const counts: number[] = [];
  let prev = 0;
  let run = 0;
  for (let x = 0; x < w; x++) for (let y = 0; y < h; y++) {
    const v = m[y * w + x];
    if (v !== prev) { counts.push(run); run = 0; prev = v; }
    run++;
  }
  counts.push(run);
  return counts;
}

test("Molmo2 compat vs corrected: positional mask pairing and per-video recall denominator", () => {
  const gt = twoObjectVideo();
  const pred: TrackFrame[] = [
    { frame: 0, points: [{ id: 5, x: 1.5, y: 1 }, { id: 6, x: 8, y: 1 }] },
    { frame: 1, points: [{ id: 6, x: 8.5, y: 2 }] },
  ];
  const compat = evaluateVideoTracking(pred, gt, { kind: "mask", molmo2Compat: true });
  const fixed = evaluateVideoTracking(pred, gt, { kind: "mask", molmo2Compat: false });
  // Frame 0 is perfect either way. Frame 1: Molmo2 judges B's point against A's (absent → empty) mask
  // and divides by 2 objects → P = R = 0; corrected: hit, P = R = 1.
  assert.equal(compat.precision, 0.5);
  assert.equal(compat.recall, 0.5);
  assert.equal(fixed.precision, 1);
  assert.equal(fixed.recall, 1);
  assert.ok(fixed.HOTA > compat.HOTA);
  assert.equal(fixed.HOTA, 1);
  // Recall denominator alone: a correct single prediction in frame 1 with compat pairing fixed by position
  // still divides by the two objects of the video.
  const onlyFrame0: TrackFrame[] = [{ frame: 0, points: [{ id: 5, x: 1, y: 1 }] }];
  const c0 = evaluateVideoTracking(onlyFrame0, gt, { kind: "mask", molmo2Compat: true });
  assert.equal(c0.num_frames, 2);
  assert.equal(c0.recall, 0.25); // frame 0: 1/2, frame 1: no predictions → 0
});

test("distance judge: hit within radius (inclusive), soft similarity for HOTA, point-only GT needs no masks", () => {
  const gt: TrackGroundTruth = {
    width: 100,
    height: 100,
    masks: null,
    frames: [
      { frame: 0, points: [{ id: 0, x: 10, y: 10 }, { id: 1, x: 50, y: 50 }] },
      { frame: 1, points: [{ id: 0, x: 12, y: 10 }, { id: 1, x: 52, y: 50 }] },
    ],
  };
  const pred: TrackFrame[] = [
    { frame: 0, points: [{ id: 3, x: 13, y: 14 }, { id: 4, x: 50, y: 50 }] }, // d = 5 and 0
    { frame: 1, points: [{ id: 3, x: 12, y: 10 }, { id: 4, x: 58, y: 58 }] }, // d = 0 and 11.3
  ];
  const hard = evaluateVideoTracking(pred, gt, { kind: "distance", radius: 5, soft: false });
  assert.equal(hard.precision, (1 + 0.5) / 2);
  assert.equal(hard.recall, (1 + 0.5) / 2);
  assert.equal(hard.DetA, 3 / (3 + 1 + 1));
  const soft = evaluateVideoTracking(pred, gt, { kind: "distance", radius: 10, soft: true });
  // soft similarities 0.5, 1, 1, 0: LocA over alpha 0.5 matches = (0.5 + 1 + 1) / 3
  assert.ok(Math.abs(soft.LocA - 2.5 / 3) < 1e-12);
  assert.ok(soft.HOTA_alphaMean < soft.HOTA_array[0]);
  assert.throws(() => evaluateVideoTracking(pred, gt), /needs ground-truth masks/);
  assert.throws(() => evaluateVideoTracking(pred, gt, { kind: "distance", radius: 0, soft: false }), /radius/);
});

test("no frames at all scores 1; GT without predictions scores 0 and HOTA FN counts every GT point", () => {
  const gt = twoObjectVideo();
  const empty = evaluateVideoTracking([], { ...gt, frames: [] });
  assert.equal(empty.f1, 1);
  assert.equal(empty.HOTA, 1);
  const none = evaluateVideoTracking([], gt);
  assert.equal(none.f1, 0);
  assert.equal(none.HOTA, 0);
  const h = computePointHota(prepareHotaInput([], gt, { kind: "mask", molmo2Compat: true }));
  assert.deepEqual(new Set(h.HOTA_FN), new Set([3]));
});
