// bench:point-errors — where a built-in model's points go on the default dataset's val split: each answer point
// (the model's tracks brought onto the ground truth's frames by evaluateModel's own `answerOnGrid`) against the
// nearest visible ground-truth point of the expression's objects on its frame, in distance buckets; "far" (> 16 px
// on the 128-px videos: another object or the background) split by query kind: queries naming a colour ("the red
// circles", "the blue shapes") against the rest (category, size or motion only: "the stars", "the small squares").
// A point on a frame where none of the expression's objects is visible counts as far. The demo colour matcher (the
// fallback built-in model) answers the same examples in the same run, for reference.
// Needs the default dataset (`npm run train:default` generates it into data/trainer/synth-default).
// Usage: npm run bench:point-errors [-- --weights DIR | --model-dir DIR] [--examples N] [--split val|test]
//   (--weights: a trainer weights directory, exported here, instead of the committed trainer/weights/default;
//   --model-dir: an already exported built-in model directory; N: the first N examples, default 200)
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { generateBuiltinModel } from "../../inference/builtin/generate-model";
import { createRuntime } from "../../inference/runtimes";
import type { VideoMeta } from "../../lib/video";
import { COLOURS } from "../../lib/video/synthetic";
import { listSynthExamples, type ExampleRef } from "../../trainer/data/examples";
import { answerOnGrid } from "../../trainer/eval/evaluate";
import { exportBuiltinModel } from "../../trainer/model/export-onnx";

const { values } = parseArgs({ options: { "model-dir": { type: "string" }, weights: { type: "string" }, examples: { type: "string" }, split: { type: "string" } } });
const N = Number(values.examples ?? 200);
const split = values.split ?? "val";
if (!Number.isInteger(N) || N < 1) throw new Error(`--examples must be a positive integer, got '${values.examples}'`);
if (split !== "val" && split !== "test") throw new Error(`--split must be val or test, got '${split}'`);

const root = path.resolve(import.meta.dirname, "..", "..");
const datasetDir = path.join(root, "data", "trainer", "synth-default");
if (!existsSync(path.join(datasetDir, "manifest.json"))) {
  console.error(`bench:point-errors: no default dataset in ${datasetDir}; run npm run train:default (it generates it) first`);
  process.exit(2);
}

/** Upper bucket edges in px; the last bucket is "far". */
const EDGES = [2, 4, 8, 16];
const LABELS = ["≤ 2 px", "2–4 px", "4–8 px", "8–16 px", "> 16 px (far)"];
const colourWords = new Set<string>(Object.keys(COLOURS));
const kindOf = (expression: string) => (expression.split(/\s+/).some((w) => colourWords.has(w)) ? "colour" : "category, size or motion");

/** Where one model's answer points go on `refs`: counts per distance bucket, and points / far points per query kind. */
async function measure(modelDir: string, refs: readonly ExampleRef[]): Promise<{ engine: string; buckets: number[]; byKind: Map<string, { points: number; far: number }> }> {
  const runtime = await createRuntime("built-in", { modelDir, log: () => {} });
  const buckets = new Array<number>(LABELS.length).fill(0);
  const byKind = new Map<string, { points: number; far: number }>();
  const metas = new Map<string, VideoMeta>();
  const signal = new AbortController().signal;
  try {
    for (const ref of refs) {
      const { expression, gt, pred } = await answerOnGrid(runtime, ref, metas, signal);
      const gtAt = new Map(gt.gt.frames.map((f) => [f.frame, f.points]));
      const k = kindOf(expression);
      const kind = byKind.get(k) ?? { points: 0, far: 0 };
      byKind.set(k, kind);
      for (const f of pred) {
        const targets = gtAt.get(f.frame) ?? [];
        for (const p of f.points) {
          const d = Math.min(Infinity, ...targets.map((t) => Math.hypot(t.x - p.x, t.y - p.y)));
          const b = EDGES.findIndex((e) => d <= e);
          buckets[b < 0 ? EDGES.length : b]++;
          kind.points++;
          if (b < 0) kind.far++;
        }
      }
    }
    return { engine: runtime.engine, buckets, byKind };
  } finally {
    await runtime.close();
  }
}

const dir = mkdtempSync(path.join(tmpdir(), "gt-bench-point-errors-"));
try {
  let modelDir = values["model-dir"];
  if (!modelDir) {
    modelDir = path.join(dir, "model");
    await exportBuiltinModel(path.resolve(values.weights ?? path.join(root, "trainer", "weights", "default")), modelDir);
  }
  const demoDir = path.join(dir, "demo");
  await generateBuiltinModel(demoDir);
  const refs = (await listSynthExamples(datasetDir)).filter((r) => r.split === split).slice(0, N);
  const model = await measure(modelDir, refs);
  const demo = await measure(demoDir, refs);
  const pct = (n: number, of: number) => (of ? `${((100 * n) / of).toFixed(1)} %` : "n/a");
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const [mt, dt] = [sum(model.buckets), sum(demo.buckets)];
  console.log(`${refs.length} ${split} examples of ${path.relative(root, datasetDir)}; each answer point against the nearest GT point of the expression's objects on its frame`);
  console.log(`${"".padEnd(16)}${model.engine.padEnd(30)}demo colour matcher (same run)`);
  LABELS.forEach((l, i) => console.log(`  ${l.padEnd(14)}${`${model.buckets[i]}  ${pct(model.buckets[i], mt)}`.padEnd(30)}${demo.buckets[i]}  ${pct(demo.buckets[i], dt)}`));
  console.log(`  ${"points".padEnd(14)}${String(mt).padEnd(30)}${dt}`);
  for (const k of ["category, size or motion", "colour"]) {
    const [a, b] = [model.byKind.get(k) ?? { points: 0, far: 0 }, demo.byKind.get(k) ?? { points: 0, far: 0 }];
    console.log(`  far among the points of queries naming ${k === "colour" ? "a colour" : "no colour (category, size or motion)"}: ${a.far} of ${a.points} (${pct(a.far, a.points)}); demo matcher ${b.far} of ${b.points} (${pct(b.far, b.points)})`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
