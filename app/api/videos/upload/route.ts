// POST /api/videos/upload?projectId=<id>&name=<file name> — raw file bytes as the body (admin).
// The body is streamed to a temp file with the size limit enforced while reading, then lib/video sniffs,
// probes and stores it; the temp file is always removed, and nothing is recorded unless everything passed.
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeWebStream } from "node:stream/web";
import { badRequest, ServiceError } from "../../../../lib/services/errors";
import { uploadVideo } from "../../../../lib/services/videos";
import { intParam, json, route } from "../../../_server/route";
import { maxUploadBytes, uploadTmpDir, videoStoreDir } from "../../../_server/storage";

export const POST = route(["admin"], async ({ req, db, actor }) => {
  const q = new URL(req.url).searchParams;
  const projectId = intParam(q.get("projectId"), "projectId");
  const name = q.get("name");
  if (!name) throw badRequest("name: the file name is required (?name=clip.mp4)");
  if (!req.body) throw badRequest("body: empty upload");
  const limit = maxUploadBytes();
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) throw new ServiceError(413, "too_large", `'${name}' is ${declared} bytes, larger than the limit of ${limit} bytes`);
  await mkdir(uploadTmpDir(), { recursive: true });
  const tmp = path.join(uploadTmpDir(), `upload-${randomBytes(8).toString("hex")}`);
  try {
    let seen = 0;
    const guard = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        seen += chunk.length;
        if (seen > limit) return cb(new ServiceError(413, "too_large", `'${name}' is larger than the limit of ${limit} bytes`));
        cb(null, chunk);
      },
    });
    await pipeline(Readable.fromWeb(req.body as unknown as NodeWebStream<Uint8Array>), guard, createWriteStream(tmp, { flags: "wx" }));
    return json({ video: await uploadVideo(db, actor, { projectId, name, tmpFile: tmp, storeDir: videoStoreDir(), maxBytes: limit }) }, 201);
  } finally {
    await rm(tmp, { force: true });
  }
});
