// buildSnapshot: a frozen, versioned dataset = accepted tasks (TrackAny, videos hard-linked or copied) + a synthetic
// part (trainer/synth generateDataset, or an existing synth dataset verified and linked in). Written to a temporary
// directory and renamed into place only when complete: a failure (e.g. a task pointing at frames its video does not
// have) leaves nothing behind. Same inputs → byte-identical snapshot.json (no timestamps; lists sorted).
import { existsSync } from "node:fs";
import { copyFile, link, mkdir, readdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Db } from "../../lib/db";
import { generateDataset, readManifest, type Manifest, type SynthOptions } from "../synth/dataset";
import {
  benchmarkHash, countExamples, hashFile, manifestContentHash, SNAPSHOT_FILE, SNAPSHOT_FORMAT, SnapshotError,
  type SnapshotExample, type SnapshotManifest,
} from "./manifest";
import { exportAcceptedTasks, type TaskSelection } from "./tasks";

/** The synthetic part: generate with these options, or link in an existing `groundtrack synth` dataset. */
export type SynthSource = { generate: SynthOptions } | { from: string } | null;

export interface BuildSnapshotOptions {
  /** Accepted task ids, "all-accepted", or "none". */
  tasks: TaskSelection;
  synth: SynthSource;
  /** Snapshot directory to create (must not exist). */
  out: string;
  name?: string;
  /** Sampling rate of the task examples' frame grid (default 2, the synthetic data's). */
  samplingFps?: number;
}

export interface BuildHooks {
  onStage?: (stage: string, done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface BuiltSnapshot {
  dir: string;
  manifest: SnapshotManifest;
}

/** Hard link when possible (same file system, no copy), else copy. */
async function place(from: string, to: string): Promise<void> {
  await mkdir(path.dirname(to), { recursive: true });
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

async function listFiles(root: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, r)));
    else out.push(r);
  }
  return out;
}

export async function buildSnapshot(db: Db, opts: BuildSnapshotOptions, hooks: BuildHooks = {}): Promise<BuiltSnapshot> {
  const out = path.resolve(opts.out);
  if (existsSync(out)) throw new SnapshotError("exists", `${out} already exists; a snapshot is never overwritten (choose a new --out)`);
  const samplingFps = opts.samplingFps ?? 2;
  // Tasks are read and checked before anything is written.
  hooks.onStage?.("tasks", 0, 1);
  const tasks = await exportAcceptedTasks(db, opts.tasks, samplingFps);
  hooks.onStage?.("tasks", 1, 1);
  if (!opts.synth && tasks.examples.length === 0) throw new SnapshotError("bad_input", "the snapshot would be empty: no accepted tasks selected and no synthetic part");
  const tmp = `${out}.partial-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    const examples: SnapshotExample[] = [];
    let synthSource: SnapshotManifest["sources"]["synth"] = null;
    if (opts.synth) {
      const synthDir = path.join(tmp, "synth");
      let manifest: Manifest;
      if ("generate" in opts.synth) {
        const o = opts.synth.generate;
        const total = o.videos * (o.frames ?? 48);
        let done = 0;
        try {
          manifest = await generateDataset(synthDir, o, { onFrame: () => hooks.onStage?.("synth", ++done, total), signal: hooks.signal });
        } catch (e) {
          if (e instanceof RangeError) throw new SnapshotError("bad_input", e.message);
          throw e;
        }
      } else {
        const from = path.resolve(opts.synth.from);
        try {
          manifest = await readManifest(from);
        } catch (e) {
          throw new SnapshotError("corrupt_snapshot", (e as Error).message);
        }
        // Every file the manifest names is checked against its hash before it is linked in.
        const files = [...manifest.videos.map((v) => v.video), ...manifest.videos.flatMap((v) => v.annotations)];
        let done = 0;
        for (const f of files) {
          const abs = path.join(from, f.file);
          let h: { sha256: string };
          try {
            h = await hashFile(abs);
          } catch (e) {
            throw new SnapshotError("corrupt_snapshot", `${abs}: cannot read (${(e as Error).message})`);
          }
          if (h.sha256 !== f.sha256) throw new SnapshotError("corrupt_snapshot", `${abs}: sha256 differs from ${path.join(from, "manifest.json")}`);
          await place(abs, path.join(synthDir, f.file));
          hooks.onStage?.("synth", ++done, files.length);
        }
        await place(path.join(from, "manifest.json"), path.join(synthDir, "manifest.json"));
      }
      synthSource = { dir: "synth", contentHash: manifest.contentHash, testHash: manifest.splits.test.contentHash };
      for (const v of manifest.videos) {
        for (const a of v.annotations) {
          examples.push({
            id: a.id, split: v.split, source: "synth", video: `synth/${v.video.file}`, annotation: `synth/${a.file}`,
            expression: a.expression, objects: a.objectIds.length, masks: true,
          });
        }
      }
    }
    const videosDone = new Set<number>();
    for (const [i, t] of tasks.examples.entries()) {
      const video = `tasks/videos/${t.videoName}`;
      if (!videosDone.has(t.videoId)) {
        await place(t.videoFile, path.join(tmp, video)).catch((e: unknown) => {
          throw new SnapshotError("missing_frames", `task ${t.taskIds.join(", ")}: video file ${t.videoFile} cannot be copied: ${(e as Error).message}`);
        });
        videosDone.add(t.videoId);
      }
      const annotation = `tasks/annotations/${t.id}.json`;
      await mkdir(path.join(tmp, "tasks", "annotations"), { recursive: true });
      await writeFile(path.join(tmp, annotation), t.json);
      // Gold tasks join the frozen benchmark; the rest is training data.
      examples.push({
        id: t.id, split: t.gold ? "test" : "train", source: "task", video, annotation, expression: t.expression,
        objects: t.objects, masks: false, taskIds: t.taskIds, gold: t.gold,
      });
      hooks.onStage?.("tasks", i + 1, tasks.examples.length);
    }
    examples.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const rels = (await listFiles(tmp)).sort();
    const files: SnapshotManifest["files"] = [];
    for (const [i, rel] of rels.entries()) {
      const h = await hashFile(path.join(tmp, rel));
      files.push({ file: rel, sha256: h.sha256, bytes: h.bytes });
      hooks.onStage?.("hashing", i + 1, rels.length);
    }
    const hashes = new Map(files.map((f) => [f.file, f.sha256]));
    const body: Omit<SnapshotManifest, "contentHash"> = {
      format: SNAPSHOT_FORMAT,
      name: opts.name ?? "",
      sources: { synth: synthSource, tasks: { ids: tasks.examples.flatMap((t) => t.taskIds).sort((a, b) => a - b), skipped: tasks.skipped } },
      examples,
      files,
      counts: countExamples(examples),
      benchmark: { split: "test", examples: examples.filter((e) => e.split === "test").length, hash: benchmarkHash(examples, hashes) },
    };
    const manifest: SnapshotManifest = { ...body, contentHash: manifestContentHash(body) };
    await writeFile(path.join(tmp, SNAPSHOT_FILE), JSON.stringify(manifest, null, 1) + "\n");
    if (existsSync(out)) throw new SnapshotError("exists", `${out} appeared while the snapshot was being built`);
    await rename(tmp, out);
    return { dir: out, manifest };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
