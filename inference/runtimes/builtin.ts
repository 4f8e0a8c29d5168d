// The built-in runtime: the project's MolmoPoint-architecture ONNX model (contract: inference/builtin/contract.ts)
// decoded step by step through lib/grounding's constrained decoder. Per video (and sampling and model version) the
// frames are sampled, decoded and encoded ONCE; the image-token keys are reused across decoding steps and across
// queries on the same video (MolmoPoint paper §4.2).
import path from "node:path";
import { buildVideoGrid, decodeTarget, formatHfPoints, nearestFrame } from "../../lib/grounding";
import type { Keyframe, TrackSet, TrackedObject } from "../../lib/tracks";
import { RuntimeError, type ModelRuntime, type QueryRequest, type QueryResult, type RuntimeVideo } from "../runtime";
import { geometry, tokenizeQuery } from "../builtin/contract";
import { decodePoints, encodeVideo, type DecodedPoint, type EncodedVideo } from "../builtin/decode";
import { preprocessFrame, readFrames, sampleFrames, type FrameSampling } from "../builtin/frames";
import { loadBuiltinModel, releaseModel, type BuiltinModel } from "../builtin/model";

export interface BuiltinRuntimeOptions {
  /** Model directory (default `$GROUNDTRACK_BUILTIN_MODEL_DIR`, else `models/builtin`). */
  modelDir?: string;
  /** "auto" (default): CUDA when available, else CPU. */
  device?: "auto" | "cuda" | "cpu";
  /** Where the chosen device and fallbacks are reported (default console.info). */
  log?: (msg: string) => void;
  /** Encoded videos kept in memory (least recently used evicted). Default 4. */
  cacheSize?: number;
}

/** Counters of model work (how often each graph ran) — the encode-once property is observable here. */
export interface BuiltinStats {
  encodeRuns: number;
  queryRuns: number;
  stepRuns: number;
}

export interface BuiltinRuntime extends ModelRuntime {
  readonly model: BuiltinModel;
  readonly stats: BuiltinStats;
}

interface CachedVideo {
  sampling: FrameSampling;
  encoded: EncodedVideo;
}

/** One video's encode, shared by every query that needs it; aborted only when all of its waiters cancelled. */
interface CacheEntry {
  job: Promise<CachedVideo>;
  controller: AbortController;
  waiters: number;
}

/** Waits for a shared encode on behalf of one query: that query's cancellation ends its wait at once. */
function waitFor(entry: CacheEntry, signal: AbortSignal): Promise<CachedVideo> {
  if (signal.aborted) return Promise.reject(cancelled());
  entry.waiters++;
  return new Promise<CachedVideo>((resolve, reject) => {
    const onAbort = () => {
      if (--entry.waiters === 0) entry.controller.abort();
      reject(cancelled());
    };
    signal.addEventListener("abort", onAbort, { once: true });
    entry.job.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        entry.waiters--;
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        entry.waiters--;
        reject(e);
      },
    );
  });
}

/** Default model directory. */
export function defaultBuiltinModelDir(): string {
  return path.resolve(process.env.GROUNDTRACK_BUILTIN_MODEL_DIR ?? path.join("models", "builtin"));
}

function cancelled(): RuntimeError {
  return new RuntimeError("cancelled", "The query was cancelled");
}

/** Points → TrackSet: one object per id, one keyframe per object and sampled frame (the first point wins). */
function toTrackSet(video: RuntimeVideo, expression: string, enc: EncodedVideo, sampling: FrameSampling, points: readonly DecodedPoint[], source: `model:${string}`): TrackSet {
  const objects = new Map<number, TrackedObject>();
  for (const p of points) {
    const xyz = decodeTarget(enc.grid, p.target);
    if (!xyz) continue;
    const [t, x, y] = xyz;
    const frame = sampling.frames[nearestFrame(enc.grid.timestamps, t)];
    let o = objects.get(p.objectId);
    if (!o) {
      o = { objectId: String(p.objectId), keyframes: [] };
      objects.set(p.objectId, o);
    }
    if (o.keyframes.some((k) => k.frame === frame)) continue;
    const kf: Keyframe = { frame, x, y, state: "visible", source };
    o.keyframes.push(kf);
  }
  const { meta } = video;
  const out: TrackSet = {
    video: {
      width: meta.width,
      height: meta.height,
      fps: meta.fps,
      frameCount: meta.frameCount,
      ...(meta.isVfr ? { timestamps: meta.timestamps.map((t) => t - meta.timestamps[0]) } : {}),
      ...(meta.shotBoundaries.length ? { shotBoundaries: [...meta.shotBoundaries] } : {}),
    },
    expression,
    objects: [...objects.values()]
      .sort((a, b) => Number(a.objectId) - Number(b.objectId))
      .map((o) => ({ ...o, keyframes: [...o.keyframes].sort((a, b) => a.frame - b.frame) })),
  };
  return out;
}

