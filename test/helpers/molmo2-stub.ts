// A local stand-in for a vLLM server hosting Molmo2 (OpenAI-compatible /v1/chat/completions on 127.0.0.1, random
// port). It replays scripted answers: real Molmo2 track text (written with lib/grounding/text formatTracks, i.e.
// Molmo2's own output format), streamed as SSE or as one JSON body, plus the failure modes a real server has —
// malformed text, HTTP 500, a request that never answers, a body that is not JSON, a stream cut short.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { formatTracks, type TrackFrameInput } from "../../lib/grounding/text";

export type StubReply =
  | { kind: "text"; text: string; /** stream in pieces of this many characters (SSE requests) */ chunk?: number; delayMs?: number }
  | { kind: "status"; status: number; body?: string }
  | { kind: "hang" }
  | { kind: "raw"; body: string; contentType: string }
  | { kind: "cut"; text: string };

export interface StubRequest {
  model: string;
  stream: boolean;
  prompt: string;
  /** JPEG frames received (decoded from the data URLs). */
  frames: Buffer[];
  body: Record<string, unknown>;
}

export interface Molmo2Stub {
  url: string;
  requests: StubRequest[];
  /** Replies used in order; the last one repeats. */
  setReplies(replies: StubReply[]): void;
  close(): Promise<void>;
}

/** Molmo2 answer text for the given frames (what the model emits for a tracking prompt). */
export function molmo2TrackAnswer(frames: TrackFrameInput[], size: { width: number; height: number }, label: string): string {
  return formatTracks(frames, { width: size.width, height: size.height, label, format: "html-v2" });
}

interface Content {
  type: string;
  text?: string;
  image_url?: { url: string };
  video_url?: { url: string };
}

function framesOf(content: Content[]): Buffer[] {
  const out: Buffer[] = [];
  for (const c of content) {
    const url = c.video_url?.url ?? c.image_url?.url;
    if (!url) continue;
    const m = /^data:(video|image)\/jpeg;base64,(.*)$/s.exec(url);
    if (!m) continue;
    for (const part of m[2]!.split(",")) out.push(Buffer.from(part, "base64"));
  }
  return out;
}

export async function startMolmo2Stub(initial: StubReply[] = []): Promise<Molmo2Stub> {
  let replies = initial.slice();
  let served = 0;
  const requests: StubRequest[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      const messages = body.messages as Array<{ content: Content[] }>;
      const content = messages[0]?.content ?? [];
      const stream = body.stream === true;
      requests.push({ model: String(body.model), stream, prompt: content.filter((c) => c.type === "text").map((c) => c.text).join(""), frames: framesOf(content), body });
      const reply = replies[Math.min(served++, replies.length - 1)] ?? { kind: "status", status: 503, body: "no reply scripted" };
      void answer(res, reply, stream, String(body.model));
    });
  });

  async function answer(res: http.ServerResponse, reply: StubReply, stream: boolean, model: string): Promise<void> {
    if (reply.kind === "hang") {
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
      return;
    }
    if (reply.kind === "status") {
      res.writeHead(reply.status, { "content-type": "application/json" }).end(reply.body ?? JSON.stringify({ error: { message: "Internal Server Error" } }));
      return;
    }
    if (reply.kind === "raw") {
      res.writeHead(200, { "content-type": reply.contentType }).end(reply.body);
      return;
    }
    const text = reply.text;
    if (!stream) {
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({ id: "chatcmpl-stub", object: "chat.completion", model, choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }] }),
      );
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const size = reply.kind === "text" ? (reply.chunk ?? 24) : 24;
    const delay = reply.kind === "text" ? (reply.delayMs ?? 0) : 0;
    const pieces: string[] = [];
    for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
    if (reply.kind === "cut") pieces.splice(Math.max(1, pieces.length >> 1));
    for (const p of pieces) {
      res.write(`data: ${JSON.stringify({ id: "chatcmpl-stub", object: "chat.completion.chunk", model, choices: [{ index: 0, delta: { content: p }, finish_reason: null }] })}\n\n`);
      if (delay) await new Promise((r) => setTimeout(r, delay));
    }
    if (reply.kind === "cut") {
      res.destroy();
      return;
    }
    res.write(`data: ${JSON.stringify({ id: "chatcmpl-stub", object: "chat.completion.chunk", model, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`);
    res.end("data: [DONE]\n\n");
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    setReplies(r) {
      replies = r.slice();
      served = 0;
    },
    async close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
