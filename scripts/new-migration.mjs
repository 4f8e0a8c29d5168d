// Creates a Prisma migration from the schema change since the last commit (`prisma migrate dev` cannot run
// offline here). Usage: node scripts/new-migration.mjs <snake_name>
// Run it under the schema lock and commit schema + migration together, so concurrent schema edits never mix:
//   flock /tmp/gt-prisma.lock sh -c 'edit schema && node scripts/new-migration.mjs x && git commit ...'
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runPrisma } from "./prisma.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: node scripts/new-migration.mjs <snake_case_name>");
  process.exit(2);
}
const tmp = mkdtempSync(path.join(os.tmpdir(), "gt-mig-"));
try {
  const before = path.join(tmp, "before.prisma");
  writeFileSync(before, execFileSync("git", ["show", "HEAD:prisma/schema.prisma"], { cwd: root }));
  const r = runPrisma(["migrate", "diff", "--from-schema-datamodel", before, "--to-schema-datamodel", "prisma/schema.prisma", "--script"], { capture: true });
  if (r.status !== 0) {
    console.error(r.stderr || r.stdout);
    process.exit(1);
  }
  // The CLI prints a config banner on stdout before the SQL.
  const sql = r.stdout.split("\n").filter((l) => !l.startsWith("Loaded Prisma config")).join("\n").trim();
  if (!sql || sql.startsWith("-- This is an empty migration")) {
    console.error("no schema change since HEAD: nothing to migrate");
    process.exit(1);
  }
  const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
  const dir = path.join(root, "prisma", "migrations", `${stamp}_${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "migration.sql"), sql + "\n");
  console.log(`wrote ${path.relative(root, dir)}/migration.sql`);
  const g = runPrisma(["generate"], { capture: true });
  if (g.status !== 0) {
    console.error(g.stderr || g.stdout);
    process.exit(1);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
