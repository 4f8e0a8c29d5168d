// The remote runtime: Molmo2 served behind an OpenAI-compatible chat endpoint (vLLM). The frames are the ones
// Molmo2's own HF video processor would take from the file for tracking (`sampleMolmo2Frames`, checked against the
// reference in test/fixtures/remote-prompt), in its order. They go as one `video_url`
// "data:video/jpeg;base64,<f1>,<f2>,…" (vLLM's frame-list video form) together with the metadata that tells the
// server when each frame was shown (`media_io_kwargs.video`: fps, frames_indices, …; remote-vllm.ts), so vLLM's
// Molmo2 writes the same "0.0 … 0.5 …" timestamps before the frames as Molmo2's processor would (checked against
// vLLM's code in test/fixtures/remote-vllm). The question is Molmo2's own tracking template (inference/prompts.ts);
// the answer is parsed by lib/grounding/text `extractTracks` as Molmo2's evaluators parse it, and each answered time
// goes back to the frame the model was shown at that timestamp. videoForm "file" sends the video file instead, for
// servers without frame-list metadata (remote-video-file.ts). Answers stream (SSE), so tracks decoded so far reach
// `onPartial` while the model is still talking.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { z } from "zod";
import { extractTracks, nearestFrame, type FramePoints } from "../../lib/grounding";
import type { Keyframe, TrackSet, TrackedObject } from "../../lib/tracks";
import { FrameStore, isVideoError, type VideoMeta } from "../../lib/video";
import {
  MOLMO2_PROCESSOR_MAX_FPS,
  pythonFixed1,
  relativeTimes,
  sampleMolmo2Frames,
  sampleTrackingFrames,
  type FrameSampling,
  type Molmo2FrameSampling,
} from "../frame-sampling";
import { trackPrompt } from "../prompts";
import { videoFileDataUrl, videoFileSampling, type VideoFileSampling } from "./remote-video-file";
import { vllmFrameListMetadata, type VllmFrameListKwargs } from "./remote-vllm";

export { MOLMO2_PROCESSOR_MAX_FPS, pythonFixed1, sampleMolmo2Frames, sampleTrackingFrames, type FrameSampling, type Molmo2FrameSampling };
import { RuntimeError, type ModelRuntime, type QueryRequest, type QueryResult, type RuntimeVideo } from "../runtime";

export const RemoteRuntimeOptionsSchema = z.object({
  /** Base URL of the OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1 (`/chat/completions` is appended). */
  endpoint: z.string().url(),
  /** Served model name, e.g. allenai/Molmo2-8B. */
  model: z.string().min(1),
  apiKey: z.string().optional(),
  /** Whole-request deadline per attempt (default 300 s). */
  timeoutMs: z.number().int().positive().default(300_000),
  /** Extra attempts after a failed one (connection refused, 5xx, 429, timeout). Default 2. */
  retries: z.number().int().min(0).max(10).default(2),
  /** First back-off delay; doubles each retry. Default 500 ms. */
  backoffMs: z.number().int().min(0).default(500),
  /** Tracking sampling rate (Molmo2 tracking data: 2 fps). */
  samplingFps: z.number().positive().default(2),
  /** At most this many frames (Molmo2-8B video config allows 384; smaller keeps requests light). */
  maxFrames: z.number().int().positive().default(128),
  /**
   * "frames" (default): the processor's frames as one timed frame-list video (needs vLLM with PR #40133's
   * frame-list metadata; evenly spaced samplings also work with PR #37301's fps-only form). "file": the video file
   * itself, sampled by the server's "molmo2" video loader (by frame index: other frames than Molmo2's processor
   * for non-integer rates), for older servers.
   */
  videoForm: z.enum(["frames", "file"]).default("frames"),
  /** videoForm "file": largest file sent (default 64 MiB); larger ones are refused with a clear error. */
  maxVideoBytes: z.number().int().positive().default(64 * 1024 * 1024),
  /** Width of the JPEG frames sent (height keeps the aspect). Molmo2 resizes to 378 px crops anyway. */
  frameWidth: z.number().int().min(16).max(4096).default(768),
  /** Index into the template list of inference/prompts.ts. */
  template: z.number().int().min(0).optional(),
  maxTokens: z.number().int().positive().default(8192),
  /** Stream the answer (SSE) for partial results. Default true. */
  stream: z.boolean().default(true),
});
export type RemoteRuntimeOptions = z.input<typeof RemoteRuntimeOptionsSchema>;
type Options = z.output<typeof RemoteRuntimeOptionsSchema>;

