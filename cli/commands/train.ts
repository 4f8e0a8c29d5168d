// `groundtrack train`: dataset snapshots, training runs (checkpoints, resume after a kill), evaluation on the
// frozen benchmark split, and the snapshot → molmo2-layout export for fine-tuning MolmoPoint-8B elsewhere.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseCommandArgs, UserError, runSubcommand } from "../args";
import { progressBar, type Progress } from "../progress";

export const summary = "training: snapshot (accepted tasks + synthetic), run / resume / runs, eval, default, export-molmo2";

const USAGE = `usage:
  groundtrack train snapshot --out DIR [--tasks all|none|ID,ID,...] [--name NAME] [--no-register]
                             [--synth-from SYNTH_DIR | --videos N --seed S [--frames F] [--width W] [--height H]
                              [--fps R] [--test-videos T] [--val-videos V] [--pan]]
      a frozen dataset snapshot: accepted tasks (TrackAny, videos linked) + a synthetic part; registered in the DB
  groundtrack train run --snapshot ID --steps N [--batch-size 4] [--lr 3e-3] [--seed 0] [--checkpoint-every 50]
                        [--processes 1] [--version NAME] [--config JSON]
      train MolmoPoint-Tiny (--config: TinyConfig fields, e.g. '{"dModel":64}'; --processes: data-parallel
      training processes, one jax-js thread each, which must divide the batch size), export models/versions/NAME/,
      evaluate on the snapshot's frozen split and promote only if point F1 beats the promoted version
  groundtrack train resume RUN        continue a killed or failed run from its last checkpoint
  groundtrack train runs [--json]     list training runs
  groundtrack train eval (--snapshot ID | --snapshot-dir DIR) (--model-dir DIR | --version NAME)
                         [--split test|val|train] [--out FILE]
      point F1, point HOTA, counting / close accuracy of a model on a snapshot split (default: the frozen test)
  groundtrack train default --out DIR [--videos 600] [--steps 1000] [--version NAME] [any train run option]
      the whole pipeline with the default recipe (npm run train:default's dataset and hyper-parameters):
      snapshot (all accepted tasks + synthetic) → run → promote if better
  groundtrack train export-molmo2 (--snapshot ID | --snapshot-dir DIR) --out DIR
      the snapshot's synthetic part in the layout allenai/molmo2's MolmoPointTrackSyn loader reads
      (see trainer/SCALE.md for the torchrun fine-tuning command for MolmoPoint-8B)
Exit codes: 0 done (for run/resume/default: trained, whether promoted or not), 1 bad input or failed run,
3 killed (resume it). Database: $DATABASE_URL (default data/groundtrack.db); model files: $GROUNDTRACK_MODELS_DIR
(default models/).`;

async function db() {
  const { getDb } = await import("../../lib/db/index.ts");
  return getDb();
}

const USER_ERRORS = new Set(["ServiceError", "RegistryError", "SnapshotError", "EvalError", "ExportError", "RuntimeError", "TrainingServiceError", "DataError"]);

async function userErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (USER_ERRORS.has((e as Error)?.name)) throw new UserError((e as Error).message);
    throw e;
  }
}

function int(name: string, text: string | undefined, fallback?: number): number | undefined {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v)) throw new UserError(`--${name} must be an integer, got '${text}'`);
  return v;
}

function num(name: string, text: string | undefined, fallback?: number): number | undefined {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isFinite(v)) throw new UserError(`--${name} must be a number, got '${text}'`);
  return v;
}

function noPositionals(positionals: string[]): void {
  if (positionals.length) throw new UserError(`unexpected argument '${positionals[0]}'\n${USAGE}`);
}

/** One progress bar per stage (the stage name is its label). */
function stageBars(): { update(stage: string, done: number, total: number): void; stop(): void } {
  let current: { stage: string; bar: Progress; done: number } | null = null;
  return {
    update(stage, done, total) {
      if (!current || current.stage !== stage) {
        current?.bar.stop();
        current = { stage, bar: progressBar(stage, total), done: 0 };
      }
      if (done > current.done) {
        current.bar.tick(done - current.done);
        current.done = done;
      }
    },
    stop() {
      current?.bar.stop();
      current = null;
    },
  };
}

