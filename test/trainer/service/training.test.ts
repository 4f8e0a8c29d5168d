// The training service end to end on a real database, real snapshot, real jax-js training (a tiny config, few
// steps), real ONNX export and evaluation: NaN loss and a corrupt snapshot fail the run and promote nothing (the
// promoted version keeps serving); a `train run` child process killed with SIGKILL is marked killed and resumes from
// its last checkpoint to a registered, compared candidate.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, truncateSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTestDb, type TestDb } from "../../helpers/db";
import { generateBuiltinModel } from "../../../inference/builtin/generate-model";
import { createRuntime } from "../../../inference/runtimes";
import { listModelVersions, promotedVersion, promoteVersion, readPromotedPointer, registerBuiltinVersion, versionDir } from "../../../lib/services/models";
import { createSnapshot } from "../../../trainer/snapshot";
import { resumeTraining, runDir, runTraining, type TrainProgressEvent } from "../../../trainer/service/train";
import { markDeadRuns } from "../../../trainer/service/runs";
import { tinySynth } from "../snapshot/world";

const TINY = { cropSize: 32, patchSize: 8, pool: 2, maxFrames: 2, dVit: 16, dModel: 32, heads: 2, decoderLayers: 1, patchDim: 16, maxPoints: 64 };
const root = path.resolve(import.meta.dirname, "..", "..", "..");
let t: TestDb;
let dir: string;
let snapshotId: number;
let synth: string;
const saved = { models: process.env.GROUNDTRACK_MODELS_DIR, builtin: process.env.GROUNDTRACK_BUILTIN_MODEL_DIR };

