// A synthetic tracking scene: textured background, optional camera pan, and objects moving through waypoints.
// Everything is drawn from one seed (`sampleScene`), or given explicitly (tests build exact situations).
import { z } from "zod";
import { seededRandom } from "../../lib/random";
import { COLOURS, type ColourName } from "../../lib/video/synthetic";
import { SYNTH_CATEGORIES } from "./shapes";

export const COLOUR_NAMES = Object.keys(COLOURS) as [ColourName, ...ColourName[]];
export const SIZE_CLASSES = ["small", "medium", "large"] as const;
export type SizeClass = (typeof SIZE_CLASSES)[number];
/** Object half-extent as a fraction of min(width, height), per size class (before ±8 % jitter). */
const SIZE_FRACTION: Record<SizeClass, number> = { small: 0.05, medium: 0.085, large: 0.125 };

const rgb = z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]);
const Waypoint = z.object({ frame: z.number().int().min(0), x: z.number().finite(), y: z.number().finite() });

export const SceneObjectSchema = z.object({
  id: z.number().int().min(1),
  category: z.enum(SYNTH_CATEGORIES),
  colour: z.enum(COLOUR_NAMES),
  sizeClass: z.enum(SIZE_CLASSES),
  /** Outer half-extent in pixels. */
  size: z.number().positive(),
  /** Higher z is drawn on top. */
  z: z.number().int(),
  /** linear: piecewise-linear; spline: Catmull-Rom through the waypoints. */
  motion: z.enum(["linear", "spline"]),
  /** Centre in world coordinates (image coordinates of the un-panned camera) at key frames, sorted by frame. */
  waypoints: z.array(Waypoint).min(1),
});
export type SceneObject = z.infer<typeof SceneObjectSchema>;

export const BackgroundSchema = z.object({
  kind: z.enum(["noise", "stripes", "checker"]),
  colours: z.tuple([rgb, rgb]),
  /** noise: lattice cell; stripes: period; checker: cell side — pixels. */
  scale: z.number().positive(),
  /** Stripe direction, radians. */
  angle: z.number().finite(),
  /** Seed of the noise lattice and of the per-pixel colour jitter. */
  seed: z.number().int(),
  /** Amplitude of the per-pixel colour jitter (0–255 units). */
  jitter: z.number().min(0).max(64),
});
export type Background = z.infer<typeof BackgroundSchema>;

export const SceneSchema = z.object({
  width: z.number().int().min(16).max(4096).refine((v) => v % 2 === 0, "width must be even (yuv420p)"),
  height: z.number().int().min(16).max(4096).refine((v) => v % 2 === 0, "height must be even (yuv420p)"),
  frames: z.number().int().min(1).max(100_000),
  fps: z.number().int().min(1).max(240),
  background: BackgroundSchema,
  /** Camera offset moves linearly from (0,0) at frame 0 to (dx,dy) at the last frame; the view shows world − offset. */
  pan: z.object({ dx: z.number().finite(), dy: z.number().finite() }),
  objects: z.array(SceneObjectSchema).min(1),
});
export type Scene = z.infer<typeof SceneSchema>;

export interface SceneOptions {
  width: number;
  height: number;
  frames: number;
  fps: number;
  pan: boolean;
}

/** Camera offset at frame f. */
export function cameraAt(scene: Scene, f: number): { x: number; y: number } {
  const t = scene.frames > 1 ? f / (scene.frames - 1) : 0;
  return { x: scene.pan.dx * t, y: scene.pan.dy * t };
}

function catmullRom(p0: number, p1: number, p2: number, p3: number, t: number): number {
  const t2 = t * t;
  return 0.5 * (2 * p1 + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2 + (-p0 + 3 * p1 - 3 * p2 + p3) * t2 * t);
}

/** World position of the object's centre at frame f (held before the first and after the last waypoint). */
export function worldPosition(o: SceneObject, f: number): { x: number; y: number } {
  const p = o.waypoints;
  if (f <= p[0].frame) return { x: p[0].x, y: p[0].y };
  for (let i = 1; i < p.length; i++) {
    if (f > p[i].frame) continue;
    const t = (f - p[i - 1].frame) / (p[i].frame - p[i - 1].frame);
    if (o.motion === "linear") return { x: p[i - 1].x + t * (p[i].x - p[i - 1].x), y: p[i - 1].y + t * (p[i].y - p[i - 1].y) };
    const a = p[Math.max(0, i - 2)];
    const d = p[Math.min(p.length - 1, i + 1)];
    return { x: catmullRom(a.x, p[i - 1].x, p[i].x, d.x, t), y: catmullRom(a.y, p[i - 1].y, p[i].y, d.y, t) };
  }
  const l = p[p.length - 1];
  return { x: l.x, y: l.y };
}

