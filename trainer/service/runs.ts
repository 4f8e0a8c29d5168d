// TrainingRun rows: creation, claiming by a worker process, heartbeats, curves, and finding runs whose worker died
// (kill -9, power loss): a running run whose process is gone is marked `killed` on the next start and can be resumed
// from its last checkpoint.
import os from "node:os";
import type { Db } from "../../lib/db";

export class RunStateError extends Error {
  override name = "RunStateError";
}

/** Seconds without a heartbeat after which a run owned by another host counts as dead. */
export const HEARTBEAT_STALE_MS = 60_000;
export const HEARTBEAT_EVERY_MS = 2_000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Marks running runs whose worker is gone as killed; returns their ids. */
export async function markDeadRuns(db: Db, now = Date.now()): Promise<number[]> {
  const running = await db.trainingRun.findMany({ where: { status: "running" }, select: { id: true, workerPid: true, workerHost: true, heartbeatAt: true } });
  const dead: number[] = [];
  for (const r of running) {
    const sameHost = r.workerHost === os.hostname();
    const gone = sameHost && r.workerPid !== null
      ? r.workerPid !== process.pid && !processAlive(r.workerPid)
      : !r.heartbeatAt || now - r.heartbeatAt.getTime() > HEARTBEAT_STALE_MS;
    if (!gone) continue;
    const u = await db.trainingRun.updateMany({
      where: { id: r.id, status: "running", workerPid: r.workerPid },
      data: { status: "killed", errorCode: "killed", errorMessage: `the training process (pid ${r.workerPid ?? "?"} on ${r.workerHost ?? "?"}) died without finishing; resume with: groundtrack train resume ${r.id}`, finishedAt: new Date(now) },
    });
    if (u.count === 1) dead.push(r.id);
  }
  return dead;
}

/**
 * Takes a run for this process: queued (start) or killed/failed-by-interruption (resume). Compare-and-set on the
 * status, so two processes never train one run.
 */
export async function claimRun(db: Db, runId: number, mode: "start" | "resume"): Promise<void> {
  const r = await db.trainingRun.findUnique({ where: { id: runId }, select: { status: true } });
  if (!r) throw new RunStateError(`training run #${runId} does not exist`);
  const allowed = mode === "start" ? ["queued"] : ["killed", "failed", "queued"];
  if (!allowed.includes(r.status)) {
    throw new RunStateError(
      r.status === "running"
        ? `training run #${runId} is running in another process`
        : `training run #${runId} is ${r.status}; ${mode === "resume" ? "only killed or failed runs are resumed" : "only queued runs start"}`,
    );
  }
  const u = await db.trainingRun.updateMany({
    where: { id: runId, status: r.status },
    data: {
      status: "running", workerPid: process.pid, workerHost: os.hostname(), heartbeatAt: new Date(), startedAt: new Date(),
      attempts: { increment: 1 }, errorCode: null, errorMessage: null, finishedAt: null, stage: "starting",
    },
  });
  if (u.count !== 1) throw new RunStateError(`training run #${runId} was claimed by another process`);
}

export async function heartbeat(db: Db, runId: number, data: { step?: number; loss?: number | null; stage?: string } = {}): Promise<void> {
  await db.trainingRun.updateMany({ where: { id: runId, status: "running", workerPid: process.pid }, data: { heartbeatAt: new Date(), ...data } });
}

/** Curve points; a step re-run after a resume overwrites its earlier value. */
export async function recordMetrics(db: Db, runId: number, step: number, values: Record<string, number>): Promise<void> {
  const rows = Object.entries(values).filter(([, v]) => typeof v === "number");
  if (!rows.length) return;
  await db.$transaction(
    rows.map(([name, value]) =>
      db.trainingMetric.upsert({
        where: { runId_name_step: { runId, name, step } },
        // SQLite has no NaN/Infinity: a non-finite loss is stored as a huge finite sentinel and the run fails anyway.
        create: { runId, name, step, value: Number.isFinite(value) ? value : Number.MAX_VALUE },
        update: { value: Number.isFinite(value) ? value : Number.MAX_VALUE },
      }),
    ),
  );
}

export async function finishRun(db: Db, runId: number, status: "succeeded" | "failed" | "killed", data: { errorCode?: string; errorMessage?: string; candidateVersionId?: number; stage?: string } = {}): Promise<void> {
  await db.trainingRun.update({
    where: { id: runId },
    data: { status, finishedAt: new Date(), heartbeatAt: new Date(), errorCode: data.errorCode ?? null, errorMessage: data.errorMessage ?? null, stage: data.stage ?? status, ...(data.candidateVersionId ? { candidateVersionId: data.candidateVersionId } : {}) },
  });
}
