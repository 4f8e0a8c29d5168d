// A local stand-in for a vLLM server hosting Molmo2 that reads a chat request the way vLLM does (checked against
// vLLM's own code: test/fixtures/remote-vllm): the frame-list video `data:video/jpeg;base64,f1,f2,…`, its metadata
// from the request's `media_io_kwargs.video` (VideoMediaIO.merge_kwargs + load_base64, with vLLM's validation
// errors as HTTP 400), then the timestamps Molmo2's vLLM model writes before each frame
// (`_get_video_second_idx`: frames_indices / fps, f"{t:.1f}"); a whole video file is read as vLLM's "molmo2" video
// loader reads it (`vllmMolmo2FileView`). The answer is computed from what the server saw,
// so a test can answer at the timestamps the model was shown and check they come back to the right frames.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { FrameStore, probeVideo } from "../../lib/video";
import { pythonFixed1 } from "../../inference/frame-sampling";
import { loaderSampleFrames } from "../../inference/runtimes/remote-video-file";

/** The video metadata vLLM builds for a frame-list video (transformers VideoMetadata fields). */
export interface VllmVideoMetadata {
  total_num_frames: number;
  fps: number;
  duration: number;
  video_backend: "jpeg_sequence" | "opencv";
  frames_indices: number[];
  do_sample_frames: boolean;
}

/** What vLLM's Molmo2 sees of one request. */
export interface VllmMolmo2View {
  /** The JPEG frames it reads, in order (at most `num_frames`). */
  frames: Buffer[];
  metadata: VllmVideoMetadata;
  /** The text before each frame's tokens, stripped ("0.0", "0.5", …). */
  timestamps: string[];
  prompt: string;
}

/** vLLM's error for a request it refuses (it answers HTTP 400 with this message). */
export class VllmRequestError extends Error {}

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

/** `VideoMediaIO.merge_kwargs(None, runtime)` then `__init__` (num_frames default 32, video_backend popped). */
function videoMediaIoKwargs(runtime: Record<string, unknown> | undefined): { numFrames: number; kwargs: Record<string, unknown> } {
  const merged: Record<string, unknown> = { ...(runtime ?? {}) };
  const numFrames = merged.num_frames === undefined ? 32 : Number(merged.num_frames);
  delete merged.num_frames;
  delete merged.video_backend;
  return { numFrames, kwargs: merged };
}

/** `VideoMediaIO.load_base64("video/jpeg", data)`: the frames read and their metadata (vLLM after PR #40133). */
export function vllmLoadJpegFrames(data: string, runtime: Record<string, unknown> | undefined): { frames: Buffer[]; metadata: VllmVideoMetadata } {
  const { numFrames, kwargs } = videoMediaIoKwargs(runtime);
  let parts: string[];
  if (numFrames > 0) parts = data.split(",").slice(0, numFrames);
  else if (numFrames === 0) throw new VllmRequestError("num_frames must be greater than 0 or -1");
  else parts = data.split(",");
  const frames = parts.map((p) => Buffer.from(p, "base64"));
  const total = frames.length;
  const fps = kwargs.fps === undefined ? 1 : Number(kwargs.fps);
  let framesIndices = kwargs.frames_indices;
  if (framesIndices !== undefined && framesIndices !== null) {
    if (!Array.isArray(framesIndices) || !framesIndices.every(isInt)) throw new VllmRequestError("frames_indices must be a list of integers");
    if (framesIndices.length !== total) throw new VllmRequestError(`frames_indices length (${framesIndices.length}) must match number of frames sent (${total})`);
  } else {
    framesIndices = Array.from({ length: total }, (_, i) => i);
  }
  const totalNumFrames = kwargs.total_num_frames ?? total;
  if (!isInt(totalNumFrames) || totalNumFrames < 1) throw new VllmRequestError("total_num_frames must be a positive integer");
  if (totalNumFrames < total) throw new VllmRequestError(`total_num_frames (${totalNumFrames}) must be >= number of frames sent (${total})`);
  let duration = kwargs.duration;
  if (duration !== undefined && duration !== null) {
    if (typeof duration !== "number" || duration < 0) throw new VllmRequestError("duration must be a non-negative number");
  } else {
    duration = fps > 0 ? totalNumFrames / fps : 0;
  }
  const doSample = kwargs.do_sample_frames === undefined ? false : Boolean(kwargs.do_sample_frames);
  return {
    frames,
    metadata: { total_num_frames: totalNumFrames, fps, duration: duration as number, video_backend: "jpeg_sequence", frames_indices: framesIndices as number[], do_sample_frames: doSample },
  };
}

