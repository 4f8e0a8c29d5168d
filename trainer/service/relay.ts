// Web-process side of training progress: runs train in CLI processes (or anywhere), writing their step, loss and
// stage to TrainingRun rows (heartbeat every few seconds). The relay polls rows updated since its last look and hands
// each change to `publish` (server.ts: the live hub's publishTrainProgress → socket.io `train:progress`), so one path
// serves in-process and separate trainers alike.
import type { Db } from "../../lib/db";
import type { TrainProgressWire } from "../../app/_shared/live-protocol";

export interface TrainingRelay {
  /** Publishes every change seen so far (tests; the timer does this on its own). */
  flush(): Promise<number>;
  close(): void;
}

export function startTrainingRelay(db: Db, publish: (e: TrainProgressWire) => void, opts: { pollMs?: number } = {}): TrainingRelay {
  // Start now: a restarted web server does not replay history (the page loads state over REST).
  let since = new Date();
  let busy: Promise<number> | null = null;
  const poll = async (): Promise<number> => {
    const rows = await db.trainingRun.findMany({
      where: { updatedAt: { gt: since } },
      select: { id: true, status: true, stage: true, step: true, steps: true, loss: true, errorCode: true, updatedAt: true },
      orderBy: { updatedAt: "asc" },
    });
    for (const r of rows) {
      publish({ runId: r.id, status: r.status, stage: r.stage, step: r.step, steps: r.steps, loss: r.loss, errorCode: r.errorCode });
      if (r.updatedAt > since) since = r.updatedAt;
    }
    return rows.length;
  };
  const flush = () => {
    busy ??= poll().finally(() => (busy = null));
    return busy;
  };
  const timer = setInterval(() => void flush().catch((e: unknown) => console.error("[training relay]", e)), opts.pollMs ?? 1000);
  timer.unref();
  return { flush, close: () => clearInterval(timer) };
}
