// Data-parallel training over child processes. jax-js's second wasm kernel thread did not speed up a training step
// on this project's 2-core machines (bench:train-step), while two single-threaded processes each keep most of
// their speed side by side. So with `processes` P > 1 every batch is cut into P shards (batch.ts packShards: each
// normalised by the whole batch's counts, so their gradients sum to the whole batch's), P child processes
// (shard-worker.ts, one jax-js kernel thread each) compute one shard's gradients, and the training process sums
// them in a fixed order and applies Adam: the run stays a deterministic function of its options.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { HostTensor } from "../ml/safetensors";
import type { HostBatch } from "./batch";
import type { TinyConfig } from "./config";

export type ShardRequest =
  | { kind: "init"; config: TinyConfig }
  | { kind: "grad"; id: number; params: Array<[string, number[], Float32Array]>; batch: Pick<HostBatch, "shapes" | "arrays"> };

export type ShardReply =
  | { kind: "ready" }
  | { kind: "grad"; id: number; parts: Float32Array; grads: Float32Array[] }
  | { kind: "error"; id: number; message: string };

/** A shard's loss parts (lossParts order) and its gradients, in the order of the parameters sent. */
export interface ShardGradients {
  parts: Float32Array;
  grads: Float32Array[];
}

export class ShardWorkerError extends Error {
  override name = "ShardWorkerError";
}

const WORKER_FILE = fileURLToPath(new URL("./shard-worker.ts", import.meta.url));

interface Pending {
  resolve: (r: ShardGradients) => void;
  reject: (e: Error) => void;
}

class ShardWorker {
  private pending = new Map<number, Pending>();
  private failure: Error | null = null;
  private constructor(private readonly child: ChildProcess) {
    child.on("message", (msg: ShardReply) => {
      if (msg.kind === "grad") {
        this.pending.get(msg.id)?.resolve({ parts: msg.parts, grads: msg.grads });
        this.pending.delete(msg.id);
      } else if (msg.kind === "error") {
        this.fail(new ShardWorkerError(`training shard process ${child.pid} failed: ${msg.message}`));
      }
    });
    child.on("exit", (code, signal) => this.fail(new ShardWorkerError(`training shard process ${child.pid} exited (${signal ?? `code ${code}`}) during training`)));
    child.on("error", (e) => this.fail(new ShardWorkerError(`training shard process: ${e.message}`)));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }

  /** Starts a child with one jax-js kernel thread; resolves once it has initialised jax-js and its step. */
  static start(config: TinyConfig): Promise<ShardWorker> {
    const child = fork(WORKER_FILE, [], {
      // The worker is TypeScript, like the rest of the trainer: load it through tsx, resolved from here.
      execArgv: ["--import", import.meta.resolve("tsx")],
      env: { ...process.env, GROUNDTRACK_JAX_THREADS: "1" },
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) => reject(new ShardWorkerError(`training shard process exited (${signal ?? `code ${code}`}) before it was ready`));
      const onMessage = (msg: ShardReply) => {
        if (msg.kind === "error") return reject(new ShardWorkerError(`training shard process failed to start: ${msg.message}`));
        if (msg.kind !== "ready") return;
        child.off("exit", onExit);
        child.off("error", reject);
        child.off("message", onMessage);
        resolve(new ShardWorker(child));
      };
      child.once("exit", onExit);
      child.once("error", reject);
      child.on("message", onMessage);
      child.send({ kind: "init", config } satisfies ShardRequest);
    });
  }

  gradients(id: number, params: ShardRequest & { kind: "grad" }): Promise<ShardGradients> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send(params);
    });
  }

  /** Ends the child and resolves once it has exited, so no shard process outlives the run that started it. */
  close(): Promise<void> {
    this.child.removeAllListeners("exit");
    const exited = this.child.exitCode !== null || this.child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => this.child.once("exit", () => r()));
    if (this.child.connected) this.child.disconnect();
    this.child.kill();
    return exited;
  }
}

/** P shard processes, one shard of every batch each. */
export class ShardWorkers {
  private next = 0;
  private constructor(private readonly workers: ShardWorker[]) {}

  static async start(processes: number, config: TinyConfig): Promise<ShardWorkers> {
    const started = await Promise.allSettled(Array.from({ length: processes }, () => ShardWorker.start(config)));
    const ok = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const bad = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (bad) {
      await Promise.all(ok.map((w) => w.close()));
      throw bad.reason instanceof Error ? bad.reason : new ShardWorkerError(String(bad.reason));
    }
    return new ShardWorkers(ok);
  }

  /** Gradients of shard k on worker k, all at once, with the same parameters (names in `order`). */
  async gradients(params: ReadonlyMap<string, HostTensor>, order: readonly string[], shards: readonly HostBatch[]): Promise<ShardGradients[]> {
    if (shards.length !== this.workers.length) throw new RangeError(`${shards.length} shards for ${this.workers.length} processes`);
    const p: Array<[string, number[], Float32Array]> = order.map((n) => {
      const t = params.get(n) as HostTensor;
      return [n, [...t.shape], t.data];
    });
    const id = this.next++;
    return Promise.all(this.workers.map((w, k) => w.gradients(id, { kind: "grad", id, params: p, batch: { shapes: shards[k]!.shapes, arrays: shards[k]!.arrays } })));
  }

  close(): Promise<void> {
    return Promise.all(this.workers.map((w) => w.close())).then(() => undefined);
  }
}
