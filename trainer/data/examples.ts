// Training examples for MolmoPoint-Tiny: a synth dataset's manifest → example references, and references →
// model-ready examples. Frames are sampled exactly as the built-in runtime samples them (contract `sampleFrames`),
// decoded frame-exactly with lib/video (inference `readFrames`), preprocessed with the contract's `preprocessFrame`;
// query ids come from `tokenizeQuery`, targets from lib/grounding (`encodeTrackPoints`: sorted, ids by first
// appearance). Decoded frames (and probe results) are cached on disk by content hash (video bytes + sampling +
// preprocessing).
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { importTrackAny } from "../../lib/formats/trackany";
import { buildVideoGrid, encodeTrackPoints, type VideoGrid } from "../../lib/grounding";
import { probeVideo, type VideoMeta } from "../../lib/video";
import { tokenizeQuery, type BuiltinVocab } from "../../inference/builtin/contract";
import { preprocessFrame, readFrames, sampleFrames } from "../../inference/builtin/frames";
import { readManifest } from "../synth/dataset";
import { toBuiltinConfig, type TinyConfig } from "../model/config";
import type { ModelExample } from "../model/batch";
import { instancesFromAnnotations, tokenLabels, type ObjectAttributes } from "./token-labels";

export type Split = "train" | "val" | "test";

/** One training example on disk: absolute paths of its mp4 and its TrackAny JSON (with masks). */
export interface ExampleRef {
  id: string;
  split: Split;
  video: string;
  annotation: string;
  /** The video's objects (synthetic data: the manifest's attributes), for the semantic token labels. */
  objects?: readonly ObjectAttributes[];
}

/** A model-ready example plus what evaluation needs to map decoded targets back to native frames. */
export interface LoadedExample extends ModelExample {
  ref: ExampleRef;
  split: Split;
  expression: string;
  width: number;
  height: number;
  /** Native frame index of each sampled frame, and its time (s) from the first frame. */
  sampledFrames: number[];
  times: number[];
  grid: VideoGrid;
}