const ChatCompletion = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
});
const ChatChunk = z.object({
  choices: z.array(z.object({ delta: z.object({ content: z.string().nullish() }).passthrough() })),
});

/** The frames the model was shown and the time of each (a Molmo2FrameSampling), in the order it saw them. */
export interface ShownFrames {
  times: readonly number[];
  frames: readonly number[];
}

/**
 * The native frame an answered time refers to. With the shown frames: the one shown at the nearest timestamp (the
 * first on ties) — what Molmo2's own demo does (scripts/unified_demo.py: `argmin(|frames_indices / fps - t|)`), so a
 * 29.97 fps clip's "0.5" is the frame the model saw at 0.5 s (native frame 14), not the native frame nearest to
 * 0.5 s (15). Without them: the nearest native frame.
 */
export function frameForTime(meta: Pick<VideoMeta, "timestamps">, t: number, shown?: ShownFrames): number {
  if (shown && shown.times.length) return shown.frames[nearestFrame(shown.times, t)]!;
  return nearestFrame(relativeTimes(meta), t);
}

/**
 * The times Molmo2 is asked to answer at ("sampling at {fps} frames per second": 0, 1/fps, 2/fps, … within the clip)
 * and their frames (`frameForTime`). The model sees denser frames (the tracking sampler) but answers on this grid.
 */
export function answerGrid(meta: Pick<VideoMeta, "timestamps">, fps: number, shown?: ShownFrames): { times: number[]; frames: number[] } {
  const rel = relativeTimes(meta);
  const end = rel[rel.length - 1] ?? 0;
  const times: number[] = [];
  for (let k = 0; k / fps <= end + 1e-9; k++) times.push(k / fps);
  return { times, frames: times.map((t) => frameForTime(meta, t, shown)) };
}

/**
 * Parsed Molmo2 frames → TrackSet on native frames: each answer timestamp goes to its frame (`frameForTime`). Molmo2
 * omits points it does not see, so an object missing at an answer-grid time after it was seen gets an `outside`
 * keyframe there, and the shared interpolation does not draw it through its absence.
 */
export function framesToTrackSet(meta: VideoMeta, expression: string, answerFps: number, parsed: readonly FramePoints[], source: `model:${string}`, shown?: ShownFrames): TrackSet {
  const rel = relativeTimes(meta);
  const byObject = new Map<number, Map<number, { x: number; y: number }>>();
  const answered = new Set<number>(answerGrid(meta, answerFps, shown).frames);
  for (const f of parsed) {
    const frame = frameForTime(meta, f.time, shown);
    answered.add(frame);
    for (const p of f.points) {
      let m = byObject.get(p.id);
      if (!m) byObject.set(p.id, (m = new Map()));
      if (!m.has(frame)) m.set(frame, { x: p.x, y: p.y });
    }
  }
  const grid = [...answered].sort((a, b) => a - b);
  const objects: TrackedObject[] = [];
  for (const [id, seen] of [...byObject.entries()].sort((a, b) => a[0] - b[0])) {
    const first = Math.min(...seen.keys());
    const keyframes: Keyframe[] = [];
    let last: { x: number; y: number } | null = null;
    let gone = false;
    for (const frame of grid) {
      if (frame < first) continue;
      const p = seen.get(frame);
      if (p) {
        keyframes.push({ frame, x: p.x, y: p.y, state: "visible", source });
        last = p;
        gone = false;
      } else if (!gone && last) {
        keyframes.push({ frame, x: last.x, y: last.y, state: "outside", source });
        gone = true;
      }
    }
    objects.push({ objectId: String(id), keyframes });
  }
  return {
    video: {
      width: meta.width,
      height: meta.height,
      fps: meta.fps,
      frameCount: meta.frameCount,
      ...(meta.isVfr ? { timestamps: rel } : {}),
      ...(meta.shotBoundaries.length ? { shotBoundaries: [...meta.shotBoundaries] } : {}),
    },
    expression,
    objects,
  };
}

/** Text that is a valid "nothing found" answer in Molmo2's output formats. */
function isEmptyAnswer(text: string): boolean {
  const t = text.trim();
  return /^(there are none\.?|no tracks available\.?|none\.?|0)$/i.test(t) || /<(points|tracks)[^>]*coords=""/.test(t);
}

