// A dataset snapshot on disk: DIR/snapshot.json lists every file with its sha256 and size, every example with its
// split and source, and two hashes: `contentHash` over the whole manifest body (same inputs → same hash) and
// `benchmark.hash` over the frozen benchmark split only (synthetic test split + gold tasks), so model versions
// evaluated on snapshots with equal benchmark hashes are comparable even when the training part grew.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

export const SNAPSHOT_FORMAT = "groundtrack-snapshot/1";
export const SNAPSHOT_FILE = "snapshot.json";
export const SNAPSHOT_SPLITS = ["train", "val", "test"] as const;
export type SnapshotSplit = (typeof SNAPSHOT_SPLITS)[number];
export const SNAPSHOT_SOURCES = ["synth", "task"] as const;
export type SnapshotSource = (typeof SNAPSHOT_SOURCES)[number];
/** The frozen benchmark split. */
export const BENCHMARK_SPLIT: SnapshotSplit = "test";

export class SnapshotError extends Error {
  override name = "SnapshotError";
  constructor(
    readonly code: "corrupt_snapshot" | "missing_frames" | "bad_task" | "bad_input" | "exists",
    message: string,
  ) {
    super(message);
  }
}

const sha = z.string().regex(/^[0-9a-f]{64}$/);
/** Paths inside the snapshot: relative, forward slashes, no `..`. */
const relPath = z.string().regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._/-]+$/, { error: "expected a relative path inside the snapshot" });

export const SnapshotExampleSchema = z.object({
  id: z.string().min(1),
  split: z.enum(SNAPSHOT_SPLITS),
  source: z.enum(SNAPSHOT_SOURCES),
  video: relPath,
  annotation: relPath,
  expression: z.string(),
  objects: z.number().int().nonnegative(),
  /** Annotation carries per-frame GT masks (point F1/HOTA with the mask judge). */
  masks: z.boolean(),
  /** Task examples: the accepted tasks (one per object) it was built from. */
  taskIds: z.array(z.number().int()).optional(),
  gold: z.boolean().optional(),
});
export type SnapshotExample = z.infer<typeof SnapshotExampleSchema>;

export const SnapshotManifestSchema = z.object({
  format: z.literal(SNAPSHOT_FORMAT),
  name: z.string(),
  sources: z.object({
    synth: z.object({ dir: relPath, contentHash: sha, testHash: sha }).nullable(),
    tasks: z.object({ ids: z.array(z.number().int()), skipped: z.array(z.string()) }),
  }),
  examples: z.array(SnapshotExampleSchema),
  files: z.array(z.object({ file: relPath, sha256: sha, bytes: z.number().int().nonnegative() })),
  counts: z.record(z.string(), z.record(z.string(), z.number().int())),
  benchmark: z.object({ split: z.literal(BENCHMARK_SPLIT), examples: z.number().int(), hash: sha }),
  contentHash: sha,
});
export type SnapshotManifest = z.infer<typeof SnapshotManifestSchema>;

export const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

/** sha256 and size of a file, streamed (videos can be large). */
export async function hashFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: h.digest("hex"), bytes };
}

/** Hash of the frozen benchmark: its examples with the hashes of their files (independent of everything else). */
export function benchmarkHash(examples: readonly SnapshotExample[], files: ReadonlyMap<string, string>): string {
  const lines = examples
    .filter((e) => e.split === BENCHMARK_SPLIT)
    .map((e) => [e.id, e.source, e.expression, files.get(e.video), files.get(e.annotation)].join("\t"))
    .sort();
  return sha256(lines.join("\n"));
}

/** contentHash of a manifest body: its canonical JSON (sorted lists, no timestamps). */
export function manifestContentHash(body: Omit<SnapshotManifest, "contentHash">): string {
  return sha256(JSON.stringify(body));
}

export function countExamples(examples: readonly SnapshotExample[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const s of SNAPSHOT_SPLITS) out[s] = Object.fromEntries(SNAPSHOT_SOURCES.map((src) => [src, 0]));
  for (const e of examples) out[e.split][e.source]++;
  return out;
}

