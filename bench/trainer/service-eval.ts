// Benchmark: evaluation on a frozen benchmark split (trainer/eval evaluateModel: the real built-in runtime + the
// lib/metrics/points scoring) against the reference = the same runtime answering the same queries with no scoring,
// on the same videos in the same run (warm cache for both). Prints seconds per example for both, the ratio
// evaluation/reference (the scoring + bookkeeping overhead), and snapshot build + verify time per file.
// Usage: npm run bench:train-eval [-- --videos N]
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { generateBuiltinModel } from "../../inference/builtin/generate-model";
import { createBuiltinRuntime } from "../../inference/runtimes/builtin";
import { probeVideo } from "../../lib/video";
import { createDb } from "../../lib/db";
import { applyMigrations } from "../../test/helpers/db";
import { evaluateModel } from "../../trainer/eval/evaluate";
import { buildSnapshot, snapshotRefs, verifySnapshot } from "../../trainer/snapshot";
import { generateDataset } from "../../trainer/synth/dataset";

const { values } = parseArgs({ options: { videos: { type: "string", default: "6" } } });
const videos = Number(values.videos);
const dir = mkdtempSync(path.join(tmpdir(), "gt-bench-train-eval-"));
try {
  const synth = path.join(dir, "synth");
  await generateDataset(synth, { videos, seed: 7, frames: 20, width: 128, height: 128, fps: 10, testVideos: videos, valVideos: 0 });
  const dbFile = path.join(dir, "bench.db");
  applyMigrations(dbFile);
  const db = createDb(`file:${dbFile}`);
  let t0 = performance.now();
  const snap = await buildSnapshot(db, { tasks: "none", synth: { from: synth }, out: path.join(dir, "snap") });
  const buildS = (performance.now() - t0) / 1000;
  t0 = performance.now();
  await verifySnapshot(snap.dir);
  const verifyS = (performance.now() - t0) / 1000;
  await db.$disconnect();
  const refs = snapshotRefs(snap.dir, snap.manifest, ["test"]);
  const modelDir = path.join(dir, "model");
  await generateBuiltinModel(modelDir);
  const runtime = await createBuiltinRuntime({ modelDir, log: () => {} });
  try {
    const metas = new Map<string, Awaited<ReturnType<typeof probeVideo>>>();
    for (const r of refs) if (!metas.has(r.video)) metas.set(r.video, await probeVideo(r.video));
    const signal = new AbortController().signal;
    const reference = async () => {
      const s = performance.now();
      for (const r of refs) await runtime.query({ video: { id: `file:${r.video}`, path: r.video, meta: metas.get(r.video)! }, expression: r.expression, signal });
      return (performance.now() - s) / 1000;
    };
    await reference(); // warm: videos encoded once, cached by the runtime
    const evaluation = async () => {
      const s = performance.now();
      await evaluateModel({ runtime, refs });
      return (performance.now() - s) / 1000;
    };
    const ref: number[] = [];
    const ev: number[] = [];
    for (let i = 0; i < 3; i++) {
      ref.push(await reference());
      ev.push(await evaluation());
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const n = refs.length;
    console.log(`load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
    console.log(`snapshot: ${snap.manifest.files.length} files, build ${buildS.toFixed(2)} s, verify ${verifyS.toFixed(2)} s (${((verifyS / snap.manifest.files.length) * 1000).toFixed(1)} ms per file)`);
    console.log(`examples: ${n} (${videos} videos, 128x128, 20 frames)`);
    console.log(`reference (runtime queries only): ${(med(ref) / n * 1000).toFixed(1)} ms per example`);
    console.log(`evaluateModel (queries + Molmo2 point metrics): ${(med(ev) / n * 1000).toFixed(1)} ms per example`);
    console.log(`ratio evaluation/reference: ${(med(ev) / med(ref)).toFixed(3)}`);
  } finally {
    await runtime.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
