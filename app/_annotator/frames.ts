// Browser side of frame loading: frame packs from /api/videos/:id/frames decoded to ImageBitmaps and kept in
// the shared FrameCache (bounded chunks, bidirectional prefetch). The chunk size is learnt from chunk 0.
import { FrameCache } from "../../lib/annotator/frame-cache";
import { fetchFrameChunk, type FramePack } from "../_client/api";

const closed = new WeakSet<ImageBitmap>();

/** True once the cache evicted (and closed) the bitmap: it must not be drawn any more. */
export function isClosed(b: ImageBitmap): boolean {
  return closed.has(b);
}

/** Bytes the cache may spend on decoded frames (RGBA); at 1080p this is a few chunks. */
const DECODED_BUDGET = 768 * 1024 * 1024;

async function decodePack(pack: FramePack): Promise<ImageBitmap[]> {
  return Promise.all(pack.frames.map((b) => createImageBitmap(b)));
}

export async function openFrameCache(
  video: { id: number; width: number; height: number; frameCount: number },
  startFrame: number,
  onChange: () => void,
): Promise<{ cache: FrameCache<ImageBitmap>; chunkSize: number }> {
  const { id: videoId, frameCount } = video;
  const first = await fetchFrameChunk(videoId, 0);
  const chunkSize = first.lastFrame - first.firstFrame + 1;
  if (!(chunkSize > 0)) throw new Error(`video ${videoId}: frame chunk 0 is empty`);
  let firstPack: FramePack | null = first;
  const chunkBytes = chunkSize * video.width * video.height * 4;
  const large = chunkBytes * 8 > DECODED_BUDGET;
  const prefetchAhead = large ? 2 : 4;
  const prefetchBehind = large ? 1 : 2;
  const cache = new FrameCache<ImageBitmap>({
    frameCount,
    chunkSize,
    maxChunks: Math.max(prefetchAhead + prefetchBehind + 1, Math.min(14, Math.floor(DECODED_BUDGET / chunkBytes))),
    prefetchAhead,
    prefetchBehind,
    concurrency: 2,
    onChange,
    loadChunk: async (chunk, signal) => {
      if (chunk === 0 && firstPack) {
        const p = firstPack;
        firstPack = null;
        return decodePack(p);
      }
      const pack = await fetchFrameChunk(videoId, chunk, { signal });
      if (pack.firstFrame !== chunk * chunkSize) throw new Error(`chunk ${chunk} starts at frame ${pack.firstFrame}, expected ${chunk * chunkSize}`);
      return decodePack(pack);
    },
    dispose: (bitmap) => {
      closed.add(bitmap);
      bitmap.close();
    },
  });
  await cache.get(Math.min(frameCount - 1, Math.max(0, startFrame)));
  return { cache, chunkSize };
}
