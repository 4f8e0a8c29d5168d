// Model registry operations that need a model to run: evaluating a registered version on a frozen benchmark split
// (built-in versions through the built-in runtime, external ones through the remote runtime), and the promotion
// rule — a candidate is promoted ONLY if its point F1 on the frozen split beats the currently promoted version's on
// the same split (ties and losses → rejected; the comparison is recorded either way). When the promoted version's
// stored metrics are for another benchmark, it is re-evaluated on this one first, so the two numbers compare.
import { existsSync } from "node:fs";
import path from "node:path";
import type { Db } from "../../lib/db";
import {
  getModelVersion, promoteVersion, promotedVersion, recordVersionMetrics, registerExternalVersion, rejectVersion,
  type ExternalModelBody, type ModelVersionView,
} from "../../lib/services/models";
import type { ModelRuntime } from "../../inference/runtime";
import { createVersionRuntime } from "../../inference/runtimes";
import { evaluateModel, type EvalExample, type EvalReport, type ExampleScore } from "../eval/evaluate";

/** Metric that decides promotion, and the margin a candidate must beat the current version by (float noise). */
export const PRIMARY_METRIC = "f1" as const;
const MARGIN = 1e-9;

export class RegistryError extends Error {
  override name = "RegistryError";
}

/** What is stored in ModelVersion.metrics. */
export interface StoredMetrics {
  benchmarkHash: string;
  engine: string;
  overall: EvalReport["overall"];
  bySource: EvalReport["bySource"];
  perExample: ExampleScore[];
  seconds: number;
  evaluatedAt: string;
}

export function storedMetrics(report: EvalReport, benchmarkHash: string): StoredMetrics {
  return {
    benchmarkHash, engine: report.engine, overall: report.overall, bySource: report.bySource, perExample: report.perExample,
    seconds: report.seconds, evaluatedAt: new Date().toISOString(),
  };
}

/** The model that serves while no version is promoted (the built-in runtime's own default). */
export function defaultFallbackDir(): string {
  return path.resolve(process.env.GROUNDTRACK_BUILTIN_MODEL_DIR ?? path.join("models", "builtin"));
}

/** The runtime that serves a registered version: built-in → its contract dir; external → the remote runtime (the
 * mapping lives in inference/runtimes, shared with query jobs and the query CLI). */
export async function runtimeForVersion(v: ModelVersionView): Promise<ModelRuntime> {
  return createVersionRuntime(v, { log: () => {} });
}

export interface EvalHooks {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, example: ExampleScore) => void;
}

/** Evaluates a registered version on `refs` (the frozen split with hash `benchmarkHash`) and stores the metrics. */
export async function evaluateVersion(db: Db, version: string, refs: readonly EvalExample[], benchmarkHash: string, hooks: EvalHooks = {}): Promise<StoredMetrics> {
  const v = await getModelVersion(db, version);
  const runtime = await runtimeForVersion(v);
  try {
    const report = await evaluateModel({ runtime, refs, ...hooks });
    const m = storedMetrics(report, benchmarkHash);
    await recordVersionMetrics(db, version, benchmarkHash, m as unknown as Record<string, unknown>);
    return m;
  } finally {
    await runtime.close();
  }
}

function metricsOn(v: ModelVersionView, benchmarkHash: string): StoredMetrics | null {
  const m = v.metrics as Partial<StoredMetrics>;
  return v.benchmarkHash === benchmarkHash && m.overall && typeof m.overall.f1 === "number" ? (m as StoredMetrics) : null;
}

export interface PromotionDecision {
  decision: "promoted" | "rejected";
  comparison: Record<string, unknown>;
  candidate: ModelVersionView;
}

function brief(version: string, m: StoredMetrics) {
  const o = m.overall;
  return { version, f1: o.f1, HOTA: o.HOTA, countAccuracy: o.countAccuracy, closeAccuracy: o.closeAccuracy, examples: o.examples, engine: m.engine };
}

/**
 * Decides whether `candidate` replaces the promoted version. The candidate is evaluated on `refs` unless it already
 * has metrics for `benchmarkHash`; so is the promoted version. Promoted only if candidate F1 > current F1. With no
 * version promoted, the candidate must beat the fallback model that serves meanwhile (`fallbackModelDir`, default
 * $GROUNDTRACK_BUILTIN_MODEL_DIR or models/builtin; null = none).
 */
export async function comparePromote(
  db: Db,
  candidateVersion: string,
  refs: readonly EvalExample[],
  benchmarkHash: string,
  hooks: EvalHooks = {},
  opts: { fallbackModelDir?: string | null } = {},
): Promise<PromotionDecision> {
  let candidate = await getModelVersion(db, candidateVersion);
  if (candidate.status === "promoted") throw new RegistryError(`model version '${candidateVersion}' is already promoted`);
  const cm = metricsOn(candidate, benchmarkHash) ?? (await evaluateVersion(db, candidateVersion, refs, benchmarkHash, hooks));
  const current = await promotedVersion(db);
  const decidedAt = new Date().toISOString();
  let km: StoredMetrics;
  let currentName: string;
  if (current) {
    km = metricsOn(current, benchmarkHash) ?? (await evaluateVersion(db, current.version, refs, benchmarkHash, hooks));
    currentName = current.version;
  } else {
    // Nothing promoted: the model serving now is the unregistered fallback (models/builtin — the committed default weights or the demo model — or $GROUNDTRACK_BUILTIN_MODEL_DIR).
    const fallback = opts.fallbackModelDir === undefined ? defaultFallbackDir() : opts.fallbackModelDir;
    if (!fallback || !existsSync(path.join(fallback, "config.json"))) {
      const comparison = { primary: PRIMARY_METRIC, benchmarkHash, candidate: brief(candidateVersion, cm), current: null, decision: "promoted", reason: "no version was promoted and no fallback model is installed", decidedAt };
      candidate = await promoteVersion(db, null, candidateVersion, comparison);
      return { decision: "promoted", comparison, candidate };
    }
    const report = await evaluateModel({ modelDir: fallback, refs, ...hooks });
    km = storedMetrics(report, benchmarkHash);
    currentName = `fallback ${report.engine} (${fallback})`;
  }
  const better = cm.overall.f1 > km.overall.f1 + MARGIN;
  const comparison = {
    primary: PRIMARY_METRIC, benchmarkHash, candidate: brief(candidateVersion, cm), current: brief(currentName, km),
    decision: better ? "promoted" : "rejected",
    reason: better
      ? `point F1 ${cm.overall.f1.toFixed(4)} > ${km.overall.f1.toFixed(4)} of ${currentName}`
      : `point F1 ${cm.overall.f1.toFixed(4)} does not beat ${km.overall.f1.toFixed(4)} of ${currentName}${Math.abs(cm.overall.f1 - km.overall.f1) <= MARGIN ? " (tie)" : ""}`,
    decidedAt,
  };
  candidate = better ? await promoteVersion(db, null, candidateVersion, comparison) : await rejectVersion(db, candidateVersion, comparison);
  return { decision: better ? "promoted" : "rejected", comparison, candidate };
}

/** Registers a model served elsewhere (OpenAI-compatible Molmo2 server), used through the remote runtime. */
export async function registerExternalModel(db: Db, body: ExternalModelBody): Promise<ModelVersionView> {
  return registerExternalVersion(db, null, body);
}
