// Training loop of MolmoPoint-Tiny: one jit-compiled step (loss, gradient, clipped Adam) over fixed padded batch
// shapes (with `processes` > 1: shard processes compute the gradients and Adam runs on host arrays here), a
// deterministic batch schedule (a pure function of seed and step), atomic checkpoints (params, Adam moments, step,
// loss history) that resume to the same result, and the final weights as safetensors + config.json + vocab.json.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { seededRandom } from "../../lib/random";
import type { BuiltinVocab } from "../../inference/builtin/contract";
import { ADAM_DEFAULTS, adamInit, adamStepSize, adamUpdate, adamUpdateHost, type AdamOptions, type TensorTree } from "../ml/adam";
import { jax, np, type Tensor } from "../ml/runtime";
import { encodeSafetensors, readSafetensors, type HostTensor } from "../ml/safetensors";
import { buildVocab, type TinyConfig } from "./config";
import { packBatch, packShards, toDevice, type ModelExample } from "./batch";
import { lossAndGrad, type Params, type TrainBatch } from "./forward";
import { initParams, paramShapes, type HostParams } from "./params";
import { ShardWorkers } from "./shard-workers";

export class TrainingError extends Error {
  override name = "TrainingError";
  constructor(
    readonly code: "nan_loss" | "cancelled" | "bad_input" | "checkpoint_mismatch" | "worker_failed",
    message: string,
  ) {
    super(message);
  }
}

export interface TrainProgress {
  step: number;
  steps: number;
  loss: number;
  /** The four heads' mean cross-entropies of this step (they sum to `loss`). */
  /** `bind` / `sem`: the weighted training-only binding / semantic losses (config bindAux / semAux > 0). */
  lossParts: { patch: number; subpatch: number; location: number; id: number; bind?: number; sem?: number };
  lr: number;
  /** Training examples per second over the steps of this run so far (compilation excluded after step 1). */
  examplesPerSec: number;
  elapsedSec: number;
}

export interface TrainOptions {
  examples: readonly ModelExample[];
  config: TinyConfig;
  vocab?: BuiltinVocab;
  steps: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Linear warm-up steps (default min(100, steps/10)), then cosine decay to `lr·minLrRatio` (default 0.1). */
  warmupSteps?: number;
  minLrRatio?: number;
  adam?: Partial<AdamOptions>;
  /** Points per example the batch shape holds (default: the most in `examples`). */
  maxPointsPerExample?: number;
  /**
   * Batch-shape buckets by point count (ascending caps; the last is raised to `maxPointsPerExample`): each batch
   * holds examples of one bucket and is padded only to its cap, so short examples do not pay for the longest
   * (one jit trace per bucket). Default: one bucket.
   */
  pointBuckets?: readonly number[];
  /**
   * Rows per video (R > 1): a batch holds B/R videos with up to R of each one's queries, so the vision encoder runs
   * once per video (examples of one video must share their frames array, as loadExamples gives them). Default 1.
   */
  queriesPerVideo?: number;
  /**
   * Data-parallel processes (default 1: the step runs in this process). P > 1 cuts every batch into P shards whose
   * gradients P child processes compute with one jax-js kernel thread each (shard-workers.ts); this process sums
   * them and applies Adam. The result depends on P (floating-point sums), and is deterministic for a given P.
   */
  processes?: number;
  checkpointDir: string;
  /** Write a checkpoint every this many steps (0 = only at the end). */
  checkpointEvery: number;
  /** Continue from `checkpointDir/checkpoint.safetensors` when it exists. */
  resume: boolean;
  /** Where the final weights go (default `checkpointDir`). */
  outDir?: string;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  /** Called after each checkpoint with the current host parameters (e.g. to evaluate). */
  onCheckpoint?: (step: number, params: HostParams) => void | Promise<void>;
}

export interface TrainResult {
  weightsFile: string;
  steps: number;
  finalLoss: number;
  losses: number[];
}

export const CHECKPOINT_FILE = "checkpoint.safetensors";
export const WEIGHTS_FILE = "model.safetensors";

