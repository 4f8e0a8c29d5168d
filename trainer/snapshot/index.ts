// Dataset snapshots: build (accepted tasks + synthetic data), verify, register in the database, list examples.
import path from "node:path";
import type { Db } from "../../lib/db";
import { buildSnapshot, type BuildHooks, type BuildSnapshotOptions, type BuiltSnapshot } from "./build";
import { SnapshotError, verifySnapshot, type SnapshotManifest } from "./manifest";

export * from "./manifest";
export { buildSnapshot, type BuildSnapshotOptions, type BuildHooks, type BuiltSnapshot, type SynthSource } from "./build";
export { exportAcceptedTasks, type TaskSelection, type TaskExample } from "./tasks";

/** Records a built snapshot (its directory must verify) as a DatasetSnapshot row. */
export async function registerSnapshot(db: Db, dir: string, manifest?: SnapshotManifest): Promise<{ id: number; manifest: SnapshotManifest }> {
  const m = manifest ?? (await verifySnapshot(dir));
  const row = await db.datasetSnapshot.create({
    data: { name: m.name, contentHash: m.contentHash, benchmarkHash: m.benchmark.hash, path: path.resolve(dir), counts: JSON.stringify(m.counts) },
  });
  return { id: row.id, manifest: m };
}

/** Builds and registers in one go. */
export async function createSnapshot(db: Db, opts: BuildSnapshotOptions, hooks: BuildHooks = {}): Promise<BuiltSnapshot & { id: number }> {
  const built = await buildSnapshot(db, opts, hooks);
  const { id } = await registerSnapshot(db, built.dir, built.manifest);
  return { ...built, id };
}

/** A registered snapshot's directory, verified (every file's hash) before use. */
export async function openSnapshot(db: Db, id: number, hooks: Parameters<typeof verifySnapshot>[1] = {}): Promise<{ id: number; dir: string; manifest: SnapshotManifest }> {
  const row = await db.datasetSnapshot.findUnique({ where: { id } });
  if (!row) throw new SnapshotError("bad_input", `dataset snapshot #${id} does not exist`);
  const manifest = await verifySnapshot(row.path, hooks);
  if (manifest.contentHash !== row.contentHash) {
    throw new SnapshotError("corrupt_snapshot", `${path.join(row.path, "snapshot.json")}: content hash ${manifest.contentHash} differs from the one registered for snapshot #${id} (${row.contentHash})`);
  }
  return { id, dir: row.path, manifest };
}