/** Image position (world − camera) of the object's centre at frame f. */
export function imagePosition(scene: Scene, o: SceneObject, f: number): { x: number; y: number } {
  const w = worldPosition(o, f);
  const c = cameraAt(scene, f);
  return { x: w.x - c.x, y: w.y - c.y };
}

/**
 * Draws a scene from `seed`: 4–7 objects from a few categories and colours (so groups of ≥2 exist), random
 * waypoints (2–5, piecewise-linear or spline, varied speeds, some objects still), and a textured background.
 * Object 1 always leaves the frame mid-video and comes back; z-order is random so objects occlude each other.
 */
export function sampleScene(seed: number, options: SceneOptions): Scene {
  const rnd = seededRandom(seed ^ 0x5eed1234);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const shuffled = <T>(xs: readonly T[]): T[] => {
    const a = [...xs];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  };
  const { width: w, height: h, frames } = options;
  const last = Math.max(1, frames - 1);
  const m = Math.min(w, h);
  const pan = options.pan ? { dx: (rnd() < 0.5 ? -1 : 1) * (0.15 + 0.2 * rnd()) * w, dy: (rnd() - 0.5) * 0.2 * h } : { dx: 0, dy: 0 };
  const cam = (f: number) => ({ x: (pan.dx * f) / last, y: (pan.dy * f) / last });

  const categories = shuffled(SYNTH_CATEGORIES).slice(0, 3);
  const colours = shuffled(COLOUR_NAMES).slice(0, 3);
  const n = 4 + Math.floor(rnd() * 4);
  const zs = shuffled(Array.from({ length: n }, (_, i) => i));
  const objects: SceneObject[] = [];
  for (let i = 0; i < n; i++) {
    const sizeClass = pick(SIZE_CLASSES);
    const size = Math.max(3, Math.round(SIZE_FRACTION[sizeClass] * m * (0.92 + 0.16 * rnd()) * 10) / 10);
    const still = i > 0 && rnd() < 0.15;
    const count = still ? 1 : 2 + Math.floor(rnd() * 4);
    // Waypoint frames: 0, sorted random interior frames, last — uneven gaps give varied speeds.
    const frameSet = new Set<number>([0, last]);
    while (frameSet.size < Math.min(count, last + 1)) frameSet.add(1 + Math.floor(rnd() * Math.max(1, last - 1)));
    const wpFrames = still ? [0] : [...frameSet].sort((a, b) => a - b);
    const waypoints = wpFrames.map((frame) => {
      const c = cam(frame);
      return { frame, x: Math.round((0.1 + 0.8 * rnd()) * w + c.x), y: Math.round((0.1 + 0.8 * rnd()) * h + c.y) };
    });
    if (i === 0) {
      // Exit and re-entry: the middle of the video is spent fully off-frame beyond a random side.
      const side = pick(["left", "right", "top", "bottom"] as const);
      const off = (frame: number) => {
        const c = cam(frame);
        const y = (0.2 + 0.6 * rnd()) * h;
        const x = (0.2 + 0.6 * rnd()) * w;
        const p = side === "left" ? { x: -2 * size - 4, y } : side === "right" ? { x: w + 2 * size + 4, y } : side === "top" ? { x, y: -2 * size - 4 } : { x, y: h + 2 * size + 4 };
        return { frame, x: Math.round(p.x + c.x), y: Math.round(p.y + c.y) };
      };
      const a = Math.round(last * 0.35);
      const b = Math.round(last * 0.6);
      const start = { frame: 0, x: Math.round((0.3 + 0.4 * rnd()) * w), y: Math.round((0.3 + 0.4 * rnd()) * h) };
      const end = { frame: last, x: Math.round((0.3 + 0.4 * rnd()) * w + cam(last).x), y: Math.round((0.3 + 0.4 * rnd()) * h + cam(last).y) };
      waypoints.splice(0, waypoints.length, start, ...(a > 0 && b > a && b < last ? [off(a), off(b)] : []), end);
    }
    objects.push({
      id: i + 1,
      category: pick(categories),
      colour: pick(colours),
      sizeClass,
      size,
      z: zs[i],
      motion: i === 0 ? "linear" : rnd() < 0.5 ? "linear" : "spline",
      waypoints,
    });
  }
  const base = () => [20 + Math.floor(rnd() * 100), 20 + Math.floor(rnd() * 100), 20 + Math.floor(rnd() * 100)] as [number, number, number];
  const background: Background = {
    kind: pick(["noise", "stripes", "checker"] as const),
    colours: [base(), base()],
    scale: Math.round((0.04 + 0.12 * rnd()) * m * 10) / 10 + 2,
    angle: Math.round(rnd() * Math.PI * 1000) / 1000,
    seed: Math.floor(rnd() * 2 ** 31),
    jitter: 4 + Math.floor(rnd() * 12),
  };
  return { width: w, height: h, frames, fps: options.fps, background, pan, objects };
}