before(async () => {
  t = await createTestDb();
  dir = mkdtempSync(path.join(os.tmpdir(), "gt-train-svc-"));
  process.env.GROUNDTRACK_MODELS_DIR = path.join(dir, "models");
  delete process.env.GROUNDTRACK_BUILTIN_MODEL_DIR;
  synth = await tinySynth(dir);
  snapshotId = (await createSnapshot(t.db, { tasks: "none", synth: { from: synth }, out: path.join(dir, "snap") })).id;
  // The version serving before any training: the demo colour model, promoted by hand.
  await generateBuiltinModel(versionDir("demo"), { version: "demo" });
  await registerBuiltinVersion(t.db, null, { version: "demo", dir: versionDir("demo"), snapshotId: null, benchmarkHash: null, metrics: {} });
  await promoteVersion(t.db, null, "demo", { manual: true });
});
after(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
  for (const [k, v] of [["GROUNDTRACK_MODELS_DIR", saved.models], ["GROUNDTRACK_BUILTIN_MODEL_DIR", saved.builtin]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

async function stillServingDemo(): Promise<void> {
  assert.equal((await promotedVersion(t.db))?.version, "demo");
  assert.equal(readPromotedPointer()?.version, "demo");
  const rt = await createRuntime("built-in");
  try {
    assert.equal(rt.engine, "built-in:demo");
  } finally {
    await rt.close();
  }
}

describe("training runs that must not promote anything", () => {
  it("NaN loss (lr 1e30, a real divergence): run failed with nan_loss, nothing registered, demo still served", async () => {
    const events: TrainProgressEvent[] = [];
    const r = await runTraining(t.db, snapshotId, { tiny: TINY, steps: 4, batchSize: 2, lr: 1e30, checkpointEvery: 0, version: "diverged" }, { onEvent: (e) => events.push(e) });
    assert.equal(r.status, "failed");
    assert.equal(r.errorCode, "nan_loss", r.message);
    assert.match(r.message ?? "", /non-finite loss .* at step \d/);
    const row = await t.db.trainingRun.findUniqueOrThrow({ where: { id: r.runId } });
    assert.equal(row.status, "failed");
    assert.equal(row.errorCode, "nan_loss");
    assert.equal(row.candidateVersionId, null);
    assert.deepEqual((await listModelVersions(t.db)).map((v) => v.version), ["demo"]);
    assert.equal(existsSync(versionDir("diverged")), false);
    assert.equal(events.at(-1)?.status, "failed");
    assert.ok((await t.db.trainingMetric.count({ where: { runId: r.runId, name: "loss" } })) >= 1, "the finite steps' losses are kept");
    await stillServingDemo();
  });

  it("a corrupt snapshot: run failed with corrupt_snapshot naming the file, nothing registered", async () => {
    const s = await createSnapshot(t.db, { tasks: "none", synth: { from: synth }, out: path.join(dir, "snap2") });
    // Copy-on-write is not guaranteed for hard links: replace the file rather than truncating the shared inode.
    const victim = s.manifest.files.find((f) => f.file.endsWith(".json") && f.file.includes("annotations"))!.file;
    const abs = path.join(s.dir, victim);
    rmSync(abs);
    const { writeFileSync } = await import("node:fs");
    writeFileSync(abs, "{}");
    const r = await runTraining(t.db, s.id, { tiny: TINY, steps: 2, batchSize: 2 });
    assert.equal(r.status, "failed");
    assert.equal(r.errorCode, "corrupt_snapshot");
    assert.ok(r.message?.includes(victim), r.message);
    assert.deepEqual((await listModelVersions(t.db)).map((v) => v.version), ["demo"]);
    await stillServingDemo();
  });
});

describe("kill -9 and resume", () => {
  it("a killed `train run` process is marked killed and resumes from its last checkpoint to a compared candidate", async () => {
    const env = { ...process.env, DATABASE_URL: t.url, GROUNDTRACK_MODELS_DIR: path.join(dir, "models") };
    const child = spawn(process.execPath, ["cli/bin.mjs", "train", "run", "--snapshot", String(snapshotId), "--steps", "8", "--batch-size", "2", "--checkpoint-every", "2", "--version", "resumed", "--config", JSON.stringify(TINY)], { cwd: root, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // Wait for the run row and its first checkpoint, then SIGKILL (no chance to clean up).
    let runId = 0;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const run = await t.db.trainingRun.findFirst({ where: { snapshotId, config: { contains: "\"resumed\"" } } });
      if (run) runId = run.id;
      if (runId && existsSync(path.join(runDir(runId), "checkpoint.safetensors"))) break;
      if (child.exitCode !== null) assert.fail(`train run exited early (${child.exitCode}): ${stderr}`);
      if (Date.now() > deadline) assert.fail(`no checkpoint within 120 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGKILL");
    await exited;
    assert.equal((await t.db.trainingRun.findUniqueOrThrow({ where: { id: runId } })).status, "running", `nobody marked it yet; child stderr:\n${stderr}`);
    assert.deepEqual(await markDeadRuns(t.db), [runId], stderr);
    const killed = await t.db.trainingRun.findUniqueOrThrow({ where: { id: runId } });
    assert.equal(killed.status, "killed");
    assert.match(killed.errorMessage ?? "", new RegExp(`groundtrack train resume ${runId}`));

    // Steps the trainer itself reports (they carry examplesPerSec); the stage event before them repeats the killed
    // process's last heartbeat step, which may be behind or ahead of its last checkpoint.
    const steps: number[] = [];
    const r = await resumeTraining(t.db, runId, { onEvent: (e) => void (e.stage.startsWith("training") && e.examplesPerSec !== undefined && steps.push(e.step)) });
    assert.equal(r.status, "succeeded", `${r.message}; killed child stderr:\n${stderr}`);
    // Continued after a checkpoint (an even step: checkpoints every 2), not from scratch.
    assert.ok(steps[0] > 1 && (steps[0] - 1) % 2 === 0, `first resumed step ${steps[0]} (${steps.join(",")}); killed child stderr:\n${stderr}`);
    assert.equal(steps.at(-1), 8);
    const row = await t.db.trainingRun.findUniqueOrThrow({ where: { id: runId } });
    assert.equal(row.status, "succeeded");
    assert.equal(row.attempts, 2);
    const losses = await t.db.trainingMetric.findMany({ where: { runId, name: "loss" }, orderBy: { step: "asc" } });
    assert.deepEqual(losses.map((m) => m.step).filter((s) => s >= steps[0]), [...Array(9 - steps[0]).keys()].map((k) => k + steps[0]));
    assert.ok(losses.every((m) => Number.isFinite(m.value)));
    // Registered, evaluated on the frozen split and compared with the promoted demo model.
    const versions = await listModelVersions(t.db);
    const cand = versions.find((v) => v.version === "resumed")!;
    assert.equal(cand.trainingRunId, runId);
    const cmp = cand.comparison as { candidate: { f1: number }; current: { version: string; f1: number }; decision: string };
    assert.equal(cmp.current.version, "demo");
    assert.equal(cmp.decision, cmp.candidate.f1 > cmp.current.f1 ? "promoted" : "rejected");
    assert.equal(cand.status, cmp.decision === "promoted" ? "promoted" : "rejected");
    assert.ok(existsSync(path.join(versionDir("resumed"), "step.onnx")));
    if (cmp.decision === "rejected") await stillServingDemo();
  });
});
