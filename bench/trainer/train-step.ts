// bench:train-step — examples/s of MolmoPoint-Tiny training (trainTiny: the default run's config and batch size,
// random frames and targets) three ways, each in its own process (the jax-js thread count is fixed when it loads),
// in the same run: one process with 2 jax-js kernel threads (the reference: one process per run, as before),
// one process with 1 thread, and 2 data-parallel processes (`processes: 2`, one thread each, gradients summed in
// the training process). Prints examples/s and the ratios against the reference, and the load.
// Usage: node --import tsx bench/trainer/train-step.ts [--steps N]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const self = fileURLToPath(import.meta.url);
const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const steps = Number(arg("--steps")) || 12;

async function child(processes: number): Promise<void> {
  const { initJax } = await import("../../trainer/ml/runtime.ts");
  const { parseTinyConfig, buildVocab, tinyGeometry } = await import("../../trainer/model/config.ts");
  const { DEFAULT_TINY, DEFAULT_TRAIN } = await import("../../trainer/model/default-run.ts");
  const { trainTiny } = await import("../../trainer/model/train.ts");
  const { seededRandom } = await import("../../lib/random.ts");
  const { TOKEN_ATTRIBUTE_CLASSES } = await import("../../trainer/data/token-labels.ts");
  await initJax({ quiet: true });
  const c = parseTinyConfig(DEFAULT_TINY);
  const g = tinyGeometry(c);
  const F = 4;
  const N = F * g.tokensPerFrame;
  const rnd = seededRandom(3);
  const B = DEFAULT_TRAIN.batchSize;
  // 4–15 points per example (one batch shape), as many examples as the steps need, each video with token labels.
  const examples = Array.from({ length: B * 4 }, (_, b) => {
    const n = 4 + (b % 12);
    const targets = Array.from({ length: n }, (_, k) => ({ patch: Math.floor((k * N) / n), subpatch: k % 4, location: k % 9 }));
    const tokenLabels = TOKEN_ATTRIBUTE_CLASSES.map((K) => Int8Array.from({ length: N }, () => Math.floor(rnd() * (K + 1)) - 1));
    return { id: `b${b}`, frames: Float32Array.from({ length: F * 3 * c.cropSize * c.cropSize }, () => 2 * rnd() - 1), nFrames: F, queryIds: [2, 30, 31], targets, ids: targets.map((_, k) => 1 + (k % 3)), tokenLabels };
  });
  const dir = mkdtempSync(path.join(tmpdir(), "gt-bench-train-step-"));
  const perStep: number[] = [];
  let last = 0;
  try {
    await trainTiny({
      examples, config: c, vocab: buildVocab(c), steps: steps + 2, batchSize: B, lr: 1e-3, seed: 1, processes, checkpointDir: dir, checkpointEvery: 0, resume: false,
      onProgress: (p) => {
        // Steps 1–2 compile (one trace per batch shape in each process); time the rest.
        if (p.step > 2) perStep.push(p.elapsedSec - last);
        last = p.elapsedSec;
      },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  perStep.sort((a, b) => a - b);
  const median = perStep[Math.floor(perStep.length / 2)]!;
  console.log(JSON.stringify({ secondsPerStep: median, examplesPerSec: B / median }));
}

function run(threads: number, processes: number): { secondsPerStep: number; examplesPerSec: number } {
  const r = spawnSync(process.execPath, ["--import", "tsx", self, "--child", String(processes), "--steps", String(steps)], { env: { ...process.env, GROUNDTRACK_JAX_THREADS: String(threads) }, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bench child (${threads} threads, ${processes} processes) failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() as string);
}

if (process.argv.includes("--child")) {
  await child(Number(arg("--child")));
} else {
  const { DEFAULT_TRAIN } = await import("../../trainer/model/default-run.ts");
  const load0 = loadavg()[0];
  const ref = run(2, 1);
  const one = run(1, 1);
  const dp = run(1, 2);
  const fmt = (r: { secondsPerStep: number; examplesPerSec: number }) => `${r.secondsPerStep.toFixed(3)} s/step (${r.examplesPerSec.toFixed(1)} ex/s)`;
  console.log(`trainTiny, default config, batch ${DEFAULT_TRAIN.batchSize}, 4 frames, median of ${steps} steps:`);
  console.log(`  1 process, 2 threads (reference): ${fmt(ref)}`);
  console.log(`  1 process, 1 thread:              ${fmt(one)}  ratio ${(ref.secondsPerStep / one.secondsPerStep).toFixed(2)}× the reference's speed`);
  console.log(`  2 processes, 1 thread each:       ${fmt(dp)}  RATIO ${(ref.secondsPerStep / dp.secondsPerStep).toFixed(2)}× the reference's speed`);
  console.log(`load average ${load0.toFixed(1)} → ${loadavg()[0].toFixed(1)}`);
}
