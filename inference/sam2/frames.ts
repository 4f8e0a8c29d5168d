// Exact RGB frames for mask propagation, decoded through lib/video's FrameStore (frame-exact index, chunks of raw
// RGB files: the pixels a PNG would hold, without ffmpeg compressing them and a worker decompressing them) into a
// private temporary cache. Disk and memory stay bounded: only the current chunk's files are on disk per direction,
// and the next chunk in the walking direction is decoded ahead.
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { FrameStore, isVideoError, rawRgbFrame, type FrameChunk } from "../../lib/video";
import { RuntimeError, type RuntimeVideo } from "../runtime";
import type { RgbImage } from "./image";

/**
 * Frames per decoded chunk: up to 32 (every chunk is an ffmpeg spawn, whose fork blocks this thread for longer the
 * more memory the process holds: 12 ms at 0.5 GB), fewer for large frames, which are big raw (6 MB at 1080p,
 * 25 MB at 4K) with up to three chunks on disk.
 */
const CHUNK = 32;
const CHUNK_BYTES = 128 * 2 ** 20;

/**
 * ffmpeg decodes the chunks ahead of the loop at the lowest priority: the loop is CPU-bound on small machines and
 * its critical path is its main thread, so the decoder gets the cores' idle time instead of taking theirs.
 * bench:sam2 at 1280×720 from the video (2026-11-22, two alternating runs each): 1.357 / 1.264 at the normal
 * priority, 1.207 / 1.203 at niceness 19. A decode the loop waits for has the cores to itself anyway.
 */
const DECODE_NICENESS = 19;

export function chunkFramesFor(width: number, height: number): number {
  return Math.max(2, Math.min(CHUNK, Math.floor(CHUNK_BYTES / (width * height * 3))));
}

/** A decoded frame on disk, for a reader on another thread (`FrameReader.leaseFile`). */
export interface FrameFile {
  /** Raw RGB, width·height·3 bytes, no header. */
  path: string;
  width: number;
  height: number;
  /** The frame read on this thread (checked as `read` checks it). */
  load(): Promise<RgbImage>;
  /** The file may be deleted from now on (idempotent). */
  release(): void;
}

export class FrameReader {
  private readonly store: FrameStore;
  private readonly dir: string;
  private readonly source: { id: string; path: string; meta: RuntimeVideo["meta"] };
  private readonly pending = new Map<number, Promise<FrameChunk>>();
  /** Per chunk, the files handed out by `leaseFile()` and not yet released. */
  private readonly leases = new Map<number, number>();
  /** Dropped chunks whose directory waits for its last lease. */
  private readonly doomed = new Map<number, string>();

  /**
   * @param range the frames the run will read (inclusive); read-ahead never decodes chunks outside it
   * @param chunkFrames frames per chunk (default `chunkFramesFor` the video's size)
   */
  constructor(private readonly video: RuntimeVideo, private readonly range: [number, number] = [0, video.meta.frameCount - 1], chunkFrames = chunkFramesFor(video.meta.width, video.meta.height)) {
    this.dir = mkdtempSync(path.join(tmpdir(), "gt-sam2-frames-"));
    this.store = new FrameStore({ cacheDir: this.dir, chunkSize: chunkFrames, format: "rgb", maxConcurrentDecodes: 1, niceness: DECODE_NICENESS });
    // FrameStore ids are path components: keep the caller's id when it is one, else a safe stand-in.
    this.source = { id: /^[A-Za-z0-9_-]{1,128}$/.test(video.id) ? video.id : "video", path: video.path, meta: video.meta };
  }

  get frameCount(): number {
    return this.video.meta.frameCount;
  }

  /** Frame `frame` as RGB; `ahead` (+1 / -1) decodes the neighbouring chunk in that direction in the background. */
  async read(frame: number, ahead: 1 | -1 = 1): Promise<RgbImage> {
    return this.reading(frame, async (file) => rawRgbFrame(await readFile(file), this.video.meta.width, this.video.meta.height));
  }

  /**
   * Frame `frame` for a reader on another thread (the SAM2 encoder worker): the path of its raw RGB file, kept on
   * disk until `release()` even when the walk moves on, so its bytes never pass through this thread; `load()` reads
   * it here (a fallback). A reader holding frames in memory may give the image instead.
   */
  async leaseFile(frame: number, ahead: 1 | -1 = 1): Promise<FrameFile | RgbImage> {
    const { width, height } = this.video.meta;
    const chunk = this.store.chunkForFrame(frame);
    const file = await this.reading(frame, async (f) => {
      this.leases.set(chunk, (this.leases.get(chunk) ?? 0) + 1);
      return f;
    }, ahead);
    let released = false;
    return {
      path: file,
      width,
      height,
      load: () => this.read(frame, ahead),
      release: () => {
        if (released) return;
        released = true;
        const left = (this.leases.get(chunk) ?? 1) - 1;
        if (left > 0) this.leases.set(chunk, left);
        else {
          this.leases.delete(chunk);
          const dir = this.doomed.get(chunk);
          this.doomed.delete(chunk);
          if (dir) rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  }

  /** The decoded file of `frame` passed to `use`, with read-ahead and the reader's errors. */
  private async reading<T>(frame: number, use: (file: string) => Promise<T>, ahead: 1 | -1 = 1): Promise<T> {
    let out: T;
    try {
      if (!Number.isInteger(frame) || frame < 0 || frame >= this.frameCount) throw new RuntimeError("video_unreadable", `Frame ${frame} does not exist: '${this.video.path}' has frames 0-${this.frameCount - 1}`);
      const chunk = this.store.chunkForFrame(frame);
      for (const c of [chunk, chunk + ahead]) {
        const inRange = c === chunk || (c >= this.store.chunkForFrame(this.range[0]) && c <= this.store.chunkForFrame(this.range[1]));
        if (inRange && c >= 0 && c < this.store.chunkCount(this.source.meta) && !this.pending.has(c)) {
          this.doomed.delete(c); // needed again: its files stay
          const p = this.store.getChunk(this.source, c);
          p.catch(() => {}); // surfaced when that chunk is actually read
          this.pending.set(c, p);
        }
      }
      const files = await (this.pending.get(chunk) as Promise<FrameChunk>);
      out = await use(files.files[frame - files.firstFrame]);
    } catch (e) {
      if (e instanceof RuntimeError) throw e;
      if (isVideoError(e)) throw new RuntimeError("video_unreadable", `Cannot decode frame ${frame} of '${this.video.path}': ${e.message}`);
      throw new RuntimeError("video_unreadable", `Cannot read frame ${frame} of '${this.video.path}': ${(e as Error).message}`);
    }
    this.dropFarChunks(this.store.chunkForFrame(frame));
    return out;
  }

  /** Deletes decoded chunks more than one chunk away from the current one (bounded disk use on long videos). */
  private dropFarChunks(current: number): void {
    for (const c of [...this.pending.keys()]) {
      if (Math.abs(c - current) > 1) {
        const p = this.pending.get(c);
        this.pending.delete(c);
        void p?.then(
          (chunk) => {
            const files = chunk.files;
            if (!files.length) return;
            // A leased file is still to be read on another thread: deleted at its last release.
            if (this.leases.has(c)) this.doomed.set(c, path.dirname(files[0]));
            else rmSync(path.dirname(files[0]), { recursive: true, force: true });
          },
          () => {},
        );
      }
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pending.values()]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
