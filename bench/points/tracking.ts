// Throughput of the Molmo2 point-tracking evaluation (point F1 + point HOTA against COCO-RLE masks) and of
// COCO RLE encode/decode, with the ratio against the reference timed in the same run on the same data.
//
//   node --import tsx bench/points/tracking.ts [videos=120]
//
// POINTS_REF_CMD: optional shell command for the reference. It is run with one argument, a JSON file
//   {"videos": [{width, height, masks: {object_id: [rle|null per frame]}, gt: [...], pred: [...]}],
//    "rle": {"height", "width", "masks": [row-major "0101..." strings]}}
//   (gt/pred in Molmo2's trajectory layout [{frame, points: {id: {point: [x, y]}}}]), must time
//   `object_tracking_utils.evaluate_video_object_tracking` over all videos and pycocotools `encode`/`decode`
//   over the masks (best of 5 runs each, like ours), and print one JSON line {"tracking_s": .., "rle_encode_s": .., "rle_decode_s": ..}.
//   (The driver is not part of this repository: it runs allenai/molmo2 and pycocotools locally.)
//   Without it only our own timings are printed.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { decodeRle, encodeRle, parseRle, type CocoRle } from "../../lib/masks/rle";
import { evaluateVideoTracking, type ObjectMasks, type TrackFrame, type TrackGroundTruth } from "../../lib/metrics/points";
import { seededRandom as rng } from "../../lib/random";

