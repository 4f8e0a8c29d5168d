// bench:train-step — examples/s of MolmoPoint-Tiny's jit training step (the default run's config and batch shape,
// random frames and targets) with 2 jax-js kernel threads (the worker shim) against 1 thread, measured in the
// same run (each in its own process: the thread count is fixed when jax-js loads). Prints the ratio and the load.
// Usage: node --import tsx bench/trainer/train-step.ts [--steps N]
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";

const self = fileURLToPath(import.meta.url);
const steps = Number(process.argv[process.argv.indexOf("--steps") + 1]) || 8;

async function child(): Promise<void> {
  const { initJax, jax } = await import("../../trainer/ml/runtime.ts");
  const { parseTinyConfig, buildVocab, tinyGeometry } = await import("../../trainer/model/config.ts");
  const { DEFAULT_TINY, DEFAULT_TRAIN } = await import("../../trainer/model/default-run.ts");
  const { initParams } = await import("../../trainer/model/params.ts");
  const { packBatch, toDevice } = await import("../../trainer/model/batch.ts");
  const { loss } = await import("../../trainer/model/forward.ts");
  const { adamInit, adamUpdate, adamStepSize } = await import("../../trainer/ml/adam.ts");
  const { uploadParams } = await import("../../trainer/model/steps.ts");
  const { seededRandom } = await import("../../lib/random.ts");
  await initJax({ quiet: true });
  const c = parseTinyConfig(DEFAULT_TINY);
  const V = buildVocab(c).tokens.length;
  const g = tinyGeometry(c);
  const F = 4;
  const N = F * g.tokensPerFrame;
  const rnd = seededRandom(3);
  const B = DEFAULT_TRAIN.batchSize;
  const examples = Array.from({ length: B }, (_, b) => {
    const n = 4 + (b % 12);
    const targets = Array.from({ length: n }, (_, k) => ({ patch: Math.floor((k * N) / n), subpatch: k % 4, location: k % 9 }));
    return { id: `b${b}`, frames: Float32Array.from({ length: F * 3 * c.cropSize * c.cropSize }, () => 2 * rnd() - 1), nFrames: F, queryIds: [2, 30, 31], targets, ids: targets.map((_, k) => 1 + (k % 3)) };
  });
  const host = packBatch(examples, c, V, { batchSize: B, nFrames: F, maxPointsPerExample: 20 });
  let params = uploadParams(initParams(c, V, 1));
  let { m, v } = adamInit(params);
  type Tree = Record<string, InstanceType<typeof jax.Array>>;
  const step = jax.jit((p: Tree, mm: Tree, vv: Tree, batch: ReturnType<typeof toDevice>, lrT: InstanceType<typeof jax.Array>) => {
    const [l, grads] = jax.valueAndGrad((pp: Tree) => loss(pp, c, batch))(jax.tree.ref(p));
    const up = adamUpdate(p, grads as Tree, mm, vv, lrT);
    return [l, up.params, up.m, up.v] as [InstanceType<typeof jax.Array>, Tree, Tree, Tree];
  });
  const times: number[] = [];
  for (let s = 0; s < steps + 2; s++) {
    const t0 = performance.now();
    const [l, p1, m1, v1] = step(params, m, v, toDevice(host), jax.numpy.array(adamStepSize(1e-3, s + 1)));
    await l.data();
    params = p1;
    m = m1;
    v = v1;
    if (s >= 2) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] / 1000;
  console.log(JSON.stringify({ secondsPerStep: median, examplesPerSec: B / median }));
}

function run(threads: number): { secondsPerStep: number; examplesPerSec: number } {
  const r = spawnSync(process.execPath, ["--import", "tsx", self, "--child", "--steps", String(steps)], { env: { ...process.env, GROUNDTRACK_JAX_THREADS: String(threads) }, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bench child (${threads} threads) failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop() as string);
}

if (process.argv.includes("--child")) {
  await child();
} else {
  const load0 = loadavg()[0];
  const two = run(2);
  const one = run(1);
  console.log(`train step (default config, batch 16, 4 frames, median of ${steps}): 2 threads ${two.secondsPerStep.toFixed(3)} s (${two.examplesPerSec.toFixed(1)} ex/s), 1 thread ${one.secondsPerStep.toFixed(3)} s (${one.examplesPerSec.toFixed(1)} ex/s)`);
  console.log(`ratio 2 threads / 1 thread: ${(one.secondsPerStep / two.secondsPerStep).toFixed(2)}× faster; load average ${load0.toFixed(1)} → ${loadavg()[0].toFixed(1)}`);
}