const SNAPSHOT_OPTIONS = {
  out: { type: "string" }, tasks: { type: "string" }, name: { type: "string" }, "no-register": { type: "boolean" }, "synth-from": { type: "string" },
  videos: { type: "string" }, seed: { type: "string" }, frames: { type: "string" }, width: { type: "string" }, height: { type: "string" },
  fps: { type: "string" }, "test-videos": { type: "string" }, "val-videos": { type: "string" }, pan: { type: "boolean" },
} as const;

function taskSelection(text: string | undefined): number[] | "all-accepted" | "none" {
  if (text === undefined || text === "all") return "all-accepted";
  if (text === "none") return "none";
  const ids = text.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  if (!ids.length || ids.some((n) => !Number.isInteger(n) || n < 1)) throw new UserError(`--tasks must be all, none or comma-separated task ids, got '${text}'`);
  return ids;
}

type SnapshotValues = { [K in keyof typeof SNAPSHOT_OPTIONS]?: (typeof SNAPSHOT_OPTIONS)[K]["type"] extends "boolean" ? boolean : string };

async function buildSnapshotFrom(values: SnapshotValues, defaults: { videos?: number; seed?: number; testVideos?: number; valVideos?: number } = {}): Promise<{ id: number | null; dir: string; contentHash: string; counts: Record<string, Record<string, number>>; benchmark: string }> {
  if (!values.out) throw new UserError(`--out is required\n${USAGE}`);
  let synth: { from: string } | { generate: import("../../trainer/synth/dataset.ts").SynthOptions } | null = null;
  if (values["synth-from"]) {
    if (values.videos !== undefined) throw new UserError("give either --synth-from or --videos/--seed, not both");
    synth = { from: values["synth-from"] };
  } else {
    const videos = int("videos", values.videos, defaults.videos);
    if (videos !== undefined) {
      const seed = int("seed", values.seed, defaults.seed);
      if (seed === undefined) throw new UserError("--seed is required with --videos");
      const gen = {
        videos, seed, frames: int("frames", values.frames), width: int("width", values.width), height: int("height", values.height), fps: int("fps", values.fps),
        testVideos: int("test-videos", values["test-videos"], defaults.testVideos), valVideos: int("val-videos", values["val-videos"], defaults.valVideos), pan: values.pan ?? false,
      };
      const { SynthOptionsSchema } = await import("../../trainer/synth/dataset.ts");
      const p = SynthOptionsSchema.safeParse(gen);
      if (!p.success) {
        const i = p.error.issues[0];
        throw new UserError(`--${String(i.path[0] ?? "").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${i.message}`);
      }
      synth = { generate: gen };
    }
  }
  const { buildSnapshot, registerSnapshot } = await import("../../trainer/snapshot/index.ts");
  const d = await db();
  const bars = stageBars();
  try {
    const built = await userErrors(() => buildSnapshot(d, { tasks: taskSelection(values.tasks), synth, out: values.out as string, name: values.name ?? "" }, { onStage: (s, done, total) => bars.update(s, done, total) }));
    bars.stop();
    const id = values["no-register"] ? null : (await registerSnapshot(d, built.dir, built.manifest)).id;
    for (const s of built.manifest.sources.tasks.skipped) console.error(`skipped: ${s}`);
    return { id, dir: built.dir, contentHash: built.manifest.contentHash, counts: built.manifest.counts, benchmark: built.manifest.benchmark.hash };
  } finally {
    bars.stop();
  }
}

function describeCounts(counts: Record<string, Record<string, number>>): string {
  return Object.entries(counts).map(([split, c]) => `${split} ${Object.entries(c).map(([src, n]) => `${n} ${src}`).join(" + ")}`).join(", ");
}

