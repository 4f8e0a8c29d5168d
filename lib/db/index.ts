// The one place that constructs Prisma clients: engine-less client + better-sqlite3 driver adapter.
import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaClient } from "./generated/client";

export type Db = PrismaClient;
export type { Prisma } from "./generated/client";

/** Default database location: <cwd>/data/groundtrack.db unless DATABASE_URL says otherwise. */
export function databaseUrl(): string {
  return process.env.DATABASE_URL ?? `file:${path.join(process.cwd(), "data", "groundtrack.db")}`;
}

/** A new client on the given SQLite URL (`file:/abs/path.db`). Callers own its lifetime ($disconnect). */
export function createDb(url: string = databaseUrl()): Db {
  const adapter = new PrismaBetterSQLite3({ url });
  return new PrismaClient({ adapter });
}

const holder = globalThis as unknown as { __groundtrackDb?: { url: string; db: Db } };

/** Process-wide client (shared by the custom server and every route bundle through globalThis). */
export function getDb(): Db {
  const url = databaseUrl();
  if (!holder.__groundtrackDb || holder.__groundtrackDb.url !== url) {
    holder.__groundtrackDb = { url, db: createDb(url) };
  }
  return holder.__groundtrackDb.db;
}
