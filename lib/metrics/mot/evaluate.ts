// MOTChallenge 2D-box evaluation runner: per tracker, per sequence (sorted, as TrackEval's eval.py), load + preprocess,
// run HOTA / CLEAR / Identity / Count, then combine sequences into COMBINED_SEQ from counts.
import { readFileSync } from "node:fs";
import path from "node:path";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { combineClearSequences, evalClearSequence, type ClearResult } from "../clear";
import { alphaMean, combineHotaSequences, evalHotaSequence, HOTA_ALPHAS, HOTA_FLOAT_ARRAY_FIELDS, HOTA_FLOAT_FIELDS, HOTA_INTEGER_ARRAY_FIELDS, type HotaResult } from "../hota";
import { combineIdentitySequences, evalIdentitySequence, type IdentityResult } from "../identity";
import type { TrackingSequence } from "../types";
import type { MotLayout, MotSequenceInfo } from "./dataset";
import { MotInputError } from "./errors";
import type { MotColumns } from "./kernels";
import { preprocessMotColumns } from "./preprocess";
import { parseMotColumns } from "./textFile";

export interface CountResult {
  Dets: number;
  GT_Dets: number;
  IDs: number;
  GT_IDs: number;
  /** Per sequence only (TrackEval's Count does not sum Frames when combining). */
  Frames?: number;
}

export interface MotMetrics {
  HOTA: HotaResult;
  CLEAR: ClearResult;
  Identity: IdentityResult;
  Count: CountResult;
}

/** Per tracker: every sequence by name plus `COMBINED_SEQ`. */
export type MotTrackerResults = Record<string, MotMetrics>;

export function evaluateSequence(data: TrackingSequence): MotMetrics {
  return {
    HOTA: evalHotaSequence(data),
    CLEAR: evalClearSequence(data),
    Identity: evalIdentitySequence(data),
    Count: { Dets: data.numTrackerDets, GT_Dets: data.numGtDets, IDs: data.numTrackerIds, GT_IDs: data.numGtIds, Frames: data.numTimesteps },
  };
}

export function combineSequences(all: readonly MotMetrics[]): MotMetrics {
  const count: CountResult = { Dets: 0, GT_Dets: 0, IDs: 0, GT_IDs: 0 };
  for (const r of all) {
    count.Dets += r.Count.Dets;
    count.GT_Dets += r.Count.GT_Dets;
    count.IDs += r.Count.IDs;
    count.GT_IDs += r.Count.GT_IDs;
  }
  return {
    HOTA: combineHotaSequences(all.map((r) => r.HOTA)),
    CLEAR: combineClearSequences(all.map((r) => r.CLEAR)),
    Identity: combineIdentitySequences(all.map((r) => r.Identity)),
    Count: count,
  };
}

function readFileOrThrow(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new MotInputError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

/** Short name for messages: the last three path parts (e.g. `MOT17-02/gt/gt.txt`, `tr/data/MOT17-02.txt`). */
function displayName(file: string): string {
  return file.split(path.sep).slice(-3).join("/");
}

export interface EvaluateMotOptions {
  /** Called after each (tracker, sequence) pair. */
  onSequenceDone?: (tracker: string, seq: string) => void;
  doPreproc?: boolean;
}

/** Evaluates every tracker of the layout. GT files are parsed once and reused across trackers. */
export function evaluateMot(layout: MotLayout, opts: EvaluateMotOptions = {}): Record<string, MotTrackerResults> {
  const gtCache = new Map<string, MotColumns>();
  const sequences = [...layout.sequences].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: Record<string, MotTrackerResults> = {};
  for (const tracker of layout.trackers) {
    const res: MotTrackerResults = {};
    for (const seq of sequences) {
      let gt = gtCache.get(seq.name);
      if (!gt) {
        gt = parseMotColumns(readFileOrThrow(seq.gtFile), displayName(seq.gtFile), seq.seqLength, true);
        gtCache.set(seq.name, gt);
      }
      const trFile = layout.trackerFile(tracker, seq.name);
      const tr = parseMotColumns(readFileOrThrow(trFile), displayName(trFile), seq.seqLength, false);
      const data = preprocessMotColumns(gt, tr, {
        benchmark: layout.benchmark,
        doPreproc: opts.doPreproc,
        gtFile: displayName(seq.gtFile),
        trackerFile: displayName(trFile),
      });
      res[seq.name] = evaluateSequence(data);
      opts.onSequenceDone?.(tracker, seq.name);
    }
    res.COMBINED_SEQ = combineSequences(sequences.map((s) => res[s.name]));
    out[tracker] = res;
  }
  return out;
}

/** What a worker needs of a layout (no functions: it is sent by structured clone). */
interface PlainLayout {
  /** Sorted by name, as TrackEval evaluates them. */
  sequences: MotSequenceInfo[];
  trackers: string[];
  benchmark: string;
  /** [tracker][sequence] tracker file. */
  trackerFiles: string[][];
  doPreproc: boolean;
}

function plainLayout(layout: MotLayout, doPreproc: boolean): PlainLayout {
  const sequences = [...layout.sequences].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    sequences,
    trackers: layout.trackers,
    benchmark: layout.benchmark,
    trackerFiles: layout.trackers.map((tr) => sequences.map((s) => layout.trackerFile(tr, s.name))),
    doPreproc,
  };
}