async function snapshotCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, SNAPSHOT_OPTIONS);
  noPositionals(positionals);
  const s = await buildSnapshotFrom(values);
  console.log(`${s.id === null ? "wrote" : `snapshot #${s.id}:`} ${s.dir}: ${describeCounts(s.counts)}; content hash ${s.contentHash}; frozen benchmark hash ${s.benchmark}`);
  return 0;
}

const RUN_OPTIONS = {
  snapshot: { type: "string" }, steps: { type: "string" }, "batch-size": { type: "string" }, lr: { type: "string" }, seed: { type: "string" },
  "checkpoint-every": { type: "string" }, version: { type: "string" }, config: { type: "string" }, processes: { type: "string" },
} as const;

/** Runs (or resumes) with progress bars; SIGINT/SIGTERM stop it after a checkpoint (then resumable). */
async function execute(start: (hooks: import("../../trainer/service/train.ts").RunHooks) => Promise<import("../../trainer/service/train.ts").RunOutcome>): Promise<number> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const bars = stageBars();
  try {
    const r = await userErrors(() =>
      start({
        signal: controller.signal,
        log: (m) => {
          bars.stop();
          console.error(m);
        },
        onEvent: (e) => {
          if (e.stage.startsWith("training") && e.step > 0) bars.update("train", e.step, e.steps);
          else if (e.total) bars.update(e.stage, e.done ?? 0, e.total);
        },
      }),
    );
    bars.stop();
    if (r.status === "succeeded") {
      const p = r.promotion;
      console.log(`run #${r.runId} succeeded: ${r.version} ${p ? `${p.decision} — ${String(p.comparison.reason)}` : "(already decided)"}`);
      return 0;
    }
    console.error(`run #${r.runId} ${r.status} (${r.errorCode}): ${r.message}`);
    return r.status === "killed" ? 3 : 1;
  } finally {
    bars.stop();
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

function runParams(values: { [K in keyof typeof RUN_OPTIONS]?: string }, defaults: { steps?: number } = {}) {
  let tiny: unknown = undefined;
  if (values.config !== undefined) {
    try {
      tiny = JSON.parse(values.config);
    } catch (e) {
      throw new UserError(`--config is not valid JSON: ${(e as Error).message}`);
    }
  }
  const steps = int("steps", values.steps, defaults.steps);
  if (steps === undefined) throw new UserError(`--steps is required\n${USAGE}`);
  return {
    ...(tiny === undefined ? {} : { tiny: tiny as Record<string, unknown> }),
    steps,
    batchSize: int("batch-size", values["batch-size"]),
    lr: num("lr", values.lr),
    seed: int("seed", values.seed),
    checkpointEvery: int("checkpoint-every", values["checkpoint-every"]),
    processes: int("processes", values.processes),
    ...(values.version ? { version: values.version } : {}),
  };
}

async function runCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, RUN_OPTIONS);
  noPositionals(positionals);
  const snapshotId = int("snapshot", values.snapshot);
  if (snapshotId === undefined) throw new UserError(`--snapshot ID is required\n${USAGE}`);
  const params = runParams(values);
  const { createTrainingRun, executeRun, runDir } = await import("../../trainer/service/train.ts");
  const d = await db();
  const id = await userErrors(() => createTrainingRun(d, snapshotId, params as import("../../trainer/service/train.ts").TrainingParams));
  console.error(`training run #${id} (checkpoints in ${runDir(id)}; resume with: groundtrack train resume ${id})`);
  return execute((hooks) => executeRun(d, id, "start", hooks));
}

async function resumeCmd(argv: string[]): Promise<number> {
  const { positionals } = parseCommandArgs(argv, {});
  if (positionals.length !== 1) throw new UserError(`give the run id to resume\n${USAGE}`);
  const id = int("run", positionals[0]) as number;
  const { resumeTraining } = await import("../../trainer/service/train.ts");
  const d = await db();
  return execute((hooks) => resumeTraining(d, id, hooks));
}

