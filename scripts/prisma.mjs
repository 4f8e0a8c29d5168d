// Runs the Prisma CLI without letting it download engines: the schema engine is the JS one (prisma.config.ts)
// and the client is engine-less, so the two engine paths only need to point at an existing file.
// Usage: node scripts/prisma.mjs <prisma args...>   (also importable: runPrisma(args))
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export function prismaEnv(extra = {}) {
  const placeholder = path.join(root, "package.json");
  return {
    ...process.env,
    DATABASE_URL: process.env.DATABASE_URL ?? `file:${path.join(root, "data", "groundtrack.db")}`,
    PRISMA_QUERY_ENGINE_LIBRARY: placeholder,
    PRISMA_SCHEMA_ENGINE_BINARY: placeholder,
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    CHECKPOINT_DISABLE: "1",
    ...extra,
  };
}

/** Runs `prisma <args>` from the repo root; returns {status, stdout, stderr}. */
export function runPrisma(args, { capture = false, env = {} } = {}) {
  mkdirSync(path.join(root, "data"), { recursive: true });
  const r = spawnSync(process.execPath, [path.join(root, "node_modules", "prisma", "build", "index.js"), ...args], {
    cwd: root,
    env: prismaEnv(env),
    stdio: capture ? ["ignore", "pipe", "pipe"] : "inherit",
    encoding: "utf8",
  });
  return { status: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exit(runPrisma(process.argv.slice(2)).status);
}