function ellipse(h: number, w: number, cy: number, cx: number, ry: number, rx: number): Uint8Array {
  const m = new Uint8Array(h * w);
  for (let y = Math.max(0, Math.floor(cy - ry)); y <= Math.min(h - 1, Math.ceil(cy + ry)); y++) {
    for (let x = Math.max(0, Math.floor(cx - rx)); x <= Math.min(w - 1, Math.ceil(cx + rx)); x++) {
      if (((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1) m[y * w + x] = 1;
    }
  }
  return m;
}

interface Video {
  width: number;
  height: number;
  maskTracks: Array<{ objectId: string; masks: Array<CocoRle | null> }>;
  gt: TrackFrame[];
  pred: TrackFrame[];
}

/** Molmo2-Track-like videos: 480x640, 1-fps GT over 10-30 s, 1-5 objects, jittered predictions. */
function workload(n: number): Video[] {
  const r = rng(7);
  const H = 480;
  const W = 640;
  return Array.from({ length: n }, () => {
    const objects = 1 + Math.floor(r() * 5);
    const frames = 10 + Math.floor(r() * 21);
    const maskTracks = Array.from({ length: objects }, (_, k) => ({ objectId: `obj${k}`, masks: new Array<CocoRle | null>(frames).fill(null) }));
    const gt: TrackFrame[] = [];
    const pred: TrackFrame[] = [];
    for (let f = 0; f < frames; f++) {
      const gp: TrackFrame["points"][number][] = [];
      const pp: TrackFrame["points"][number][] = [];
      for (let k = 0; k < objects; k++) {
        if (r() < 0.15) continue;
        const cy = r() * H;
        const cx = r() * W;
        maskTracks[k].masks[f] = encodeRle(ellipse(H, W, cy, cx, 20 + r() * 80, 20 + r() * 80), H, W);
        gp.push({ id: k, x: cx, y: cy });
        if (r() < 0.9) pp.push({ id: (k + (r() < 0.1 ? 1 : 0)) % objects, x: cx + (r() - 0.5) * 60, y: cy + (r() - 0.5) * 60 });
      }
      const seen = new Set<number>();
      gt.push({ frame: f, points: gp });
      pred.push({ frame: f, points: pp.filter((p) => (seen.has(p.id) ? false : (seen.add(p.id), true))) });
    }
    return { width: W, height: H, maskTracks, gt: gt.filter((g) => g.points.length), pred: pred.filter((p) => p.points.length) };
  });
}

function groundTruth(v: Video): TrackGroundTruth {
  const masks: ObjectMasks[] = v.maskTracks.map((t) => {
    const byFrame = new Map<number, ReturnType<typeof parseRle>>();
    t.masks.forEach((m, f) => m && byFrame.set(f, parseRle(m)));
    return { objectId: t.objectId, byFrame };
  });
  return { width: v.width, height: v.height, frames: v.gt, masks };
}

/** Best of `REPEATS` runs (the machine may be shared; the minimum is the least disturbed run). */
const REPEATS = 5;
function time<T>(fn: () => T): [T, number] {
  let best = Infinity;
  let out!: T;
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    out = fn();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return [out, best];
}

const n = Number(process.argv[2] ?? 120);
const videos = workload(n);
const rleMasks = Array.from({ length: 200 }, (_, i) => ellipse(480, 640, 240 + (i % 7) * 10, 320 - (i % 5) * 9, 60 + (i % 50), 90 + (i % 40)));

// Warm-up (JIT) on a slice, then the timed runs. Our side includes parsing every RLE (the reference decodes them inside the evaluation too).
for (const v of videos.slice(0, 10)) evaluateVideoTracking(v.pred, groundTruth(v));
for (const m of rleMasks.slice(0, 20)) decodeRle(encodeRle(m, 480, 640));
const [scores, tsTracking] = time(() => videos.map((v) => evaluateVideoTracking(v.pred, groundTruth(v))));
const [encoded, tsEncode] = time(() => rleMasks.map((m) => encodeRle(m, 480, 640)));
const [, tsDecode] = time(() => encoded.map((r) => decodeRle(r)));
const meanF1 = scores.reduce((s, x) => s + x.f1, 0) / scores.length;
const frames = videos.reduce((s, v) => s + new Set([...v.gt, ...v.pred].map((f) => f.frame)).size, 0);
console.log(`tracking: ${n} videos, ${frames} frames, mean F1 ${meanF1.toFixed(4)}: ${(tsTracking * 1000).toFixed(1)} ms (${(frames / tsTracking).toFixed(0)} frames/s)`);
console.log(`rle 480x640 x${rleMasks.length}: encode ${(tsEncode * 1000).toFixed(1)} ms, decode ${(tsDecode * 1000).toFixed(1)} ms`);

const refCmd = process.env.POINTS_REF_CMD;
if (refCmd) {
  const dir = mkdtempSync(path.join(tmpdir(), "points-bench-"));
  const file = path.join(dir, "workload.json");
  const dictFrames = (fs: TrackFrame[]) => fs.map((f) => ({ frame: f.frame, points: Object.fromEntries(f.points.map((p) => [p.id, { point: [p.x, p.y] }])) }));
  writeFileSync(
    file,
    JSON.stringify({
      videos: videos.map((v) => ({
        width: v.width,
        height: v.height,
        masks: Object.fromEntries(v.maskTracks.map((t) => [t.objectId, t.masks])),
        gt: dictFrames(v.gt),
        pred: dictFrames(v.pred),
      })),
      rle: { height: 480, width: 640, masks: rleMasks.map((m) => Array.from(m).join("")) },
    }),
  );
  const out = execFileSync("sh", ["-c", `${refCmd} "$0"`, file], { encoding: "utf8" }).trim().split("\n").pop()!;
  const ref = JSON.parse(out) as { tracking_s: number; rle_encode_s: number; rle_decode_s: number; mean_f1?: number };
  if (ref.mean_f1 !== undefined) console.log(`reference mean F1 ${ref.mean_f1.toFixed(4)} (ours ${meanF1.toFixed(4)})`);
  console.log(`speed-up vs reference (ref time / our time): tracking ${(ref.tracking_s / tsTracking).toFixed(2)}x, rle encode ${(ref.rle_encode_s / tsEncode).toFixed(2)}x, rle decode ${(ref.rle_decode_s / tsDecode).toFixed(2)}x`);
} else {
  console.log("POINTS_REF_CMD not set: no reference timing (see the header of this file)");
}