async function runsCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { json: { type: "boolean" } });
  noPositionals(positionals);
  const { markDeadRuns } = await import("../../trainer/service/runs.ts");
  const { listTrainingRuns } = await import("../../lib/services/models.ts");
  const d = await db();
  await markDeadRuns(d);
  const runs = await listTrainingRuns(d);
  if (values.json) {
    console.log(JSON.stringify(runs, null, 1));
    return 0;
  }
  if (!runs.length) console.log("no training runs");
  for (const r of runs) {
    console.log(`#${String(r.id).padEnd(4)} ${r.status.padEnd(9)} snapshot #${r.snapshotId} step ${r.step}/${r.steps} loss ${r.loss === null ? "-" : r.loss.toFixed(4)} ${r.candidateVersion ?? ""} ${r.errorCode ? `[${r.errorCode}] ${r.errorMessage ?? ""}` : r.stage}`);
  }
  return 0;
}

async function snapshotDirOf(values: { snapshot?: string; "snapshot-dir"?: string }): Promise<{ dir: string; manifest: import("../../trainer/snapshot/manifest.ts").SnapshotManifest }> {
  const { openSnapshot, verifySnapshot } = await import("../../trainer/snapshot/index.ts");
  if ((values.snapshot === undefined) === (values["snapshot-dir"] === undefined)) throw new UserError(`give either --snapshot ID or --snapshot-dir DIR\n${USAGE}`);
  if (values.snapshot !== undefined) {
    const id = int("snapshot", values.snapshot) as number;
    const d = await db();
    return userErrors(() => openSnapshot(d, id));
  }
  const dir = values["snapshot-dir"] as string;
  return { dir, manifest: await userErrors(() => verifySnapshot(dir)) };
}

async function evalCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    snapshot: { type: "string" }, "snapshot-dir": { type: "string" }, "model-dir": { type: "string" }, version: { type: "string" }, split: { type: "string" }, out: { type: "string" },
  });
  noPositionals(positionals);
  if ((values["model-dir"] === undefined) === (values.version === undefined)) throw new UserError(`give either --model-dir DIR or --version NAME\n${USAGE}`);
  const split = values.split ?? "test";
  if (!["train", "val", "test"].includes(split)) throw new UserError(`--split must be train, val or test, got '${split}'`);
  const snap = await snapshotDirOf(values);
  const { snapshotRefs } = await import("../../trainer/snapshot/index.ts");
  const refs = snapshotRefs(snap.dir, snap.manifest, [split as "test"]).map((r) => ({ ...r, source: r.source }));
  if (!refs.length) throw new UserError(`the snapshot has no ${split} examples`);
  const { evaluateModel } = await import("../../trainer/eval/evaluate.ts");
  let runtime: import("../../inference/runtime.ts").ModelRuntime | undefined;
  if (values.version) {
    const { getModelVersion } = await import("../../lib/services/models.ts");
    const { runtimeForVersion } = await import("../../trainer/registry/index.ts");
    const d = await db();
    const v = await userErrors(() => getModelVersion(d, values.version as string));
    runtime = await userErrors(() => runtimeForVersion(v));
  }
  const bar = progressBar("evaluate", refs.length);
  try {
    const r = await userErrors(() => evaluateModel({ ...(runtime ? { runtime } : { modelDir: values["model-dir"] as string }), refs, onProgress: () => bar.tick() }));
    bar.stop();
    const o = r.overall;
    console.log(`${r.engine} on ${o.examples} ${split} examples (${path.basename(path.resolve(snap.dir))}): point F1 ${o.f1.toFixed(4)} (P ${o.precision.toFixed(4)} R ${o.recall.toFixed(4)}; ceiling ${o.ceilingF1.toFixed(4)} = the ground truth's own F1; own-object masks ${o.f1PerObject.toFixed(4)}), point HOTA ${o.HOTA.toFixed(4)}, count accuracy ${o.countAccuracy.toFixed(4)}, close accuracy ${o.closeAccuracy.toFixed(4)}; ${(r.seconds / o.examples).toFixed(3)} s per example`);
    for (const [src, s] of Object.entries(r.bySource)) if (Object.keys(r.bySource).length > 1) console.log(`  ${src}: ${s.examples} examples, F1 ${s.f1.toFixed(4)}, HOTA ${s.HOTA.toFixed(4)}`);
    if (values.out) writeFileSync(values.out, JSON.stringify({ ...r, split, snapshot: snap.manifest.contentHash, benchmarkHash: snap.manifest.benchmark.hash }, null, 1) + "\n");
    return 0;
  } finally {
    bar.stop();
    await runtime?.close();
  }
}