/** Molmo2's `_get_video_second_idx` (do_sample_frames False) and the f"{t:.1f}" written before each frame. */
export function vllmMolmo2FrameTimestamps(metadata: Pick<VllmVideoMetadata, "fps" | "frames_indices" | "do_sample_frames">, doSampleFrames?: boolean): string[] {
  if (doSampleFrames ?? metadata.do_sample_frames) throw new VllmRequestError("this stand-in does not re-sample frames (do_sample_frames)");
  return metadata.frames_indices.map((i) => pythonFixed1(i / metadata.fps));
}

interface Content {
  type: string;
  text?: string;
  video_url?: { url: string };
  image_url?: { url: string };
}

/**
 * A video file sent whole, read by vLLM's "molmo2" loader (`Molmo2VideoBackend.load_bytes`): the frames it decodes
 * (`_sample_frames`, mirrored by remote-video-file.ts `loaderSampleFrames` and checked against vLLM's code in
 * test/fixtures/remote-vllm/molmo2-loader-sampling.json), with `frames_indices` and the stream's frame count and
 * rate (lib/video's probe standing in for OpenCV's CAP_PROP_FRAME_COUNT / CAP_PROP_FPS). Frames come back as JPEGs.
 */
export async function vllmMolmo2FileView(bytes: Buffer, runtime: Record<string, unknown> | undefined): Promise<{ frames: Buffer[]; metadata: VllmVideoMetadata }> {
  const kw = { ...(runtime ?? {}) };
  if (kw.video_backend !== "molmo2") throw new VllmRequestError("this stand-in decodes video files with the molmo2 loader only (media_io_kwargs.video.video_backend)");
  const mode = kw.frame_sample_mode;
  if (mode !== "fps" && mode !== "uniform_last_frame") throw new VllmRequestError("this stand-in needs frame_sample_mode fps or uniform_last_frame");
  const numFrames = kw.num_frames === undefined ? 32 : Number(kw.num_frames);
  const maxFps = kw.max_fps === undefined ? 2 : Number(kw.max_fps);
  const samplingFps = kw.sampling_fps === undefined ? 2 : Number(kw.sampling_fps);
  const dir = mkdtempSync(path.join(tmpdir(), "gt-vllm-file-"));
  try {
    const file = path.join(dir, "video.mp4");
    writeFileSync(file, bytes);
    let meta;
    try {
      meta = await probeVideo(file);
    } catch {
      throw new VllmRequestError("Could not open video stream");
    }
    let idx: number[];
    try {
      idx = loaderSampleFrames(meta.frameCount, meta.fps, mode, numFrames, maxFps, samplingFps);
    } catch (e) {
      throw new VllmRequestError((e as Error).message);
    }
    const indices = [...new Set(idx)].sort((a, b) => a - b);
    const store = new FrameStore({ cacheDir: path.join(dir, "frames"), chunkSize: 16, format: "jpeg", quality: 90, maxConcurrentDecodes: 1 });
    const frames: Buffer[] = [];
    for (const i of indices) frames.push(await store.readFrame({ id: "v", path: file, meta }, i));
    return {
      frames,
      metadata: { total_num_frames: meta.frameCount, fps: meta.fps, duration: meta.frameCount / meta.fps, video_backend: "opencv", frames_indices: indices, do_sample_frames: false },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The request as vLLM + Molmo2 would read it: a frame-list video, or a video file read by the molmo2 loader. */
export async function vllmMolmo2ViewAsync(body: Record<string, unknown>): Promise<VllmMolmo2View> {
  const content = ((body.messages as Array<{ content: Content[] }> | undefined)?.[0]?.content ?? []);
  const url = content.find((c) => c.type === "video_url")?.video_url?.url ?? "";
  const m = /^data:video\/(?!jpeg)[\w.+-]+;base64,(.*)$/s.exec(url);
  if (!m || content.filter((c) => c.type === "video_url").length !== 1) return vllmMolmo2View(body);
  const mediaIo = body.media_io_kwargs as Record<string, Record<string, unknown>> | undefined;
  const { frames, metadata } = await vllmMolmo2FileView(Buffer.from(m[1]!, "base64"), mediaIo?.video);
  const mm = body.mm_processor_kwargs as Record<string, unknown> | undefined;
  const timestamps = vllmMolmo2FrameTimestamps(metadata, mm?.do_sample_frames === undefined ? undefined : Boolean(mm.do_sample_frames));
  return { frames, metadata, timestamps, prompt: content.filter((c) => c.type === "text").map((c) => c.text ?? "").join("") };
}

/** The request as vLLM + Molmo2 would read it. */
export function vllmMolmo2View(body: Record<string, unknown>): VllmMolmo2View {
  const messages = body.messages as Array<{ content: Content[] }> | undefined;
  const content = messages?.[0]?.content ?? [];
  const videos = content.filter((c) => c.type === "video_url");
  if (videos.length !== 1) throw new VllmRequestError(`Molmo2 takes exactly one video per prompt, got ${videos.length}`);
  if (content.some((c) => c.type === "image_url")) throw new VllmRequestError("this stand-in serves video prompts only");
  const m = /^data:video\/jpeg;base64,(.*)$/s.exec(videos[0]!.video_url?.url ?? "");
  if (!m) throw new VllmRequestError("this stand-in takes frame-list videos (data:video/jpeg;base64,…) only");
  const mediaIo = body.media_io_kwargs as Record<string, Record<string, unknown>> | undefined;
  const { frames, metadata } = vllmLoadJpegFrames(m[1]!, mediaIo?.video);
  const mm = body.mm_processor_kwargs as Record<string, unknown> | undefined;
  const doSample = mm?.do_sample_frames === undefined ? undefined : Boolean(mm.do_sample_frames);
  const timestamps = vllmMolmo2FrameTimestamps(metadata, doSample);
  const prompt = content.filter((c) => c.type === "text").map((c) => c.text ?? "").join("");
  return { frames, metadata, timestamps, prompt };
}

export interface VllmMolmo2Server {
  url: string;
  /** Every request body received, with what the server made of it (or its refusal). */
  seen: Array<{ body: Record<string, unknown>; view: VllmMolmo2View | null; error: string | null }>;
  close(): Promise<void>;
}

/** Serves /v1/chat/completions on 127.0.0.1; `answer` writes the model's text from what the server saw. */
export async function startVllmMolmo2Server(answer: (view: VllmMolmo2View) => string): Promise<VllmMolmo2Server> {
  const seen: VllmMolmo2Server["seen"] = [];
  const server = http.createServer((req, res) => {
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      let view: VllmMolmo2View;
      try {
        view = await vllmMolmo2ViewAsync(body);
      } catch (e) {
        const message = (e as Error).message;
        seen.push({ body, view: null, error: message });
        res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ error: { message, type: "BadRequestError", code: 400 } }));
        return;
      }
      seen.push({ body, view, error: null });
      const text = answer(view);
      const model = String(body.model);
      if (body.stream !== true) {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ id: "chatcmpl-vllm", object: "chat.completion", model, choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }] }));
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (let i = 0; i < text.length; i += 16) {
        res.write(`data: ${JSON.stringify({ id: "chatcmpl-vllm", object: "chat.completion.chunk", model, choices: [{ index: 0, delta: { content: text.slice(i, i + 16) }, finish_reason: null }] })}\n\n`);
      }
      res.end("data: [DONE]\n\n");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    seen,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
