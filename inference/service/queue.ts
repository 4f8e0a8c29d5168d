// The job queue is the InferenceJob table. A worker claims a job with one compare-and-set UPDATE (queued, or running
// with an expired lease, and still at the attempt count it read), so two workers can never both own a job; it
// keeps the lease alive with a heartbeat and loses the job the moment another worker takes over an expired lease.
import type { Db } from "../../lib/db";

export interface ClaimedJob {
  id: number;
  runtime: string;
  params: string;
  attempts: number;
  predictionSetId: number | null;
}

/** Claims the oldest runnable job for `workerId`, or null when there is none. */
export async function claimJob(db: Db, workerId: string, leaseMs: number, now = new Date()): Promise<ClaimedJob | null> {
  for (let tries = 0; tries < 5; tries++) {
    const candidate = await db.inferenceJob.findFirst({
      where: { OR: [{ status: "queued" }, { status: "running", leaseUntil: { lt: now } }] },
      orderBy: { id: "asc" },
      select: { id: true, attempts: true, status: true },
    });
    if (!candidate) return null;
    const won = await db.inferenceJob.updateMany({
      where: {
        id: candidate.id,
        attempts: candidate.attempts,
        OR: [{ status: "queued" }, { status: "running", leaseUntil: { lt: now } }],
      },
      data: { status: "running", leaseOwner: workerId, leaseUntil: new Date(now.getTime() + leaseMs), attempts: { increment: 1 }, startedAt: now },
    });
    if (won.count === 1) {
      const j = await db.inferenceJob.findUniqueOrThrow({ where: { id: candidate.id } });
      return { id: j.id, runtime: j.runtime, params: j.params, attempts: j.attempts, predictionSetId: j.predictionSetId };
    }
    // Another worker won this one; look again.
  }
  return null;
}

export type LeaseState = "held" | "lost" | "cancel";

/** Extends the lease while this worker still owns the job; reports a cancel request. */
export async function renewLease(db: Db, jobId: number, workerId: string, leaseMs: number): Promise<LeaseState> {
  const r = await db.inferenceJob.updateMany({ where: { id: jobId, status: "running", leaseOwner: workerId }, data: { leaseUntil: new Date(Date.now() + leaseMs) } });
  if (r.count === 0) return "lost";
  const j = await db.inferenceJob.findUnique({ where: { id: jobId }, select: { cancelRequested: true } });
  return j?.cancelRequested ? "cancel" : "held";
}

/** Final state, written only while this worker still owns the job. */
export async function finishJob(db: Db, jobId: number, workerId: string, status: "done" | "failed" | "cancelled", error: string | null): Promise<boolean> {
  const r = await db.inferenceJob.updateMany({
    where: { id: jobId, status: "running", leaseOwner: workerId },
    data: { status, error, leaseOwner: null, leaseUntil: null, finishedAt: new Date(), stage: status, ...(status === "done" ? { progress: 1 } : {}) },
  });
  return r.count === 1;
}

/** Hands a job back to the queue (graceful worker shutdown): another worker resumes it at once. */
export async function releaseJob(db: Db, jobId: number, workerId: string): Promise<void> {
  await db.inferenceJob.updateMany({ where: { id: jobId, status: "running", leaseOwner: workerId }, data: { status: "queued", leaseOwner: null, leaseUntil: null } });
}