export async function createBuiltinRuntime(opts: BuiltinRuntimeOptions = {}): Promise<BuiltinRuntime> {
  const dir = opts.modelDir ? path.resolve(opts.modelDir) : defaultBuiltinModelDir();
  const log = opts.log ?? ((m: string) => console.info(m));
  const model = await loadBuiltinModel(dir, { device: opts.device, log });
  const { config } = model;
  const version = config.version;
  const engine = `built-in:${version}`;
  const source = `model:${version}` as const;
  const stats: BuiltinStats = { encodeRuns: 0, queryRuns: 0, stepRuns: 0 };
  const cacheSize = Math.max(1, opts.cacheSize ?? 4);
  const cache = new Map<string, CacheEntry>();
  let closed = false;

  const encodeFor = async (video: RuntimeVideo, signal: AbortSignal, progress: QueryRequest["onProgress"]): Promise<CachedVideo> => {
    const sampling = sampleFrames(video.meta, config);
    // Keyed by video identity + what the model sees + the model version: a re-encoded file or other sampling misses.
    const key = JSON.stringify([video.id, video.path, video.meta.frameCount, video.meta.sizeBytes, sampling.frames, version, config.image]);
    let entry = cache.get(key);
    if (entry) {
      cache.delete(key);
      cache.set(key, entry); // most recently used last
    } else {
      const controller = new AbortController();
      const job = (async (): Promise<CachedVideo> => {
        progress?.({ stage: "sampling", done: 0, total: sampling.frames.length });
        const frames = await readFrames(video, sampling.frames, controller.signal, (done) => progress?.({ stage: "sampling", done, total: sampling.frames.length }));
        const S = config.image.cropSize;
        const input = new Float32Array(frames.length * 3 * S * S);
        frames.forEach((f, i) => preprocessFrame(f, config, input, i * 3 * S * S));
        const g = geometry(config);
        const grid = buildVideoGrid(video.meta.width, video.meta.height, sampling.times, { cropSize: S, patchSize: config.image.patchSize, pool: config.image.pool });
        if (grid.tokensPerFrame !== g.tokensPerFrame) throw new RuntimeError("model_invalid", `config.json geometry gives ${g.tokensPerFrame} tokens per frame but lib/grounding's video grid ${grid.tokensPerFrame}`);
        if (controller.signal.aborted) throw cancelled();
        progress?.({ stage: "encoding", done: 0, total: 1 });
        stats.encodeRuns++;
        const encoded = await encodeVideo(model, input, grid);
        progress?.({ stage: "encoding", done: 1, total: 1 });
        return { sampling, encoded };
      })();
      const created: CacheEntry = { job, controller, waiters: 0 };
      entry = created;
      cache.set(key, created);
      const drop = () => {
        if (cache.get(key) === created) cache.delete(key);
      };
      job.catch(drop);
      // Abandoned by every waiter: forget it at once, so a query arriving meanwhile starts a fresh encode.
      controller.signal.addEventListener("abort", drop, { once: true });
      while (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
    }
    return waitFor(entry, signal);
  };

  const runtime: BuiltinRuntime = {
    kind: "built-in",
    engine,
    model,
    stats,
    async query(req: QueryRequest): Promise<QueryResult> {
      if (closed) throw new RuntimeError("model_missing", "The built-in runtime was closed");
      const { video, expression, signal, onProgress, onPartial } = req;
      if (signal.aborted) throw cancelled();
      if (!video.meta || video.meta.frameCount < 1 || video.meta.width < 1 || video.meta.height < 1) {
        throw new RuntimeError("video_unreadable", `Video '${video.path}' has no decodable frames`);
      }
      const { sampling, encoded } = await encodeFor(video, signal, onProgress);
      if (signal.aborted) throw cancelled();
      const ids = tokenizeQuery(expression, model.vocab, config.maxQueryTokens);
      stats.queryRuns++;
      const result = await decodePoints(model, encoded, ids, {
        signal,
        beforeStep: () => void stats.stepRuns++,
        onPoint: (points) => {
          onProgress?.({ stage: "decoding", done: points.length, total: config.maxPoints });
          onPartial?.(toTrackSet(video, expression, encoded, sampling, points, source));
        },
      });
      const tracks = toTrackSet(video, expression, encoded, sampling, result.points, source);
      const bounds = { nPatches: encoded.nTokens, nSubpatches: encoded.cells, noMorePointsClass: true };
      const rawOutput = formatHfPoints(result.points.map((p) => p.target), result.points.map((p) => p.objectId), bounds, !result.truncated);
      return { tracks, engine, sampledFrames: [...sampling.frames], rawOutput };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      cache.clear();
      await releaseModel(model);
    },
  };
  return runtime;
}
