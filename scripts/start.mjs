// `npm start`: defaults → Prisma client + migrations → sample videos → `next build` when the build is stale →
// custom server (Next + socket.io) on http://localhost:$PORT (default 3000). Demo data is seeded by the server
// on first start and the demo logins are printed (kept in data/demo-logins.txt).
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { INFERENCE_NODE_FLAGS } from "./inference-node-flags.mjs";
import { runPrisma } from "./prisma.mjs";
import { ensureSampleVideos } from "./system-deps.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);

const dataDir = path.resolve(process.env.GROUNDTRACK_DATA_DIR ?? path.join(root, "data"));
process.env.GROUNDTRACK_DATA_DIR = dataDir;
process.env.DATABASE_URL ??= `file:${path.join(dataDir, "groundtrack.db")}`;
process.env.PORT ??= "3000";
process.env.NODE_ENV = "production";
process.env.NEXT_TELEMETRY_DISABLED = "1";
mkdirSync(dataDir, { recursive: true });

function step(msg) {
  console.log(`[start] ${msg}`);
}
function fail(msg) {
  console.error(`[start] ${msg}`);
  process.exit(1);
}

// 1. Prisma client (normally made by postinstall) and migrations.
if (!existsSync(path.join(root, "lib", "db", "generated", "client.ts"))) {
  step("prisma generate");
  if (runPrisma(["generate"]).status !== 0) fail("prisma generate failed");
}
step(`prisma migrate deploy (${process.env.DATABASE_URL})`);
const mig = runPrisma(["migrate", "deploy"], { capture: true });
if (mig.status !== 0) fail(`prisma migrate deploy failed:\n${mig.stdout}${mig.stderr}`);

// 2. The real sample video for the demo (Debian opencv-doc); the demo works without it.
if (!process.env.GROUNDTRACK_SAMPLES) {
  try {
    process.env.GROUNDTRACK_SAMPLES = ensureSampleVideos(root);
  } catch (err) {
    console.warn(`[start] sample videos unavailable (${err.message}); the demo will only have the synthetic video`);
  }
}

// 2b. The built-in MolmoPoint model: when none is installed, export the committed MolmoPoint-Tiny weights
// (trainer/weights/default, `npm run train:default`; it beats the demo model on the held-out split) to the ONNX
// contract (inference/builtin/CONTRACT.md); if that fails, generate the small demo model (a hand-weighted colour
// matcher with the same contract). A model copied into the directory is never overwritten.
{
  const builtinDir = path.resolve(process.env.GROUNDTRACK_BUILTIN_MODEL_DIR ?? path.join(root, "models", "builtin"));
  if (!existsSync(path.join(builtinDir, "config.json"))) {
    const weights = path.join(root, "trainer", "weights", "default");
    step(`installing the trained MolmoPoint-Tiny (${path.relative(root, weights)}) as the built-in model in ${builtinDir}`);
    // The exporter only writes a new or empty directory (models/builtin keeps its README): export beside it, then
    // move the model files in.
    const tmp = `${builtinDir}.export-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    const exp = spawnSync(process.execPath, ["--import", "tsx", path.join(root, "trainer", "model", "export-onnx.ts"), weights, tmp], { stdio: "inherit" });
    if (exp.status === 0) {
      mkdirSync(builtinDir, { recursive: true });
      // config.json last: its presence is what marks the directory as an installed model.
      const files = readdirSync(tmp).sort((a, b) => (a === "config.json") - (b === "config.json"));
      for (const f of files) renameSync(path.join(tmp, f), path.join(builtinDir, f));
    }
    rmSync(tmp, { recursive: true, force: true });
    if (exp.status !== 0) {
      step(`generating the demo built-in model into ${builtinDir} instead`);
      const gen = spawnSync(process.execPath, ["--import", "tsx", path.join(root, "inference", "builtin", "generate-model.ts"), builtinDir], { stdio: "inherit" });
      if (gen.status !== 0) console.warn("[start] could not generate the built-in model; built-in queries will report model_missing");
    }
  }
}

// 3. `next build` unless the existing build was made from exactly these sources.
function sourceStamp() {
  const h = createHash("sha256");
  const walk = (p) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) if (name !== "node_modules" && name !== "generated" && !name.startsWith(".")) walk(path.join(p, name));
    } else {
      h.update(`${path.relative(root, p)}\0${st.size}\0${st.mtimeMs}\n`);
    }
  };
  for (const p of ["app", "lib", "next.config.js", "package.json", "package-lock.json", "tsconfig.json", "prisma/schema.prisma"]) if (existsSync(p)) walk(path.join(root, p));
  return h.digest("hex");
}
// The same lock directory as the e2e harness (test/e2e/server.ts): two builds must never write .next at once.
const lockDir = path.join(os.tmpdir(), "groundtrack-next-build.lock");
function withBuildLock(fn) {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > 10 * 60_000) rmSync(lockDir, { recursive: true, force: true });
      } catch {}
      if (Date.now() > deadline) fail(`timed out waiting for ${lockDir} (another next build?)`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
const stampFile = path.join(root, ".next", "groundtrack-source-stamp");
try {
  withBuildLock(buildIfStale);
} catch (err) {
  fail(err.message);
}
function buildIfStale() {
  const stamp = sourceStamp();
  const current = existsSync(path.join(root, ".next", "BUILD_ID")) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp;
  if (current) {
    step("next build is current");
    return;
  }
  step("next build (first start or sources changed; takes a minute)");
  // compile + generate = `next build` without its whole-tree type check: `npm test` type-checks the tree, and a
  // type error in some test file must not stop the app from starting.
  for (const mode of ["compile", "generate"]) {
    const b = spawnSync(process.execPath, [path.join(root, "node_modules", "next", "dist", "bin", "next"), "build", "--experimental-build-mode", mode], { stdio: "inherit", env: process.env });
    if (b.status !== 0) throw new Error(`next build (${mode}) failed`);
  }
  writeFileSync(stampFile, stamp);
}

// 4. The custom server (seeds demo data on first start, prints the logins). It runs the in-process inference
// service, hence the inference flags.
step(`starting the server on http://localhost:${process.env.PORT}`);
const child = spawn(process.execPath, [...INFERENCE_NODE_FLAGS, "--import", "tsx", path.join(root, "server.ts")], { stdio: "inherit", env: process.env });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
