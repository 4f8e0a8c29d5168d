// Custom server: Next's request handler and socket.io on one HTTP port (127.0.0.1 only).
// Run through scripts/start.mjs (`npm start`), which migrates, seeds and builds first.
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";
import { Server } from "socket.io";
import { getDb } from "./lib/db";
import { attachLive } from "./app/_server/live";
import { setLivePublisher } from "./app/_server/live-hub";

const root = path.dirname(fileURLToPath(import.meta.url));
const port = Number(process.env.PORT ?? 3000);
const hostname = "127.0.0.1";
const dev = process.env.NODE_ENV === "development";

async function main(): Promise<void> {
  // Created here first: route bundles find this same client on globalThis instead of opening their own.
  const db = getDb();
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

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => resolve());
  });
  console.log(`[groundtrack] listening on http://localhost:${port} (${dev ? "development" : "production"})`);

  const shutdown = () => {
    io.close();
    server.close(() => {
      void db.$disconnect().finally(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((err: unknown) => {
  console.error("[groundtrack] failed to start:", err instanceof Error ? err.message : err);
  process.exit(1);
});
