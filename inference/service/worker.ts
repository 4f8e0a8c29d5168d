// A query worker: polls the queue, claims one job at a time with a lease, renews the lease on a heartbeat (which
// also picks up cancel requests), runs the job, and writes the final state. Used in-process by server.ts and as a
// separate process by inference/worker.ts.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Db } from "../../lib/db";
import type { QueryJobParams } from "../../lib/services/inference-jobs";
import { RuntimeError, type ModelRuntime, type QueryRequest, type QueryResult } from "../runtime";
import { assertVersionFiles, createRuntime, createVersionRuntime, versionLocation, type RegisteredVersion } from "../runtimes";
import type { MaskEngine } from "../sam2/types";
import { claimJob, finishJob, releaseJob, renewLease } from "./queue";
import { emitEvent, JOB_LEVEL, runQueryJob, type RunnerDeps } from "./runner";

export interface WorkerOptions {
  db: Db;
  /** Default `<host>-<pid>-<random>`. */
  workerId?: string;
  /** Lease length (default 15 s); renewed every leaseMs/3. */
  leaseMs?: number;
  /** Queue poll interval when idle (default 500 ms). */
  pollMs?: number;
  /** SAM2 models directory (default $GROUNDTRACK_SAM2_DIR, else models/sam2 when it exists, else the classical engine). */
  sam2Dir?: string;
  /** Built-in model directory (default: the built-in runtime's own default). */
  builtinModelDir?: string;
  log?: (msg: string) => void;
  /** Override for tests / embedding. */
  runtimeFor?: RunnerDeps["runtimeFor"];
  maskEngineFor?: RunnerDeps["maskEngineFor"];
}

export function defaultSam2Dir(): string | undefined {
  if (process.env.GROUNDTRACK_SAM2_DIR) return path.resolve(process.env.GROUNDTRACK_SAM2_DIR);
  const d = path.resolve("models", "sam2");
  return existsSync(d) ? d : undefined;
}

export class QueryWorker {
  readonly id: string;
  private readonly db: Db;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly log: (msg: string) => void;
  private readonly deps: RunnerDeps;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private current: { jobId: number; abort: AbortController } | null = null;
  private readonly runtimes = new Map<string, Promise<ModelRuntime>>();
  private maskEngine: Promise<MaskEngine> | null = null;

