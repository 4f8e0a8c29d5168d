// The classical mask engine used when no SAM2 weights are installed: a seeded colour-region segmenter.
// On a prompted frame, the colours around the positive clicks (and the negative ones) form a colour model and
// the mask is the 4-connected region grown from the positive clicks over pixels closer to a positive colour
// than to any negative one and within the positive colour's tolerance. Each next frame is re-seeded at the
// pixels of the previous mask that still match (else at the matching pixel nearest to the previous mask's
// centroid) and grown inside the previous box enlarged by a third of the object's size; when no pixel matches there (or the region collapses) the object is gone and its masks stay
// empty for the rest of that pass. Results are labelled `classical:colour-region`, never as SAM2.
import { encodeRle } from "../../lib/masks/rle";
import { RuntimeError } from "../runtime";
import { FrameReader } from "./frames";
import type { RgbImage } from "./image";
import { framesRange, groupPrompts, planPropagation } from "./prompts";
import type { FrameMasks, MaskEngine, ObjectMask, PropagateRequest } from "./types";

interface ColourModel {
  /** Colour prototypes sampled around the positive clicks, each with its tolerance (RGB distance). */
  positive: Array<{ rgb: [number, number, number]; tol: number }>;
  negative: Array<[number, number, number]>;
}

interface Region {
  mask: Uint8Array;
  area: number;
  cx: number;
  cy: number;
  box: [x0: number, y0: number, x1: number, y1: number];
  score: number;
}

/** Distinct colours in a (2r+1)² window around a pixel (near-duplicates merged), and their spread. */
function sampleColours(img: RgbImage, x: number, y: number, r: number): { colours: Array<[number, number, number]>; spread: number } {
  const xi = Math.min(img.width - 1, Math.max(0, Math.round(x)));
  const yi = Math.min(img.height - 1, Math.max(0, Math.round(y)));
  const colours: Array<[number, number, number]> = [];
  const sum = [0, 0, 0];
  const sq = [0, 0, 0];
  let n = 0;
  for (let yy = Math.max(0, yi - r); yy <= Math.min(img.height - 1, yi + r); yy++) {
    for (let xx = Math.max(0, xi - r); xx <= Math.min(img.width - 1, xi + r); xx++) {
      const p = (yy * img.width + xx) * 3;
      const c: [number, number, number] = [img.data[p], img.data[p + 1], img.data[p + 2]];
      for (let k = 0; k < 3; k++) {
        sum[k] += c[k];
        sq[k] += c[k] ** 2;
      }
      n++;
      if (!colours.some((o) => dist2(Uint8Array.from(o), 0, c) < 36)) colours.push(c);
    }
  }
  const spread = Math.sqrt(sq.reduce((a, s, k) => a + Math.max(0, s / n - (sum[k] / n) ** 2), 0));
  return { colours, spread };
}

export function buildColourModel(img: RgbImage, points: ReadonlyArray<readonly [number, number, 0 | 1]>): ColourModel {
  const positive: ColourModel["positive"] = [];
  const negative: ColourModel["negative"] = [];
  for (const [x, y, label] of points) {
    if (label === 1) {
      const s = sampleColours(img, x, y, 3);
      // Tolerance: compression noise and shading (a floor), widened a little by the texture around the click.
      const tol = Math.min(45, 26 + 0.3 * s.spread);
      for (const rgb of s.colours) positive.push({ rgb, tol });
    } else negative.push(...sampleColours(img, x, y, 2).colours);
  }
  return { positive, negative };
}

/** The same model with every tolerance scaled (tightened after a leak). */
function tighten(m: ColourModel, f: number): ColourModel {
  return { positive: m.positive.map((c) => ({ rgb: c.rgb, tol: c.tol * f })), negative: m.negative };
}

/**
 * Squared colour distance that weighs hue differences (R−G, B−G) 4× and brightness ¼×: shading and
 * reflections change brightness, while a different object usually differs in hue.
 */
function dist2(d: Uint8Array, p: number, c: readonly number[]): number {
  const dr = d[p] - c[0];
  const dg = d[p + 1] - c[1];
  const db = d[p + 2] - c[2];
  const dy = (dr + 2 * dg + db) / 4;
  const dcr = dr - dg;
  const dcb = db - dg;
  return 0.25 * dy * dy + 4 * (dcr * dcr + dcb * dcb);
}

