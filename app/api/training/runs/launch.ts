// Starts a training run from the web: a detached `groundtrack train run` process (the same CLI path an operator
// uses; training is CPU-bound and must not run on the web server's event loop). The route waits until the CLI has
// created the TrainingRun row and printed its id, or until it exits early with its input error. The process
// outlives the request (and a server restart); its output goes to <models>/runs/launch-<stamp>.log, its progress
// to the TrainingRun/TrainingMetric rows the page polls.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { modelsRoot, versionName } from "../../../../lib/services/models";
import { badRequest, ServiceError } from "../../../../lib/services/errors";

export const startRunBody = z
  .object({
    snapshotId: z.number().int().positive(),
    steps: z.number().int().positive().max(1_000_000),
    batchSize: z.number().int().positive().max(4096).optional(),
    lr: z.number().positive().max(10).optional(),
    seed: z.number().int().min(0).optional(),
    checkpointEvery: z.number().int().min(0).optional(),
    processes: z.number().int().min(1).max(16).optional(),
    version: versionName.optional(),
  })
  .strict();
export type StartRunBody = z.infer<typeof startRunBody>;

export interface LaunchedRun {
  runId: number;
  pid: number;
  log: string;
}

/** CLI arguments for `train run` (the CLI validates again: it is the owner of the parameter rules). */
export function trainArgs(b: StartRunBody): string[] {
  const a = ["train", "run", "--snapshot", String(b.snapshotId), "--steps", String(b.steps)];
  if (b.batchSize !== undefined) a.push("--batch-size", String(b.batchSize));
  if (b.lr !== undefined) a.push("--lr", String(b.lr));
  if (b.seed !== undefined) a.push("--seed", String(b.seed));
  if (b.checkpointEvery !== undefined) a.push("--checkpoint-every", String(b.checkpointEvery));
  if (b.processes !== undefined) a.push("--processes", String(b.processes));
  if (b.version !== undefined) a.push("--version", b.version);
  return a;
}

const RUN_LINE = /training run #(\d+)/;

export async function launchTrainingRun(b: StartRunBody, opts: { timeoutMs?: number } = {}): Promise<LaunchedRun> {
  const dir = path.join(modelsRoot(), "runs");
  mkdirSync(dir, { recursive: true });
  const log = path.join(dir, `launch-${new Date().toISOString().replace(/[-:.]/g, "")}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.log`);
  const fd = openSync(log, "a");
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const child = spawn(process.execPath, [path.join(process.cwd(), "cli", "bin.mjs"), ...trainArgs(b)], {
    cwd: process.cwd(),
    env: process.env,
    detached: true,
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  child.once("exit", (code, signal) => (exit = { code, signal }));
  child.once("error", () => (exit = { code: -1, signal: null }));
  child.unref();
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const text = readFileSync(log, "utf8");
    const m = RUN_LINE.exec(text);
    if (m) return { runId: Number(m[1]), pid: child.pid ?? -1, log };
    if (exit) {
      // The CLI refused the parameters (or the snapshot): its message is the error, minus usage text.
      const lines = text.split("\n").map((l) => l.replace(/^groundtrack train: /, "").trim()).filter((l) => l && !l.startsWith("usage:") && !l.startsWith("  ") && !l.startsWith("(node:"));
      throw badRequest(lines[0] ?? `the training process exited with code ${(exit as { code: number | null }).code} before creating a run`);
    }
    if (Date.now() > deadline) throw new ServiceError(504, "timeout", `the training process did not create a run within ${Math.round((opts.timeoutMs ?? 60_000) / 1000)} s (log: ${path.basename(log)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
