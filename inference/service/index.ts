// Inference job service entry for the web server: the job-event relay on socket.io `/jobs`, plus an in-process
// worker unless GROUNDTRACK_INPROCESS_WORKER=0 (then only `npm run worker` processes run jobs).
import type { Server } from "socket.io";
import type { Db } from "../../lib/db";
import type { Actor } from "../../lib/auth/roles";
import { attachJobRelay, type JobRelay } from "./relay";
import { QueryWorker } from "./worker";

export { attachJobRelay, jobRoom, JOBS_NAMESPACE, type JobRelay, type JobEventName } from "./relay";
export { QueryWorker, type WorkerOptions } from "./worker";
export { claimJob, renewLease, finishJob, releaseJob } from "./queue";
export { runQueryJob, maskPrompts } from "./runner";

export interface InferenceService {
  relay: JobRelay;
  worker: QueryWorker | null;
  close(): Promise<void>;
}

export async function startInferenceService(io: Server, db: Db, authenticate: (cookie: string | undefined) => Promise<Actor>): Promise<InferenceService> {
  const relay = await attachJobRelay(io, db, { authenticate });
  const worker = process.env.GROUNDTRACK_INPROCESS_WORKER === "0" ? null : new QueryWorker({ db }).start();
  return {
    relay,
    worker,
    async close() {
      relay.close();
      await worker?.stop();
    },
  };
}
