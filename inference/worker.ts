// Separate query worker process: `npm run worker` (node --import tsx inference/worker.ts). Claims jobs from the
// database (DATABASE_URL) with leases; several may run next to the web server. Env: GROUNDTRACK_WORKER_ID,
// GROUNDTRACK_LEASE_MS (default 15000), GROUNDTRACK_POLL_MS (500), GROUNDTRACK_SAM2_DIR, GROUNDTRACK_BUILTIN_MODEL_DIR.
import { getDb } from "../lib/db";
import { ffmpegPath, ffprobePath } from "../lib/video";
import { QueryWorker } from "./service/worker";

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`${name} must be a positive integer, got '${v}'`);
    process.exit(2);
  }
  return n;
}

process.env.GROUNDTRACK_FFMPEG ??= ffmpegPath();
process.env.GROUNDTRACK_FFPROBE ??= ffprobePath();
const db = getDb();
const leaseMs = envInt("GROUNDTRACK_LEASE_MS");
const pollMs = envInt("GROUNDTRACK_POLL_MS");
const worker = new QueryWorker({
  db,
  ...(process.env.GROUNDTRACK_WORKER_ID ? { workerId: process.env.GROUNDTRACK_WORKER_ID } : {}),
  ...(leaseMs ? { leaseMs } : {}),
  ...(pollMs ? { pollMs } : {}),
}).start();
console.log(`[worker ${worker.id}] waiting for query jobs`);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void worker.stop().finally(() => void db.$disconnect().finally(() => process.exit(0)));
  setTimeout(() => process.exit(0), 10_000).unref();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
