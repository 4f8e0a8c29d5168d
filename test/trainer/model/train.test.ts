// trainTiny: loss goes down, a killed run resumes to exactly the uninterrupted result, a non-finite loss throws
// TrainingError("nan_loss") without writing weights, and a checkpoint of another run is refused.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { initJax } from "../../../trainer/ml/runtime";
import { readSafetensors } from "../../../trainer/ml/safetensors";
import { parseTinyConfig } from "../../../trainer/model/config";
import { CHECKPOINT_FILE, epochBatches, trainTiny, TrainingError, videoEpochBatches, WEIGHTS_FILE } from "../../../trainer/model/train";
import { TINY, TINY_VOCAB, tinyExamples } from "./tiny";

const dir = mkdtempSync(path.join(tmpdir(), "gt-train-"));
before(async () => {
  await initJax({ quiet: true });
});
after(() => rmSync(dir, { recursive: true, force: true }));

const examples = [...tinyExamples(2, 5), ...tinyExamples(2, 6).map((e) => ({ ...e, id: `${e.id}2` }))];
const base = { examples, config: TINY, vocab: TINY_VOCAB, steps: 6, batchSize: 2, lr: 3e-3, seed: 11, warmupSteps: 1, checkpointEvery: 0 };

test("epoch batches: every example once per epoch, a pure function of (seed, epoch)", () => {
  const b = epochBatches(examples, 4, 3, 0);
  assert.deepEqual(b.flat().sort(), examples.map((_, i) => i));
  assert.deepEqual(epochBatches(examples, 4, 3, 0), b);
  assert.notDeepEqual(epochBatches(examples, 4, 3, 1).flat(), b.flat());
});

test("point buckets and shared-video batches: every example once per epoch, one bucket and video unit per batch", () => {
  // Three queries on video A, two on video B (examples of a video share the frames array).
  const [a, b, c] = tinyExamples(2, 7);
  const [d, e] = tinyExamples(2, 8);
  const exs = [a, { ...b, frames: a.frames }, { ...c, frames: a.frames }, d, { ...e, frames: d.frames }];
  const bucketOf = (x: (typeof exs)[number]) => (x.targets.length <= 2 ? 0 : 1);
  const byBucket = epochBatches(exs, 4, 1, 0, bucketOf);
  assert.deepEqual(byBucket.flat().sort(), [0, 1, 2, 3, 4]);
  for (const batch of byBucket) assert.equal(new Set(batch.map((i) => bucketOf(exs[i]))).size, 1);
  const vb = videoEpochBatches(exs, 4, 2, 1, 0);
  assert.deepEqual(vb.flat().filter((i) => i >= 0).sort(), [0, 1, 2, 3, 4]);
  for (const batch of vb) {
    assert.equal(batch.length, 4);
    for (let u = 0; u < 2; u++) {
      const unit = batch.slice(2 * u, 2 * u + 2).filter((i) => i >= 0);
      assert.ok(unit.every((i) => exs[i].frames === exs[unit[0]].frames), `unit ${unit} mixes videos`);
    }
  }
  assert.deepEqual(videoEpochBatches(exs, 4, 2, 1, 0), vb);
  assert.throws(() => videoEpochBatches(exs, 4, 3, 1, 0), /must divide the batch size/);
});

