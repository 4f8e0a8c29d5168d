// `npm test`: installs what the tests need when missing, type-checks, then runs every test
// (unit, integration, real-browser e2e) with Node's test runner.
// Usage: npm test [-- <path prefix or file> ...]
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureChromium, ensureSampleVideos } from "./system-deps.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.test\.tsx?$/.test(name)) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
let files = walk("test").sort();
if (filters.length) files = files.filter((f) => filters.some((x) => f.startsWith(x.replace(/^\.\//, ""))));

process.env.CHROMIUM_PATH = ensureChromium();
process.env.GROUNDTRACK_SAMPLES = ensureSampleVideos(root);

if (!filters.length) {
  console.log("[test] tsc --noEmit");
  const tc = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "--noEmit", "-p", "tsconfig.json"], { stdio: "inherit" });
  if (tc.status !== 0) {
    console.error("[test] type check failed");
    process.exit(tc.status ?? 1);
  }
}

console.log(`[test] ${files.length} test files`);
const r = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...files],
  { stdio: "inherit", env: { ...process.env, NODE_ENV: "test" } },
);
process.exit(r.status ?? 1);
