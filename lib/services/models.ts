// Model registry as the app and the CLI see it: model versions (built-in contract model dirs and external models
// served elsewhere), at most one promoted version, training runs with their curves, dataset snapshots.
// The promoted version is also written to a small pointer file (models/versions/promoted.json) so every process
// that serves the built-in model (web worker, CLI, separate workers) follows it without a database connection.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { Db } from "../db";
import { hasRole, type Actor } from "../auth/roles";
import { audit } from "./audit";
import { badRequest, conflict, forbidden, notFound } from "./errors";

export const MODEL_KINDS = ["built-in", "external"] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];
export const MODEL_STATUSES = ["candidate", "promoted", "retired", "rejected"] as const;
export type ModelStatus = (typeof MODEL_STATUSES)[number];
export const RUN_STATUSES = ["queued", "running", "succeeded", "failed", "killed"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A version name is also a directory name under models/versions/. */
export const versionName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: "version: 1-64 characters from A-Z a-z 0-9 . _ - (starting with a letter or digit)" });

export const externalModelBody = z
  .object({
    version: versionName,
    endpoint: z.url({ error: "endpoint: expected an http(s) URL, e.g. http://127.0.0.1:8000/v1" }).refine((u) => /^https?:\/\//.test(u), { error: "endpoint: expected an http(s) URL" }),
    model: z.string().trim().min(1, { error: "model: the served model name is required" }).max(300),
    description: z.string().max(2000).default(""),
  })
  .strict();
export type ExternalModelBody = z.input<typeof externalModelBody>;

// ---------------------------------------------------------------------------------------------------------------
// Files: where versions live and the promoted pointer.

/** Root of the model files (env GROUNDTRACK_MODELS_DIR, default <cwd>/models). */
export function modelsRoot(): string {
  return path.resolve(process.env.GROUNDTRACK_MODELS_DIR ?? path.join(process.cwd(), "models"));
}
/** Directory of a built-in version's contract model. */
export const versionDir = (version: string) => path.join(modelsRoot(), "versions", version);
export const promotedPointerFile = () => path.join(modelsRoot(), "versions", "promoted.json");

export const promotedPointer = z.object({
  format: z.literal("groundtrack-promoted/1"),
  version: z.string(),
  kind: z.enum(MODEL_KINDS),
  dir: z.string().nullable(),
  endpoint: z.string().nullable(),
  model: z.string().nullable(),
  promotedAt: z.string(),
});
export type PromotedPointer = z.infer<typeof promotedPointer>;

/** The promoted version as recorded on disk, or null (none promoted, or no readable pointer). */
export function readPromotedPointer(file: string = promotedPointerFile()): PromotedPointer | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return null;
  }
  try {
    const r = promotedPointer.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

function writePromotedPointer(p: PromotedPointer | null, file: string = promotedPointerFile()): void {
  if (!p) {
    rmSync(file, { force: true });
    return;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  // Atomic replace: a reader sees the old or the new pointer, never half of one.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(p, null, 1) + "\n");
  renameSync(tmp, file);
}

// ---------------------------------------------------------------------------------------------------------------
// Views

export interface ModelVersionView {
  id: number;
  version: string;
  kind: ModelKind;
  status: ModelStatus;
  dir: string | null;
  endpoint: string | null;
  remoteModel: string | null;
  description: string;
  snapshotId: number | null;
  benchmarkHash: string | null;
  metrics: Record<string, unknown>;
  comparison: Record<string, unknown>;
  trainingRunId: number | null;
  createdAt: string;
  promotedAt: string | null;
  retiredAt: string | null;
}

function jsonObject(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

type VersionRow = Awaited<ReturnType<Db["modelVersion"]["findFirstOrThrow"]>> & { trainingRun?: { id: number } | null };

function toView(r: VersionRow): ModelVersionView {
  return {
    id: r.id,
    version: r.version,
    kind: r.kind as ModelKind,
    status: r.status as ModelStatus,
    dir: r.dir,
    endpoint: r.endpoint,
    remoteModel: r.remoteModel,
    description: r.description,
    snapshotId: r.snapshotId,
    benchmarkHash: r.benchmarkHash,
    metrics: jsonObject(r.metrics),
    comparison: jsonObject(r.comparison),
    trainingRunId: r.trainingRun?.id ?? null,
    createdAt: r.createdAt.toISOString(),
    promotedAt: r.promotedAt?.toISOString() ?? null,
    retiredAt: r.retiredAt?.toISOString() ?? null,
  };
}

const withRun = { trainingRun: { select: { id: true } } } as const;

export async function listModelVersions(db: Db): Promise<ModelVersionView[]> {
  const rows = await db.modelVersion.findMany({ include: withRun, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
  return rows.map(toView);
}

export async function getModelVersion(db: Db, version: string): Promise<ModelVersionView> {
  const r = await db.modelVersion.findUnique({ where: { version }, include: withRun });
  if (!r) throw notFound(`model version '${version}'`);
  return toView(r);
}

/** The version the inference service uses by default, or null (then the model installed in models/builtin serves). */
export async function promotedVersion(db: Db): Promise<ModelVersionView | null> {
  const r = await db.modelVersion.findFirst({ where: { status: "promoted" }, include: withRun, orderBy: { promotedAt: "desc" } });
  return r ? toView(r) : null;
}

/** Statuses a query may name: candidates (to try them) and the promoted version; retired/rejected ones are not served. */
export const QUERYABLE_STATUSES: readonly ModelStatus[] = ["candidate", "promoted"];

/**
 * The version a query names, checked for use: unknown → 400 listing the usable ones, retired/rejected → 400 saying
 * its status (a 400, not a 404: the version is a field of the request, not the resource asked for).
 */
export async function queryableVersion(db: Db, version: string): Promise<ModelVersionView> {
  const r = await db.modelVersion.findUnique({ where: { version }, include: withRun });
  if (!r) {
    const usable = (await listQueryableVersions(db)).map((v) => v.version);
    throw badRequest(`modelVersion: model version '${version}' is not registered${usable.length ? ` (usable: ${usable.join(", ")})` : " (no versions are registered)"}`);
  }
  const v = toView(r);
  if (!QUERYABLE_STATUSES.includes(v.status)) throw badRequest(`modelVersion: model version '${version}' is ${v.status}; only candidate or promoted versions can be queried`);
  return v;
}

/** Versions a query may name, the promoted one first, then the newest candidates. */
export async function listQueryableVersions(db: Db): Promise<ModelVersionView[]> {
  const all = await listModelVersions(db);
  const usable = all.filter((v) => QUERYABLE_STATUSES.includes(v.status));
  return [...usable.filter((v) => v.status === "promoted"), ...usable.filter((v) => v.status !== "promoted")];
}

function requireAdmin(actor: Actor | null, what: string): void {
  if (actor && !hasRole(actor, ["admin"])) throw forbidden(`only admins ${what}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Registration

export interface BuiltinVersionInput {
  version: string;
  dir: string;
  snapshotId: number | null;
  benchmarkHash: string | null;
  metrics: Record<string, unknown>;
  description?: string;
}

/** Registers a built-in (contract) model directory as a candidate. */
export async function registerBuiltinVersion(db: Db, actor: Actor | null, input: BuiltinVersionInput): Promise<ModelVersionView> {
  requireAdmin(actor, "register model versions");
  const name = versionName.safeParse(input.version);
  if (!name.success) throw badRequest(name.error.issues[0].message);
  if (await db.modelVersion.findUnique({ where: { version: input.version } })) throw conflict(`model version '${input.version}' already exists`);
  const r = await db.modelVersion.create({
    data: {
      version: input.version, kind: "built-in", status: "candidate", dir: path.resolve(input.dir), snapshotId: input.snapshotId,
      benchmarkHash: input.benchmarkHash, metrics: JSON.stringify(input.metrics), description: input.description ?? "",
    },
    include: withRun,
  });
  await audit(db, actor?.id ?? null, "model.register", "modelVersion", r.id, { version: r.version, kind: r.kind });
  return toView(r);
}

/** Registers a model served elsewhere (OpenAI-compatible Molmo2 server), used through the remote runtime. */
export async function registerExternalVersion(db: Db, actor: Actor | null, body: ExternalModelBody): Promise<ModelVersionView> {
  requireAdmin(actor, "register model versions");
  const p = externalModelBody.safeParse(body);
  if (!p.success) {
    const i = p.error.issues[0];
    throw badRequest(i.message.includes(":") ? i.message : `${i.path.join(".") || "body"}: ${i.message}`);
  }
  const b = p.data;
  if (await db.modelVersion.findUnique({ where: { version: b.version } })) throw conflict(`model version '${b.version}' already exists`);
  const r = await db.modelVersion.create({
    data: { version: b.version, kind: "external", status: "candidate", endpoint: b.endpoint, remoteModel: b.model, description: b.description },
    include: withRun,
  });
  await audit(db, actor?.id ?? null, "model.register", "modelVersion", r.id, { version: r.version, kind: r.kind, endpoint: b.endpoint, model: b.model });
  return toView(r);
}

/** Stores an evaluation of a version (on the frozen split whose hash is given). */
export async function recordVersionMetrics(db: Db, version: string, benchmarkHash: string, metrics: Record<string, unknown>): Promise<ModelVersionView> {
  await getModelVersion(db, version);
  const r = await db.modelVersion.update({ where: { version }, data: { benchmarkHash, metrics: JSON.stringify(metrics) }, include: withRun });
  return toView(r);
}

// ---------------------------------------------------------------------------------------------------------------
// Promotion

/**
 * Makes `version` the promoted one (the previously promoted version becomes retired) and records `comparison`, the
 * evidence for the decision. The pointer file follows. Built-in versions must have their contract dir on disk.
 */
export async function promoteVersion(db: Db, actor: Actor | null, version: string, comparison: Record<string, unknown>): Promise<ModelVersionView> {
  requireAdmin(actor, "promote model versions");
  const v = await getModelVersion(db, version);
  if (v.status === "promoted") return v;
  if (v.status === "rejected" && comparison.manual !== true) throw conflict(`model version '${version}' was rejected; promote it by hand to override`);
  if (v.kind === "built-in") {
    if (!v.dir) throw badRequest(`model version '${version}' has no model directory`);
    try {
      readFileSync(path.join(v.dir, "config.json"));
    } catch {
      throw badRequest(`model version '${version}': ${path.join(v.dir, "config.json")} is missing; its model files are gone`);
    }
  }
  const now = new Date();
  await db.$transaction(async (tx) => {
    await tx.modelVersion.updateMany({ where: { status: "promoted" }, data: { status: "retired", retiredAt: now } });
    await tx.modelVersion.update({ where: { version }, data: { status: "promoted", promotedAt: now, retiredAt: null, comparison: JSON.stringify(comparison) } });
  });
  writePromotedPointer({
    format: "groundtrack-promoted/1", version, kind: v.kind, dir: v.dir, endpoint: v.endpoint, model: v.remoteModel, promotedAt: now.toISOString(),
  });
  await audit(db, actor?.id ?? null, "model.promote", "modelVersion", v.id, { version, comparison });
  return getModelVersion(db, version);
}

/** A candidate that lost its comparison: kept for the record, never served. */
export async function rejectVersion(db: Db, version: string, comparison: Record<string, unknown>): Promise<ModelVersionView> {
  const v = await getModelVersion(db, version);
  if (v.status === "promoted") throw conflict(`model version '${version}' is promoted; retire it instead`);
  await db.modelVersion.update({ where: { version }, data: { status: "rejected", comparison: JSON.stringify(comparison) } });
  await audit(db, null, "model.reject", "modelVersion", v.id, { version, comparison });
  return getModelVersion(db, version);
}

/**
 * Retires a version. Retiring the promoted one leaves nothing promoted: the inference service falls back to the
 * model installed in models/builtin (or $GROUNDTRACK_BUILTIN_MODEL_DIR) until another version is promoted.
 */
export async function retireVersion(db: Db, actor: Actor | null, version: string): Promise<ModelVersionView> {
  requireAdmin(actor, "retire model versions");
  const v = await getModelVersion(db, version);
  if (v.status === "retired") return v;
  await db.modelVersion.update({ where: { version }, data: { status: "retired", retiredAt: new Date() } });
  if (v.status === "promoted") {
    const pointer = readPromotedPointer();
    if (pointer?.version === version) writePromotedPointer(null);
  }
  await audit(db, actor?.id ?? null, "model.retire", "modelVersion", v.id, { version, was: v.status });
  return getModelVersion(db, version);
}

// ---------------------------------------------------------------------------------------------------------------
// Training runs and snapshots (read side, for /models and the CLI)

export interface TrainingRunView {
  id: number;
  status: RunStatus;
  config: Record<string, unknown>;
  snapshotId: number;
  step: number;
  steps: number;
  stage: string;
  loss: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  checkpointDir: string;
  candidateVersion: string | null;
  attempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  heartbeatAt: string | null;
}

type RunRow = Awaited<ReturnType<Db["trainingRun"]["findFirstOrThrow"]>> & { candidateVersion: { version: string } | null };

function runView(r: RunRow): TrainingRunView {
  return {
    id: r.id,
    status: r.status as RunStatus,
    config: jsonObject(r.config),
    snapshotId: r.snapshotId,
    step: r.step,
    steps: r.steps,
    stage: r.stage,
    loss: r.loss,
    errorCode: r.errorCode,
    errorMessage: r.errorMessage,
    checkpointDir: r.checkpointDir,
    candidateVersion: r.candidateVersion?.version ?? null,
    attempts: r.attempts,
    createdAt: r.createdAt.toISOString(),
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
    heartbeatAt: r.heartbeatAt?.toISOString() ?? null,
  };
}

const runInclude = { candidateVersion: { select: { version: true } } } as const;

export async function listTrainingRuns(db: Db, opts: { limit?: number } = {}): Promise<TrainingRunView[]> {
  const rows = await db.trainingRun.findMany({ include: runInclude, orderBy: { id: "desc" }, take: opts.limit ?? 100 });
  return rows.map(runView);
}

export async function getTrainingRun(db: Db, id: number): Promise<TrainingRunView> {
  const r = await db.trainingRun.findUnique({ where: { id }, include: runInclude });
  if (!r) throw notFound(`training run #${id}`);
  return runView(r);
}

/** Curves of a run: per metric name, points sorted by step. */
export async function trainingCurves(db: Db, runId: number): Promise<Record<string, Array<{ step: number; value: number }>>> {
  await getTrainingRun(db, runId);
  const rows = await db.trainingMetric.findMany({ where: { runId }, orderBy: [{ name: "asc" }, { step: "asc" }], select: { name: true, step: true, value: true } });
  const out: Record<string, Array<{ step: number; value: number }>> = {};
  for (const r of rows) (out[r.name] ??= []).push({ step: r.step, value: r.value });
  return out;
}

export interface SnapshotView {
  id: number;
  name: string;
  contentHash: string;
  benchmarkHash: string;
  path: string;
  counts: Record<string, unknown>;
  createdAt: string;
}

export async function listSnapshots(db: Db): Promise<SnapshotView[]> {
  const rows = await db.datasetSnapshot.findMany({ orderBy: { id: "desc" } });
  return rows.map((r) => ({ id: r.id, name: r.name, contentHash: r.contentHash, benchmarkHash: r.benchmarkHash, path: r.path, counts: jsonObject(r.counts), createdAt: r.createdAt.toISOString() }));
}

export async function getSnapshot(db: Db, id: number): Promise<SnapshotView> {
  const r = await db.datasetSnapshot.findUnique({ where: { id } });
  if (!r) throw notFound(`dataset snapshot #${id}`);
  return { id: r.id, name: r.name, contentHash: r.contentHash, benchmarkHash: r.benchmarkHash, path: r.path, counts: jsonObject(r.counts), createdAt: r.createdAt.toISOString() };
}
