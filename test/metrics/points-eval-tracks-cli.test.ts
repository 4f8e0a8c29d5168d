// `groundtrack eval tracks` end to end: VideoTrackEval / TrackAny GT files, JSON and Molmo2-text predictions,
// parity with the Molmo2 reference fixture, located errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runTracks } from "../../cli/commands/eval-tracks";
import type { RleInput } from "../../lib/masks/rle";

interface FxVideo {
  width: number;
  height: number;
  masks: Array<{ object_id: string; masks: Array<RleInput | null> }>;
  gt: Array<{ frame: number; points: Array<{ id: number; x: number; y: number }> }>;
  pred: Array<{ frame: number; points: Array<{ id: number; x: number; y: number }> }>;
  expected: Record<string, number> | null;
}
const fx = JSON.parse(readFileSync(new URL("../fixtures/metrics/points/tracking_molmo2.json", import.meta.url), "utf8")) as { videos: FxVideo[] };
const dir = mkdtempSync(path.join(tmpdir(), "gt-eval-tracks-"));
const file = (name: string, body: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, body);
  return p;
};

/** A fixture video as a Molmo2-VideoTrackEval row (frames 0..11, one native frame per second). */
function videoTrackEvalRow(v: FxVideo, id: string) {
  const maskId = v.masks.map((m) => m.object_id);
  const points = maskId.map((object_id) => ({ object_id, points: new Array<[number, number] | null>(12).fill(null) }));
  for (const f of v.gt) for (const p of f.points) points[p.id].points[f.frame] = [p.x, p.y];
  return { id, fps: 1, w: v.width, h: v.height, mask_id: maskId, points, masks: v.masks };
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const log = console.log;
  const error = console.error;
  let out = "";
  let err = "";
  console.log = (...a: unknown[]) => void (out += a.join(" ") + "\n");
  console.error = (...a: unknown[]) => void (err += a.join(" ") + "\n");
  try {
    return { code: await runTracks(args), out, err };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test("scores VideoTrackEval GT + JSON predictions exactly like Molmo2's evaluate_video_object_tracking", async () => {
  // Only videos a VideoTrackEval row can express exactly: no GT frame without points, and GT points in object
  // order within each frame (the row layout fixes that order, and Molmo2's mask pairing depends on it).
  const inObjectOrder = (f: FxVideo["gt"][number]) => f.points.every((p, k) => k === 0 || f.points[k - 1].id < p.id);
  const usable = fx.videos
    .map((v, i) => ({ v, i }))
    .filter(({ v }) => v.expected && v.gt.every((f) => f.points.length > 0 && inObjectOrder(f)))
    .slice(0, 25);
  assert.ok(usable.length >= 15);
  const gt = file("gt.json", JSON.stringify(usable.map(({ v, i }) => videoTrackEvalRow(v, `vid${i}`))));
  const pred = file("pred.jsonl", usable.map(({ v, i }) => JSON.stringify({ example_id: `vid${i}`, frames: v.pred })).join("\n"));
  const out = path.join(dir, "out.json");
  const r = await run(["--gt", gt, "--pred", pred, "--out", out]);
  assert.equal(r.code, 0, r.err);
  const res = JSON.parse(readFileSync(out, "utf8")) as { perVideo: Array<Record<string, number | string>>; mean: Record<string, number> };
  usable.forEach(({ v, i }, k) => {
    const got = res.perVideo[k];
    assert.equal(got.id, `vid${i}`);
    for (const key of ["precision", "recall", "f1", "HOTA", "DetA", "AssA"]) {
      assert.ok(Math.abs((got[key] as number) - v.expected![key]) <= 1e-9, `vid${i} ${key}: ${got[key]} vs ${v.expected![key]}`);
    }
  });
  const meanF1 = usable.reduce((s, { v }) => s + v.expected!.f1, 0) / usable.length;
  assert.ok(Math.abs(res.mean.f1 - meanF1) <= 1e-9);
  assert.match(r.out, /Molmo2 exact/);
});

test("Molmo2 text predictions are parsed with the GT video's size and fps", async () => {
  const W = 100;
  const H = 50;
  const full = { size: [H, W], counts: [0, W * H] };
  const gt = file(
    "gt1.json",
    JSON.stringify([{ id: "a", fps: 2, w: W, h: H, mask_id: ["o1"], points: [{ object_id: "o1", points: [[10, 10], null, [20, 20], null] }], masks: [{ object_id: "o1", masks: [full, null, full, null] }] }]),
  );
  // frames 0 and 2 at fps 2 are t = 0.0 s and 1.0 s; 500/1000 of 100 px = 50.
  const text = '<tracks coords="0.0 1 500 500;1.0 1 100 100">thing</tracks>';
  const pred = file("pred1.json", JSON.stringify([{ example_id: "a", prediction: text }]));
  const out = path.join(dir, "out1.json");
  let r = await run(["--gt", gt, "--pred", pred, "--out", out, "--sampling-fps", "1"]);
  assert.equal(r.code, 0, r.err);
  let res = JSON.parse(readFileSync(out, "utf8")) as { mean: Record<string, number>; counting: { correct: number } };
  assert.equal(res.mean.f1, 0.99999999995); // 2PR/(P+R+1e-10) with P = R = 1
  assert.equal(res.counting.correct, 1);
  // The same text as a plain file (single GT video).
  r = await run(["--gt", gt, "--pred", file("pred1.txt", text), "--out", out, "--quiet"]);
  assert.equal(r.code, 0, r.err);
  res = JSON.parse(readFileSync(out, "utf8"));
  assert.equal(res.mean.f1, 0.99999999995);
});

test("point-only GT: distance judge results and the error without it", async () => {
  const gt = file(
    "trackany2.jsonl",
    JSON.stringify({
      id: 7,
      fps: 30,
      width: 64,
      height: 48,
      frame_trajectories: [
        { frame: 0, time: 0, points: [{ id: 0, point: [10, 10], occluded: false }, { id: 1, point: [40, 30], occluded: false }] },
        { frame: 30, time: 1, points: [{ id: 0, point: [12, 10], occluded: false }, { id: 1, point: [40, 30], occluded: true }] },
      ],
    }) + "\n",
  );
  const pred = file("ta-pred2.json", JSON.stringify({ id: 7, frames: [{ frame: 0, points: [{ id: 3, x: 13, y: 14 }, { id: 4, x: 40, y: 31 }] }, { frame: 30, points: [{ id: 3, x: 12, y: 10 }] }] }));
  await assert.rejects(run(["--gt", gt, "--pred", pred]), /has no masks; score point-only GT with --judge distance/);
  await assert.rejects(run(["--gt", gt, "--pred", pred, "--judge", "distance"]), /needs --radius/);
  const out = path.join(dir, "ta-out.json");
  const r = await run(["--gt", gt, "--pred", pred, "--judge", "distance", "--radius", "5", "--out", out]);
  assert.equal(r.code, 0, r.err);
  const res = JSON.parse(readFileSync(out, "utf8")) as { perVideo: Array<Record<string, number>> };
  // frame 0: d = 5 (hit, inclusive) and 1 (hit); frame 30: occluded GT point dropped, d = 0 → all hits.
  assert.equal(res.perVideo[0].precision, 1);
  assert.equal(res.perVideo[0].recall, 1);
  assert.equal(res.perVideo[0].HOTA, 1);
  const r2 = await run(["--gt", gt, "--pred", pred, "--judge", "distance", "--radius", "10", "--soft", "--out", out]);
  assert.equal(r2.code, 0);
  const soft = JSON.parse(readFileSync(out, "utf8")) as { perVideo: Array<Record<string, number>> };
  assert.ok(soft.perVideo[0].HOTA_alphaMean < 1 && soft.perVideo[0].HOTA_alphaMean > 0.5);
});

test("bad input names the file, the record and the field", async () => {
  const good = videoTrackEvalRow(fx.videos.find((v) => v.masks.length > 0)!, "x");
  const cases: Array<[unknown, RegExp]> = [
    [[good, { ...good, id: "y", w: -3 }], /gt-bad\.json: record #1: w: /],
    [[{ ...good, masks: [{ object_id: good.mask_id[0], masks: [{ size: [good.h, good.w], counts: "0z" }] }] }], /record #0: masks\.0\.masks\.0: RLE counts string has invalid character "z" at offset 1/],
    [[{ ...good, points: [{ object_id: "nope", points: [[1, 1]] }] }], /record #0: points\.0\.object_id: "nope" is not in mask_id/],
    [[good, good], /record #1: id: video id "x" appears twice/],
  ];
  for (const [body, re] of cases) {
    const gt = file("gt-bad.json", JSON.stringify(body));
    await assert.rejects(run(["--gt", gt, "--pred", file("p.json", "[]")]), (e: Error) => e.name === "UserError" && re.test(e.message), String(re));
  }
  const gt = file("gt-ok.json", JSON.stringify([good]));
  const predCases: Array<[string, RegExp]> = [
    ['{"id":"x","frames":[{"frame":0,"points":[{"id":1,"x":1,"y":1},{"id":1,"x":2,"y":2}]}]}\n', /p-bad\.json: record #0: frames\.0\.points\.1\.id: track 1 appears twice/],
    ['{"id":"x","frames":[]}\n{"id":"zz","frames":[]}\n', /line 2: record #1: id: no ground-truth video with id "zz"/],
    ['{"id":"x","frames":[{"frame":-1,"points":[]}]}', /record #0: frames\.0\.frame: /],
    ['{"id":"x"}', /record #0: a prediction needs `prediction` \(Molmo2 text\) or `frames`/],
    ['{"id":"x","frames":[]}\n{oops', /line 2 is not valid JSON/],
  ];
  for (const [body, re] of predCases) {
    await assert.rejects(run(["--gt", gt, "--pred", file("p-bad.json", body)]), (e: Error) => e.name === "UserError" && re.test(e.message), String(re));
  }
  await assert.rejects(run(["--gt", path.join(dir, "missing.json"), "--pred", gt]), /cannot read --gt file/);
  await assert.rejects(run(["--pred", gt]), /--gt is required/);
});

test("a GT video without a prediction is scored as empty and reported", async () => {
  const v = fx.videos.find((x) => x.masks.length > 0 && x.gt.length > 0)!;
  const gt = file("gt-miss.json", JSON.stringify([videoTrackEvalRow(v, "m1")]));
  const out = path.join(dir, "miss.json");
  const r = await run(["--gt", gt, "--pred", file("empty.json", "[]"), "--out", out]);
  assert.equal(r.code, 0);
  assert.match(r.err, /1 GT video\(s\) have no prediction/);
  const res = JSON.parse(readFileSync(out, "utf8")) as { missingPredictions: string[]; mean: { f1: number } };
  assert.deepEqual(res.missingPredictions, ["m1"]);
  assert.equal(res.mean.f1, 0);
});

test("--corrected pairs GT points with their own object's mask even when the mask list is in another order", async () => {
  const W = 10;
  const H = 4;
  const rect = (x0: number, x1: number) => {
    const counts: number[] = [x0 * H, (x1 - x0 + 1) * H, (W - 1 - x1) * H];
    return { size: [H, W], counts };
  };
  // mask_id order [a, b] numbers the points; the masks list is [b, a] (Molmo2 keeps that dict order).
  const row = {
    id: "r",
    fps: 1,
    w: W,
    h: H,
    mask_id: ["a", "b"],
    points: [
      { object_id: "a", points: [[1, 1], [1, 1]] },
      { object_id: "b", points: [[8, 1], null] },
    ],
    masks: [
      { object_id: "b", masks: [rect(6, 9), null] },
      // frame 1 of `a` given as two parts (merged by union, as Molmo2's ann_to_mask does)
      { object_id: "a", masks: [rect(0, 3), [rect(0, 1), rect(2, 3)]] },
    ],
  };
  const gt = file("gt-order.json", JSON.stringify([row]));
  const pred = file("pred-order.json", JSON.stringify([{ id: "r", frames: [{ frame: 0, points: [{ id: 1, x: 1, y: 1 }, { id: 2, x: 8, y: 1 }] }, { frame: 1, points: [{ id: 1, x: 1, y: 1 }] }] }]));
  const out = path.join(dir, "order.json");
  assert.equal((await run(["--gt", gt, "--pred", pred, "--out", out, "--corrected", "--quiet"])).code, 0);
  const fixed = JSON.parse(readFileSync(out, "utf8")) as { perVideo: Array<Record<string, number>> };
  assert.equal(fixed.perVideo[0].precision, 1);
  assert.equal(fixed.perVideo[0].recall, 1);
  assert.equal(fixed.perVideo[0].HOTA, 1);
  assert.equal((await run(["--gt", gt, "--pred", pred, "--out", out, "--quiet"])).code, 0);
  const molmo = JSON.parse(readFileSync(out, "utf8")) as { perVideo: Array<Record<string, number>> };
  // Molmo2: frame 0 judges a's point against b's mask and vice versa (0 hits); frame 1 judges a against b's
  // (absent) mask and divides by 2 objects.
  assert.equal(molmo.perVideo[0].precision, 0);
  assert.equal(molmo.perVideo[0].recall, 0);
});
