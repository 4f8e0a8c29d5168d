// A fresh SQLite database per test file, built from the real migrations (plain SQL, no Prisma CLI: fast).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { createDb, type Db } from "../../lib/db";

const migrationsDir = path.resolve(import.meta.dirname, "..", "..", "prisma", "migrations");

export interface TestDb {
  db: Db;
  url: string;
  file: string;
  close(): Promise<void>;
}

export function applyMigrations(file: string): void {
  const sqlite = new Database(file);
  try {
    for (const dir of readdirSync(migrationsDir).filter((d) => /^\d+_/.test(d)).sort()) {
      sqlite.exec(readFileSync(path.join(migrationsDir, dir, "migration.sql"), "utf8"));
    }
  } finally {
    sqlite.close();
  }
}

export async function createTestDb(): Promise<TestDb> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "gt-db-"));
  const file = path.join(dir, "test.db");
  applyMigrations(file);
  const url = `file:${file}`;
  const db = createDb(url);
  return {
    db,
    url,
    file,
    async close() {
      await db.$disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
