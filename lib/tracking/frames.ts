// Grayscale frames for point propagation, decoded through lib/video's FrameStore (frame-exact index, raw RGB
// chunks — a PNG's pixels without compressing and decompressing them — optionally downscaled by ffmpeg) into a
// private temporary cache. Memory and disk stay bounded on
// long videos: only the chunks next to the current one are kept, and the next chunk in the walking direction is
// decoded ahead while the current one is tracked.
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { FrameStore, rawRgbFrame, type FrameChunk, type VideoMeta } from "../video";
import { grayFromRgb, type GrayImage } from "./pyramid";

export interface VideoFile {
  /** Cache key ([A-Za-z0-9_-]); any other id is replaced by a neutral one. */
  id: string;
  path: string;
  meta: VideoMeta;
}

export interface GrayFrameReaderOptions {
  /** Decode at this width (height follows the aspect ratio); default: native, or 640 when wider. */
  width?: number;
  /** Frames per decoded chunk (default 24). */
  chunkSize?: number;
}

export class GrayFrameReader {
  private readonly store: FrameStore;
  private readonly dir: string;
  private readonly source: VideoFile;
  private readonly width: number | undefined;
  private readonly pending = new Map<number, Promise<FrameChunk>>();

  constructor(video: VideoFile, options: GrayFrameReaderOptions = {}) {
    this.dir = mkdtempSync(path.join(tmpdir(), "gt-track-frames-"));
    this.store = new FrameStore({ cacheDir: this.dir, chunkSize: options.chunkSize ?? 24, format: "rgb", maxConcurrentDecodes: 1 });
    this.source = { id: /^[A-Za-z0-9_-]{1,128}$/.test(video.id) ? video.id : "video", path: video.path, meta: video.meta };
    const w = options.width ?? (video.meta.width > 640 ? 640 : undefined);
    this.width = w !== undefined && w < video.meta.width ? w : undefined;
  }

  get frameCount(): number {
    return this.source.meta.frameCount;
  }

  /** Frame `frame` as a grayscale image at the working size; `ahead` decodes the neighbouring chunk in that direction. */
  async read(frame: number, ahead: 1 | -1 = 1): Promise<GrayImage> {
    if (!Number.isInteger(frame) || frame < 0 || frame >= this.frameCount) throw new RangeError(`frame ${frame} does not exist: '${this.source.path}' has frames 0-${this.frameCount - 1}`);
    const size = this.width === undefined ? {} : { width: this.width };
    const chunk = this.store.chunkForFrame(frame);
    for (const c of [chunk, chunk + ahead]) {
      if (c >= 0 && c < this.store.chunkCount(this.source.meta) && !this.pending.has(c)) {
        const p = this.store.getChunk(this.source, c, size);
        p.catch(() => {}); // surfaced when that chunk is actually read
        this.pending.set(c, p);
      }
    }
    const files = await (this.pending.get(chunk) as Promise<FrameChunk>);
    const bytes = await readFile(files.files[frame - files.firstFrame]);
    this.dropFarChunks(chunk);
    // Scaled by ffmpeg, the height is its aspect-preserving even height: what the bytes hold.
    const img = this.width === undefined ? rawRgbFrame(bytes, this.source.meta.width, this.source.meta.height) : rawRgbFrame(bytes, this.width);
    return grayFromRgb(img.width, img.height, img.data, 3);
  }

  private dropFarChunks(current: number): void {
    for (const [c, p] of [...this.pending]) {
      if (Math.abs(c - current) <= 1) continue;
      this.pending.delete(c);
      void p.then((chunk) => chunk.files.length && rmSync(path.dirname(chunk.files[0]), { recursive: true, force: true }), () => {});
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pending.values()]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
