// Shared e2e harness: one production `next build` reused across e2e files and runs (rebuilt only when the
// sources changed, with the same kind of source stamp scripts/start.mjs writes), and a real server (server.ts:
// Next + socket.io) on a free 127.0.0.1 port with a temp data dir, a fresh SQLite DB and the demo seed.
// The build goes to its own directory (.next-e2e, via next.config.js distDir) so an `npm start` build running in
// the same tree never replaces it under a running test.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { applyMigrations } from "../helpers/db";

export const root = path.resolve(import.meta.dirname, "..", "..");
export const DIST_DIR = ".next-e2e";
const buildEnv = { GROUNDTRACK_NEXT_DIST_DIR: DIST_DIR, NEXT_TELEMETRY_DISABLED: "1" };

/** Same stamp as scripts/start.mjs: paths, sizes and mtimes of everything the build reads. */
function sourceStamp(): string {
  const h = createHash("sha256");
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) if (name !== "node_modules" && name !== "generated" && !name.startsWith(".")) walk(path.join(p, name));
    } else {
      h.update(`${path.relative(root, p)}\0${st.size}\0${st.mtimeMs}\n`);
    }
  };
  for (const p of ["app", "lib", "next.config.js", "package.json", "package-lock.json", "tsconfig.json", "prisma/schema.prisma"]) {
    if (existsSync(path.join(root, p))) walk(path.join(root, p));
  }
  return h.digest("hex");
}

/** A cross-process lock (mkdir is atomic) so two test runs never build into .next at the same time. */
async function withLock<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
  const dir = path.join(os.tmpdir(), `${name}.lock`);
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(dir);
      break;
    } catch {
      // A lock older than 10 minutes belongs to a dead process.
      try {
        if (Date.now() - statSync(dir).mtimeMs > 10 * 60_000) rmSync(dir, { recursive: true, force: true });
      } catch {}
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${dir}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Builds Next unless .next was built from exactly the current sources. */
export async function ensureBuild(): Promise<void> {
  await withLock("groundtrack-next-build", () => {
    const stampFile = path.join(root, DIST_DIR, "groundtrack-source-stamp");
    // All e2e files of one `node --test` run share its pid as parent: the first builds, the others reuse that
    // build even if someone edited a source meanwhile (a rebuild would pull .next-e2e from under a running file).
    const runFile = path.join(root, DIST_DIR, "groundtrack-e2e-run");
    const built = existsSync(path.join(root, DIST_DIR, "BUILD_ID"));
    if (built && existsSync(runFile) && readFileSync(runFile, "utf8") === String(process.ppid)) return;
    const stamp = sourceStamp();
    if (built && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) {
      writeFileSync(runFile, String(process.ppid));
      return;
    }
    const t0 = Date.now();
    const b = spawnSync(process.execPath, [path.join(root, "node_modules", "next", "dist", "bin", "next"), "build"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, ...buildEnv, NODE_ENV: "production" },
    });
    if (b.status !== 0) throw new Error(`next build failed:\n${b.stdout}\n${b.stderr}`);
    writeFileSync(stampFile, stamp);
    writeFileSync(runFile, String(process.ppid));
    console.log(`[e2e] next build took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (a && typeof a === "object" ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

export interface RunningServer {
  url: string;
  dataDir: string;
  dbUrl: string;
  /** Demo logins printed by the first start: username → password. */
  passwords: Record<string, string>;
  log: () => string;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** Extra environment (e.g. GROUNDTRACK_SAMPLES to include vtest.avi). */
  env?: Record<string, string>;
  /** Runs against the fresh, migrated DB before the server starts (the demo seed runs only on an empty DB). */
  prepare?: (dbUrl: string, dataDir: string) => Promise<void>;
}

/**
 * Starts server.ts (production build) on a free port with its own temp data dir and DB; demo data is seeded.
 * In a shared work tree another `next build` may be replacing .next at that moment: then wait, rebuild if
 * needed, and retry.
 */
export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerOnce(opts);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (attempt >= 3 || !/production build|BUILD_ID|ENOENT.*\.next/.test(msg)) throw err;
      console.warn(`[e2e] the .next build vanished while starting (another build running?); retrying (${attempt})`);
      await new Promise((r) => setTimeout(r, 20_000));
    }
  }
}

async function startServerOnce(opts: ServerOptions): Promise<RunningServer> {
  await ensureBuild();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "gt-e2e-"));
  const dbFile = path.join(dataDir, "groundtrack.db");
  applyMigrations(dbFile);
  const dbUrl = `file:${dbFile}`;
  if (opts.prepare) await opts.prepare(dbUrl, dataDir);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...buildEnv,
    NODE_ENV: "production",
    PORT: String(port),
    GROUNDTRACK_DATA_DIR: dataDir,
    DATABASE_URL: dbUrl,
    GROUNDTRACK_SAMPLES: "",
    ...opts.env,
  };
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", path.join(root, "server.ts")], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 90 s:\n${out}`)), 90_000);
    const check = () => {
      if (out.includes("listening on")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  }).catch((err: unknown) => {
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  const passwords: Record<string, string> = {};
  const loginsFile = path.join(dataDir, "demo-logins.txt");
  if (existsSync(loginsFile)) {
    for (const line of readFileSync(loginsFile, "utf8").split("\n")) {
      const m = /^(\S+)\s+(\S+)\s+(\S+)$/.exec(line.trim());
      if (m && !line.startsWith("#")) passwords[m[2]!] = m[3]!;
    }
  }
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    dbUrl,
    passwords,
    log: () => out,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Logs in through the API from Node and returns the Cookie header. */
export async function apiLogin(url: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: JSON.stringify({ username, password }), redirect: "manual" });
  if (res.status >= 400) throw new Error(`login ${username}: HTTP ${res.status} ${await res.text()}`);
  const c = res.headers.get("set-cookie");
  if (!c) throw new Error(`login ${username}: no cookie`);
  return c.split(";")[0]!;
}
