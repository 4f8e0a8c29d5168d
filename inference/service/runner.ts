// Runs one claimed query job: per video (in job order, skipping videos an earlier attempt finished), ask the runtime
// for point tracks, optionally turn each object's first point into SAM2 masks, and write the video's results in ONE
// transaction keyed by (prediction set, expression, object key) — a retried job overwrites, never duplicates.
// Progress and partial results go to InferenceJobEvent rows, which the web process relays to socket.io.
import type { Db } from "../../lib/db";
import { metaFromRow } from "../../lib/services/videos";
import { parseJobParams, type QueryJobParams } from "../../lib/services/inference-jobs";
import type { TrackSet } from "../../lib/tracks";
import { RuntimeError, type ModelRuntime, type QueryResult, type RuntimeVideo } from "../runtime";
import type { FrameMasks, MaskEngine, MaskPrompt } from "../sam2/types";
import type { ClaimedJob } from "./queue";

export type EventType = "progress" | "partial" | "done" | "error";

export interface RunnerDeps {
  db: Db;
  runtimeFor(params: QueryJobParams): Promise<ModelRuntime>;
  maskEngineFor(): Promise<MaskEngine>;
  /** Minimum ms between progress/partial events of a job (default 150). */
  eventIntervalMs?: number;
}

export type JobOutcome = { status: "done" } | { status: "failed"; error: string } | { status: "cancelled" };

/** Errors that doom every video of the job (vs. per-video problems such as an unreadable file). */
export const JOB_LEVEL: ReadonlySet<RuntimeError["code"]> = new Set(["model_missing", "model_invalid", "server_unreachable", "timeout"]);

export async function emitEvent(db: Db, jobId: number, type: EventType, payload: unknown): Promise<void> {
  await db.inferenceJobEvent.create({ data: { jobId, type, payload: JSON.stringify(payload) } });
}