test("training lowers the loss and writes safetensors + config.json + vocab.json", async () => {
  const out = path.join(dir, "plain");
  const parts: number[][] = [];
  const r = await trainTiny({ ...base, steps: 12, checkpointDir: out, resume: false, onProgress: (p) => parts.push([p.lossParts.patch, p.lossParts.subpatch, p.lossParts.location, p.lossParts.id]) });
  assert.equal(r.losses.length, 12);
  // The per-head losses reported with each step are positive and add up to the step's loss.
  parts.forEach((q, i) => {
    assert.ok(q[0] > 0 && q.every((v) => v >= 0), `step ${i + 1} parts ${q}`); // a batch without points has only the no-more-points target
    assert.ok(Math.abs(q.reduce((a, b) => a + b, 0) - r.losses[i]) < 1e-4 * r.losses[i], `step ${i + 1}: ${q} vs ${r.losses[i]}`);
  });
  const first = (r.losses[0] + r.losses[1]) / 2;
  const last = (r.losses[10] + r.losses[11]) / 2;
  assert.ok(last < first - 0.3, `loss ${first} → ${last}`);
  assert.equal(r.weightsFile, path.join(out, WEIGHTS_FILE));
  const w = await readSafetensors(r.weightsFile);
  assert.deepEqual(w.tensors.get("nomore")?.shape, [1, TINY.patchDim]);
  assert.deepEqual(parseTinyConfig(JSON.parse(readFileSync(path.join(out, "config.json"), "utf8"))), TINY);
  assert.deepEqual(JSON.parse(readFileSync(path.join(out, "vocab.json"), "utf8")), TINY_VOCAB);
});

test("training with shared-video batches and point buckets runs each bucket's shape and lowers the loss", async () => {
  const [a, b, c] = tinyExamples(2, 9);
  const [d, e] = tinyExamples(2, 10);
  const exs = [a, { ...b, id: "b9", frames: a.frames }, { ...c, id: "c9", frames: a.frames }, { ...d, id: "d10" }, { ...e, id: "e10", frames: d.frames }];
  const r = await trainTiny({ ...base, examples: exs, steps: 12, batchSize: 4, queriesPerVideo: 2, pointBuckets: [2], checkpointDir: path.join(dir, "shared"), resume: false });
  assert.equal(r.losses.length, 12);
  assert.ok(r.losses.every(Number.isFinite));
  const first = (r.losses[0] + r.losses[1] + r.losses[2]) / 3;
  const last = (r.losses[9] + r.losses[10] + r.losses[11]) / 3;
  assert.ok(last < first, `loss ${first} → ${last}`);
});

test("a run killed mid-way resumes from its checkpoint to the same weights as an uninterrupted run", async () => {
  const straight = await trainTiny({ ...base, checkpointDir: path.join(dir, "straight"), resume: false });
  const ckDir = path.join(dir, "killed");
  const ac = new AbortController();
  await assert.rejects(
    trainTiny({ ...base, checkpointDir: ckDir, checkpointEvery: 2, resume: false, signal: ac.signal, onProgress: (p) => p.step === 3 && ac.abort() }),
    (e: unknown) => e instanceof TrainingError && e.code === "cancelled",
  );
  const ck = await readSafetensors(path.join(ckDir, CHECKPOINT_FILE));
  assert.equal(ck.metadata.step, "3");
  assert.ok(!existsSync(path.join(ckDir, WEIGHTS_FILE)));
  const resumed = await trainTiny({ ...base, checkpointDir: ckDir, resume: true });
  assert.deepEqual(resumed.losses, straight.losses);
  const a = await readSafetensors(straight.weightsFile);
  const b = await readSafetensors(resumed.weightsFile);
  for (const [k, t] of a.tensors) assert.deepEqual(Buffer.from(b.tensors.get(k)!.data.buffer), Buffer.from(t.data.buffer), k);
  // Resuming with other hyper-parameters is refused.
  await assert.rejects(trainTiny({ ...base, lr: 1e-3, checkpointDir: ckDir, resume: true }), (e: unknown) => e instanceof TrainingError && e.code === "checkpoint_mismatch");
});

test("a non-finite loss throws nan_loss and writes no weights", async () => {
  const bad = examples.map((e, i) => (i === 0 ? { ...e, frames: Float32Array.from(e.frames, (v, j) => (j === 5 ? Number.NaN : v)) } : e));
  const out = path.join(dir, "nan");
  await assert.rejects(trainTiny({ ...base, examples: bad, batchSize: 6, checkpointDir: out, resume: false }), (e: unknown) => e instanceof TrainingError && e.code === "nan_loss" && /step 1/.test(e.message));
  assert.ok(!existsSync(path.join(out, WEIGHTS_FILE)));
});
