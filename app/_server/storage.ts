// Where the server keeps files (all under the data dir, default <cwd>/data) and the shared frame store.
import path from "node:path";
import { DEFAULT_MAX_BYTES } from "../../lib/video";
import { FrameStore } from "../../lib/video/frames";

export function dataDir(): string {
  // turbopackIgnore: the data dir is a run-time location, not a build input to trace.
  return path.resolve(/*turbopackIgnore: true*/ process.env.GROUNDTRACK_DATA_DIR ?? path.join(/*turbopackIgnore: true*/ process.cwd(), "data"));
}
export const videoStoreDir = () => path.join(/*turbopackIgnore: true*/ dataDir(), "videos");
export const frameCacheDir = () => path.join(/*turbopackIgnore: true*/ dataDir(), "frames");
export const uploadTmpDir = () => path.join(/*turbopackIgnore: true*/ dataDir(), "tmp", "uploads");
/** Folder import is confined to this directory (env GROUNDTRACK_IMPORT_ROOT, default <data>/import). */
export const importRoot = () => path.resolve(/*turbopackIgnore: true*/ process.env.GROUNDTRACK_IMPORT_ROOT ?? path.join(/*turbopackIgnore: true*/ dataDir(), "import"));
export const maxUploadBytes = () => Number(process.env.GROUNDTRACK_MAX_UPLOAD_BYTES ?? DEFAULT_MAX_BYTES);

const holder = globalThis as unknown as { __groundtrackFrames?: { dir: string; store: FrameStore } };

/** One FrameStore per process so concurrent requests for a chunk share one ffmpeg decode. */
export function frameStore(): FrameStore {
  const dir = frameCacheDir();
  if (!holder.__groundtrackFrames || holder.__groundtrackFrames.dir !== dir) {
    holder.__groundtrackFrames = { dir, store: new FrameStore({ cacheDir: dir, chunkSize: 30, format: "jpeg", quality: 85 }) };
  }
  return holder.__groundtrackFrames.store;
}
