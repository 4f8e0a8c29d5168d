// Client-side frame cache: frames arrive in chunks (the server decodes each chunk once); the cache keeps
// a bounded number of chunks and prefetches in both directions around the current frame, nearest first,
// so stepping or playing either way rarely waits (CVAT's most reported complaint is a stall per chunk).

export interface FrameCacheOptions<F> {
  frameCount: number;
  chunkSize: number;
  /** Loads all frames of one chunk, in order. */
  loadChunk: (chunkIndex: number, signal: AbortSignal) => Promise<F[]>;
  /** Called to free a frame evicted from the cache (e.g. ImageBitmap.close). */
  dispose?: (frame: F) => void;
  /** Chunks kept in memory. */
  maxChunks?: number;
  /** Chunks prefetched ahead in the playing direction, and behind. */
  prefetchAhead?: number;
  prefetchBehind?: number;
  /** Concurrent chunk loads. */
  concurrency?: number;
  /** Called after a chunk finished loading or was evicted (e.g. to redraw the timeline's buffer bar). */
  onChange?: () => void;
}

interface ChunkEntry<F> {
  frames?: F[];
  promise?: Promise<F[]>;
  controller?: AbortController;
  lastUsed: number;
  error?: Error;
}

export class FrameCache<F> {
  private readonly chunks = new Map<number, ChunkEntry<F>>();
  private readonly opts: Required<Omit<FrameCacheOptions<F>, "dispose" | "onChange">> & Pick<FrameCacheOptions<F>, "dispose" | "onChange">;
  private clock = 0;
  private inFlight = 0;
  private queue: number[] = [];
  private direction: 1 | -1 = 1;

  constructor(opts: FrameCacheOptions<F>) {
    if (!(opts.frameCount > 0) || !(opts.chunkSize > 0)) throw new Error("frameCount and chunkSize must be positive");
    this.opts = { maxChunks: 12, prefetchAhead: 3, prefetchBehind: 2, concurrency: 2, ...opts };
    if (this.opts.maxChunks < this.opts.prefetchAhead + this.opts.prefetchBehind + 1) {
      throw new Error("maxChunks must hold the prefetch window");
    }
  }

  get chunkCount(): number {
    return Math.ceil(this.opts.frameCount / this.opts.chunkSize);
  }

  chunkOf(frame: number): number {
    return Math.floor(frame / this.opts.chunkSize);
  }

  /** The frame if it is already decoded, else undefined (never waits). */
  peek(frame: number): F | undefined {
    const e = this.chunks.get(this.chunkOf(frame));
    if (!e?.frames) return undefined;
    e.lastUsed = ++this.clock;
    return e.frames[frame - this.chunkOf(frame) * this.opts.chunkSize];
  }

  has(frame: number): boolean {
    return this.peek(frame) !== undefined;
  }

  /** Resolves with the frame, loading its chunk first if needed, and schedules prefetch around it. */
  async get(frame: number): Promise<F> {
    if (!Number.isInteger(frame) || frame < 0 || frame >= this.opts.frameCount) {
      throw new RangeError(`frame ${frame} outside [0, ${this.opts.frameCount})`);
    }
    const c = this.chunkOf(frame);
    this.prefetchAround(frame);
    const frames = await this.load(c);
    const f = frames[frame - c * this.opts.chunkSize];
    if (f === undefined) throw new Error(`chunk ${c} returned ${frames.length} frames; frame ${frame} missing`);
    return f;
  }

  /** Tells the cache where the user is and which way they move; queues nearest-first prefetch. */
  prefetchAround(frame: number, direction?: 1 | -1): void {
    if (direction) this.direction = direction;
    const c = this.chunkOf(frame);
    const wanted: number[] = [c];
    const ahead = this.opts.prefetchAhead;
    const behind = this.opts.prefetchBehind;
    for (let i = 1; i <= Math.max(ahead, behind); i++) {
      if (i <= ahead) wanted.push(c + i * this.direction);
      if (i <= behind) wanted.push(c - i * this.direction);
    }
    const valid = wanted.filter((x) => x >= 0 && x < this.chunkCount);
    // Drop queued chunks that left the window; the window order is the priority.
    this.queue = valid.filter((x) => !this.chunks.has(x));
    this.evict(new Set(valid));
    this.pump();
  }

  /** Chunks currently decoded (for tests and the timeline's buffer bar). */
  loadedChunks(): number[] {
    return [...this.chunks.entries()].filter(([, e]) => e.frames).map(([k]) => k).sort((a, b) => a - b);
  }

  dispose(): void {
    for (const [k] of this.chunks) this.drop(k);
    this.queue = [];
  }

  /** Starts (or joins) the load of chunk c. Urgent requests from get() bypass the prefetch concurrency cap. */
  private load(c: number): Promise<F[]> {
    let e = this.chunks.get(c);
    if (e?.frames) {
      e.lastUsed = ++this.clock;
      return Promise.resolve(e.frames);
    }
    if (e?.promise) return e.promise;
    const controller = new AbortController();
    e = { lastUsed: ++this.clock, controller };
    this.chunks.set(c, e);
    this.inFlight++;
    const entry = e;
    entry.promise = this.opts
      .loadChunk(c, controller.signal)
      .then((frames) => {
        entry.frames = frames;
        this.opts.onChange?.();
        return frames;
      })
      .catch((err: unknown) => {
        // A failed chunk is forgotten so the next request retries it.
        if (this.chunks.get(c) === entry) this.chunks.delete(c);
        throw err instanceof Error ? err : new Error(String(err));
      })
      .finally(() => {
        entry.promise = undefined;
        entry.controller = undefined;
        this.inFlight--;
        this.pump();
      });
    return entry.promise;
  }

  private pump(): void {
    while (this.inFlight < this.opts.concurrency && this.queue.length) {
      const c = this.queue.shift()!;
      if (this.chunks.has(c)) continue;
      this.load(c).catch(() => undefined);
    }
  }

  private evict(keep: Set<number>): void {
    if (this.chunks.size <= this.opts.maxChunks) return;
    const victims = [...this.chunks.entries()]
      .filter(([k, e]) => !keep.has(k) && e.frames)
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    while (this.chunks.size > this.opts.maxChunks && victims.length) this.drop(victims.shift()![0]);
  }

  private drop(c: number): void {
    const e = this.chunks.get(c);
    if (!e) return;
    e.controller?.abort();
    if (e.frames && this.opts.dispose) for (const f of e.frames) this.opts.dispose(f);
    this.chunks.delete(c);
    if (e.frames) this.opts.onChange?.();
  }
}