/** Learning rate at step t (1-based): linear warm-up, then cosine decay. */
export function learningRate(t: number, o: { lr: number; steps: number; warmupSteps: number; minLrRatio: number }): number {
  if (t <= o.warmupSteps) return (o.lr * t) / Math.max(1, o.warmupSteps);
  const p = (t - o.warmupSteps) / Math.max(1, o.steps - o.warmupSteps);
  return o.lr * (o.minLrRatio + (1 - o.minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, p))));
}

/** An in-place Fisher–Yates shuffle drawing from the (seed, epoch) stream: the batch schedule is a pure function of both. */
function epochShuffle(seed: number, epoch: number): <T>(xs: T[]) => T[] {
  const rnd = seededRandom((seed * 1000003 + epoch * 7919 + 17) >>> 0);
  return <T>(xs: T[]): T[] => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  };
}

/**
 * The batches of one epoch: per frame count, examples shuffled and chunked into batches of ≤ batchSize, then the
 * batches shuffled — a pure function of (seed, epoch).
 */
export function epochBatches(examples: readonly ModelExample[], batchSize: number, seed: number, epoch: number, bucketOf: (e: ModelExample) => number = () => 0): number[][] {
  const shuffle = epochShuffle(seed, epoch);
  // Group key: frame count, then bucket (a batch has one shape).
  const groups = new Map<number, number[]>();
  examples.forEach((e, i) => {
    const key = e.nFrames * 1024 + bucketOf(e);
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  const batches: number[][] = [];
  for (const f of [...groups.keys()].sort((a, b) => a - b)) {
    const idx = shuffle(groups.get(f) as number[]);
    for (let i = 0; i < idx.length; i += batchSize) batches.push(idx.slice(i, i + batchSize));
  }
  return shuffle(batches);
}

/**
 * Like `epochBatches`, for batches whose rows share videos (`rowsPerVideo` R > 1): each video's examples (examples
 * of one video share their frames array) are shuffled and cut into units of ≤ R; units are grouped by frame count
 * and bucket (of their longest example), shuffled and packed B/R to a batch. Row u·R + i of a batch is example i of
 * unit u, or −1 (padding) — a pure function of (seed, epoch).
 */
export function videoEpochBatches(examples: readonly ModelExample[], batchSize: number, rowsPerVideo: number, seed: number, epoch: number, bucketOf: (e: ModelExample) => number = () => 0): number[][] {
  const R = rowsPerVideo;
  if (!Number.isInteger(R) || R < 1 || batchSize % R !== 0) throw new TrainingError("bad_input", `queriesPerVideo ${R} must divide the batch size ${batchSize}`);
  const shuffle = epochShuffle(seed, epoch);
  const byVideo = new Map<Float32Array, number[]>();
  examples.forEach((e, i) => {
    const v = byVideo.get(e.frames);
    if (v) v.push(i);
    else byVideo.set(e.frames, [i]);
  });
  const groups = new Map<number, number[][]>();
  for (const idx of byVideo.values()) {
    shuffle(idx);
    for (let i = 0; i < idx.length; i += R) {
      const unit = idx.slice(i, i + R);
      const key = examples[unit[0]].nFrames * 1024 + Math.max(...unit.map((k) => bucketOf(examples[k])));
      const g = groups.get(key);
      if (g) g.push(unit);
      else groups.set(key, [unit]);
    }
  }
  const perBatch = batchSize / R;
  const batches: number[][] = [];
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const units = shuffle(groups.get(key) as number[][]);
    for (let i = 0; i < units.length; i += perBatch) {
      const rows = units.slice(i, i + perBatch).flatMap((u) => [...u, ...Array<number>(R - u.length).fill(-1)]);
      batches.push([...rows, ...Array<number>(batchSize - rows.length).fill(-1)]);
    }
  }
  return shuffle(batches);
}

/** Weights and Adam moments as host arrays, by parameter name. */
interface HostState {
  params: Map<string, HostTensor>;
  m: Map<string, HostTensor>;
  v: Map<string, HostTensor>;
}

function hostTree(host: ReadonlyMap<string, HostTensor>, prefix: string, names: readonly string[], file: string): TensorTree {
  const out: TensorTree = {};
  for (const n of names) {
    const t = host.get(prefix + n);
    if (!t) throw new TrainingError("checkpoint_mismatch", `${file}: tensor '${prefix + n}' is missing`);
    out[n] = np.array(t.data, { shape: t.shape });
  }
  return out;
}

async function toHost(tree: TensorTree, names: readonly string[]): Promise<Map<string, HostTensor>> {
  const out = new Map<string, HostTensor>();
  for (const n of names) {
    const t = tree[n];
    out.set(n, { shape: t.shape, data: (await t.ref.data()) as Float32Array });
  }
  return out;
}

async function writeAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.partial`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

function examplesDigest(examples: readonly ModelExample[]): string {
  const h = createHash("sha256");
  for (const e of examples) h.update(`${e.id}\n`);
  return h.digest("hex");
}

/** The training-only loss parts after the four heads' (lossParts order: bind, then sem). */
function auxParts(c: TinyConfig, pv: ArrayLike<number>): { bind?: number; sem?: number } {
  let i = 4;
  const out: { bind?: number; sem?: number } = {};
  if (c.bindAux > 0) out.bind = pv[i++];
  if (c.semAux > 0) out.sem = pv[i++];
  return out;
}

/** Trains MolmoPoint-Tiny (see the module comment). Call `initJax()` first. */
export async function trainTiny(o: TrainOptions): Promise<TrainResult> {
  const c = o.config;
  const vocab = o.vocab ?? buildVocab(c);
  const V = vocab.tokens.length;
  if (o.examples.length === 0) throw new TrainingError("bad_input", "no training examples");
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new TrainingError("bad_input", `steps must be a positive integer, got ${o.steps}`);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new TrainingError("bad_input", `batchSize must be a positive integer, got ${o.batchSize}`);
  if (!(o.lr > 0)) throw new TrainingError("bad_input", `lr must be > 0, got ${o.lr}`);
  const adamOpts: AdamOptions = { ...ADAM_DEFAULTS, ...o.adam };
  const warmupSteps = o.warmupSteps ?? Math.min(100, Math.floor(o.steps / 10));
  const minLrRatio = o.minLrRatio ?? 0.1;
  const maxPoints = o.maxPointsPerExample ?? Math.max(1, ...o.examples.map((e) => e.targets.length));
  const tooMany = o.examples.find((e) => e.targets.length > maxPoints);
  if (tooMany) throw new TrainingError("bad_input", `example ${tooMany.id} has ${tooMany.targets.length} points, more than maxPointsPerExample ${maxPoints}`);
  const caps = [...(o.pointBuckets ?? []).filter((b) => b < maxPoints), maxPoints].sort((a, b) => a - b);
  if (caps.some((b) => !Number.isInteger(b) || b < 1)) throw new TrainingError("bad_input", `pointBuckets must be positive integers, got ${JSON.stringify(o.pointBuckets)}`);
  const R = o.queriesPerVideo ?? 1;
  const P = o.processes ?? 1;
  if (!Number.isInteger(P) || P < 1 || o.batchSize % P !== 0 || (o.batchSize / P) % R !== 0) throw new TrainingError("bad_input", `processes ${P} must divide the batch size ${o.batchSize} into whole video units of ${R} rows`);
  if (P > 1 && c.bindAux > 0) throw new TrainingError("bad_input", "the binding loss (bindAux > 0) cannot be trained with processes > 1: it normalises per batch");
  const bucketOf = (e: ModelExample) => caps.findIndex((cap) => e.targets.length <= cap);
  const names = [...paramShapes(c, V).keys()];
  const outDir = o.outDir ?? o.checkpointDir;
  await mkdir(o.checkpointDir, { recursive: true });
  await mkdir(outDir, { recursive: true });
  const ckptFile = path.join(o.checkpointDir, CHECKPOINT_FILE);
  const identity = JSON.stringify({ config: c, vocab: vocab.tokens, seed: o.seed, batchSize: o.batchSize, lr: o.lr, steps: o.steps, warmupSteps, minLrRatio, adam: adamOpts, maxPoints, ...(caps.length > 1 ? { caps } : {}), ...(R > 1 ? { queriesPerVideo: R } : {}), ...(P > 1 ? { processes: P } : {}), examples: examplesDigest(o.examples) });

  let params: TensorTree;
  let m: TensorTree;
  let v: TensorTree;
  let start = 0;
  let losses: number[] = [];
  if (o.resume && existsSync(ckptFile)) {
    const ck = await readSafetensors(ckptFile);
    if (ck.metadata.identity !== identity) {
      throw new TrainingError("checkpoint_mismatch", `${ckptFile} belongs to a different run (config, data, seed or hyper-parameters differ); remove it or resume with the same options`);
    }
    params = hostTree(ck.tensors, "param.", names, ckptFile);
    m = hostTree(ck.tensors, "adam.m.", names, ckptFile);
    v = hostTree(ck.tensors, "adam.v.", names, ckptFile);
    start = Number(ck.metadata.step);
    losses = JSON.parse(ck.metadata.losses) as number[];
  } else {
    const init = initParams(c, V, o.seed);
    params = {};
    for (const n of names) {
      const t = init.get(n) as HostTensor;
      params[n] = np.array(t.data, { shape: t.shape });
    }
    ({ m, v } = adamInit(params));
  }

  // Data-parallel runs keep the weights and moments on the host (adamUpdateHost); one process keeps them in jax.
  let host: HostState | null = null;
  /** The weights and Adam moments as host arrays, wherever they live. */
  const hostState = async (): Promise<HostState> => host ?? { params: await toHost(params, names), m: await toHost(m, names), v: await toHost(v, names) };
  const writeCheckpoint = async (step: number) => {
    const tensors = new Map<string, HostTensor>();
    const st = await hostState();
    for (const [prefix, tree] of [["param.", st.params], ["adam.m.", st.m], ["adam.v.", st.v]] as const) {
      for (const [n, t] of tree) tensors.set(prefix + n, t);
    }
    await writeAtomic(ckptFile, encodeSafetensors(tensors, { format: "groundtrack-tiny-checkpoint/1", identity, step: String(step), losses: JSON.stringify(losses), rng: JSON.stringify({ seed: o.seed, schedule: "epochBatches(seed, floor(step / batchesPerEpoch))" }) }));
  };

  const step = jax.jit((p: TensorTree, mm: TensorTree, vv: TensorTree, batch: TrainBatch, lrT: Tensor) => {
    // The per-head losses ride along as aux so the curves can show which head is learning.
    const [[l, parts], grads] = lossAndGrad(jax.tree.ref(p) as Params, c, batch);
    const up = adamUpdate(p, grads as TensorTree, mm, vv, lrT, adamOpts);
    return [l, parts, up.params, up.m, up.v] as [Tensor, Tensor, TensorTree, TensorTree, TensorTree];
  });

  let workers: ShardWorkers | null = null;
  if (P > 1) {
    try {
      workers = await ShardWorkers.start(P, c);
    } catch (e) {
      step.dispose();
      jax.tree.dispose([params, m, v]);
      throw new TrainingError("worker_failed", `could not start ${P} training processes: ${(e as Error).message}`);
    }
    host = await hostState();
    jax.tree.dispose([params, m, v]);
    params = m = v = {};
  }

  const schedule = (epoch: number) => (R > 1 ? videoEpochBatches(o.examples, o.batchSize, R, o.seed, epoch, bucketOf) : epochBatches(o.examples, o.batchSize, o.seed, epoch, bucketOf));
  const perEpoch = schedule(0).length;
  let epochCache: { epoch: number; batches: number[][] } | null = null;
  const t0 = performance.now();
  let tAfterFirst = 0;
  let examplesSeen = 0;
  try {
    for (let s = start; s < o.steps; s++) {
      if (o.signal?.aborted) {
        await writeCheckpoint(s);
        throw new TrainingError("cancelled", `training cancelled at step ${s}; checkpoint written to ${ckptFile}`);
      }
      const epoch = Math.floor(s / perEpoch);
      if (!epochCache || epochCache.epoch !== epoch) epochCache = { epoch, batches: schedule(epoch) };
      const idx = epochCache.batches[s % perEpoch];
      const rows = idx.map((i) => (i < 0 ? undefined : o.examples[i]));
      const exs = rows.filter((e): e is ModelExample => e !== undefined);
      const cap = caps[Math.max(...exs.map(bucketOf))];
      const packOpts = { batchSize: o.batchSize, nFrames: exs[0].nFrames, maxPointsPerExample: cap, rowsPerVideo: R };
      const lr = learningRate(s + 1, { lr: o.lr, steps: o.steps, warmupSteps, minLrRatio });
      let value: number;
      let pv: ArrayLike<number>;
      if (workers) {
        const st = host as HostState;
        let shards;
        try {
          shards = await workers.gradients(st.params, names, packShards(rows, c, V, packOpts, P));
        } catch (e) {
          // The state is still the one before this step: keep it, so the run can resume.
          await writeCheckpoint(s);
          throw new TrainingError("worker_failed", `${(e as Error).message}; checkpoint of step ${s} written to ${ckptFile}`);
        }
        // The shards' gradients summed in shard order (float32, like a jax add), so the run is deterministic.
        const g = shards[0]!.grads;
        for (const r of shards.slice(1)) for (const [i, gi] of r.grads.entries()) for (let j = 0; j < gi.length; j++) g[i]![j]! += gi[j]!;
        const data = (t: ReadonlyMap<string, HostTensor>) => names.map((n) => (t.get(n) as HostTensor).data);
        adamUpdateHost(data(st.params), g, data(st.m), data(st.v), adamStepSize(lr, s + 1, adamOpts), adamOpts);
        const sum = Array.from(shards[0]!.parts, (_, i) => shards.reduce((acc, r) => acc + r.parts[i]!, 0));
        pv = sum;
        value = sum.reduce((a, b) => a + b, 0);
      } else {
        const host = packBatch(rows, c, V, packOpts);
        const [l, lp, p1, m1, v1] = step(params, m, v, toDevice(host), np.array(adamStepSize(lr, s + 1, adamOpts)));
        // The step consumed the previous trees: hold the new ones (disposed in `finally`) before any check.
        params = p1;
        m = m1;
        v = v1;
        value = (await l.data())[0];
        pv = await lp.data();
      }
      if (!Number.isFinite(value)) {
        throw new TrainingError("nan_loss", `non-finite loss ${value} at step ${s + 1} (lr ${lr}); no weights were written`);
      }
      losses.push(value);
      if (s === start) tAfterFirst = performance.now();
      else examplesSeen += exs.length;
      const now = performance.now();
      o.onProgress?.({ step: s + 1, steps: o.steps, loss: value, lossParts: { patch: pv[0], subpatch: pv[1], location: pv[2], id: pv[3], ...auxParts(c, pv) }, lr, examplesPerSec: examplesSeen > 0 ? examplesSeen / ((now - tAfterFirst) / 1000) : 0, elapsedSec: (now - t0) / 1000 });
      if (o.checkpointEvery > 0 && (s + 1) % o.checkpointEvery === 0 && s + 1 < o.steps) {
        await writeCheckpoint(s + 1);
        if (o.onCheckpoint) await o.onCheckpoint(s + 1, (await hostState()).params);
      }
    }
    await writeCheckpoint(o.steps);
    const final = (await hostState()).params;
    const weightsFile = path.join(outDir, WEIGHTS_FILE);
    const finalLoss = losses[losses.length - 1];
    await writeAtomic(weightsFile, encodeSafetensors(final, { format: "groundtrack-molmopoint-tiny/1", steps: String(o.steps), finalLoss: String(finalLoss) }));
    await writeAtomic(path.join(outDir, "config.json"), JSON.stringify(c, null, 1) + "\n");
    await writeAtomic(path.join(outDir, "vocab.json"), JSON.stringify(vocab, null, 1) + "\n");
    return { weightsFile, steps: o.steps, finalLoss, losses };
  } finally {
    await workers?.close();
    jax.tree.dispose([params, m, v]);
    step.dispose();
  }
}

/** Reads trained weights (+ the config.json / vocab.json beside them). */
export async function readWeights(file: string): Promise<HostParams> {
  return (await readSafetensors(file)).tensors;
}
