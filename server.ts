// Custom server: Next's request handler and socket.io on one HTTP port (127.0.0.1 only).
// Run through scripts/start.mjs (`npm start`), which migrates, seeds and builds first.
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";
import { Server } from "socket.io";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { getDb } from "./lib/db";
import { seedDemo } from "./lib/services/demo";
import { ffmpegPath, ffprobePath } from "./lib/video";
import { attachLive } from "./app/_server/live";
import { publishTrainProgress, setLivePublisher } from "./app/_server/live-hub";
import { dataDir, videoStoreDir } from "./app/_server/storage";
import { authorize } from "./app/_server/auth";
import { ANALYST_ROLES } from "./lib/services/inference-jobs";
import { startInferenceService } from "./inference/service";
import { startTrainingRelay } from "./trainer/service/relay";

const root = path.dirname(fileURLToPath(import.meta.url));
const port = Number(process.env.PORT ?? 3000);
const hostname = "127.0.0.1";
const dev = process.env.NODE_ENV === "development";

async function main(): Promise<void> {
  // Resolve the ffmpeg/ffprobe binaries here, outside Next's bundles (where package resolution from the
  // bundled chunk fails), and hand them to lib/video through its env overrides.
  process.env.GROUNDTRACK_FFMPEG ??= ffmpegPath();
  process.env.GROUNDTRACK_FFPROBE ??= ffprobePath();
  // Created here first: route bundles find this same client on globalThis instead of opening their own.
  const db = getDb();
  await seedOnFirstStart(db);
  const app = next({ dev, dir: root, hostname, port });
  const handle = app.getRequestHandler();
  await app.prepare();

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      console.error("[server] request failed", err);
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
  const io = new Server(server, { serveClient: false, cors: { origin: false } });
  setLivePublisher(attachLive(io, db));
  // Query jobs: event relay on socket.io /jobs + an in-process worker (GROUNDTRACK_INPROCESS_WORKER=0: none).
  const inference = await startInferenceService(io, db, (cookie) => authorize(db, cookie, ANALYST_ROLES));
  // Training runs (CLI processes) write progress to the database; relayed to sockets as `train:progress`.
  const training = startTrainingRelay(db, publishTrainProgress);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => resolve());
  });
  console.log(`[groundtrack] listening on http://localhost:${port} (${dev ? "development" : "production"})`);

  const shutdown = () => {
    void inference.close();
    training.close();
    io.close();
    server.close(() => {
      void db.$disconnect().finally(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

/** Seeds demo data into an empty database and keeps the generated demo passwords in data/demo-logins.txt. */
async function seedOnFirstStart(db: ReturnType<typeof getDb>): Promise<void> {
  const loginsFile = path.join(dataDir(), "demo-logins.txt");
  const samples = process.env.GROUNDTRACK_SAMPLES;
  const r = await seedDemo(db, { storeDir: videoStoreDir(), samplesDir: samples && existsSync(path.join(samples, "vtest.avi")) ? samples : null, log: (m) => console.log(`[seed] ${m}`) });
  if (r.created) {
    for (const n of r.notes) console.log(`[seed] ${n}`);
    const lines = r.logins.map((l) => `${l.role.padEnd(10)} ${l.username.padEnd(11)} ${l.password}`);
    writeFileSync(loginsFile, `# groundtrack demo logins (generated on first start; demo only)\n${lines.join("\n")}\n`, { mode: 0o600 });
  }
  if (existsSync(loginsFile)) {
    console.log(`[groundtrack] demo logins (from ${path.relative(process.cwd(), loginsFile)}):`);
    for (const line of readFileSync(loginsFile, "utf8").split("\n")) if (line && !line.startsWith("#")) console.log(`  ${line}`);
  }
}

main().catch((err: unknown) => {
  console.error("[groundtrack] failed to start:", err instanceof Error ? err.message : err);
  process.exit(1);
});
