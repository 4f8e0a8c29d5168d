// Video ingest into the database: lib/video validates and stores the file (content-addressed), this module
// records the row. A failure after the file was stored removes it again unless another row uses the same file.
import { rm } from "node:fs/promises";
import path from "node:path";
import type { Db } from "../db";
import { hasRole, type Actor } from "../auth/roles";
import { importFolder, ingestVideo, isVideoError, type IngestResult, type VideoError, type VideoMeta } from "../video";
import { audit } from "./audit";
import { badRequest, forbidden, notFound, ServiceError } from "./errors";
import { getVideo, type VideoSummary } from "./catalog";

/** HTTP status for each lib/video error code. */
export function videoErrorStatus(e: VideoError): number {
  return e.code === "too_large" ? 413 : e.code === "io" ? 400 : 422;
}

export function toServiceError(e: unknown): unknown {
  return isVideoError(e) ? new ServiceError(videoErrorStatus(e), e.code, e.message) : e;
}

/** The probed metadata lib/video's FrameStore needs, rebuilt from a Video row. */
export function metaFromRow(v: { container: string; codec: string; width: number; height: number; fps: number; durationSec: number; frameCount: number; frameTimestamps: string; shotBoundaries: string; sizeBytes: number; isVfr: boolean }): VideoMeta {
  return {
    container: v.container, codec: v.codec, width: v.width, height: v.height, fps: v.fps, durationSec: v.durationSec, frameCount: v.frameCount,
    timestamps: JSON.parse(v.frameTimestamps) as number[], shotBoundaries: JSON.parse(v.shotBoundaries) as number[], sizeBytes: v.sizeBytes, isVfr: v.isVfr,
  };
}

async function removeIfUnreferenced(db: Db, storedPath: string): Promise<void> {
  if ((await db.video.count({ where: { storagePath: storedPath } })) === 0) await rm(storedPath, { force: true });
}

/** Records an ingested file as a video of a project; unique (project, name) — a clash is a 409 and removes the file. */
export async function registerVideo(db: Db, actor: Actor | null, projectId: number, name: string, r: IngestResult): Promise<VideoSummary> {
  try {
    if (!(await db.project.findUnique({ where: { id: projectId } }))) throw badRequest(`projectId: project ${projectId} does not exist`);
    if (await db.video.findUnique({ where: { projectId_name: { projectId, name } } })) throw new ServiceError(409, "conflict", `name: project ${projectId} already has a video called "${name}"`);
    const m = r.meta;
    const v = await db.video.create({
      data: {
        projectId, name, container: r.container, codec: m.codec, width: m.width, height: m.height, fps: m.fps, durationSec: m.durationSec,
        frameCount: m.frameCount, frameTimestamps: JSON.stringify(m.timestamps), shotBoundaries: JSON.stringify(m.shotBoundaries),
        storagePath: r.storedPath, sizeBytes: m.sizeBytes, sha256: r.sha256, isVfr: m.isVfr, status: "ready",
      },
    });
    await audit(db, actor?.id ?? null, "video.create", "video", v.id, { name, sha256: r.sha256 });
    return getVideo(db, v.id);
  } catch (err) {
    await removeIfUnreferenced(db, r.storedPath);
    throw err;
  }
}

export interface UploadInput { projectId: number; name: string; tmpFile: string; storeDir: string; maxBytes?: number }

/** Validates an uploaded temp file with lib/video, stores it and records it. The temp file is the caller's. */
export async function uploadVideo(db: Db, actor: Actor, input: UploadInput): Promise<VideoSummary> {
  if (!hasRole(actor, ["admin"])) throw forbidden("only admins add videos");
  if (!(await db.project.findUnique({ where: { id: input.projectId } }))) throw notFound(`project ${input.projectId}`);
  let result: IngestResult;
  try {
    result = await ingestVideo(input.tmpFile, { storeDir: input.storeDir, originalName: input.name, maxBytes: input.maxBytes });
  } catch (err) {
    throw toServiceError(err);
  }
  return registerVideo(db, actor, input.projectId, input.name, result);
}

export interface FolderImportEntry { file: string; video?: VideoSummary; error?: { code: string; message: string } }

/**
 * Server-side folder import. `folder` must resolve inside `importRoot` (admins cannot read arbitrary paths
 * through the web). Each file succeeds or fails on its own; failures name the file and the reason.
 */
export async function importFolderVideos(db: Db, actor: Actor, input: { projectId: number; folder: string; importRoot: string; storeDir: string; maxBytes?: number }): Promise<FolderImportEntry[]> {
  if (!hasRole(actor, ["admin"])) throw forbidden("only admins import videos");
  if (!(await db.project.findUnique({ where: { id: input.projectId } }))) throw notFound(`project ${input.projectId}`);
  const root = path.resolve(input.importRoot);
  const dir = path.resolve(root, input.folder);
  if (dir !== root && !dir.startsWith(root + path.sep)) throw badRequest(`folder: "${input.folder}" is outside the import root (GROUNDTRACK_IMPORT_ROOT)`);
  let entries;
  try {
    entries = await importFolder(dir, { storeDir: input.storeDir, maxBytes: input.maxBytes });
  } catch (err) {
    throw toServiceError(err);
  }
  const out: FolderImportEntry[] = [];
  for (const e of entries) {
    const file = path.relative(root, e.file);
    if (e.error || !e.result) {
      out.push({ file, error: { code: e.error?.code ?? "io", message: e.error?.message ?? "import failed" } });
      continue;
    }
    try {
      out.push({ file, video: await registerVideo(db, actor, input.projectId, path.basename(e.file), e.result) });
    } catch (err) {
      out.push({ file, error: { code: err instanceof ServiceError ? err.code : "internal", message: err instanceof Error ? err.message : String(err) } });
    }
  }
  return out;
}
