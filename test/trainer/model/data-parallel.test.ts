// Data-parallel training (processes > 1): shards normalised by the whole batch sum to the whole batch's loss and
// gradients; a 2-process run follows the 1-process run, is deterministic, and a killed shard process fails the run
// with worker_failed and a checkpoint that resumes to the uninterrupted result.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { initJax, jax, np } from "../../../trainer/ml/runtime";
import { readSafetensors } from "../../../trainer/ml/safetensors";
import { packBatch, packShards, toDevice } from "../../../trainer/model/batch";
import { parseTinyConfig, tinyGeometry } from "../../../trainer/model/config";
import { lossAndGrad, type Params } from "../../../trainer/model/forward";
import { CHECKPOINT_FILE, trainTiny, TrainingError } from "../../../trainer/model/train";
import { TINY, TINY_VOCAB, tinyExamples, tinyParams, withTokenLabels } from "./tiny";

const dir = mkdtempSync(path.join(tmpdir(), "gt-dp-"));
before(async () => {
  await initJax({ quiet: true });
});
after(() => rmSync(dir, { recursive: true, force: true }));

const V = TINY_VOCAB.tokens.length;
const examples = [...tinyExamples(2, 5), ...tinyExamples(2, 6).map((e) => ({ ...e, id: `${e.id}2` }))];
const base = { examples, config: TINY, vocab: TINY_VOCAB, steps: 6, batchSize: 4, lr: 3e-3, seed: 11, warmupSteps: 1, checkpointEvery: 0 };

async function lossAndGrads(params: Params, batch: ReturnType<typeof packBatch>, c = TINY): Promise<{ parts: number[]; grads: Map<string, Float32Array> }> {
  const [[loss, parts], grads] = lossAndGrad(jax.tree.ref(params), c, toDevice(batch));
  loss.dispose();
  const out = new Map<string, Float32Array>();
  for (const [k, g] of Object.entries(grads)) out.set(k, (await g.data()) as Float32Array);
  return { parts: [...((await parts.data()) as Float32Array)], grads: out };
}

test("shards normalised by the whole batch: their loss parts and gradients sum to the whole batch's", async () => {
  // With the semantic head, so both kinds of normaliser (head targets, labelled tokens) are covered.
  const c = parseTinyConfig({ ...TINY, semAux: 1 });
  const rows = withTokenLabels(examples.slice(0, 4).map((e) => ({ ...e })), 2 * tinyGeometry(c).tokensPerFrame);
  const opts = { batchSize: 4, nFrames: rows[0]!.nFrames, maxPointsPerExample: Math.max(...rows.map((e) => e.targets.length)) };
  const host = tinyParams(3, 0.3, c);
  const params = Object.fromEntries([...host].map(([k, t]) => [k, np.array(t.data, { shape: t.shape })])) as Params;
  const whole = await lossAndGrads(params, packBatch(rows, c, V, opts), c);
  const shards = await Promise.all(packShards(rows, c, V, opts, 2).map((b) => lossAndGrads(params, b, c)));
  whole.parts.forEach((v, i) => assert.ok(Math.abs(shards[0]!.parts[i]! + shards[1]!.parts[i]! - v) < 1e-5 * Math.max(1, Math.abs(v)), `part ${i}: ${shards[0]!.parts[i]} + ${shards[1]!.parts[i]} vs ${v}`));
  let worst = 0;
  for (const [k, g] of whole.grads) {
    const a = shards[0]!.grads.get(k)!;
    const b = shards[1]!.grads.get(k)!;
    const scale = Math.max(1e-3, ...Array.from(g, Math.abs));
    for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(a[i]! + b[i]! - g[i]!) / scale);
  }
  assert.ok(worst < 1e-4, `worst relative gradient difference ${worst}`);
  jax.tree.dispose(params);
  assert.throws(() => packShards(examples.slice(0, 4), TINY, V, { batchSize: 4, nFrames: 2, maxPointsPerExample: 4 }, 3), /must divide the batch size/);
  assert.throws(() => packShards(examples.slice(0, 4), parseTinyConfig({ ...TINY, bindAux: 1 }), V, { batchSize: 4, nFrames: 2, maxPointsPerExample: 4 }, 2), /binding loss/);
});

/** Shard processes (children of this process running shard-worker.ts), from /proc. */
function shardChildren(): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && readFileSync(`/proc/${d}/cmdline`, "utf8").includes("shard-worker")) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

test("two training processes follow the one-process run, deterministically; a killed shard process fails the run resumably", async () => {
  const one = await trainTiny({ ...base, checkpointDir: path.join(dir, "one"), resume: false });
  const two = await trainTiny({ ...base, processes: 2, checkpointDir: path.join(dir, "two"), resume: false });
  const again = await trainTiny({ ...base, processes: 2, checkpointDir: path.join(dir, "again"), resume: false });
  assert.ok(Math.abs(two.losses[0]! - one.losses[0]!) < 1e-5 * one.losses[0]!, `first loss ${two.losses[0]} vs ${one.losses[0]}`);
  two.losses.forEach((l, i) => assert.ok(Math.abs(l - one.losses[i]!) < 1e-2 * one.losses[i]!, `step ${i + 1}: ${l} vs ${one.losses[i]}`));
  assert.deepEqual(again.losses, two.losses);
  const a = await readSafetensors(two.weightsFile);
  const b = await readSafetensors(again.weightsFile);
  for (const [k, t] of a.tensors) assert.deepEqual(Buffer.from(b.tensors.get(k)!.data.buffer), Buffer.from(t.data.buffer), k);
  assert.deepEqual(shardChildren(), [], "the shard processes end with the run");

  // Kill one shard process after step 3: the run fails with worker_failed and leaves a checkpoint of step 3.
  const ckDir = path.join(dir, "killed");
  await assert.rejects(
    trainTiny({ ...base, processes: 2, checkpointDir: ckDir, resume: false, onProgress: (p) => p.step === 3 && process.kill(shardChildren()[0]!, "SIGKILL") }),
    (e: unknown) => e instanceof TrainingError && e.code === "worker_failed" && /exited/.test(e.message),
  );
  assert.equal((await readSafetensors(path.join(ckDir, CHECKPOINT_FILE))).metadata.step, "3");
  const resumed = await trainTiny({ ...base, processes: 2, checkpointDir: ckDir, resume: true });
  assert.deepEqual(resumed.losses, two.losses);
  // The process count is part of the run's identity: a 1-process resume of it is refused.
  await assert.rejects(trainTiny({ ...base, checkpointDir: ckDir, resume: true }), (e: unknown) => e instanceof TrainingError && e.code === "checkpoint_mismatch");
  await assert.rejects(trainTiny({ ...base, processes: 3, checkpointDir: path.join(dir, "three"), resume: false }), (e: unknown) => e instanceof TrainingError && e.code === "bad_input");
  // A non-finite loss in a shard is caught as in one process: nan_loss, no weights.
  const bad = examples.map((e, i) => (i === 4 ? { ...e, frames: Float32Array.from(e.frames, (x, j) => (j === 5 ? Number.NaN : x)) } : e));
  const nanDir = path.join(dir, "nan");
  await assert.rejects(trainTiny({ ...base, examples: bad, batchSize: 6, processes: 2, checkpointDir: nanDir, resume: false }), (e: unknown) => e instanceof TrainingError && e.code === "nan_loss" && /step 1/.test(e.message));
  assert.ok(!existsSync(path.join(nanDir, "model.safetensors")));
  assert.deepEqual(shardChildren(), [], "the shard processes end with a failed run too");
});
