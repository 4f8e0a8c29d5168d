// FrameStore: frames for the annotator, decoded in cached chunks of N consecutive frames.
//
// A chunk is decoded once with ffmpeg (keyframe seek shortly before the chunk, then `select` on the exact pts
// range) into one image per frame, under <cacheDir>/<videoId>/<variant>/c<chunk>/<frame>.<ext>. Every output
// frame is matched to the frame-exact index by its pts; a chunk is only published (atomic directory rename) when
// every frame of it was found. If the seek missed a frame, the chunk is re-decoded from the start of the file.
// Concurrent requests for the same chunk share one decode; at most `maxConcurrentDecodes` ffmpeg run at once.
import { randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { mkdir, readFile, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { ffmpegPath } from "./binaries";
import { VideoError } from "./errors";
import { decodeInputArgs, errorLines, parseShowinfoLine, probeStreams, type ShowinfoFrame, type VideoMeta } from "./probe";
import { runBinary } from "./run";

/** "rgb": headerless 8-bit RGB, width·height·3 bytes per file — the exact pixels of "png" without compressing
 * and decompressing them (for pixel consumers such as SAM2 preprocessing, not for browsers). */
export type FrameFormat = "jpeg" | "webp" | "png" | "rgb";
const EXT: Record<FrameFormat, string> = { jpeg: "jpg", webp: "webp", png: "png", rgb: "rgb" };
const MIME: Record<FrameFormat, string> = { jpeg: "image/jpeg", webp: "image/webp", png: "image/png", rgb: "application/octet-stream" };

/**
 * A file of format "rgb" as an image. The file has no header: `width` is the width the frames were decoded at,
 * `height` the index's height when decoded at native size (omitted when scaled: then it is what the bytes hold).
 * Bytes that do not make such a frame are a `corrupt` VideoError naming the sizes.
 */
export function rawRgbFrame(bytes: Uint8Array, width: number, height?: number): { width: number; height: number; data: Uint8Array } {
  const h = height ?? bytes.length / (3 * width);
  if (!Number.isInteger(h) || h < 1 || bytes.length !== width * h * 3) {
    const shape = height === undefined ? "" : ` of height ${height}`;
    const want = height === undefined ? "" : ` (a ${width}×${height} RGB frame is ${width * height * 3} bytes)`;
    throw new VideoError("corrupt", `a decoded frame of ${bytes.length} bytes is not a ${width}-px-wide RGB frame${shape}; re-ingest the video${want}`);
  }
  return { width, height: h, data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/** A video the store can serve: a stable id (cache key; [A-Za-z0-9_-]), its file and its probed meta. */
export interface VideoSource {
  id: string;
  path: string;
  meta: VideoMeta;
}

export interface FrameStoreOptions {
  /** Root of the on-disk cache. */
  cacheDir: string;
  /** Frames per chunk (default 30). */
  chunkSize?: number;
  /** Image format of cached frames (default jpeg). */
  format?: FrameFormat;
  /** 1-100, higher is better (jpeg/webp; ignored for the lossless png and rgb). Default 85. */
  quality?: number;
  /** Max ffmpeg processes decoding at once (default 2). */
  maxConcurrentDecodes?: number;
  /**
   * Seek this many seconds before a chunk's first frame (default 1), so the keyframe found is usually early
   * enough. Correctness does not depend on it: a seek that lands too late is detected and redone from the start.
   */
  seekPrerollSec?: number;
  /**
   * Scheduling niceness of the decoding ffmpeg (0–19; default 0): a store decoding ahead of a CPU-bound consumer
   * (the SAM2 loop) lets it run in the consumer's idle time instead of competing with it.
   */
  niceness?: number;
}

/** Output size: `width` in pixels (height follows the aspect ratio, rounded to even); omitted = native size. */
export interface FrameSize {
  width?: number;
}

export interface FrameChunk {
  chunk: number;
  /** First and last frame index (inclusive) in this chunk. */
  firstFrame: number;
  lastFrame: number;
  /** files[k] is frame firstFrame + k. */
  files: string[];
  mime: string;
}

export interface FrameImage {
  frame: number;
  chunk: number;
  file: string;
  mime: string;
}

const ID_RE = /^[A-Za-z0-9_-]{1,128}$/;

/** A counting semaphore so prefetch storms do not start dozens of ffmpeg processes. */
class Limiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly max: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

export class FrameStore {
  readonly cacheDir: string;
  readonly chunkSize: number;
  readonly format: FrameFormat;
  readonly quality: number;
  readonly seekPrerollSec: number;
  private readonly limiter: Limiter;
  private readonly niceness: number;
  private readonly inflight = new Map<string, Promise<FrameChunk>>();
  /**
   * Video stream index per file version (path, size, mtime), shared by every store of this process: the SAM2,
   * tracking and model readers make a store per request, and the fork behind each spawn blocks the calling thread
   * longer the more memory the process holds (fork copies its page tables; measured: 1.5 ms with nothing held,
   * 12 ms at 0.5 GB, 30 ms at 1.5 GB).
   */
  private static readonly streamIndex = new Map<string, Promise<number>>();
  /** ffprobe runs started by stores of this process (for tests). */
  static probes = 0;
  /** How many ffmpeg chunk decodes this store has started (for tests and stats). */
  decodes = 0;
  /** How many of those had to fall back to decoding from the start of the file. */
  fullDecodeFallbacks = 0;

  constructor(opts: FrameStoreOptions) {
    this.cacheDir = opts.cacheDir;
    this.chunkSize = opts.chunkSize ?? 30;
    this.format = opts.format ?? "jpeg";
    this.quality = opts.quality ?? 85;
    if (!Number.isInteger(this.chunkSize) || this.chunkSize < 1) throw new VideoError("io", `chunkSize must be a positive integer, got ${opts.chunkSize}`);
    if (!(this.quality >= 1 && this.quality <= 100)) throw new VideoError("io", `quality must be 1-100, got ${opts.quality}`);
    this.seekPrerollSec = Math.max(0, opts.seekPrerollSec ?? 1);
    this.limiter = new Limiter(Math.max(1, opts.maxConcurrentDecodes ?? 2));
    this.niceness = opts.niceness ?? 0; // runBinary keeps it within 0–19
  }

  /** The chunk that holds a frame. */
  chunkForFrame(frame: number): number {
    return Math.floor(frame / this.chunkSize);
  }

  /** Number of chunks a video has. */
  chunkCount(meta: VideoMeta): number {
    return Math.ceil(meta.frameCount / this.chunkSize);
  }

  /** First/last frame (inclusive) of a chunk. */
  chunkFrames(chunk: number, meta: VideoMeta): { firstFrame: number; lastFrame: number } {
    const firstFrame = chunk * this.chunkSize;
    return { firstFrame, lastFrame: Math.min(meta.frameCount, firstFrame + this.chunkSize) - 1 };
  }

  private variantDir(video: VideoSource, size: FrameSize): string {
    if (!ID_RE.test(video.id)) throw new VideoError("bad_name", `Video id ${JSON.stringify(video.id)} may only contain letters, digits, '_' and '-'`);
    const w = size.width === undefined ? "native" : `w${size.width}`;
    const q = this.format === "png" || this.format === "rgb" ? "" : `-q${this.quality}`;
    return path.join(this.cacheDir, video.id, `${w}-n${this.chunkSize}-${this.format}${q}`);
  }

  private chunkDir(video: VideoSource, chunk: number, size: FrameSize): string {
    return path.join(this.variantDir(video, size), `c${chunk}`);
  }

  private framePath(dir: string, frame: number): string {
    return path.join(dir, `${frame}.${EXT[this.format]}`);
  }

  private check(video: VideoSource, frame: number, what = "Frame"): void {
    if (!Number.isInteger(frame) || frame < 0 || frame >= video.meta.frameCount) {
      throw new VideoError("io", `${what} ${frame} does not exist: video '${video.id}' has frames 0-${video.meta.frameCount - 1}`);
    }
  }

  /** Whether a chunk is already on disk (no decode needed). */
  isCached(video: VideoSource, chunk: number, size: FrameSize = {}): boolean {
    return existsSync(this.chunkDir(video, chunk, size));
  }

  /** Decodes (or reads from cache) one chunk. Concurrent calls for the same chunk share one decode. */
  getChunk(video: VideoSource, chunk: number, size: FrameSize = {}): Promise<FrameChunk> {
    if (!Number.isInteger(chunk) || chunk < 0 || chunk >= this.chunkCount(video.meta)) {
      return Promise.reject(new VideoError("io", `Chunk ${chunk} does not exist: video '${video.id}' has chunks 0-${this.chunkCount(video.meta) - 1}`));
    }
    if (size.width !== undefined && !(Number.isInteger(size.width) && size.width >= 2 && size.width <= 8192)) {
      return Promise.reject(new VideoError("io", `Frame width must be an integer 2-8192, got ${size.width}`));
    }
    let dir: string;
    try {
      dir = this.chunkDir(video, chunk, size);
    } catch (e) {
      return Promise.reject(e);
    }
    const { firstFrame, lastFrame } = this.chunkFrames(chunk, video.meta);
    const done: FrameChunk = {
      chunk,
      firstFrame,
      lastFrame,
      files: Array.from({ length: lastFrame - firstFrame + 1 }, (_, k) => this.framePath(dir, firstFrame + k)),
      mime: MIME[this.format],
    };
    if (existsSync(dir)) return Promise.resolve(done);
    const pending = this.inflight.get(dir);
    if (pending) return pending;
    const p = this.limiter
      .run(() => (existsSync(dir) ? Promise.resolve() : this.decodeChunk(video, dir, firstFrame, lastFrame, size)))
      .then(() => done)
      .finally(() => this.inflight.delete(dir));
    this.inflight.set(dir, p);
    return p;
  }

  /** Exactly frame `frame` (index into meta.timestamps): decodes its chunk if needed. */
  async getFrame(video: VideoSource, frame: number, size: FrameSize = {}): Promise<FrameImage> {
    this.check(video, frame);
    const chunk = this.chunkForFrame(frame);
    const c = await this.getChunk(video, chunk, size);
    return { frame, chunk, file: c.files[frame - c.firstFrame], mime: c.mime };
  }

  /** The encoded image bytes of one frame. */
  async readFrame(video: VideoSource, frame: number, size: FrameSize = {}): Promise<Buffer> {
    return readFile((await this.getFrame(video, frame, size)).file);
  }

  /**
   * Makes sure every chunk touching frames [frame-radius, frame+radius] is decoded, nearest chunks first and
   * alternating forward/backward (so scrubbing either way finds frames ready). Resolves with the chunk numbers.
   */
  async prefetchAround(video: VideoSource, frame: number, radius: number, size: FrameSize = {}): Promise<number[]> {
    this.check(video, frame);
    const lo = this.chunkForFrame(Math.max(0, frame - Math.max(0, radius)));
    const hi = this.chunkForFrame(Math.min(video.meta.frameCount - 1, frame + Math.max(0, radius)));
    const centre = this.chunkForFrame(frame);
    const order = [centre];
    for (let d = 1; centre + d <= hi || centre - d >= lo; d++) {
      if (centre + d <= hi) order.push(centre + d);
      if (centre - d >= lo) order.push(centre - d);
    }
    await Promise.all(order.map((c) => this.getChunk(video, c, size)));
    return order;
  }

  /** Removes every cached frame of a video. */
  async evict(videoId: string): Promise<void> {
    if (!ID_RE.test(videoId)) throw new VideoError("bad_name", `Video id ${JSON.stringify(videoId)} may only contain letters, digits, '_' and '-'`);
    await rm(path.join(this.cacheDir, videoId), { recursive: true, force: true });
  }

  private videoStream(video: VideoSource): Promise<number> {
    let key: string;
    try {
      const st = statSync(video.path);
      key = `${video.path}\0${st.size}\0${st.mtimeMs}`;
    } catch {
      return probeStreams(video.path).then((r) => r.stream.index); // reports the missing file the usual way
    }
    const cache = FrameStore.streamIndex;
    let p = cache.get(key);
    if (!p) {
      FrameStore.probes++;
      p = probeStreams(video.path).then((r) => r.stream.index);
      p.catch(() => cache.delete(key));
      if (cache.size >= 256) cache.delete(cache.keys().next().value as string);
      cache.set(key, p);
    }
    return p;
  }

  private encoderArgs(): string[] {
    if (this.format === "jpeg") return ["-c:v", "mjpeg", "-q:v", String(Math.round(31 - (this.quality / 100) * 29)), "-pix_fmt", "yuvj420p"];
    if (this.format === "webp") return ["-c:v", "libwebp", "-quality", String(this.quality)];
    if (this.format === "rgb") return ["-c:v", "rawvideo", "-pix_fmt", "rgb24"];
    return ["-c:v", "png", "-pix_fmt", "rgb24"];
  }

  private async decodeChunk(video: VideoSource, dir: string, firstFrame: number, lastFrame: number, size: FrameSize): Promise<void> {
    const ts = video.meta.timestamps;
    const us = (i: number) => Math.round(ts[i] * 1e6);
    // A keyframe seek lands at or before the target; back off a little so B-frame reordering cannot hide
    // the chunk's first frame. Chunks starting within the preroll of the first frame never seek.
    const target = ts[firstFrame] - this.seekPrerollSec;
    const seek = firstFrame > 0 && target > ts[0] ? target : undefined;
    const parent = path.dirname(dir);
    await mkdir(parent, { recursive: true });
    const stream = await this.videoStream(video);
    const tmp = path.join(parent, `.tmp-${path.basename(dir)}-${randomBytes(6).toString("hex")}`);
    try {
      let ok = await this.decodeInto(video, stream, tmp, us(firstFrame), us(lastFrame), firstFrame, lastFrame, seek, size);
      if (!ok && seek !== undefined) {
        this.fullDecodeFallbacks++;
        await rm(tmp, { recursive: true, force: true });
        ok = await this.decodeInto(video, stream, tmp, us(firstFrame), us(lastFrame), firstFrame, lastFrame, undefined, size);
      }
      if (!ok) throw new VideoError("corrupt", `Frames ${firstFrame}-${lastFrame} of '${video.id}' could not be decoded at their indexed timestamps; re-ingest the video`);
      try {
        await rename(tmp, dir);
      } catch (e) {
        // Another process published the same chunk first: theirs is as good as ours.
        if (!existsSync(dir)) throw new VideoError("io", `Cannot write frame cache '${dir}': ${(e as Error).message}`, { cause: e });
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** Runs one decode into `tmp`; renames outputs to <frame>.<ext>. Returns false if any frame of the range is missing. */
  private async decodeInto(video: VideoSource, stream: number, tmp: string, fromUs: number, toUs: number, firstFrame: number, lastFrame: number, seek: number | undefined, size: FrameSize): Promise<boolean> {
    await mkdir(tmp, { recursive: true });
    this.decodes++;
    // From the start of the file, frame i is simply the i-th decoded frame: select by ordinal (exact by
    // definition, whatever the timestamps). After a seek, ordinals are unknown: select by the indexed pts range,
    // and let showinfo also see the first frame decoded after the seek (n=0), whose key flag tells whether
    // decoding restarted cleanly. showinfo runs after the scale and without its per-plane checksums (unused here):
    // for a chunk of 32 raw 1280×720 frames they took ffmpeg from 0.08–0.10 to 0.14 s of CPU (wall 0.06 → 0.12 s).
    const inRange = `between(pts,${fromUs},${toUs})`;
    const scale = size.width !== undefined && size.width !== video.meta.width ? [`scale=${size.width}:-2:flags=bicubic`] : [];
    const filters =
      seek === undefined
        ? ["settb=AVTB", `select='between(n,${firstFrame},${lastFrame})'`, ...scale, "showinfo=checksum=0"]
        : ["settb=AVTB", `select='eq(n,0)+${inRange}'`, ...scale, "showinfo=checksum=0", `select='${inRange}'`];
    // Output frame k gets pts k seconds: encoders refuse repeated pts (a frame whose container pts the index
    // repaired), and whole seconds survive any rescale to the encoder's time base.
    filters.push("setpts=N/TB");
    const ext = EXT[this.format];
    const count = lastFrame - firstFrame + 1;
    const args = [
      ...decodeInputArgs(video.path, stream),
      ...this.encoderArgs(),
      "-vf", filters.join(","),
      // Stop after the chunk's last frame instead of decoding to the end of the file.
      "-frames:v", String(count),
      "-f", "image2", "-start_number", "0", path.join(tmp, `%06d.${ext}`),
    ];
    if (seek !== undefined) args.splice(args.indexOf("-i"), 0, "-seek_timestamp", "1", "-noaccurate_seek", "-ss", seek.toFixed(6));
    const decoded: ShowinfoFrame[] = [];
    const r = await runBinary(ffmpegPath(), args, {
      niceness: this.niceness,
      timeoutMs: 300_000,
      maxStderr: 64_000,
      onStderrLine: (line) => {
        const f = parseShowinfoLine(line);
        if (f) decoded.push(f);
      },
    });
    if (r.code !== 0) {
      const why = errorLines(r.stderr).slice(-2).join(" | ") || r.stderr.trim().split("\n").slice(-2).join(" | ");
      throw new VideoError("corrupt", `Decoding frames ${firstFrame}-${lastFrame} of '${video.id}' failed: ${why}`);
    }
    const outputs = (await readdir(tmp)).filter((f) => f.endsWith(`.${ext}`)).sort();
    if (seek === undefined) {
      if (outputs.length !== count || decoded.length !== count) return false;
      for (let k = 0; k < count; k++) await rename(path.join(tmp, outputs[k]), this.framePath(tmp, firstFrame + k));
      return true;
    }
    // After a seek, a frame decoded from a non-key restart point may reference pictures from before the seek
    // (open GOP, this ffmpeg's AVI seek landing on a P-frame): its pts are right but its pixels are not. The
    // chunk is only trusted when the first frame out of the decoder is a keyframe no later than the chunk's
    // first frame — every later frame then depends only on pictures decoded in this run.
    const first = decoded[0];
    if (!first || !first.key || first.ptsUs === null || first.ptsUs > fromUs) return false;
    const frames = decoded.filter((f) => f.ptsUs !== null && f.ptsUs >= fromUs && f.ptsUs <= toUs).slice(0, count);
    if (outputs.length !== frames.length) return false;
    // Map each output frame to its index by pts (index timestamps are unique). A frame whose timestamp the
    // index had to repair matches nothing, which sends the chunk to the ordinal decode from the start.
    const want = new Map<number, number>();
    for (let i = firstFrame; i <= lastFrame; i++) want.set(Math.round(video.meta.timestamps[i] * 1e6), i);
    const found = new Set<number>();
    for (let k = 0; k < frames.length; k++) {
      const idx = want.get(frames[k].ptsUs as number);
      if (idx === undefined || found.has(idx)) return false;
      found.add(idx);
      await rename(path.join(tmp, outputs[k]), this.framePath(tmp, idx));
    }
    return found.size === count;
  }
}