/** One sequence for every tracker (GT parsed once); metrics in tracker order. */
function evaluateSequenceForTrackers(pl: PlainLayout, k: number): MotMetrics[] {
  const seq = pl.sequences[k];
  const gt = parseMotColumns(readFileOrThrow(seq.gtFile), displayName(seq.gtFile), seq.seqLength, true);
  return pl.trackers.map((_, ti) => {
    const trFile = pl.trackerFiles[ti][k];
    const tr = parseMotColumns(readFileOrThrow(trFile), displayName(trFile), seq.seqLength, false);
    const data = preprocessMotColumns(gt, tr, { benchmark: pl.benchmark, doPreproc: pl.doPreproc, gtFile: displayName(seq.gtFile), trackerFile: displayName(trFile) });
    return evaluateSequence(data);
  });
}

interface WorkerJob {
  groundtrackMotWorker: { layout: PlainLayout; next: Int32Array };
}
type WorkerMessage = { seq: number; metrics: MotMetrics[] } | { done: true } | { error: string };

export interface ParallelOptions extends EvaluateMotOptions {
  /** Threads in all (the calling thread is one of them). */
  threads: number;
  /** A plain-JS module that contains this one (e.g. the precompiled CLI build); workers are started from it. */
  workerUrl: URL;
}

/**
 * `evaluateMot` with sequences spread over worker threads: the calling thread and threads - 1 workers take the next
 * sequence from a shared counter until none is left; results are combined in the same order as `evaluateMot`, so they
 * are identical. On any failure the whole evaluation is rerun serially, so an input error is the same one (same file,
 * line) that `evaluateMot` reports.
 */
export async function evaluateMotParallel(layout: MotLayout, opts: ParallelOptions): Promise<Record<string, MotTrackerResults>> {
  const pl = plainLayout(layout, opts.doPreproc ?? true);
  const n = pl.sequences.length;
  const threads = Math.min(opts.threads, n);
  if (threads <= 1) return evaluateMot(layout, opts);
  const next = new Int32Array(new SharedArrayBuffer(4));
  const perSeq: MotMetrics[][] = new Array(n);
  const reportDone = (k: number) => pl.trackers.forEach((tr) => opts.onSequenceDone?.(tr, pl.sequences[k].name));
  const workers: Worker[] = [];
  const finished: Promise<void>[] = [];
  for (let w = 1; w < threads; w++) {
    const job: WorkerJob = { groundtrackMotWorker: { layout: pl, next } };
    const worker = new Worker(opts.workerUrl, { workerData: job });
    workers.push(worker);
    finished.push(
      new Promise<void>((resolve, reject) => {
        worker.on("message", (m: WorkerMessage) => {
          if ("seq" in m) {
            perSeq[m.seq] = m.metrics;
            reportDone(m.seq);
          } else if ("done" in m) resolve();
          else reject(new Error(m.error));
        });
        worker.on("error", reject);
        worker.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with code ${code}`))));
      }),
    );
  }
  let failed = false;
  try {
    for (let k = Atomics.add(next, 0, 1); k < n; k = Atomics.add(next, 0, 1)) {
      perSeq[k] = evaluateSequenceForTrackers(pl, k);
      reportDone(k);
    }
  } catch {
    failed = true;
    Atomics.store(next, 0, n); // stop the workers taking more
  }
  const settled = await Promise.allSettled(finished);
  if (settled.some((r) => r.status === "rejected")) failed = true;
  await Promise.all(workers.map((w) => w.terminate()));
  if (failed) return evaluateMot(layout, { doPreproc: opts.doPreproc });
  const out: Record<string, MotTrackerResults> = {};
  pl.trackers.forEach((tracker, ti) => {
    const res: MotTrackerResults = {};
    pl.sequences.forEach((s, k) => (res[s.name] = perSeq[k][ti]));
    res.COMBINED_SEQ = combineSequences(pl.sequences.map((s) => res[s.name]));
    out[tracker] = res;
  });
  return out;
}

// Worker side of evaluateMotParallel: runs when this module is loaded in a worker started by it.
if (!isMainThread && parentPort && (workerData as Partial<WorkerJob> | null)?.groundtrackMotWorker) {
  const { layout: pl, next } = (workerData as WorkerJob).groundtrackMotWorker;
  const port = parentPort;
  try {
    for (let k = Atomics.add(next, 0, 1); k < pl.sequences.length; k = Atomics.add(next, 0, 1)) {
      port.postMessage({ seq: k, metrics: evaluateSequenceForTrackers(pl, k) } satisfies WorkerMessage);
    }
    port.postMessage({ done: true } satisfies WorkerMessage);
  } catch (e) {
    port.postMessage({ error: (e as Error).message } satisfies WorkerMessage);
  }
}

export interface HotaJson {
  alphas: number[];
  /** Mean over the 19 alphas of every per-alpha field (TrackEval's reported value / `FIELD___AUC`). */
  mean: Record<string, number>;
  [field: string]: number | number[] | Record<string, number>;
}

/** JSON form of one sequence's metrics: HOTA fields as 19-value arrays plus their means; everything else as is. */
export function metricsToJson(m: MotMetrics): { HOTA: HotaJson; CLEAR: ClearResult; Identity: IdentityResult; Count: CountResult } {
  const mean: Record<string, number> = {};
  const hota: HotaJson = { alphas: [...HOTA_ALPHAS], mean };
  for (const f of [...HOTA_FLOAT_ARRAY_FIELDS, ...HOTA_INTEGER_ARRAY_FIELDS]) {
    hota[f] = [...m.HOTA[f]];
    mean[f] = alphaMean(m.HOTA[f]);
  }
  for (const f of HOTA_FLOAT_FIELDS) hota[f] = m.HOTA[f];
  return { HOTA: hota, CLEAR: { ...m.CLEAR }, Identity: { ...m.Identity }, Count: { ...m.Count } };
}