/** Reads and validates DIR/snapshot.json (schema + content hash); errors name the file and field. */
export async function readSnapshotManifest(dir: string): Promise<SnapshotManifest> {
  const file = path.join(dir, SNAPSHOT_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new SnapshotError("corrupt_snapshot", `${file}: cannot read (${(e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SnapshotError("corrupt_snapshot", `${file}: not valid JSON (${(e as Error).message})`);
  }
  const r = SnapshotManifestSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new SnapshotError("corrupt_snapshot", `${file}: ${i.path.join(".") || "(root)"}: ${i.message}`);
  }
  const { contentHash, ...body } = r.data;
  const actual = manifestContentHash(body);
  if (actual !== contentHash) throw new SnapshotError("corrupt_snapshot", `${file}: contentHash ${contentHash} does not match the manifest's content (${actual}); the manifest was edited`);
  const hashes = new Map(body.files.map((f) => [f.file, f.sha256]));
  for (const [i, e] of body.examples.entries()) {
    for (const k of ["video", "annotation"] as const) {
      if (!hashes.has(e[k])) throw new SnapshotError("corrupt_snapshot", `${file}: examples[${i}].${k}: ${e[k]} is not listed in files`);
    }
  }
  const bh = benchmarkHash(body.examples, hashes);
  if (bh !== body.benchmark.hash) throw new SnapshotError("corrupt_snapshot", `${file}: benchmark.hash does not match the benchmark examples`);
  return r.data;
}

export interface VerifyHooks {
  onFile?: (done: number, total: number) => void;
}

/**
 * Checks a snapshot end to end: manifest schema and hash, then every listed file present with its size and
 * sha256. The first problem is thrown as a SnapshotError naming the file (missing, truncated, corrupt).
 */
export async function verifySnapshot(dir: string, hooks: VerifyHooks = {}): Promise<SnapshotManifest> {
  const m = await readSnapshotManifest(dir);
  let done = 0;
  for (const f of m.files) {
    const abs = path.join(dir, f.file);
    let size: number;
    try {
      size = (await stat(abs)).size;
    } catch {
      throw new SnapshotError("corrupt_snapshot", `${abs}: missing (listed in ${SNAPSHOT_FILE} with sha256 ${f.sha256.slice(0, 12)}…)`);
    }
    if (size !== f.bytes) {
      throw new SnapshotError("corrupt_snapshot", `${abs}: ${size < f.bytes ? "truncated" : "grown"}: ${size} bytes, ${SNAPSHOT_FILE} lists ${f.bytes}`);
    }
    const h = await hashFile(abs);
    if (h.sha256 !== f.sha256) throw new SnapshotError("corrupt_snapshot", `${abs}: corrupt: sha256 ${h.sha256.slice(0, 12)}… differs from ${SNAPSHOT_FILE} (${f.sha256.slice(0, 12)}…)`);
    hooks.onFile?.(++done, m.files.length);
  }
  return m;
}

/** An example with absolute paths, as the trainer's data loader and the evaluator take it. */
export interface ExampleRef {
  id: string;
  split: SnapshotSplit;
  /** Absolute path of the video file. */
  video: string;
  /** Absolute path of the TrackAny JSON (with masks for synthetic examples). */
  annotation: string;
}

export interface SnapshotRef extends ExampleRef {
  source: SnapshotSource;
  masks: boolean;
  expression: string;
}

/** The examples of a (verified) snapshot, optionally of some splits only, with absolute paths. */
export function snapshotRefs(dir: string, m: SnapshotManifest, splits?: readonly SnapshotSplit[]): SnapshotRef[] {
  const root = path.resolve(dir);
  return m.examples
    .filter((e) => !splits || splits.includes(e.split))
    .map((e) => ({ id: e.id, split: e.split, source: e.source, masks: e.masks, expression: e.expression, video: path.join(root, e.video), annotation: path.join(root, e.annotation) }));
}
