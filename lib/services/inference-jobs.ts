// Model query jobs as the web app sees them: create ("where are <expression> in these videos?"), inspect, cancel,
// read results (tracks + masks per video, videos ranked by how many objects matched), accept results into TrackAny
// annotation tasks, export. The workers that run jobs live in inference/service (they share these tables).
import { z } from "zod";
import type { Db } from "../db";
import type { Actor, Role } from "../auth/roles";
import { exportMolmo2, exportTrackAny } from "../formats";
import type { Keyframe, KeyframeSource, PointState, TrackSet } from "../tracks";
import { audit } from "./audit";
import { badRequest, conflict, notFound, ServiceError } from "./errors";
import { queryableVersion } from "./models";
import { createTask, type TaskSummary } from "./tasks";

/** Analysts: who may run model queries and see their results. */
export const ANALYST_ROLES: readonly Role[] = ["reviewer", "admin"];

export const JOB_STATUSES = ["queued", "running", "done", "failed", "cancelled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINISHED: readonly JobStatus[] = ["done", "failed", "cancelled"];

export const remoteParams = z.object({
  endpoint: z.string().url(),
  model: z.string().min(1).max(300),
  timeoutMs: z.number().int().positive().optional(),
  retries: z.number().int().min(0).max(10).optional(),
  maxFrames: z.number().int().positive().max(1024).optional(),
  samplingFps: z.number().positive().max(60).optional(),
}).strict();

/** What a client sends to start a query. */
export const createQueryBody = z.object({
  expression: z.string().trim().min(1).max(500),
  videoIds: z.array(z.number().int().positive()).min(1).max(500).optional(),
  projectId: z.number().int().positive().optional(),
  /** Omitted: built-in, or the runtime the named model version runs on. */
  runtime: z.enum(["built-in", "remote"]).optional(),
  remote: remoteParams.optional(),
  /** A registered model version (built-in or external); the runtime and its model come from the registry. */
  modelVersion: z.string().trim().min(1).max(64).optional(),
  masks: z.boolean().default(false),
}).strict().refine((b) => (b.videoIds === undefined) !== (b.projectId === undefined), { message: "give either videoIds or projectId", path: ["videoIds"] })
  .refine((b) => b.modelVersion === undefined || b.remote === undefined, { message: "give either modelVersion or remote, not both (a registered version brings its own endpoint and model)", path: ["modelVersion"] })
  .refine((b) => b.modelVersion !== undefined || b.runtime !== "remote" || b.remote !== undefined, { message: "the remote runtime needs remote.endpoint and remote.model", path: ["remote"] });
export type CreateQueryBody = z.input<typeof createQueryBody>;

/** Stored job parameters (InferenceJob.params). */
export const queryJobParams = z.object({
  expression: z.string(),
  videoIds: z.array(z.number().int()),
  projectId: z.number().int().nullable(),
  runtime: z.enum(["built-in", "remote"]),
  remote: remoteParams.nullable(),
  /** Registered model version the worker resolves at run time (null: runtime + remote as given). */
  modelVersion: z.string().nullable().default(null),
  masks: z.boolean(),
});
export type QueryJobParams = z.infer<typeof queryJobParams>;

export interface JobVideoView {
  videoId: number;
  name: string;
  status: string;
  error: string | null;
  objectCount: number;
  engine: string;
  maskEngine: string;
}

export interface JobView {
  id: number;
  kind: string;
  status: JobStatus;
  runtime: string;
  /** The registered model version the job runs, or null (the runtime's default model / raw remote params). */
  modelVersion: string | null;
  expression: string;
  masks: boolean;
  progress: number;
  stage: string;
  attempts: number;
  error: string | null;
  predictionSetId: number | null;
  createdBy: string | null;
  createdAt: string;
  finishedAt: string | null;
  videos: JobVideoView[];
}

export function parseJobParams(raw: string, jobId: number): QueryJobParams {
  const r = queryJobParams.safeParse(JSON.parse(raw));
  if (!r.success) throw new ServiceError(500, "internal", `job ${jobId}: stored params are invalid (${r.error.issues[0]?.path.join(".")}: ${r.error.issues[0]?.message})`);
  return r.data;
}

/** Creates a queued query job with its prediction set and one row per video. */
export async function createQueryJob(db: Db, actor: Actor, input: CreateQueryBody): Promise<JobView> {
  const b = createQueryBody.parse(input);
  let videoIds: number[];
  if (b.projectId !== undefined) {
    if (!(await db.project.findUnique({ where: { id: b.projectId } }))) throw badRequest(`projectId: project ${b.projectId} does not exist`);
    videoIds = (await db.video.findMany({ where: { projectId: b.projectId, status: "ready" }, select: { id: true }, orderBy: { id: "asc" } })).map((v) => v.id);
    if (!videoIds.length) throw badRequest(`projectId: project ${b.projectId} has no ready videos`);
  } else {
    videoIds = [...new Set(b.videoIds!)];
    const found = await db.video.findMany({ where: { id: { in: videoIds } }, select: { id: true, status: true } });
    const missing = videoIds.filter((id) => !found.some((v) => v.id === id));
    if (missing.length) throw badRequest(`videoIds: video ${missing.join(", ")} does not exist`);
    const notReady = found.filter((v) => v.status !== "ready");
    if (notReady.length) throw badRequest(`videoIds: video ${notReady.map((v) => v.id).join(", ")} is not ready`);
  }
  let runtime = b.runtime ?? "built-in";
  let source = runtime === "remote" ? `model:${b.remote!.model}` : "model:built-in";
  if (b.modelVersion !== undefined) {
    const v = await queryableVersion(db, b.modelVersion);
    const kind = v.kind === "external" ? "remote" : "built-in";
    if (b.runtime !== undefined && b.runtime !== kind) throw badRequest(`runtime: model version '${v.version}' is ${v.kind} and runs on the ${kind} runtime, not ${b.runtime} (leave runtime out)`);
    runtime = kind;
    source = `model:${v.version}`;
  }
  const params: QueryJobParams = { expression: b.expression, videoIds, projectId: b.projectId ?? null, runtime, remote: b.remote ?? null, modelVersion: b.modelVersion ?? null, masks: b.masks };
  const job = await db.$transaction(async (tx) => {
    const set = await tx.predictionSet.create({
      data: { name: `query: ${b.expression}`, source, engine: runtime, createdById: actor.id },
    });
    const j = await tx.inferenceJob.create({
      data: { kind: "query", runtime, params: JSON.stringify(params), predictionSetId: set.id, createdById: actor.id, videos: { create: videoIds.map((videoId, ordinal) => ({ videoId, ordinal })) } },
    });
    await tx.predictionSet.update({ where: { id: set.id }, data: { name: `query #${j.id}: ${b.expression}` } });
    await audit(tx, actor.id, "job.create", "inferenceJob", j.id, { expression: b.expression, videos: videoIds.length, runtime, ...(params.modelVersion ? { modelVersion: params.modelVersion } : {}) });
    return j;
  });
  return getJob(db, job.id);
}

export async function getJob(db: Db, id: number): Promise<JobView> {
  const j = await db.inferenceJob.findUnique({ where: { id }, include: { createdBy: { select: { username: true } }, videos: { include: { video: { select: { name: true } } }, orderBy: { ordinal: "asc" } } } });
  if (!j) throw notFound(`job ${id}`);
  const p = parseJobParams(j.params, j.id);
  return {
    id: j.id, kind: j.kind, status: j.status as JobStatus, runtime: j.runtime, modelVersion: p.modelVersion, expression: p.expression, masks: p.masks, progress: j.progress, stage: j.stage,
    attempts: j.attempts, error: j.error, predictionSetId: j.predictionSetId, createdBy: j.createdBy?.username ?? null, createdAt: j.createdAt.toISOString(),
    finishedAt: j.finishedAt?.toISOString() ?? null,
    videos: j.videos.map((v) => ({ videoId: v.videoId, name: v.video.name, status: v.status, error: v.error, objectCount: v.objectCount, engine: v.engine, maskEngine: v.maskEngine })),
  };
}

export async function listJobs(db: Db, limit = 50): Promise<JobView[]> {
  const rows = await db.inferenceJob.findMany({ select: { id: true }, orderBy: { id: "desc" }, take: Math.min(Math.max(limit, 1), 200) });
  return Promise.all(rows.map((r) => getJob(db, r.id)));
}

/** Queued jobs are cancelled at once; running ones are flagged and the owning worker aborts at its next check. */
export async function cancelJob(db: Db, actor: Actor, id: number): Promise<JobView> {
  const j = await db.inferenceJob.findUnique({ where: { id } });
  if (!j) throw notFound(`job ${id}`);
  if ((FINISHED as readonly string[]).includes(j.status)) throw conflict(`job ${id} is already ${j.status}`);
  const now = new Date();
  const q = await db.inferenceJob.updateMany({ where: { id, status: "queued" }, data: { status: "cancelled", cancelRequested: true, finishedAt: now, stage: "cancelled" } });
  if (q.count === 0) await db.inferenceJob.updateMany({ where: { id, status: "running" }, data: { cancelRequested: true } });
  else await db.inferenceJobEvent.create({ data: { jobId: id, type: "error", payload: JSON.stringify({ status: "cancelled", error: "cancelled" }) } });
  await audit(db, actor.id, "job.cancel", "inferenceJob", id);
  return getJob(db, id);
}

/** Stored keyframe of a PredictedTrack (lib/services/reports format). */
const storedKeyframes = z.array(z.object({ frame: z.number().int(), x: z.number(), y: z.number(), state: z.enum(["visible", "occluded", "outside"]) }));
const storedMasks = z.record(z.string(), z.object({ size: z.tuple([z.number(), z.number()]), counts: z.string() }));

export interface VideoResult {
  videoId: number;
  name: string;
  status: string;
  error: string | null;
  engine: string;
  maskEngine: string;
  expressionId: number | null;
  sampledFrames: number[];
  rawOutput: string;
  /** Tracks with keyframe sources `model:<version>`. */
  tracks: TrackSet;
  /** objectId → frame → COCO RLE. */
  masks: Record<string, Record<string, { size: [number, number]; counts: string }>>;
}

export interface JobResults {
  job: JobView;
  /** Videos ranked by how many objects matched (most first), then by job order. */
  videos: VideoResult[];
}

export async function getJobResults(db: Db, id: number, opts: { withMasks?: boolean; videoId?: number } = {}): Promise<JobResults> {
  const job = await getJob(db, id);
  const j = await db.inferenceJob.findUniqueOrThrow({ where: { id }, include: { predictionSet: true, videos: { include: { video: true }, orderBy: { ordinal: "asc" } } } });
  const source = (j.predictionSet?.source ?? "model:unknown") as KeyframeSource;
  const videos: VideoResult[] = [];
  for (const jv of j.videos) {
    if (opts.videoId !== undefined && jv.videoId !== opts.videoId) continue;
    const v = jv.video;
    const rows = j.predictionSetId !== null && jv.expressionId !== null
      ? await db.predictedTrack.findMany({ where: { predictionSetId: j.predictionSetId, expressionId: jv.expressionId }, orderBy: { objectKey: "asc" } })
      : [];
    const masks: VideoResult["masks"] = {};
    const objects = rows.map((r) => {
      const kfs = storedKeyframes.parse(JSON.parse(r.keyframes));
      if (opts.withMasks !== false && r.masks) masks[String(r.objectKey)] = storedMasks.parse(JSON.parse(r.masks)) as VideoResult["masks"][string];
      return { objectId: String(r.objectKey), keyframes: kfs.map((k): Keyframe => ({ frame: k.frame, x: k.x, y: k.y, state: k.state as PointState, source })) };
    });
    const timestamps = JSON.parse(v.frameTimestamps) as number[];
    const tracks: TrackSet = {
      video: { width: v.width, height: v.height, fps: v.fps, frameCount: v.frameCount, name: v.name, ...(v.isVfr ? { timestamps: timestamps.map((t) => t - timestamps[0]!) } : {}), ...(JSON.parse(v.shotBoundaries).length ? { shotBoundaries: JSON.parse(v.shotBoundaries) as number[] } : {}) },
      expression: job.expression,
      objects,
    };
    videos.push({ videoId: v.id, name: v.name, status: jv.status, error: jv.error, engine: jv.engine, maskEngine: jv.maskEngine, expressionId: jv.expressionId, sampledFrames: JSON.parse(jv.sampledFrames) as number[], rawOutput: jv.rawOutput, tracks, masks });
  }
  const order = new Map(j.videos.map((v, i) => [v.videoId, i]));
  videos.sort((a, b) => b.tracks.objects.length - a.tracks.objects.length || order.get(a.videoId)! - order.get(b.videoId)!);
  return { job, videos };
}

export const acceptBody = z.object({
  videoIds: z.array(z.number().int().positive()).optional(),
  /** Only these object keys (default: all). */
  objectKeys: z.array(z.number().int().min(0)).optional(),
  priority: z.number().int().default(0),
}).strict();

/**
 * Turns a finished job's tracks into TrackAny annotation work: per video, the query's expression gets one tracked
 * object per predicted object, whose model keyframes are written as `model:<version>` observations, and a task
 * seeded at the object's first visible keyframe (through the tasks service). Objects already accepted are skipped.
 */
export async function acceptJobResults(db: Db, actor: Actor, id: number, input: z.input<typeof acceptBody>): Promise<{ tasks: TaskSummary[]; skipped: number }> {
  const b = acceptBody.parse(input);
  const res = await getJobResults(db, id, { withMasks: false });
  if (res.job.status !== "done") throw conflict(`job ${id} is ${res.job.status}; only finished jobs can be accepted`);
  const tasks: TaskSummary[] = [];
  let skipped = 0;
  for (const v of res.videos) {
    if (b.videoIds && !b.videoIds.includes(v.videoId)) continue;
    if (v.expressionId === null) continue;
    for (const o of v.tracks.objects) {
      const objectKey = Number(o.objectId);
      if (b.objectKeys && !b.objectKeys.includes(objectKey)) continue;
      const seed = o.keyframes.find((k) => k.state === "visible");
      if (!seed) continue;
      const existing = await db.trackedObject.findUnique({ where: { expressionId_objectKey: { expressionId: v.expressionId, objectKey } }, include: { tasks: { select: { id: true } } } });
      if (existing && existing.tasks.length) {
        skipped++;
        continue;
      }
      await db.$transaction(async (tx) => {
        const obj = await tx.trackedObject.upsert({
          where: { expressionId_objectKey: { expressionId: v.expressionId!, objectKey } },
          create: { expressionId: v.expressionId!, objectKey, label: res.job.expression },
          update: {},
        });
        for (const k of o.keyframes) {
          await tx.observation.upsert({
            where: { objectId_frameIndex: { objectId: obj.id, frameIndex: k.frame } },
            create: { objectId: obj.id, frameIndex: k.frame, x: k.x, y: k.y, state: k.state, source: k.source, authorId: actor.id },
            update: {},
          });
        }
      });
      tasks.push(await createTask(db, actor, { videoId: v.videoId, expressionId: v.expressionId, objectKey, seed: { frame: seed.frame, x: seed.x, y: seed.y }, assigneeId: null, priority: b.priority }));
    }
  }
  await audit(db, actor.id, "job.accept", "inferenceJob", id, { tasks: tasks.length, skipped });
  return { tasks, skipped };
}

export const EXPORT_FORMATS = ["trackany", "molmo2"] as const;
export type JobExportFormat = (typeof EXPORT_FORMATS)[number];

/** One video's result as a TrackAny JSON example or Molmo2 `<tracks>` text (at the frames the model saw). */
export async function exportJobVideo(db: Db, id: number, videoId: number, format: JobExportFormat): Promise<{ fileName: string; contentType: string; body: string }> {
  const res = await getJobResults(db, id, { withMasks: false, videoId });
  const v = res.videos[0];
  if (!v) throw notFound(`video ${videoId} in job ${id}`);
  const base = `job${id}-${v.name.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/\.[^.]*$/, "")}`;
  const frames = v.sampledFrames.length ? v.sampledFrames : undefined;
  try {
    if (format === "trackany") {
      return { fileName: `${base}.trackany.json`, contentType: "application/json", body: exportTrackAny(v.tracks, frames ? { frames } : {}) };
    }
    return { fileName: `${base}.molmo2.txt`, contentType: "text/plain; charset=utf-8", body: exportMolmo2(v.tracks, frames ? { frames, label: res.job.expression } : { label: res.job.expression }) };
  } catch (e) {
    if (e instanceof RangeError) throw badRequest(`cannot export video ${videoId} of job ${id} as ${format}: ${e.message}`);
    throw e;
  }
}
