// Ingest: upload (file already on disk, e.g. a multipart temp file) and server-side folder import.
// Order of checks: name → size → magic bytes → copy to a temp path inside the store (size-guarded, hashed) →
// full probe (frame-exact index) → atomic rename to <sha256>.<ext>. Any failure removes the temp file.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { lstat, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { regularFileSize, VideoError } from "./errors";
import { probeStreams, probeVideo, readHead, type ProbeOptions, type VideoMeta } from "./probe";
import { EXTENSIONS, SNIFF_BYTES, sniffContainer, type ContainerKind } from "./sniff";

/**
 * Real video containers we do not accept (ffprobe format names). Anything else ffprobe opens "as video" when
 * the magic bytes say no container of ours — text (tty), images, subtitles — is simply not a video.
 */
const OTHER_VIDEO_FORMATS = new Set(["mpegts", "mpeg", "mpegvideo", "flv", "asf", "ogg", "rm", "nut", "mxf", "h264", "hevc", "ivf", "yuv4mpegpipe", "dv", "m4v", "rawvideo", "mpegtsraw", "wtv", "vob"]);

/** Default upload limit: 2 GiB. */
export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;

export interface IngestOptions {
  /** Directory that holds ingested videos (created if missing). */
  storeDir: string;
  /** The name the user gave the file (upload field or folder entry); validated, never used as a path. */
  originalName: string;
  maxBytes?: number;
  probe?: Omit<ProbeOptions, "displayName">;
}

export interface IngestResult {
  /** Final path: <storeDir>/<first 32 hex of sha256>.<container ext>. Identical content is stored once. */
  storedPath: string;
  meta: VideoMeta;
  sha256: string;
  container: ContainerKind;
}

