// GET /api/videos/:id/frames?frame=N[&width=W] — one exact frame (JPEG).
// GET /api/videos/:id/frames?chunk=N[&width=W]  — a whole cached chunk as one "frame pack":
//   [uint32 LE header length][header JSON {chunk, firstFrame, lastFrame, mime, sizes[]}][image bytes, in order].
// Chunks are decoded once by lib/video and cached on disk; responses are immutable for a given video.
import { readFile } from "node:fs/promises";
import { notFound } from "../../../../../lib/services/errors";
import { metaFromRow, toServiceError } from "../../../../../lib/services/videos";
import { ANY_ROLE } from "../../../../_server/auth";
import { intParam, route } from "../../../../_server/route";
import { frameStore } from "../../../../_server/storage";

const nonNegative = (v: string | null, name: string) => (v === "0" ? 0 : intParam(v, name));

export const GET = route<{ id: string }>(ANY_ROLE, async ({ req, db, params }) => {
  const id = intParam(params.id, "id");
  const row = await db.video.findUnique({ where: { id } });
  if (!row) throw notFound(`video ${id}`);
  const q = new URL(req.url).searchParams;
  const size = q.get("width") ? { width: intParam(q.get("width"), "width") } : {};
  const source = { id: `v${row.id}-${(row.sha256 ?? "").slice(0, 12)}`, path: row.storagePath, meta: metaFromRow(row) };
  const headers = { "cache-control": "private, max-age=31536000, immutable" };
  try {
    if (q.get("frame") !== null) {
      const img = await frameStore().getFrame(source, nonNegative(q.get("frame"), "frame"), size);
      return new Response(new Uint8Array(await readFile(img.file)), { headers: { ...headers, "content-type": img.mime } });
    }
    const chunk = await frameStore().getChunk(source, nonNegative(q.get("chunk"), "chunk"), size);
    const images = await Promise.all(chunk.files.map((f) => readFile(f)));
    const header = Buffer.from(JSON.stringify({ chunk: chunk.chunk, firstFrame: chunk.firstFrame, lastFrame: chunk.lastFrame, mime: chunk.mime, sizes: images.map((b) => b.length) }));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(header.length, 0);
    return new Response(new Uint8Array(Buffer.concat([len, header, ...images])), { headers: { ...headers, "content-type": "application/vnd.groundtrack.frame-pack" } });
  } catch (err) {
    throw toServiceError(err);
  }
});
