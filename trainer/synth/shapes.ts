// Object categories of the synthetic tracking videos and their pixel coverage tests. circle/square/triangle
// reuse lib/video's definitions (same geometry as the demo videos); star, ring and diamond are added here.
import { insideShape } from "../../lib/video/synthetic";

export const SYNTH_CATEGORIES = ["circle", "square", "triangle", "star", "ring", "diamond"] as const;
export type SynthCategory = (typeof SYNTH_CATEGORIES)[number];

/** Plural noun used in referring expressions. */
export function pluralOf(category: SynthCategory): string {
  return `${category}s`;
}

const STAR_POINTS = 5;
const STAR_INNER = 0.45; // inner radius / outer radius
const RING_INNER = 0.55; // hole radius / outer radius

/** Outer radius of a star at polar angle `a` (apex up), linear between tip and notch — a 10-gon star. */
function starRadius(a: number, size: number): number {
  const sector = (2 * Math.PI) / STAR_POINTS;
  // Angle measured from the upward tip, folded into [0, sector/2].
  let t = (a + Math.PI / 2) % sector;
  if (t < 0) t += sector;
  const half = sector / 2;
  const u = t <= half ? t / half : (sector - t) / half; // 0 at a tip, 1 at a notch
  // Straight edge tip→notch: interpolate in the polar form of a line (exact for the chord).
  const tip = size;
  const notch = size * STAR_INNER;
  const ang = u * half;
  // Line through (tip, 0) and (notch, half) in polar form: r(θ) = tip·notch·sin(half) / (tip·sin θ + notch·sin(half − θ)).
  const num = tip * notch * Math.sin(half);
  const den = notch * Math.sin(half - ang) + tip * Math.sin(ang);
  return num / den;
}

/** Whether point (px, py) lies in the shape of `category` centred at (cx, cy) with outer half-extent `size`. */
export function insideCategory(category: SynthCategory, size: number, cx: number, cy: number, px: number, py: number): boolean {
  const dx = px - cx;
  const dy = py - cy;
  switch (category) {
    case "circle":
    case "square":
    case "triangle":
      return insideShape(category, size, cx, cy, px, py);
    case "ring": {
      const d2 = dx * dx + dy * dy;
      return d2 <= size * size && d2 >= size * RING_INNER * (size * RING_INNER);
    }
    case "diamond":
      return Math.abs(dx) + Math.abs(dy) <= size;
    case "star": {
      const r2 = dx * dx + dy * dy;
      if (r2 > size * size) return false;
      return Math.sqrt(r2) <= starRadius(Math.atan2(dy, dx), size);
    }
  }
}
