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

export function chunkFramesFor(width: number, height: number): number {
  return Math.max(2, Math.min(CHUNK, Math.floor(CHUNK_BYTES / (width * height * 3))));
}

export class FrameReader {
  private readonly store: FrameStore;
  private readonly dir: string;
  private readonly source: { id: string; path: string; meta: RuntimeVideo["meta"] };
  private readonly pending = new Map<number, Promise<FrameChunk>>();

  /** `range`: the frames the run will read (inclusive); read-ahead never decodes chunks outside it. */
  constructor(private readonly video: RuntimeVideo, private readonly range: [number, number] = [0, video.meta.frameCount - 1]) {
    this.dir = mkdtempSync(path.join(tmpdir(), "gt-sam2-frames-"));
    this.store = new FrameStore({ cacheDir: this.dir, chunkSize: chunkFramesFor(video.meta.width, video.meta.height), format: "rgb", maxConcurrentDecodes: 1 });
    // FrameStore ids are path components: keep the caller's id when it is one, else a safe stand-in.
    this.source = { id: /^[A-Za-z0-9_-]{1,128}$/.test(video.id) ? video.id : "video", path: video.path, meta: video.meta };
  }

  get frameCount(): number {
    return this.video.meta.frameCount;
  }

  /** Frame `frame` as RGB; `ahead` (+1 / -1) decodes the neighbouring chunk in that direction in the background. */
  async read(frame: number, ahead: 1 | -1 = 1): Promise<RgbImage> {
    let img: RgbImage;
    try {
      if (!Number.isInteger(frame) || frame < 0 || frame >= this.frameCount) throw new RuntimeError("video_unreadable", `Frame ${frame} does not exist: '${this.video.path}' has frames 0-${this.frameCount - 1}`);
      const chunk = this.store.chunkForFrame(frame);
      for (const c of [chunk, chunk + ahead]) {
        const inRange = c === chunk || (c >= this.store.chunkForFrame(this.range[0]) && c <= this.store.chunkForFrame(this.range[1]));
        if (inRange && c >= 0 && c < this.store.chunkCount(this.source.meta) && !this.pending.has(c)) {
          const p = this.store.getChunk(this.source, c);
          p.catch(() => {}); // surfaced when that chunk is actually read
          this.pending.set(c, p);
        }
      }
      const files = await (this.pending.get(chunk) as Promise<FrameChunk>);
      img = rawRgbFrame(await readFile(files.files[frame - files.firstFrame]), this.video.meta.width, this.video.meta.height);
    } catch (e) {
      if (e instanceof RuntimeError) throw e;
      if (isVideoError(e)) throw new RuntimeError("video_unreadable", `Cannot decode frame ${frame} of '${this.video.path}': ${e.message}`);
      throw new RuntimeError("video_unreadable", `Cannot read frame ${frame} of '${this.video.path}': ${(e as Error).message}`);
    }
    this.dropFarChunks(this.store.chunkForFrame(frame));
    return img;
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
            if (files.length) rmSync(path.dirname(files[0]), { recursive: true, force: true });
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