/** Bad or unusable input; the message names the file. */
export class DataError extends Error {
  override name = "DataError";
  constructor(
    readonly code: "malformed_annotation" | "unreadable_video" | "missing_frames" | "bad_manifest" | "cancelled",
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}

/** A synth dataset's manifest (DIR/manifest.json); unreadable or invalid → DataError("bad_manifest"). */
async function synthManifest(dir: string): Promise<Awaited<ReturnType<typeof readManifest>>> {
  try {
    return await readManifest(dir);
  } catch (e) {
    throw new DataError("bad_manifest", (e as Error).message, path.join(dir, "manifest.json"));
  }
}

/** Every annotation of a synth dataset (DIR/manifest.json), in manifest order, with absolute paths. */
export async function listSynthExamples(datasetDir: string): Promise<ExampleRef[]> {
  const dir = path.resolve(datasetDir);
  const manifest = await synthManifest(dir);
  return manifest.videos.flatMap((v) =>
    v.annotations.map((a) => ({ id: a.id, split: v.split, video: path.join(dir, v.video.file), annotation: path.join(dir, a.file), objects: v.objects })),
  );
}

/**
 * `refs` with the object attributes of the synthetic dataset in `datasetDir` attached to those whose video is one of
 * its videos (a snapshot's synth/ copy), for the semantic token labels; other refs are returned unchanged.
 */
export async function withSynthObjects<R extends ExampleRef>(refs: readonly R[], datasetDir: string): Promise<R[]> {
  const dir = path.resolve(datasetDir);
  const manifest = await synthManifest(dir);
  const byVideo = new Map(manifest.videos.map((v) => [path.join(dir, v.video.file), v.objects]));
  return refs.map((r) => {
    const objects = byVideo.get(path.resolve(r.video));
    return objects ? { ...r, objects } : r;
  });
}

export interface LoadOptions {
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Directory of the decoded-frame cache (created); omit to decode every time. */
  cacheDir?: string;
  vocab: BuiltinVocab;
}

async function fileSha256(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

interface DecodedVideo {
  meta: VideoMeta;
  frames: number[];
  times: number[];
  data: Float32Array;
}

/** Probes a video, through the on-disk cache (keyed by the file's sha256: ffprobe runs once per distinct file). */
async function probeCached(file: string, sha: string | null, cacheDir: string | undefined): Promise<VideoMeta> {
  const metaFile = cacheDir && sha ? path.join(cacheDir, `${sha}.meta.json`) : null;
  if (metaFile) {
    try {
      return JSON.parse(await readFile(metaFile, "utf8")) as VideoMeta;
    } catch {
      // not cached yet (or unreadable): probe
    }
  }
  let meta: VideoMeta;
  try {
    meta = await probeVideo(file);
  } catch (e) {
    throw new DataError("unreadable_video", `${file}: unreadable video (${(e as Error).message})`, file);
  }
  if (metaFile && cacheDir) {
    await mkdir(cacheDir, { recursive: true });
    const tmp = `${metaFile}.${process.pid}.partial`;
    await writeFile(tmp, JSON.stringify(meta));
    await rename(tmp, metaFile);
  }
  return meta;
}

/** Decodes + preprocesses the sampled frames of one video, through the on-disk cache. */
async function decodeVideo(file: string, config: TinyConfig, signal: AbortSignal, cacheDir: string | undefined): Promise<DecodedVideo> {
  let sha: string | null = null;
  if (cacheDir) {
    try {
      sha = await fileSha256(file);
    } catch (e) {
      throw new DataError("unreadable_video", `${file}: unreadable video (${(e as Error).message})`, file);
    }
  }
  const meta = await probeCached(file, sha, cacheDir);
  const builtin = toBuiltinConfig(config);
  let sampling;
  try {
    sampling = sampleFrames(meta, builtin);
  } catch (e) {
    throw new DataError("unreadable_video", `${file}: cannot sample frames (${(e as Error).message})`, file);
  }
  const S = config.cropSize;
  const n = sampling.frames.length * 3 * S * S;
  let cacheFile: string | null = null;
  if (cacheDir && sha) {
    // What the pixels depend on: the crop size and normalisation, not the token geometry (patch size, pooling),
    // so geometry experiments on one dataset share the decoded frames.
    const { cropSize, mean, std } = builtin.image;
    const key = createHash("sha256")
      .update(JSON.stringify(["groundtrack-frames/2", sha, sampling.frames, { cropSize, mean, std }]))
      .digest("hex");
    cacheFile = path.join(cacheDir, `${key}.f32`);
    try {
      const buf = await readFile(cacheFile);
      if (buf.byteLength === 4 * n) {
        const data = new Float32Array(n);
        Buffer.from(data.buffer).set(buf);
        return { meta, frames: sampling.frames, times: sampling.times, data };
      }
    } catch {
      // not cached yet
    }
  }
  let rgb;
  try {
    rgb = await readFrames({ id: "video", path: file, meta }, sampling.frames, signal);
  } catch (e) {
    if (signal.aborted) throw new DataError("cancelled", "loading was cancelled");
    throw new DataError("unreadable_video", `${file}: cannot decode the sampled frames (${(e as Error).message})`, file);
  }
  const data = new Float32Array(n);
  rgb.forEach((f, i) => preprocessFrame(f, builtin, data, i * 3 * S * S));
  if (cacheFile && cacheDir) {
    await mkdir(cacheDir, { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.partial`;
    await writeFile(tmp, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    await rename(tmp, cacheFile);
  }
  return { meta, frames: sampling.frames, times: sampling.times, data };
}

/** Builds one example from its annotation text and its decoded video. */
export function exampleFromAnnotation(ref: ExampleRef, text: string, video: DecodedVideo, config: TinyConfig, vocab: BuiltinVocab): LoadedExample {
  const file = ref.annotation;
  const res = importTrackAny(text, { fileName: file });
  if (!res.ok) throw new DataError("malformed_annotation", res.error.message, file);
  const set = res.value;
  const { meta } = video;
  if (set.video.width !== meta.width || set.video.height !== meta.height) {
    throw new DataError("malformed_annotation", `${file}: width×height ${set.video.width}×${set.video.height} differ from the video's ${meta.width}×${meta.height} (${ref.video})`, file);
  }
  if (set.video.frameCount > meta.frameCount) {
    throw new DataError("missing_frames", `${file}: n_frames ${set.video.frameCount} but ${ref.video} has only ${meta.frameCount} frames`, file);
  }
  for (const o of set.objects) {
    for (const k of o.keyframes) {
      if (k.frame >= meta.frameCount) throw new DataError("missing_frames", `${file}: object ${o.objectId} has a point on frame ${k.frame}, but ${ref.video} has only ${meta.frameCount} frames`, file);
    }
  }
  if (!set.expression) throw new DataError("malformed_annotation", `${file}: expression: missing (the query text)`, file);
  const grid = buildVideoGrid(meta.width, meta.height, video.times, { cropSize: config.cropSize, patchSize: config.patchSize, pool: config.pool });
  const points: Array<[number, number, number]> = [];
  const objectIds: number[] = [];
  video.frames.forEach((f, i) => {
    set.objects.forEach((o, oi) => {
      const k = o.keyframes.find((kf) => kf.frame === f);
      if (k?.state !== "visible") return;
      if (!(k.x >= 0 && k.y >= 0 && k.x <= meta.width && k.y <= meta.height)) {
        throw new DataError("malformed_annotation", `${file}: object ${o.objectId} on frame ${f} is visible at (${k.x}, ${k.y}), outside the ${meta.width}×${meta.height} frame`, file);
      }
      points.push([video.times[i], k.x, k.y]);
      objectIds.push(oi);
    });
  });
  // The model sees frames the annotation must describe: a sampled frame with no trajectory entry is unknown.
  const listed = new Set((JSON.parse(text) as { frame_trajectories: Array<{ frame: number }> }).frame_trajectories.map((t) => t.frame));
  const missing = video.frames.filter((f) => !listed.has(f));
  if (missing.length) {
    throw new DataError("missing_frames", `${file}: no frame_trajectories entry for the sampled frame${missing.length > 1 ? "s" : ""} ${missing.join(", ")} of ${ref.video} (sampling ${config.samplingFps} fps, at most ${config.maxFrames} frames)`, file);
  }
  const { targets, ids } = encodeTrackPoints(grid, points, objectIds);
  const maxId = Math.max(0, ...ids);
  if (maxId > config.maxObjects) throw new DataError("malformed_annotation", `${file}: ${maxId} objects, the model has ${config.maxObjects} id classes`, file);
  return {
    id: ref.id,
    ref,
    split: ref.split,
    expression: set.expression,
    frames: video.data,
    nFrames: video.frames.length,
    queryIds: tokenizeQuery(set.expression, vocab, config.maxQueryTokens),
    targets,
    ids,
    width: meta.width,
    height: meta.height,
    sampledFrames: video.frames,
    times: video.times,
    grid,
  };
}

/** Loads references into model-ready examples (videos decoded once each, through the cache). */
export async function loadExamples(refs: readonly ExampleRef[], config: TinyConfig, opts: LoadOptions): Promise<LoadedExample[]> {
  const signal = opts.signal ?? new AbortController().signal;
  const videos = new Map<string, Promise<DecodedVideo>>();
  const out: LoadedExample[] = [];
  // With the semantic loss on (config semAux), examples whose refs list their objects get per-token attribute labels.
  // They need every annotation of a video (each holds the masks of its own objects): gathered per video and attached
  // once its last example is loaded.
  const remaining = new Map<string, number>();
  if (config.semAux > 0) for (const r of refs) if (r.objects) remaining.set(r.video, (remaining.get(r.video) ?? 0) + 1);
  const gathered = new Map<string, { texts: string[]; examples: LoadedExample[] }>();
  let done = 0;
  opts.onProgress?.(0, refs.length);
  for (const ref of refs) {
    if (signal.aborted) throw new DataError("cancelled", "loading was cancelled");
    let text: string;
    try {
      text = await readFile(ref.annotation, "utf8");
    } catch (e) {
      throw new DataError("malformed_annotation", `${ref.annotation}: cannot read (${(e as Error).message})`, ref.annotation);
    }
    let video = videos.get(ref.video);
    if (!video) {
      video = decodeVideo(ref.video, config, signal, opts.cacheDir);
      videos.set(ref.video, video);
    }
    const ex = exampleFromAnnotation(ref, text, await video, config, opts.vocab);
    out.push(ex);
    const left = remaining.get(ref.video);
    if (left !== undefined && ref.objects) {
      const g = gathered.get(ref.video) ?? { texts: [], examples: [] };
      g.texts.push(text);
      g.examples.push(ex);
      gathered.set(ref.video, g);
      remaining.set(ref.video, left - 1);
      if (left === 1) {
        gathered.delete(ref.video);
        let labels;
        try {
          labels = tokenLabels(ex.grid, ex.grid.nTokens / ex.nFrames, instancesFromAnnotations(g.texts, ex.sampledFrames), ref.objects);
        } catch (e) {
          throw new DataError("malformed_annotation", `${ref.annotation}: cannot build token labels (${(e as Error).message})`, ref.annotation);
        }
        for (const e of g.examples) e.tokenLabels = labels;
      }
    }
    opts.onProgress?.(++done, refs.length);
  }
  return out;
}
