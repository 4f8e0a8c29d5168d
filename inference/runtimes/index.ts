// Runtime registry: a job (or the CLI) names a runtime kind and its options; this builds it. The built-in runtime
// is imported lazily so the remote path never loads onnxruntime.
import { existsSync } from "node:fs";
import path from "node:path";
import { readPromotedPointer } from "../../lib/services/models";
import { RuntimeError, type ModelRuntime, type QueryRequest, type QueryResult } from "../runtime";
import type { RemoteRuntimeOptions } from "./remote";

export const RUNTIME_KINDS = ["built-in", "remote"] as const;
export type RuntimeKind = (typeof RUNTIME_KINDS)[number];

export interface RuntimeOptions {
  /** built-in: model directory (default models/builtin or $GROUNDTRACK_BUILTIN_MODEL_DIR). */
  modelDir?: string;
  /** remote: the OpenAI-compatible server and model (required for "remote"). */
  remote?: RemoteRuntimeOptions;
  /** Where runtimes report device choices and fallbacks. */
  log?: (msg: string) => void;
}

/** A registered model version as far as running it goes (a ModelVersion row or its view). */
export interface RegisteredVersion {
  version: string;
  kind: string;
  dir: string | null;
  endpoint: string | null;
  remoteModel: string | null;
}

/**
 * The runtime that serves a registered version — built-in → the built-in runtime on the version's contract dir,
 * external → the remote runtime with its endpoint and served model name. The one mapping used by query jobs, the
 * query CLI and the trainer's evaluation. `remote` adds tuning (timeouts, frames, video form) for external versions.
 */
export function versionRuntimeOptions(v: RegisteredVersion, extra: { remote?: Partial<RemoteRuntimeOptions>; log?: (msg: string) => void } = {}): { kind: RuntimeKind; options: RuntimeOptions } {
  const log = extra.log ? { log: extra.log } : {};
  if (v.kind === "built-in") {
    if (!v.dir) throw new RuntimeError("model_invalid", `model version '${v.version}' has no model directory`);
    return { kind: "built-in", options: { modelDir: v.dir, ...log } };
  }
  if (v.kind === "external") {
    if (!v.endpoint || !v.remoteModel) throw new RuntimeError("model_invalid", `external model version '${v.version}' has no endpoint/model`);
    return { kind: "remote", options: { remote: { ...extra.remote, endpoint: v.endpoint, model: v.remoteModel }, ...log } };
  }
  throw new RuntimeError("model_invalid", `model version '${v.version}' has unknown kind '${v.kind}' (expected built-in or external)`);
}

/** Where a version lives, for messages: its dir, or `<model> @ <endpoint>`. */
export function versionLocation(v: RegisteredVersion): string {
  return v.kind === "external" ? `${v.remoteModel ?? "?"} @ ${v.endpoint ?? "?"}` : (v.dir ?? "no directory");
}

/**
 * Builds the runtime of a registered version. A built-in version whose files are gone is `model_missing` naming the
 * version and the missing file (checked here so the message says which version, not only which path).
 */
export async function createVersionRuntime(v: RegisteredVersion, extra: { remote?: Partial<RemoteRuntimeOptions>; log?: (msg: string) => void } = {}): Promise<ModelRuntime> {
  const { kind, options } = versionRuntimeOptions(v, extra);
  if (kind === "built-in") assertVersionFiles(v);
  return createRuntime(kind, options);
}

/** Throws `model_missing` when a built-in version's contract dir has no config.json any more. */
export function assertVersionFiles(v: RegisteredVersion): void {
  if (v.kind !== "built-in" || !v.dir) return;
  const config = path.join(v.dir, "config.json");
  if (!existsSync(config)) throw new RuntimeError("model_missing", `model version '${v.version}': its model files are gone (${config} is missing)`);
}

export function isRuntimeKind(s: string): s is RuntimeKind {
  return (RUNTIME_KINDS as readonly string[]).includes(s);
}

export async function createRuntime(kind: RuntimeKind, opts: RuntimeOptions = {}): Promise<ModelRuntime> {
  if (kind === "remote") {
    if (!opts.remote) throw new RuntimeError("model_invalid", "the remote runtime needs an endpoint URL and a model name");
    const { createRemoteRuntime } = await import("./remote");
    return createRemoteRuntime(opts.remote);
  }
  if (kind === "built-in") {
    const { createBuiltinRuntime } = await import("./builtin");
    // No explicit directory and no $GROUNDTRACK_BUILTIN_MODEL_DIR: serve the promoted model version (registry).
    if (opts.modelDir === undefined && !process.env.GROUNDTRACK_BUILTIN_MODEL_DIR) return followPromoted(opts.log);
    return createBuiltinRuntime({ ...(opts.modelDir === undefined ? {} : { modelDir: opts.modelDir }), ...(opts.log ? { log: opts.log } : {}) });
  }
  throw new RuntimeError("model_invalid", `unknown runtime '${String(kind)}' (expected ${RUNTIME_KINDS.join(" or ")})`);
}

/** The promoted built-in version's model dir (models/versions/promoted.json), or undefined → models/builtin (demo). */
export function promotedBuiltinDir(): string | undefined {
  const p = readPromotedPointer();
  return p?.kind === "built-in" && p.dir && existsSync(path.join(p.dir, "config.json")) ? p.dir : undefined;
}

/**
 * A built-in runtime that follows promotions: each query checks the promoted pointer and, when another version was
 * promoted, loads it (a long-running worker needs no restart). Runtimes it replaced are closed on close().
 */
async function followPromoted(log: ((msg: string) => void) | undefined): Promise<ModelRuntime> {
  const { createBuiltinRuntime } = await import("./builtin");
  const load = (dir: string | undefined) => createBuiltinRuntime({ ...(dir === undefined ? {} : { modelDir: dir }), ...(log ? { log } : {}) });
  let dir = promotedBuiltinDir();
  let current: ModelRuntime = await load(dir);
  const replaced: ModelRuntime[] = [];
  return {
    kind: "built-in",
    get engine() {
      return current.engine;
    },
    async query(req: QueryRequest): Promise<QueryResult> {
      const now = promotedBuiltinDir();
      if (now !== dir) {
        const next = await load(now);
        replaced.push(current);
        current = next;
        dir = now;
      }
      return current.query(req);
    },
    async close(): Promise<void> {
      for (const r of [...replaced, current]) await r.close();
    },
  };
}