  constructor(private readonly opts: WorkerOptions) {
    this.db = opts.db;
    this.id = opts.workerId ?? `${os.hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
    this.leaseMs = opts.leaseMs ?? 15_000;
    this.pollMs = opts.pollMs ?? 500;
    this.log = opts.log ?? ((m) => console.log(`[worker ${this.id}] ${m}`));
    this.deps = {
      db: this.db,
      runtimeFor: opts.runtimeFor ?? ((p) => this.runtimeFor(p)),
      maskEngineFor: opts.maskEngineFor ?? (() => this.maskEngineFor()),
    };
  }

  /** Runtimes are cached per configuration: the built-in one keeps encoded videos across queries. */
  private runtimeFor(p: QueryJobParams): Promise<ModelRuntime> {
    if (p.modelVersion !== null) return this.versionRuntimeFor(p.modelVersion);
    const key = JSON.stringify([p.runtime, p.remote]);
    let r = this.runtimes.get(key);
    if (!r) {
      r = createRuntime(p.runtime, {
        ...(this.opts.builtinModelDir ? { modelDir: this.opts.builtinModelDir } : {}),
        ...(p.remote ? { remote: p.remote } : {}),
        log: this.log,
      });
      // A failed creation (missing model, bad options) is not cached: the next job tries again.
      r.catch(() => this.runtimes.delete(key));
      this.runtimes.set(key, r);
    }
    return r;
  }

  /**
   * A registered model version, resolved from its row when the job runs and cached per version (and location).
   * A version whose row or files are gone fails the job with `model_missing` (its cached runtime is dropped); job-level
   * errors of its runtime (server down, timeout, bad model) name the version, so the job error says which model failed.
   */
  private async versionRuntimeFor(name: string): Promise<ModelRuntime> {
    const row = await this.db.modelVersion.findUnique({ where: { version: name }, select: { version: true, kind: true, dir: true, endpoint: true, remoteModel: true } });
    if (!row) throw new RuntimeError("model_missing", `model version '${name}' is no longer registered`);
    const key = JSON.stringify(["version", row.version, row.kind, row.dir, row.endpoint, row.remoteModel]);
    try {
      assertVersionFiles(row);
    } catch (e) {
      const stale = this.runtimes.get(key);
      this.runtimes.delete(key);
      await stale?.then((x) => x.close()).catch(() => {});
      throw e;
    }
    let r = this.runtimes.get(key);
    if (!r) {
      r = createVersionRuntime(row, { log: this.log }).then((rt) => namedAfterVersion(rt, row), (e: unknown) => {
        throw relabel(e, row);
      });
      r.catch(() => this.runtimes.delete(key));
      this.runtimes.set(key, r);
    }
    return r;
  }

  private async maskEngineFor(): Promise<MaskEngine> {
    if (!this.maskEngine) {
      const dir = this.opts.sam2Dir ?? defaultSam2Dir();
      const { createMaskEngine } = await import("../sam2");
      this.maskEngine = createMaskEngine({ ...(dir ? { modelsDir: dir } : {}), log: this.log });
      this.maskEngine.catch(() => (this.maskEngine = null));
    }
    return this.maskEngine;
  }

  start(): this {
    if (this.running) return this;
    this.running = true;
    this.loop = this.run();
    return this;
  }

  /** Poke an idle worker (a job was just queued in this process). */
  notify(): void {
    this.wake?.();
  }

  /** Stops polling; a job in progress is aborted and handed back to the queue for another worker. */
  async stop(): Promise<void> {
    this.running = false;
    this.current?.abort.abort();
    this.wake?.();
    await this.loop;
    for (const r of this.runtimes.values()) await r.then((x) => x.close()).catch(() => {});
    this.runtimes.clear();
    if (this.maskEngine) await this.maskEngine.then((m) => m.close()).catch(() => {});
    this.maskEngine = null;
  }

  /** Claims and runs one job; false when the queue was empty. */
  async runOnce(): Promise<boolean> {
    const job = await claimJob(this.db, this.id, this.leaseMs);
    if (!job) return false;
    this.log(`claimed job ${job.id} (attempt ${job.attempts})`);
    const abort = new AbortController();
    this.current = { jobId: job.id, abort };
    let lost = false;
    let cancelled = false;
    const beat = async () => {
      try {
        const s = await renewLease(this.db, job.id, this.id, this.leaseMs);
        if (s === "lost") {
          lost = true;
          abort.abort();
        } else if (s === "cancel") {
          cancelled = true;
          abort.abort();
        }
      } catch (e) {
        this.log(`lease renewal failed: ${(e as Error).message}`);
      }
    };
    await beat();
    const timer = setInterval(() => void beat(), Math.max(50, Math.floor(this.leaseMs / 3)));
    try {
      const outcome = await runQueryJob(this.deps, job, abort.signal);
      clearInterval(timer);
      if (lost) {
        this.log(`lost the lease of job ${job.id}; another worker owns it now`);
        return true;
      }
      if (!this.running && outcome.status === "cancelled" && !cancelled) {
        await releaseJob(this.db, job.id, this.id);
        this.log(`released job ${job.id} on shutdown`);
        return true;
      }
      const error = outcome.status === "failed" ? outcome.error : outcome.status === "cancelled" ? "cancelled" : null;
      if (await finishJob(this.db, job.id, this.id, outcome.status, error)) {
        await emitEvent(this.db, job.id, outcome.status === "done" ? "done" : "error", { status: outcome.status, error });
        this.log(`job ${job.id} ${outcome.status}${error ? `: ${error}` : ""}`);
      }
      return true;
    } finally {
      clearInterval(timer);
      this.current = null;
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      let worked = false;
      try {
        worked = await this.runOnce();
      } catch (e) {
        this.log(`error: ${(e as Error).message}`);
      }
      if (!worked && this.running) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.pollMs);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = null;
      }
    }
  }
}

/** A job-level runtime error with the version it came from in front of its message (same code). */
function relabel(e: unknown, v: RegisteredVersion): unknown {
  if (!(e instanceof RuntimeError) || !JOB_LEVEL.has(e.code) || e.message.includes(`model version '${v.version}'`)) return e;
  return new RuntimeError(e.code, `model version '${v.version}' (${v.kind}, ${versionLocation(v)}): ${e.message}`);
}

/** The version's runtime with its job-level errors relabelled (see relabel). */
function namedAfterVersion(rt: ModelRuntime, v: RegisteredVersion): ModelRuntime {
  return {
    kind: rt.kind,
    get engine() {
      return rt.engine;
    },
    async query(req: QueryRequest): Promise<QueryResult> {
      try {
        return await rt.query(req);
      } catch (e) {
        throw relabel(e, v);
      }
    },
    close: () => rt.close(),
  };
}