/** How well pixel p matches the model: 1 at a positive colour, 0 at the tolerance; -1 = no match. */
function match(img: RgbImage, p: number, m: ColourModel): number {
  let best = -1;
  let bestD = Infinity;
  for (const c of m.positive) {
    const d = dist2(img.data, p * 3, c.rgb);
    if (d <= c.tol * c.tol && d < bestD) {
      bestD = d;
      best = 1 - Math.sqrt(d) / c.tol;
    }
  }
  if (best < 0) return -1;
  for (const n of m.negative) if (dist2(img.data, p * 3, n) < bestD) return -1;
  return best;
}

/** Grows the 4-connected matching region from the seeds inside `box` (inclusive pixel bounds). */
export function growRegion(img: RgbImage, seeds: ReadonlyArray<readonly [number, number]>, m: ColourModel, box: [number, number, number, number] = [0, 0, img.width - 1, img.height - 1]): Region {
  const { width: W, height: H } = img;
  const mask = new Uint8Array(W * H);
  const queue = new Int32Array(W * H);
  let head = 0;
  let tail = 0;
  let area = 0;
  let sx = 0;
  let sy = 0;
  let agree = 0;
  const bb: [number, number, number, number] = [W, H, -1, -1];
  const visit = (x: number, y: number) => {
    if (x < box[0] || y < box[1] || x > box[2] || y > box[3]) return;
    const p = y * W + x;
    if (mask[p]) return;
    const q = match(img, p, m);
    if (q < 0) return;
    mask[p] = 1;
    queue[tail++] = p;
    area++;
    sx += x;
    sy += y;
    agree += q;
    if (x < bb[0]) bb[0] = x;
    if (y < bb[1]) bb[1] = y;
    if (x > bb[2]) bb[2] = x;
    if (y > bb[3]) bb[3] = y;
  };
  for (const [x, y] of seeds) visit(Math.min(W - 1, Math.max(0, Math.round(x))), Math.min(H - 1, Math.max(0, Math.round(y))));
  while (head < tail) {
    const p = queue[head++];
    const x = p % W;
    const y = (p - x) / W;
    if (x > 0) visit(x - 1, y);
    if (x < W - 1) visit(x + 1, y);
    if (y > 0) visit(x, y - 1);
    if (y < H - 1) visit(x, y + 1);
  }
  return { mask, area, cx: area ? sx / area : NaN, cy: area ? sy / area : NaN, box: bb, score: area ? agree / area : 0 };
}

/** The matching pixel nearest to (cx, cy) within `radius` (Chebyshev rings, nearest ring first), if any. */
function nearestMatch(img: RgbImage, cx: number, cy: number, radius: number, m: ColourModel): [number, number] | null {
  const x0 = Math.round(cx);
  const y0 = Math.round(cy);
  for (let r = 0; r <= radius; r++) {
    let best: [number, number] | null = null;
    let bestD = Infinity;
    for (let y = y0 - r; y <= y0 + r; y++) {
      if (y < 0 || y >= img.height) continue;
      const ring = y === y0 - r || y === y0 + r;
      for (let x = x0 - r; x <= x0 + r; x += ring ? 1 : 2 * r || 1) {
        if (x < 0 || x >= img.width) continue;
        if (match(img, y * img.width + x, m) >= 0) {
          const d = (x - cx) ** 2 + (y - cy) ** 2;
          if (d < bestD) {
            bestD = d;
            best = [x, y];
          }
        }
      }
    }
    if (best) return best;
  }
  return null;
}

interface TrackState {
  model: ColourModel;
  region: Region;
  /** Area on the prompted frame: a region far smaller than this means the object left or is hidden. */
  refArea: number;
  /** Box width and height on the prompted frame. */
  refSize: [number, number];
}

/**
 * Next frame's region from the previous one; null when the object has vanished. The region may move and grow
 * by about a third of the object's size per frame; a region over 3× the prompted area is a leak into
 * similar surroundings and is regrown with tighter tolerances.
 */