function humanBytes(n: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i ? v.toFixed(1) : v} ${units[i]}`;
}

/**
 * Checks an uploaded file's name: 1-255 bytes, no NUL or control characters, no path separators, not `.`/`..`.
 * Returns the lower-case extension ("" when none). The name is only ever shown to users, never joined to a path.
 */
export function validateOriginalName(name: string): string {
  const bad = (why: string) => new VideoError("bad_name", `The file name ${JSON.stringify(name)} is not allowed: ${why}`);
  if (typeof name !== "string" || name.length === 0) throw bad("it is empty");
  if (Buffer.byteLength(name, "utf8") > 255) throw bad("it is longer than 255 bytes");
  if (name.includes("\0")) throw bad("it contains a NUL byte");
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) throw bad("it contains control characters");
  if (/[/\\]/.test(name)) throw bad("it contains a path separator ('/' or '\\'); give just the file name");
  if (name === "." || name === ".." || name.trim() === "") throw bad("it is not a file name");
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
}

/** Copies src to dest, failing with too_large as soon as more than maxBytes arrive; returns the sha256. */
async function guardedCopy(src: string, dest: string, maxBytes: number, shown: string): Promise<string> {
  const hash = createHash("sha256");
  let seen = 0;
  const guard = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > maxBytes) return cb(new VideoError("too_large", `'${shown}' is larger than the limit of ${humanBytes(maxBytes)}`, { file: shown }));
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(createReadStream(src), guard, createWriteStream(dest, { flags: "wx" }));
  } catch (e) {
    if (e instanceof VideoError) throw e;
    throw new VideoError("io", `Copying '${shown}' into the video store failed: ${(e as Error).message}`, { file: shown, cause: e });
  }
  return hash.digest("hex");
}

/**
 * Validates and stores one video. Throws VideoError (bad_name, too_large, not_video, unsupported, corrupt,
 * truncated, io); on any failure nothing is left in storeDir.
 */
export async function ingestVideo(src: string, opts: IngestOptions): Promise<IngestResult> {
  const shown = opts.originalName;
  const ext = validateOriginalName(shown);
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(Number.isFinite(maxBytes) && maxBytes > 0)) throw new VideoError("io", `maxBytes must be a positive number of bytes, got ${opts.maxBytes}`);
  const size = await regularFileSize(src, shown);
  if (size > maxBytes) throw new VideoError("too_large", `'${shown}' is ${humanBytes(size)}, larger than the limit of ${humanBytes(maxBytes)}`, { file: shown });
  if (size === 0) throw new VideoError("not_video", `'${shown}' is empty`, { file: shown });

  let head: Uint8Array;
  try {
    head = await readHead(src);
  } catch (e) {
    throw new VideoError("io", `Cannot read '${shown}': ${(e as Error).message}`, { file: shown, cause: e });
  }
  const container = sniffContainer(head);
  if (container === null) {
    // Not one of our containers. If ffprobe still finds video in it, say "unsupported" rather than "not a video".
    let isOtherVideo = false;
    try {
      const probed = await probeStreams(src, 30_000, shown);
      isOtherVideo = OTHER_VIDEO_FORMATS.has(probed.formatName.split(",")[0]);
    } catch {
      isOtherVideo = false;
    }
    if (isOtherVideo) throw new VideoError("unsupported", `'${shown}' is a video in a container groundtrack does not accept; convert it to MP4, WebM, MKV, MOV or AVI`, { file: shown });
    throw new VideoError("not_video", `'${shown}' is not a video: its content is not MP4, MOV, WebM, MKV or AVI`, { file: shown });
  }
  if (ext && !EXTENSIONS[container].includes(ext)) {
    throw new VideoError("bad_name", `'${shown}' is named .${ext} but its content is ${container.toUpperCase()}; rename it to .${EXTENSIONS[container][0]} if that is really the file you meant`, { file: shown });
  }

  try {
    await mkdir(opts.storeDir, { recursive: true });
  } catch (e) {
    throw new VideoError("io", `Cannot create the video store '${opts.storeDir}': ${(e as Error).message}`, { cause: e });
  }
  const tmp = path.join(opts.storeDir, `.ingest-${randomBytes(8).toString("hex")}.${EXTENSIONS[container][0]}`);
  try {
    const sha256 = await guardedCopy(src, tmp, maxBytes, shown);
    const meta = await probeVideo(tmp, { ...opts.probe, displayName: shown });
    const storedPath = path.join(opts.storeDir, `${sha256.slice(0, 32)}.${EXTENSIONS[container][0]}`);
    await rename(tmp, storedPath); // atomic: readers see either nothing or the complete, validated file
    return { storedPath, meta, sha256, container };
  } finally {
    await rm(tmp, { force: true });
  }
}

export interface ImportFolderOptions {
  storeDir: string;
  maxBytes?: number;
  /** Descend into sub-folders (default false). */
  recursive?: boolean;
  probe?: Omit<ProbeOptions, "displayName">;
  /** Called after each file (for progress bars). */
  onFile?: (file: string, ok: boolean) => void;
}

export interface ImportFolderEntry {
  /** Path of the source file. */
  file: string;
  result?: IngestResult;
  error?: VideoError;
}

/**
 * Server-side import of every (non-hidden) file in a folder, one at a time, sorted by name. A file that fails
 * gets an `error` entry and does not stop the others. Symbolic links are not followed.
 */
export async function importFolder(dir: string, opts: ImportFolderOptions): Promise<ImportFolderEntry[]> {
  let names: string[];
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw new VideoError("io", `'${dir}' is not a folder`);
    names = (await readdir(dir)).sort();
  } catch (e) {
    if (e instanceof VideoError) throw e;
    throw new VideoError("io", `Cannot read the folder '${dir}': ${(e as Error).message}`, { cause: e });
  }
  const out: ImportFolderEntry[] = [];
  for (const name of names) {
    if (name.startsWith(".")) continue;
    const file = path.join(dir, name);
    const st = await lstat(file);
    if (st.isDirectory()) {
      // Never import the store into itself.
      if (opts.recursive && path.resolve(file) !== path.resolve(opts.storeDir)) out.push(...(await importFolder(file, opts)));
      continue;
    }
    if (st.isSymbolicLink()) {
      out.push({ file, error: new VideoError("io", `'${name}' is a symbolic link; folder import does not follow links`, { file: name }) });
      opts.onFile?.(file, false);
      continue;
    }
    try {
      const result = await ingestVideo(file, { storeDir: opts.storeDir, originalName: name, maxBytes: opts.maxBytes, probe: opts.probe });
      out.push({ file, result });
      opts.onFile?.(file, true);
    } catch (e) {
      const error = e instanceof VideoError ? e : new VideoError("io", `Importing '${name}' failed: ${(e as Error).message}`, { file: name, cause: e });
      out.push({ file, error });
      opts.onFile?.(file, false);
    }
  }
  return out;
}
