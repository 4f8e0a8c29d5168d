// Shot-change detection from colour-histogram differences between consecutive low-resolution frames.
// Frame-exact by construction: it scores the very frames the index counts (one decode feeds both).

/** Width/height of the thumbnails the detector looks at (aspect is irrelevant to a histogram). */
export const SHOT_THUMB_W = 64;
export const SHOT_THUMB_H = 48;
export const SHOT_THUMB_BYTES = SHOT_THUMB_W * SHOT_THUMB_H * 3;

const BINS = 8; // per channel → 512 joint RGB bins

export interface ShotDetectorOptions {
  /** Half-L1 histogram distance in [0,1] above which a frame starts a new shot. */
  threshold?: number;
  /** A cut must also be this many times larger than the biggest change among its near neighbours (flash/motion guard). */
  peakRatio?: number;
}

/** Joint RGB histogram of one rgb24 thumbnail, normalised to sum 1. */
export function rgbHistogram(rgb: Uint8Array): Float32Array {
  const h = new Float32Array(BINS * BINS * BINS);
  const n = rgb.length / 3;
  for (let p = 0; p < rgb.length; p += 3) {
    const bin = ((rgb[p] >> 5) << 6) | ((rgb[p + 1] >> 5) << 3) | (rgb[p + 2] >> 5);
    h[bin] += 1;
  }
  for (let i = 0; i < h.length; i++) h[i] /= n;
  return h;
}

/** Half the L1 distance between two normalised histograms: 0 = identical, 1 = disjoint. */
export function histogramDistance(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / 2;
}

/** Streaming scorer: feed thumbnails in order, read `scores` (scores[i] = change from frame i-1 to i; scores[0] = 0). */
export class ShotScorer {
  readonly scores: number[] = [];
  private prev: Float32Array | null = null;

  push(rgb: Uint8Array): void {
    const h = rgbHistogram(rgb);
    this.scores.push(this.prev ? histogramDistance(this.prev, h) : 0);
    this.prev = h;
  }
}

/**
 * Frames that start a new shot (never 0): the score is above `threshold` and is a clear peak — at least
 * `peakRatio` times the largest below-threshold score among the 2 frames on either side (so fast motion does
 * not count as a cut, while two cuts in a row — a one-frame shot — both count).
 */
export function detectShotBoundaries(scores: readonly number[], opts: ShotDetectorOptions = {}): number[] {
  const threshold = opts.threshold ?? 0.3;
  const peakRatio = opts.peakRatio ?? 2;
  const cuts: number[] = [];
  for (let i = 1; i < scores.length; i++) {
    const s = scores[i];
    if (s < threshold) continue;
    let neighbour = 0;
    for (let j = Math.max(1, i - 2); j <= Math.min(scores.length - 1, i + 2); j++) if (j !== i && scores[j] < threshold) neighbour = Math.max(neighbour, scores[j]);
    if (s >= peakRatio * neighbour) cuts.push(i);
  }
  return cuts;
}