export function followRegion(img: RgbImage, prev: TrackState): Region | null {
  const [x0, y0, x1, y1] = prev.region.box;
  const size = Math.max(x1 - x0 + 1, y1 - y0 + 1);
  // Seeds: pixels of the previous mask that still match (an object moves less than its size between frames),
  // else the matching pixel nearest to the previous centroid.
  const seeds: Array<[number, number]> = [];
  const prevMask = prev.region.mask;
  const step = Math.max(1, Math.floor(Math.sqrt(prev.region.area / 400)));
  for (let y = y0; y <= y1; y += step) {
    for (let x = x0; x <= x1; x += step) {
      const p = y * img.width + x;
      if (prevMask[p] && match(img, p, prev.model) >= 0) seeds.push([x, y]);
    }
  }
  if (seeds.length === 0) {
    const near = nearestMatch(img, prev.region.cx, prev.region.cy, Math.max(8, Math.round(size)), prev.model);
    if (!near) return null;
    seeds.push(near);
  }
  const margin = Math.max(6, Math.round(0.35 * size));
  // The box follows the object but never exceeds 1.5× its prompted size, so a slow leak cannot creep away.
  const halfW = Math.min((x1 - x0 + 1) / 2 + margin, 0.75 * prev.refSize[0] + margin);
  const halfH = Math.min((y1 - y0 + 1) / 2 + margin, 0.75 * prev.refSize[1] + margin);
  const { cx, cy } = prev.region;
  const box: [number, number, number, number] = [
    Math.max(0, Math.floor(cx - halfW)), Math.max(0, Math.floor(cy - halfH)),
    Math.min(img.width - 1, Math.ceil(cx + halfW)), Math.min(img.height - 1, Math.ceil(cy + halfH)),
  ];
  let region = growRegion(img, seeds, prev.model, box);
  for (let f = 0.75; region.area > 3 * prev.refArea && f > 0.4; f *= 0.75) {
    const tighter = growRegion(img, seeds, tighten(prev.model, f), box);
    if (tighter.area === 0) break;
    region = tighter;
  }
  if (region.area < Math.max(4, 0.15 * prev.refArea)) return null;
  return region;
}

function emptyMask(objectId: string, H: number, W: number): ObjectMask {
  const rle = encodeRle(new Uint8Array(H * W), H, W);
  return { objectId, rle: { size: [H, W], counts: rle.counts }, score: 0, area: 0 };
}

export class ClassicalMaskEngine implements MaskEngine {
  readonly engine = "classical:colour-region";

  async propagate(req: PropagateRequest): Promise<FrameMasks[]> {
    const { width: W, height: H, frameCount: N } = req.video.meta;
    const groups = groupPrompts(req.prompts, W, H, N);
    const prompted = [...new Set(groups.flatMap((g) => [...g.frames.keys()]))].sort((a, b) => a - b);
    const plan = planPropagation(req, prompted, N);
    const reader = new FrameReader(req.video, framesRange(plan, prompted));
    const results = new Map<number, FrameMasks>();
    const atStart = new Map<string, TrackState | null>();
    try {
      for (const pass of plan.passes) {
        const state = new Map<string, TrackState | null>(atStart);
        for (const f of pass.frames) {
          if (req.signal?.aborted) throw new RuntimeError("cancelled", "mask propagation was cancelled");
          const img = await reader.read(f, pass.reverse ? -1 : 1);
          if (img.width !== W || img.height !== H) throw new RuntimeError("video_unreadable", `Frame ${f} decoded as ${img.width}×${img.height}, expected ${W}×${H}`);
          const masks: ObjectMask[] = [];
          for (const g of groups) {
            const pts = g.frames.get(f);
            let s = state.get(g.objectId) ?? null;
            if (pts) {
              const model = buildColourModel(img, pts);
              const region = growRegion(img, pts.filter((p) => p[2] === 1).map(([x, y]) => [x, y] as const), model);
              s = region.area > 0 ? { model, region, refArea: region.area, refSize: [region.box[2] - region.box[0] + 1, region.box[3] - region.box[1] + 1] } : null;
            } else if (s) {
              const region = followRegion(img, s);
              s = region ? { ...s, region } : null;
            }
            state.set(g.objectId, s);
            if (f === plan.start) atStart.set(g.objectId, s);
            if (!s) masks.push(emptyMask(g.objectId, H, W));
            else {
              const rle = encodeRle(s.region.mask, H, W);
              masks.push({ objectId: g.objectId, rle: { size: [H, W], counts: rle.counts }, score: s.region.score, area: s.region.area });
            }
          }
          const fm: FrameMasks = { frame: f, masks };
          results.set(f, fm);
          req.onFrame?.(fm);
        }
      }
      return [...results.values()].sort((a, b) => a.frame - b.frame);
    } finally {
      await reader.close();
    }
  }

  async close(): Promise<void> {}
}
