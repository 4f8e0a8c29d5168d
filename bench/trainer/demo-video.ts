// Benchmark: the committed default weights on the 640×360 demo video that `npm start` seeds (lib/services/demo.ts:
// another generator than the training data, other sizes and shapes, a hard cut), against the demo colour matcher
// (the fallback built-in model) on the same video in the same run. For every expression of the video's ground truth
// and each point the model answers, the distance to the nearest visible GT point of the expression's objects on that
// frame (a point on a frame where none of them is visible counts as a miss); prints the median distance and the
// share of points within 2 % of the frame diagonal (bench:annotation's correction tolerance).
// Usage: npm run bench:demo-video [-- --model-dir DIR]   (DIR: a built-in model directory instead of the default weights)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { generateBuiltinModel } from "../../inference/builtin/generate-model";
import type { ModelRuntime } from "../../inference/runtime";
import { createRuntime } from "../../inference/runtimes";
import { SYNTHETIC_SEED, SYNTHETIC_SPEC } from "../../lib/services/demo";
import { generateSyntheticVideo, probeVideo, type SyntheticGroundTruth } from "../../lib/video";
import { exportBuiltinModel } from "../../trainer/model/export-onnx";

const { values } = parseArgs({ options: { "model-dir": { type: "string" } } });

interface Score { points: number; within: number; median: number }

/** Distances of the runtime's answer points to the nearest visible GT point of the expression's objects. */
async function score(runtime: ModelRuntime, video: { id: string; path: string; meta: Awaited<ReturnType<typeof probeVideo>> }, gt: SyntheticGroundTruth, text: string, objectIds: number[], tol: number): Promise<Score> {
  const { tracks } = await runtime.query({ video, expression: text, signal: new AbortController().signal });
  const d: number[] = [];
  for (const o of tracks.objects) {
    for (const k of o.keyframes) {
      if (k.state !== "visible") continue;
      let best = Infinity;
      for (const id of objectIds) {
        const p = gt.objects.find((g) => g.id === id)?.track[k.frame];
        if (p?.state === "visible") best = Math.min(best, Math.hypot(p.x - k.x, p.y - k.y));
      }
      d.push(best);
    }
  }
  d.sort((a, b) => a - b);
  return { points: d.length, within: d.filter((x) => x <= tol).length, median: d.length ? d[Math.floor((d.length - 1) / 2)]! : NaN };
}

const fmt = (s: Score) => `${String(s.points).padStart(3)} pts ${String(s.within).padStart(3)} near  median ${Number.isFinite(s.median) ? s.median.toFixed(1).padStart(6) : "  miss"} px`;

const dir = mkdtempSync(path.join(tmpdir(), "gt-bench-demo-video-"));
try {
  const file = path.join(dir, "shapes.mp4");
  const { groundTruth: gt } = await generateSyntheticVideo(file, { ...SYNTHETIC_SPEC, cuts: [...SYNTHETIC_SPEC.cuts] }, SYNTHETIC_SEED);
  const meta = await probeVideo(file);
  const video = { id: "demo-shapes", path: file, meta };
  const tol = 0.02 * Math.hypot(meta.width, meta.height);
  let modelDir = values["model-dir"];
  if (!modelDir) {
    modelDir = path.join(dir, "trained");
    await exportBuiltinModel(path.resolve(import.meta.dirname, "..", "..", "trainer", "weights", "default"), modelDir);
  }
  const demoDir = path.join(dir, "demo");
  await generateBuiltinModel(demoDir);
  const trained = await createRuntime("built-in", { modelDir, log: () => {} });
  const demo = await createRuntime("built-in", { modelDir: demoDir, log: () => {} });
  console.log(`demo video ${meta.width}×${meta.height}, ${meta.frameCount} frames; near = within ${tol.toFixed(1)} px (2 % of the diagonal)`);
  console.log(`${"expression".padEnd(24)} ${"trained model".padEnd(36)} demo colour matcher`);
  const total = { trained: { points: 0, within: 0 }, demo: { points: 0, within: 0 } };
  try {
    for (const ex of gt.expressions) {
      const a = await score(trained, video, gt, ex.text, ex.objectIds, tol);
      const b = await score(demo, video, gt, ex.text, ex.objectIds, tol);
      for (const [k, s] of [["trained", a], ["demo", b]] as const) {
        total[k].points += s.points;
        total[k].within += s.within;
      }
      console.log(`${ex.text.padEnd(24)} ${fmt(a).padEnd(36)} ${fmt(b)}`);
    }
  } finally {
    await trained.close();
    await demo.close();
  }
  const share = (t: { points: number; within: number }) => `${t.within}/${t.points} near (${t.points ? ((100 * t.within) / t.points).toFixed(0) : 0} %)`;
  console.log(`TOTAL trained ${share(total.trained)}, demo matcher ${share(total.demo)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
