// The training service: one TrainingRun from a verified snapshot to a (maybe) promoted model version.
//   verify snapshot → load train examples (trainer/data) → trainTiny with checkpoints (curves → TrainingMetric,
//   progress → train:progress events) → export to a contract model dir (models/versions/<version>/) → register a
//   candidate ModelVersion → evaluate on the frozen benchmark split → promote only if it beats the promoted version.
// Any failure (corrupt snapshot, NaN loss, export error, …) ends the run `failed` with a code and message; nothing is
// promoted and the promoted version keeps serving. An interrupted run (signal) ends `killed` after writing a
// checkpoint; a run whose process died (kill -9) is marked `killed` on the next start; both resume from the last
// checkpoint with `resumeTraining`.
import { existsSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { Db } from "../../lib/db";
import { getModelVersion, modelsRoot, registerBuiltinVersion, versionDir, versionName } from "../../lib/services/models";
import { DataError, loadExamples, withSynthObjects } from "../data/examples";
import { initJax } from "../ml/runtime";
import { buildVocab, parseTinyConfig, TinyConfigSchema } from "../model/config";
import { exportBuiltinModel, ExportError } from "../model/export-onnx";
import { trainTiny, TrainingError, type TrainProgress } from "../model/train";
import { comparePromote, RegistryError, type PromotionDecision } from "../registry";
import { EvalError } from "../eval/evaluate";
import { singleFrameExamples } from "../data/frame-examples";
import { BENCHMARK_SPLIT, openSnapshot, SnapshotError, snapshotRefs } from "../snapshot";
import { claimRun, finishRun, heartbeat, HEARTBEAT_EVERY_MS, markDeadRuns, recordMetrics, RunStateError } from "./runs";

/** Everything a run needs, stored as TrainingRun.config (a resume uses exactly these). */
export const TrainingParamsSchema = z
  .object({
    tiny: TinyConfigSchema.default(TinyConfigSchema.parse({})),
    steps: z.number().int().positive(),
    batchSize: z.number().int().positive().default(4),
    lr: z.number().positive().default(3e-3),
    seed: z.number().int().min(0).default(0),
    checkpointEvery: z.number().int().min(0).default(50),
    /** Learning-rate schedule (trainTiny defaults when omitted): linear warm-up, cosine decay to lr·minLrRatio. */
    warmupSteps: z.number().int().min(0).optional(),
    minLrRatio: z.number().min(0).max(1).optional(),
    /** Batch shapes by point count (trainTiny `pointBuckets`); rows per video of shared-video batches. */
    pointBuckets: z.array(z.number().int().positive()).max(16).optional(),
    queriesPerVideo: z.number().int().positive().optional(),
    /** Data-parallel training processes (trainTiny `processes`; must divide batchSize). */
    processes: z.number().int().min(1).max(16).default(1),
    /** Also train on every sampled frame as a one-frame pointing example (trainer/data/frame-examples). */
    frameMix: z.boolean().default(false),
    /** Version name of the candidate (default tiny-run<id>). */
    version: versionName.optional(),
    /** Splits trained on (default train). */
    trainSplits: z.array(z.enum(["train", "val"])).default(["train"]),
  })
  .strict();
export type TrainingParams = z.input<typeof TrainingParamsSchema>;

export type TrainingErrorCode = "corrupt_snapshot" | "missing_frames" | "bad_input" | "nan_loss" | "checkpoint_mismatch" | "worker_failed" | "export_failed" | "evaluation_failed" | "killed" | "error";

/** What the live layer and CLI are told while a run progresses. */
export interface TrainProgressEvent {
  runId: number;
  status: "running" | "succeeded" | "failed" | "killed";
  stage: string;
  step: number;
  steps: number;
  loss: number | null;
  /** Stage progress for loading / evaluating (done of total). */
  done?: number;
  total?: number;
  examplesPerSec?: number;
  errorCode?: string;
  message?: string;
}

export interface RunHooks {
  signal?: AbortSignal;
  onEvent?: (e: TrainProgressEvent) => void;
  log?: (msg: string) => void;
  /** Decoded-frame cache (default <models>/runs/frame-cache). */
  cacheDir?: string;
}

export interface RunOutcome {
  runId: number;
  status: "succeeded" | "failed" | "killed";
  errorCode?: TrainingErrorCode;
  message?: string;
  version?: string;
  promotion?: PromotionDecision;
}

export class TrainingServiceError extends Error {
  override name = "TrainingServiceError";
}

export const runDir = (runId: number) => path.join(modelsRoot(), "runs", `run-${runId}`);

/** Validates parameters and creates a queued run for a registered snapshot. */
export async function createTrainingRun(db: Db, snapshotId: number, input: TrainingParams): Promise<number> {
  const p = TrainingParamsSchema.safeParse(input);
  if (!p.success) {
    const i = p.error.issues[0];
    throw new TrainingServiceError(`training parameter ${i.path.join(".") || "(root)"}: ${i.message}`);
  }
  if (!(await db.datasetSnapshot.findUnique({ where: { id: snapshotId } }))) throw new TrainingServiceError(`dataset snapshot #${snapshotId} does not exist`);
  if (p.data.version && (await db.modelVersion.findUnique({ where: { version: p.data.version } }))) throw new TrainingServiceError(`model version '${p.data.version}' already exists; choose another --version`);
  const run = await db.trainingRun.create({ data: { snapshotId, config: JSON.stringify(p.data), steps: p.data.steps, checkpointDir: "" } });
  await db.trainingRun.update({ where: { id: run.id }, data: { checkpointDir: runDir(run.id) } });
  return run.id;
}

function classify(e: unknown, aborted: boolean): { code: TrainingErrorCode; message: string } {
  const message = e instanceof Error ? e.message : String(e);
  if (e instanceof TrainingError) return { code: e.code === "cancelled" ? "killed" : e.code, message };
  if (aborted) return { code: "killed", message };
  if (e instanceof SnapshotError) return { code: e.code === "missing_frames" ? "missing_frames" : "corrupt_snapshot", message };
  if (e instanceof DataError) return { code: e.code === "missing_frames" ? "missing_frames" : e.code === "cancelled" ? "killed" : "bad_input", message };
  if (e instanceof ExportError) return { code: "export_failed", message };
  if (e instanceof EvalError || e instanceof RegistryError) return { code: "evaluation_failed", message };
  return { code: "error", message };
}

/** Creates and runs a training run to the end (see the module comment). */
export async function runTraining(db: Db, snapshotId: number, params: TrainingParams, hooks: RunHooks = {}): Promise<RunOutcome> {
  const id = await createTrainingRun(db, snapshotId, params);
  return executeRun(db, id, "start", hooks);
}

/** Continues a killed (or failed) run from its last checkpoint. */
export async function resumeTraining(db: Db, runId: number, hooks: RunHooks = {}): Promise<RunOutcome> {
  await markDeadRuns(db);
  return executeRun(db, runId, "resume", hooks);
}

export async function executeRun(db: Db, runId: number, mode: "start" | "resume", hooks: RunHooks = {}): Promise<RunOutcome> {
  await markDeadRuns(db);
  try {
    await claimRun(db, runId, mode);
  } catch (e) {
    if (e instanceof RunStateError) throw new TrainingServiceError(e.message);
    throw e;
  }
  const row = await db.trainingRun.findUniqueOrThrow({ where: { id: runId } });
  const params = TrainingParamsSchema.parse(JSON.parse(row.config));
  const tiny = parseTinyConfig(params.tiny, `training run #${runId} config.tiny`);
  const version = params.version ?? `tiny-run${runId}`;
  const log = hooks.log ?? (() => {});
  const signal = hooks.signal ?? new AbortController().signal;
  let step = row.step;
  let loss: number | null = row.loss;
  let stage = "starting";
  const emit = (e: Partial<TrainProgressEvent> = {}) => hooks.onEvent?.({ runId, status: "running", stage, step, steps: params.steps, loss, ...e });
  const setStage = async (s: string) => {
    stage = s;
    log(`run #${runId}: ${s}`);
    await heartbeat(db, runId, { stage: s });
    emit();
  };
  // Heartbeat: other processes see this run alive; curve points are flushed with it (a few DB writes per second max).
  let pending: Array<{ step: number; values: Record<string, number> }> = [];
  let flushing: Promise<void> = Promise.resolve();
  const flush = () => {
    const batch = pending;
    pending = [];
    flushing = flushing.then(async () => {
      for (const m of batch) await recordMetrics(db, runId, m.step, m.values);
      await heartbeat(db, runId, { step, loss });
    });
    return flushing;
  };
  const timer = setInterval(() => void flush().catch(() => {}), HEARTBEAT_EVERY_MS);
  timer.unref();
  try {
    await setStage("verifying snapshot");
    const snap = await openSnapshot(db, row.snapshotId, { onFile: (done, total) => emit({ done, total }) });
    const trainRefs = snapshotRefs(snap.dir, snap.manifest, params.trainSplits);
    if (trainRefs.length === 0) throw new DataError("malformed_annotation", `snapshot #${row.snapshotId} has no ${params.trainSplits.join("/")} examples`);
    const benchRefs = snapshotRefs(snap.dir, snap.manifest, [BENCHMARK_SPLIT]);

    await setStage("loading examples");
    await initJax({ quiet: true });
    const vocab = buildVocab(tiny);
    // The semantic loss needs the synthetic objects' attributes (the snapshot's copy of the synth manifest).
    const synth = snap.manifest.sources.synth;
    const refs = tiny.semAux > 0 && synth ? await withSynthObjects(trainRefs, path.join(snap.dir, synth.dir)) : trainRefs;
    const examples = await loadExamples(refs, tiny, { vocab, signal, cacheDir: hooks.cacheDir ?? path.join(modelsRoot(), "runs", "frame-cache"), onProgress: (done, total) => emit({ done, total }) });

    await setStage(mode === "resume" ? "training (resumed)" : "training");
    const weightsDir = path.join(runDir(runId), "weights");
    const result = await trainTiny({
      examples: params.frameMix ? [...examples, ...singleFrameExamples(examples, tiny)] : examples, config: tiny, vocab, steps: params.steps, batchSize: params.batchSize, lr: params.lr, seed: params.seed,
      ...(params.warmupSteps === undefined ? {} : { warmupSteps: params.warmupSteps }),
      ...(params.minLrRatio === undefined ? {} : { minLrRatio: params.minLrRatio }),
      ...(params.pointBuckets === undefined ? {} : { pointBuckets: params.pointBuckets }),
      ...(params.queriesPerVideo === undefined ? {} : { queriesPerVideo: params.queriesPerVideo }),
      processes: params.processes,
      checkpointDir: runDir(runId), checkpointEvery: params.checkpointEvery, resume: mode === "resume", outDir: weightsDir, signal,
      onProgress: (p: TrainProgress) => {
        step = p.step;
        loss = p.loss;
        pending.push({ step: p.step, values: { loss: p.loss, loss_patch: p.lossParts.patch, loss_subpatch: p.lossParts.subpatch, loss_location: p.lossParts.location, loss_id: p.lossParts.id, ...(p.lossParts.bind === undefined ? {} : { loss_bind: p.lossParts.bind }), ...(p.lossParts.sem === undefined ? {} : { loss_sem: p.lossParts.sem }), lr: p.lr, ...(p.examplesPerSec > 0 ? { examples_per_sec: p.examplesPerSec } : {}) } });
        emit({ examplesPerSec: p.examplesPerSec });
      },
    });
    await flush();
    log(`run #${runId}: trained ${result.steps} steps, final loss ${result.finalLoss.toFixed(4)}`);

    await setStage("exporting");
    const exported = await exportBuiltinModel(weightsDir, versionDir(version), { version });
    await setStage("registering");
    let candidate;
    try {
      candidate = await getModelVersion(db, version);
      // Only a resumed run may find its own candidate already registered.
      const owner = await db.trainingRun.findFirst({ where: { candidateVersionId: candidate.id }, select: { id: true } });
      if (owner?.id !== runId) throw new TrainingServiceError(`model version '${version}' already exists and belongs to another run`);
    } catch (e) {
      if ((e as Error).name !== "ServiceError") throw e;
      candidate = await registerBuiltinVersion(db, null, {
        version, dir: exported.outDir, snapshotId: row.snapshotId, benchmarkHash: null, metrics: {},
        description: `trained by run #${runId}: ${params.steps} steps, batch ${params.batchSize}, lr ${params.lr}, seed ${params.seed}, final loss ${result.finalLoss.toFixed(4)}`,
      });
      await db.trainingRun.update({ where: { id: runId }, data: { candidateVersionId: candidate.id } });
    }

    await setStage("evaluating");
    let promotion: PromotionDecision | undefined;
    if (candidate.status === "candidate") {
      promotion = await comparePromote(db, version, benchRefs, snap.manifest.benchmark.hash, { signal, onProgress: (done, total) => emit({ done, total }) });
      const cm = (promotion.comparison.candidate ?? {}) as { f1?: number; HOTA?: number };
      const values: Record<string, number> = {};
      if (typeof cm.f1 === "number") values.val_f1 = cm.f1;
      if (typeof cm.HOTA === "number") values.val_hota = cm.HOTA;
      await recordMetrics(db, runId, params.steps, values);
      log(`run #${runId}: ${promotion.decision} (${String(promotion.comparison.reason)})`);
    }
    await finishRun(db, runId, "succeeded", { stage: promotion?.decision ?? "done" });
    emit({ status: "succeeded", stage: promotion?.decision ?? "done" });
    return { runId, status: "succeeded", version, ...(promotion ? { promotion } : {}) };
  } catch (e) {
    await flush().catch(() => {});
    const { code, message } = classify(e, signal.aborted);
    const status = code === "killed" ? "killed" : "failed";
    const hint = status === "killed" ? ` (resume with: groundtrack train resume ${runId})` : "";
    await finishRun(db, runId, status, { errorCode: code, errorMessage: message + hint, stage });
    emit({ status, errorCode: code, message: message + hint });
    log(`run #${runId}: ${status} (${code}): ${message}`);
    return { runId, status, errorCode: code, message: message + hint };
  } finally {
    clearInterval(timer);
  }
}

/** The run directory exists and holds a checkpoint (what resume continues from). */
export function hasCheckpoint(runId: number): boolean {
  return existsSync(path.join(runDir(runId), "checkpoint.safetensors"));
}