function errorText(e: unknown): string {
  if (e instanceof RuntimeError) return `${e.code}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/** Each object's first visible keyframe as a positive click. */
export function maskPrompts(tracks: TrackSet): MaskPrompt[] {
  const out: MaskPrompt[] = [];
  for (const o of tracks.objects) {
    const k = o.keyframes.find((x) => x.state === "visible");
    if (k) out.push({ frame: k.frame, objectId: o.objectId, points: [[k.x, k.y, 1]] });
  }
  return out;
}

export async function runQueryJob(deps: RunnerDeps, job: ClaimedJob, signal: AbortSignal): Promise<JobOutcome> {
  const { db } = deps;
  const interval = deps.eventIntervalMs ?? 150;
  const params = parseJobParams(job.params, job.id);
  const rows = await db.inferenceJobVideo.findMany({ where: { jobId: job.id }, include: { video: true }, orderBy: { ordinal: "asc" } });
  const total = rows.length;
  let lastEmit = 0;
  let pendingThrottled: Promise<void> = Promise.resolve();
  const throttled = (type: "progress" | "partial", payload: unknown, force = false) => {
    const now = Date.now();
    if (!force && now - lastEmit < interval) return;
    lastEmit = now;
    pendingThrottled = pendingThrottled.then(() => emitEvent(db, job.id, type, payload)).catch(() => {});
  };
  const setProgress = async (progress: number, stage: string) => {
    await db.inferenceJob.updateMany({ where: { id: job.id, status: "running" }, data: { progress, stage } });
  };
  const checkCancel = () => {
    if (signal.aborted) throw new RuntimeError("cancelled", "The job was cancelled");
  };

  let runtime: ModelRuntime | null = null;
  let masks: MaskEngine | null = null;
  let okVideos = 0;
  const failures: string[] = [];
  try {
    await emitEvent(db, job.id, "progress", { progress: 0, stage: "starting", attempt: job.attempts, done: 0, total });
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (row.status === "done") {
        okVideos++;
        continue; // an earlier attempt finished this video
      }
      if (row.status === "failed") {
        failures.push(`${row.video.name}: ${row.error ?? "failed"}`);
        continue;
      }
      checkCancel();
      const base = i / total;
      const video: RuntimeVideo = { id: `v${row.videoId}`, path: row.video.storagePath, meta: metaFromRow(row.video) };
      await setProgress(base, `video ${i + 1}/${total}: ${row.video.name}`);
      runtime ??= await deps.runtimeFor(params);
      let result: QueryResult;
      try {
        result = await runtime.query({
          video,
          expression: params.expression,
          signal,
          onProgress: (p) => throttled("progress", { progress: base + (p.total ? p.done / p.total : 0) / total / (params.masks ? 2 : 1), stage: p.stage, videoId: row.videoId, done: i, total }),
          onPartial: (t) => throttled("partial", { videoId: row.videoId, tracks: t }),
        });
      } catch (e) {
        if (e instanceof RuntimeError && (e.code === "cancelled" || JOB_LEVEL.has(e.code))) throw e;
        // A problem of this video only: record it, keep going with the others.
        const error = errorText(e);
        await db.inferenceJobVideo.update({ where: { id: row.id }, data: { status: "failed", error, attempt: job.attempts } });
        await emitEvent(db, job.id, "partial", { videoId: row.videoId, status: "failed", error });
        failures.push(`${row.video.name}: ${error}`);
        continue;
      }
      checkCancel();
      let frameMasks: FrameMasks[] = [];
      let maskEngineName = "";
      const prompts = maskPrompts(result.tracks);
      if (params.masks && prompts.length) {
        masks ??= await deps.maskEngineFor();
        maskEngineName = masks.engine;
        throttled("progress", { progress: base + 0.5 / total, stage: "masks", videoId: row.videoId, done: i, total }, true);
        frameMasks = await masks.propagate({
          video,
          prompts,
          direction: "both",
          startFrame: Math.min(...prompts.map((p) => p.frame)),
          signal,
          onFrame: (f) => throttled("partial", { videoId: row.videoId, masks: f, maskEngine: maskEngineName }),
        });
      }
      checkCancel();
      await storeVideoResult(db, job, row.id, row.videoId, params, result, frameMasks, maskEngineName);
      okVideos++;
      await emitEvent(db, job.id, "partial", { videoId: row.videoId, status: "done", objectCount: result.tracks.objects.length, engine: result.engine, maskEngine: maskEngineName });
      await setProgress((i + 1) / total, `video ${i + 1}/${total} done`);
      throttled("progress", { progress: (i + 1) / total, stage: "video done", videoId: row.videoId, done: i + 1, total }, true);
    }
    await pendingThrottled;
    if (okVideos === 0 && failures.length) return { status: "failed", error: `no video could be queried: ${failures.join("; ")}` };
    return { status: "done" };
  } catch (e) {
    await pendingThrottled;
    if (signal.aborted || (e instanceof RuntimeError && e.code === "cancelled")) return { status: "cancelled" };
    return { status: "failed", error: errorText(e) };
  } finally {
    // Runtimes and mask engines are owned by the worker's cache (reused across jobs); nothing to close here.
  }
}

/** One video's tracks (+ masks) in one transaction, keyed by (set, expression, objectKey): idempotent on retry. */
async function storeVideoResult(db: Db, job: ClaimedJob, jobVideoId: number, videoId: number, params: QueryJobParams, result: QueryResult, frames: FrameMasks[], maskEngine: string): Promise<void> {
  const expressionText = params.expression;
  const setId = job.predictionSetId;
  if (setId === null) throw new Error(`job ${job.id} has no prediction set`);
  const byObject = new Map<string, Record<string, { size: [number, number]; counts: string }>>();
  for (const f of frames) {
    for (const m of f.masks) {
      let rec = byObject.get(m.objectId);
      if (!rec) byObject.set(m.objectId, (rec = {}));
      rec[String(f.frame)] = m.rle;
    }
  }
  // A job naming a registered version keeps the set's `model:<version>` source; otherwise the runtime's own wins.
  const source = params.modelVersion === null ? result.tracks.objects.flatMap((o) => o.keyframes.map((k) => k.source))[0] : undefined;
  await db.$transaction(async (tx) => {
    // The query's expression on this video: reuse an existing one with the same text (so /reports can compare the
    // prediction with human tracks), else create it (without objects: those come with "accept").
    let expr = await tx.expression.findFirst({ where: { videoId, text: expressionText }, orderBy: { id: "asc" } });
    expr ??= await tx.expression.create({ data: { videoId, text: expressionText } });
    const objectKeys: number[] = [];
    for (const [k, o] of result.tracks.objects.entries()) {
      const objectKey = k; // 0, 1, … in the runtime's (object id) order
      objectKeys.push(objectKey);
      const keyframes = JSON.stringify(o.keyframes.map((kf) => ({ frame: kf.frame, x: kf.x, y: kf.y, state: kf.state })));
      const m = byObject.get(o.objectId);
      const masks = m ? JSON.stringify(m) : null;
      const engine = m ? `${result.engine}+${maskEngine}` : result.engine;
      await tx.predictedTrack.upsert({
        where: { predictionSetId_expressionId_objectKey: { predictionSetId: setId, expressionId: expr.id, objectKey } },
        create: { predictionSetId: setId, videoId, expressionId: expr.id, objectKey, keyframes, masks, engine },
        update: { keyframes, masks, engine },
      });
    }
    await tx.predictedTrack.deleteMany({ where: { predictionSetId: setId, expressionId: expr.id, objectKey: { notIn: objectKeys } } });
    await tx.inferenceJobVideo.update({
      where: { id: jobVideoId },
      data: { status: "done", error: null, expressionId: expr.id, engine: result.engine, maskEngine, sampledFrames: JSON.stringify(result.sampledFrames), rawOutput: result.rawOutput, objectCount: result.tracks.objects.length, attempt: job.attempts },
    });
    await tx.predictionSet.update({ where: { id: setId }, data: { engine: result.engine, ...(source ? { source } : {}) } });
  });
}