function snippet(text: string, n = 160): string {
  const t = text.replace(/\s+/g, " ").trim();
  return `'${t.length > n ? `${t.slice(0, n)}…` : t}'`;
}

/** The text streamed so far, cut after the last complete frame and closed, for a partial parse. */
export function closePartialAnswer(text: string): string | null {
  const open = text.search(/<(?:points|tracks)[^>]*?coords="/);
  if (open < 0) return null;
  const bodyStart = text.indexOf('coords="', open) + 'coords="'.length;
  const closeQuote = text.indexOf('"', bodyStart);
  if (closeQuote >= 0) return text; // the coords attribute is complete
  const body = text.slice(bodyStart);
  const cut = Math.max(body.lastIndexOf(";"), body.lastIndexOf("\t"));
  if (cut <= 0) return null;
  return `${text.slice(0, bodyStart)}${body.slice(0, cut)}">x</tracks>`;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(new RuntimeError("cancelled", "The query was cancelled"));
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new RuntimeError("cancelled", "The query was cancelled"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });

/** The video as sent: its URL, how the server is to read it, and the frames (and times) it will show the model. */
interface SentVideo {
  url: string;
  mediaIo: VllmFrameListKwargs | VideoFileSampling["kwargs"];
  shown: ShownFrames;
}

class RetryableError extends Error {
  constructor(readonly error: RuntimeError) {
    super(error.message);
  }
}

export class RemoteRuntime implements ModelRuntime {
  readonly kind = "remote";
  readonly engine: string;
  readonly opts: Options;
  private readonly url: string;

  constructor(options: RemoteRuntimeOptions) {
    const parsed = RemoteRuntimeOptionsSchema.safeParse(options);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new RuntimeError("model_invalid", `remote runtime option ${i?.path.join(".") || "?"}: ${i?.message ?? "invalid"}`);
    }
    this.opts = parsed.data;
    this.url = `${this.opts.endpoint.replace(/\/+$/, "")}/chat/completions`;
    this.engine = `remote:${this.opts.model}@${this.opts.endpoint}`;
  }

  async query(req: QueryRequest): Promise<QueryResult> {
    const { video, signal } = req;
    if (signal.aborted) throw new RuntimeError("cancelled", "The query was cancelled");
    const sent = this.opts.videoForm === "file" ? await this.videoFile(req) : await this.frameList(req);
    const sampling = sent.shown;
    const prompt = trackPrompt({ label: req.expression, fps: this.opts.samplingFps, ...(this.opts.template === undefined ? {} : { template: this.opts.template }) });
    const source = `model:${this.opts.model}` as const;
    const meta = video.meta;
    const parse = (text: string) => extractTracks(text, { width: meta.width, height: meta.height, fps: meta.fps });
    let partialFrames = -1;
    const onText = (text: string) => {
      if (!req.onPartial) return;
      const closed = closePartialAnswer(text);
      if (!closed) return;
      const r = parse(closed);
      if (!r.ok || r.value.length === partialFrames) return;
      partialFrames = r.value.length;
      req.onPartial(framesToTrackSet(meta, req.expression, this.opts.samplingFps, r.value, source, sampling));
    };
    req.onProgress?.({ stage: "asking", done: 0, total: 1 });
    const answer = await this.ask(prompt, sent.url, sent.mediaIo, signal, onText);
    req.onProgress?.({ stage: "parsing", done: 1, total: 1 });
    const parsed = parse(answer);
    if (!parsed.ok) throw new RuntimeError("bad_answer", `${this.engine} answered text that is not Molmo2 track output (${parsed.error.message}): ${snippet(answer)}`);
    if (parsed.value.length === 0 && !isEmptyAnswer(answer)) {
      throw new RuntimeError("bad_answer", `${this.engine} answered without any <tracks coords="…"> points: ${snippet(answer)}`);
    }
    const tracks = framesToTrackSet(meta, req.expression, this.opts.samplingFps, parsed.value, source, sampling);
    return { tracks, engine: this.engine, sampledFrames: [...new Set(sampling.frames)].sort((a, b) => a - b), rawOutput: answer };
  }

  /**
   * videoForm "frames": the frames Molmo2's own video processor would pick from this file, in its order (repeats
   * included), as JPEGs in one frame-list data URL, with the metadata under which vLLM writes the processor's
   * timestamps (computed before any decoding: a sampling it cannot express fails fast).
   */
  private async frameList(req: QueryRequest): Promise<SentVideo> {
    const sampling = sampleMolmo2Frames(req.video.meta, this.opts.samplingFps, this.opts.maxFrames);
    const timing = vllmFrameListMetadata(sampling);
    const unique = [...new Set(sampling.frames)].sort((a, b) => a - b);
    const decoded = await this.readJpegs(req.video, unique, req.signal, (done) => req.onProgress?.({ stage: "sampling", done, total: unique.length }));
    const byFrame = new Map(unique.map((f, i) => [f, decoded[i]!]));
    const url = `data:video/jpeg;base64,${sampling.frames.map((f) => byFrame.get(f)!.toString("base64")).join(",")}`;
    return { url, mediaIo: timing.kwargs, shown: sampling };
  }

  /** videoForm "file": the file itself, sampled by the server's molmo2 loader (remote-video-file.ts). */
  private async videoFile(req: QueryRequest): Promise<SentVideo> {
    const s = videoFileSampling(req.video.meta, this.opts.samplingFps, this.opts.maxFrames);
    req.onProgress?.({ stage: "sampling", done: 0, total: 1 });
    const url = await videoFileDataUrl(req.video, this.opts.maxVideoBytes);
    req.onProgress?.({ stage: "sampling", done: 1, total: 1 });
    return { url, mediaIo: s.kwargs, shown: s };
  }

  async close(): Promise<void> {}

  private async readJpegs(video: RuntimeVideo, frames: readonly number[], signal: AbortSignal, onFrame: (done: number) => void): Promise<Buffer[]> {
    const dir = mkdtempSync(path.join(tmpdir(), "gt-remote-frames-"));
    const store = new FrameStore({ cacheDir: dir, chunkSize: 16, format: "jpeg", quality: 90, maxConcurrentDecodes: 1 });
    const source = { id: /^[A-Za-z0-9_-]{1,128}$/.test(video.id) ? video.id : "video", path: video.path, meta: video.meta };
    const width = Math.min(this.opts.frameWidth, video.meta.width - (video.meta.width % 2));
    const size = width >= video.meta.width ? {} : { width };
    const out: Buffer[] = [];
    try {
      for (const f of frames) {
        if (signal.aborted) throw new RuntimeError("cancelled", "The query was cancelled");
        try {
          out.push(await store.readFrame(source, f, size));
        } catch (e) {
          throw new RuntimeError("video_unreadable", `Cannot decode frame ${f} of '${video.path}': ${isVideoError(e) || e instanceof Error ? e.message : String(e)}`);
        }
        onFrame(out.length);
      }
      return out;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * The chat request: one video_url and the question; how the server is to read the video goes in
   * `media_io_kwargs.video`, and `do_sample_frames: false` keeps the HF processor from re-sampling the frames.
   */
  private requestBody(prompt: string, url: string, video: SentVideo["mediaIo"]): string {
    return JSON.stringify({
      model: this.opts.model,
      messages: [{ role: "user", content: [{ type: "video_url", video_url: { url } }, { type: "text", text: prompt }] }],
      media_io_kwargs: { video },
      mm_processor_kwargs: { do_sample_frames: false },
      max_tokens: this.opts.maxTokens,
      temperature: 0,
      stream: this.opts.stream,
    });
  }

  /** POSTs with retries and exponential back-off; returns the whole answer text. */
  private async ask(prompt: string, url: string, video: SentVideo["mediaIo"], signal: AbortSignal, onText: (text: string) => void): Promise<string> {
    const body = this.requestBody(prompt, url, video);
    let last: RuntimeError | null = null;
    for (let attempt = 0; attempt <= this.opts.retries; attempt++) {
      if (attempt > 0) await sleep(this.opts.backoffMs * 2 ** (attempt - 1), signal);
      try {
        return await this.once(body, signal, onText);
      } catch (e) {
        if (e instanceof RetryableError) {
          last = e.error;
          continue;
        }
        throw e;
      }
    }
    const tries = this.opts.retries + 1;
    throw new RuntimeError(last!.code, `${last!.message} (gave up after ${tries} attempt${tries === 1 ? "" : "s"})`);
  }

  private async once(body: string, signal: AbortSignal, onText: (text: string) => void): Promise<string> {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    const both = AbortSignal.any([signal, timeout]);
    const timedOut = () => new RetryableError(new RuntimeError("timeout", `Molmo2 server ${this.url} did not answer within ${this.opts.timeoutMs / 1000} s`));
    const headers: Record<string, string> = { "content-type": "application/json", accept: this.opts.stream ? "text/event-stream" : "application/json" };
    if (this.opts.apiKey) headers.authorization = `Bearer ${this.opts.apiKey}`;
    let res: Response;
    try {
      res = await fetch(this.url, { method: "POST", headers, body, signal: both });
    } catch (e) {
      if (signal.aborted) throw new RuntimeError("cancelled", "The query was cancelled");
      if (timeout.aborted) throw timedOut();
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new RetryableError(new RuntimeError("server_unreachable", `Molmo2 server ${this.url} is unreachable (${cause?.code ?? cause?.message ?? (e as Error).message})`));
    }
    try {
      if (!res.ok) {
        const text = await res.text().catch(() => "");
        // vLLM before PR #37301 gives a frame-list video no metadata, and Molmo2's processor fails on it.
        const hint = this.opts.videoForm === "frames" && /VideoMetadata|total_num_frames/.test(text) ? ' (this server cannot take timed frame lists: use videoForm "file")' : "";
        const err = new RuntimeError(res.status >= 500 || res.status === 429 ? "server_unreachable" : "bad_answer", `Molmo2 server ${this.url} answered HTTP ${res.status}: ${snippet(text)}${hint}`);
        if (res.status >= 500 || res.status === 429 || res.status === 408) throw new RetryableError(err);
        throw err;
      }
      const type = res.headers.get("content-type") ?? "";
      if (type.includes("text/event-stream")) return await this.readStream(res, onText);
      const raw = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        throw new RuntimeError("bad_answer", `Molmo2 server ${this.url} answered something that is not JSON: ${snippet(raw)}`);
      }
      const r = ChatCompletion.safeParse(json);
      if (!r.success) throw new RuntimeError("bad_answer", `Molmo2 server ${this.url} answered JSON that is not a chat completion (${r.error.issues[0]?.path.join(".")}: ${r.error.issues[0]?.message}): ${snippet(raw)}`);
      const content = r.data.choices[0]!.message.content ?? "";
      onText(content);
      return content;
    } catch (e) {
      if (e instanceof RetryableError || e instanceof RuntimeError) throw e;
      if (signal.aborted) throw new RuntimeError("cancelled", "The query was cancelled");
      if (timeout.aborted) throw timedOut();
      throw new RetryableError(new RuntimeError("server_unreachable", `Molmo2 server ${this.url} dropped the connection (${(e as Error).message})`));
    }
  }

  /** Reads an OpenAI-style SSE stream (`data: {chunk}` lines, `data: [DONE]`). */
  private async readStream(res: Response, onText: (text: string) => void): Promise<string> {
    if (!res.body) throw new RuntimeError("bad_answer", `Molmo2 server ${this.url} sent an empty stream`);
    const decoder = new TextDecoder();
    let buf = "";
    let text = "";
    let done = false;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, "");
        buf = buf.slice(nl + 1);
        if (!line.startsWith("data:")) continue;
        const data = line.slice(5).trim();
        if (data === "[DONE]") {
          done = true;
          continue;
        }
        let json: unknown;
        try {
          json = JSON.parse(data);
        } catch {
          throw new RuntimeError("bad_answer", `Molmo2 server ${this.url} streamed a line that is not JSON: ${snippet(data)}`);
        }
        const r = ChatChunk.safeParse(json);
        if (!r.success) throw new RuntimeError("bad_answer", `Molmo2 server ${this.url} streamed a chunk that is not a chat completion chunk: ${snippet(data)}`);
        const delta = r.data.choices[0]?.delta.content ?? "";
        if (delta) {
          text += delta;
          onText(text);
        }
      }
    }
    if (!done) throw new RetryableError(new RuntimeError("server_unreachable", `Molmo2 server ${this.url} ended the stream before [DONE]`));
    return text;
  }
}

export function createRemoteRuntime(opts: RemoteRuntimeOptions): ModelRuntime {
  return new RemoteRuntime(opts);
}