async function defaultCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { ...SNAPSHOT_OPTIONS, ...RUN_OPTIONS, snapshot: { type: "string" } });
  noPositionals(positionals);
  if (values.snapshot !== undefined) throw new UserError("train default builds its own snapshot; use train run --snapshot ID for an existing one");
  // The model owner's recipe (npm run train:default), imported so the two never drift apart.
  const { DEFAULT_DATASET: d0, DEFAULT_TINY, DEFAULT_TRAIN: t0 } = await import("../../trainer/model/default-run.ts");
  const s = await buildSnapshotFrom(
    { ...values, "no-register": false, frames: values.frames ?? String(d0.frames), width: values.width ?? String(d0.width), height: values.height ?? String(d0.height), fps: values.fps ?? String(d0.fps) },
    { videos: d0.videos, seed: d0.seed, testVideos: d0.testVideos, valVideos: d0.valVideos },
  );
  console.error(`snapshot #${s.id}: ${describeCounts(s.counts)}`);
  const given = runParams(values, { steps: t0.steps });
  const params = {
    tiny: DEFAULT_TINY as Record<string, unknown>,
    ...given,
    batchSize: given.batchSize ?? t0.batchSize, lr: given.lr ?? t0.lr, seed: given.seed ?? t0.seed, processes: given.processes ?? t0.processes ?? 1,
    warmupSteps: t0.warmupSteps, minLrRatio: t0.minLrRatio,
    ...(t0.pointBuckets ? { pointBuckets: t0.pointBuckets } : {}), ...(t0.frameMix ? { frameMix: true } : {}),
  };
  const { createTrainingRun, executeRun } = await import("../../trainer/service/train.ts");
  const d = await db();
  const id = await userErrors(() => createTrainingRun(d, s.id as number, params as import("../../trainer/service/train.ts").TrainingParams));
  console.error(`training run #${id}`);
  return execute((hooks) => executeRun(d, id, "start", hooks));
}

async function exportMolmo2Cmd(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { snapshot: { type: "string" }, "snapshot-dir": { type: "string" }, out: { type: "string" } });
  noPositionals(positionals);
  if (!values.out) throw new UserError(`--out is required\n${USAGE}`);
  const snap = await snapshotDirOf(values);
  const synth = snap.manifest.sources.synth;
  if (!synth) throw new UserError("the snapshot has no synthetic part to export (the molmo2 layout needs per-frame masks, which only synthetic examples carry)");
  const { exportForMolmo2 } = await import("../../trainer/export/molmo2.ts");
  const r = await userErrors(() => exportForMolmo2(path.join(snap.dir, synth.dir), values.out as string));
  const tasks = snap.manifest.examples.filter((e) => e.source === "task").length;
  console.log(`wrote ${r.videos} videos and ${Object.entries(r.rows).map(([s, n]) => `${n} ${s}`).join(" / ")} examples to ${values.out} (see ${r.readme})${tasks ? `; ${tasks} task examples without masks are not part of this layout` : ""}`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  try {
    return await runSubcommand(argv, { "snapshot": snapshotCmd, "run": runCmd, "resume": resumeCmd, "runs": runsCmd, "eval": evalCmd, "default": defaultCmd, "export-molmo2": exportMolmo2Cmd }, USAGE);
  } finally {
    const { getDb } = await import("../../lib/db/index.ts");
    await getDb().$disconnect();
  }
}
