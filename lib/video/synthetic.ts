// Synthetic demo videos with exact ground truth: coloured shapes moving along waypoints, rendered as raw RGB
// frames and piped into ffmpeg. Deterministic by seed (scene and pixels; the encoder runs single-threaded).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ffmpegPath } from "./binaries";
import { VideoError } from "./errors";
import { probeVideo, type VideoMeta } from "./probe";
import { seededRandom } from "../random";

export const SHAPE_CATEGORIES = ["circle", "square", "triangle"] as const;
export type ShapeCategory = (typeof SHAPE_CATEGORIES)[number];

/** Named colours and their RGB; names are what referring expressions use. */
export const COLOURS = {
  red: [220, 40, 40],
  green: [40, 200, 60],
  blue: [50, 90, 235],
  yellow: [235, 215, 40],
  magenta: [215, 50, 215],
  cyan: [40, 215, 225],
  orange: [245, 140, 30],
  white: [240, 240, 240],
} as const satisfies Record<string, readonly [number, number, number]>;
export type ColourName = keyof typeof COLOURS;
const COLOUR_NAMES = Object.keys(COLOURS) as ColourName[];

/** Background colour of each shot (a hard cut switches to the next one); far apart in every RGB histogram bin. */
const SHOT_BACKGROUNDS: ReadonlyArray<readonly [number, number, number]> = [
  [32, 32, 32],
  [16, 80, 112],
  [112, 80, 16],
  [80, 16, 80],
];

const Waypoint = z.object({ frame: z.number().int().min(0), x: z.number(), y: z.number() });
export const SyntheticObjectSpecSchema = z.object({
  id: z.number().int().min(1),
  category: z.enum(SHAPE_CATEGORIES),
  colour: z.enum(COLOUR_NAMES as [ColourName, ...ColourName[]]),
  /** Circle radius / half the square side / half the triangle base, in pixels. */
  size: z.number().positive(),
  /** Drawing order: higher z is drawn on top (and occludes lower z). */
  z: z.number().int().default(0),
  /** Centre positions at key frames; linear in between, held before the first and after the last. */
  path: z.array(Waypoint).min(1),
});
export type SyntheticObjectSpec = z.input<typeof SyntheticObjectSpecSchema>;

export const SyntheticSpecSchema = z.object({
  width: z.number().int().min(16).max(4096).refine((v) => v % 2 === 0, "width must be even (yuv420p)"),
  height: z.number().int().min(16).max(4096).refine((v) => v % 2 === 0, "height must be even (yuv420p)"),
  frames: z.number().int().min(1).max(100_000),
  fps: z.number().positive().max(240).default(30),
  /** h264 → .mp4/.mkv, vp9 → .webm/.mkv, xvid (MPEG-4 ASP with B-frames) → .avi. Default from the file extension. */
  codec: z.enum(["h264", "vp9", "xvid"]).optional(),
  /** Variable frame rate: frame durations cycle 1,1,2 (in 1/fps units). */
  vfr: z.boolean().default(false),
  /** Allow B-frames (h264/xvid): decode order differs from presentation order. */
  bframes: z.boolean().default(true),
  /** Keyframe interval in frames (small keeps seeks short). */
  gop: z.number().int().min(1).max(1000).default(12),
  /** Frames at which a hard cut starts a new shot (background switches); objects keep moving. */
  cuts: z.array(z.number().int().min(1)).default([]),
  /** Scene objects; when omitted a scene is drawn from the seed (with an occlusion and an exit/re-entry). */
  objects: z.array(SyntheticObjectSpecSchema).optional(),
});
export type SyntheticSpec = z.input<typeof SyntheticSpecSchema>;
type Spec = z.output<typeof SyntheticSpecSchema>;
type ObjectSpec = z.output<typeof SyntheticObjectSpecSchema>;

export type PointState = "visible" | "occluded" | "outside";
export interface GroundTruthPoint {
  /** Centre of the shape (bounding-box centre; for triangles that lies inside the shape), pixels, x right / y down. */
  x: number;
  y: number;
  /** outside: centre not in the frame; occluded: centre covered by a shape drawn on top; else visible. */
  state: PointState;
}
export interface GroundTruthObject {
  id: number;
  category: ShapeCategory;
  colour: ColourName;
  size: number;
  /** track[i] is the object in frame i. */
  track: GroundTruthPoint[];
}
export interface ReferringExpression {
  /** e.g. "the red circles", "the triangle", "the blue shapes". */
  text: string;
  objectIds: number[];
}
export interface SyntheticGroundTruth {
  seed: number;
  width: number;
  height: number;
  fps: number;
  frameCount: number;
  /** Intended presentation time of each frame, seconds (what the encoder was given). */
  timestamps: number[];
  shotBoundaries: number[];
  objects: GroundTruthObject[];
  expressions: ReferringExpression[];
}

/**
 * A scene drawn from the seed: a large static occluder with a circle passing behind it, an object that leaves
 * the frame on the left and comes back, a pair sharing colour and category with the passing circle, and one more.
 */
export function defaultScene(width: number, height: number, frames: number, seed: number): ObjectSpec[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const m = Math.min(width, height);
  const last = Math.max(1, frames - 1);
  const colours = [...COLOUR_NAMES].sort(() => rnd() - 0.5);
  const [cOcc, cPass, cExit, cOther] = colours;
  const at = (f: number) => Math.round(f * last);
  const inside = (lo: number, hi: number) => lo + rnd() * (hi - lo);
  const objs: ObjectSpec[] = [
    { id: 1, category: "square", colour: cOcc, size: Math.round(0.17 * m), z: 10, path: [{ frame: 0, x: width * 0.5, y: height * 0.5 }] },
    { id: 2, category: "circle", colour: cPass, size: Math.round(0.07 * m), z: 1, path: [{ frame: 0, x: width * 0.12, y: height * 0.5 }, { frame: last, x: width * 0.88, y: height * 0.52 }] },
    {
      id: 3, category: pick(SHAPE_CATEGORIES), colour: cExit, size: Math.round(0.07 * m), z: 2,
      path: [
        { frame: 0, x: width * 0.3, y: height * 0.18 },
        { frame: at(0.3), x: -width * 0.15, y: height * 0.18 },
        { frame: at(0.6), x: -width * 0.15, y: height * 0.22 },
        { frame: last, x: width * 0.3, y: height * 0.22 },
      ],
    },
    {
      id: 4, category: "circle", colour: cPass, size: Math.round(0.06 * m), z: 3,
      path: [{ frame: 0, x: inside(0.6, 0.85) * width, y: height * 0.85 }, { frame: last, x: inside(0.15, 0.4) * width, y: height * 0.82 }],
    },
    {
      id: 5, category: pick(["square", "triangle"] as const), colour: cOther, size: Math.round(0.065 * m), z: 4,
      path: [{ frame: 0, x: width * 0.85, y: height * inside(0.15, 0.3) }, { frame: at(0.5), x: width * 0.7, y: height * 0.3 }, { frame: last, x: width * 0.9, y: height * 0.15 }],
    },
  ];
  return objs;
}

function positionAt(o: ObjectSpec, frame: number): { x: number; y: number } {
  const p = [...o.path].sort((a, b) => a.frame - b.frame);
  if (frame <= p[0].frame) return { x: p[0].x, y: p[0].y };
  for (let i = 1; i < p.length; i++) {
    if (frame <= p[i].frame) {
      const t = (frame - p[i - 1].frame) / (p[i].frame - p[i - 1].frame);
      return { x: p[i - 1].x + t * (p[i].x - p[i - 1].x), y: p[i - 1].y + t * (p[i].y - p[i - 1].y) };
    }
  }
  const l = p[p.length - 1];
  return { x: l.x, y: l.y };
}

/** Whether point (px,py) lies in the shape centred at (cx,cy). Triangles point up: apex (cx,cy-s), base y=cy+s. */
export function insideShape(category: ShapeCategory, size: number, cx: number, cy: number, px: number, py: number): boolean {
  const dx = px - cx;
  const dy = py - cy;
  if (category === "circle") return dx * dx + dy * dy <= size * size;
  if (category === "square") return Math.abs(dx) <= size && Math.abs(dy) <= size;
  if (dy < -size || dy > size) return false;
  return Math.abs(dx) <= (dy + size) / 2; // half-width grows from 0 at the apex to size at the base
}

function drawFrame(buf: Buffer, spec: Spec, objs: ObjectSpec[], pos: { x: number; y: number }[], shot: number): void {
  const { width: w, height: h } = spec;
  const bg = SHOT_BACKGROUNDS[shot % SHOT_BACKGROUNDS.length];
  for (let i = 0; i < w * h; i++) {
    buf[i * 3] = bg[0];
    buf[i * 3 + 1] = bg[1];
    buf[i * 3 + 2] = bg[2];
  }
  for (const k of objs.map((_, i) => i).sort((a, b) => objs[a].z - objs[b].z || objs[a].id - objs[b].id)) {
    const o = objs[k];
    const { x, y } = pos[k];
    const [r, g, b] = COLOURS[o.colour];
    const x0 = Math.max(0, Math.floor(x - o.size));
    const x1 = Math.min(w - 1, Math.ceil(x + o.size));
    const y0 = Math.max(0, Math.floor(y - o.size));
    const y1 = Math.min(h - 1, Math.ceil(y + o.size));
    for (let py = y0; py <= y1; py++) {
      for (let px = x0; px <= x1; px++) {
        if (!insideShape(o.category, o.size, x, y, px + 0.5, py + 0.5)) continue;
        const at = (py * w + px) * 3;
        buf[at] = r;
        buf[at + 1] = g;
        buf[at + 2] = b;
      }
    }
  }
}

function pointState(spec: Spec, objs: ObjectSpec[], pos: { x: number; y: number }[], k: number): PointState {
  const { x, y } = pos[k];
  if (x < 0 || y < 0 || x >= spec.width || y >= spec.height) return "outside";
  const o = objs[k];
  for (let j = 0; j < objs.length; j++) {
    const other = objs[j];
    if (j === k || other.z < o.z || (other.z === o.z && other.id < o.id)) continue;
    if (insideShape(other.category, other.size, pos[j].x, pos[j].y, x, y)) return "occluded";
  }
  return "visible";
}

/** "the red circles", "the circle", "the blue shapes": every colour+category, category and colour group. */
export function referringExpressions(objs: Array<{ id: number; category: ShapeCategory; colour: ColourName }>): ReferringExpression[] {
  const out: ReferringExpression[] = [];
  const add = (ids: number[], singular: string, plural: string) => {
    if (ids.length) out.push({ text: `the ${ids.length === 1 ? singular : plural}`, objectIds: [...ids].sort((a, b) => a - b) });
  };
  const plural = (c: ShapeCategory) => `${c}s`;
  for (const colour of COLOUR_NAMES) {
    for (const category of SHAPE_CATEGORIES) {
      add(objs.filter((o) => o.colour === colour && o.category === category).map((o) => o.id), `${colour} ${category}`, `${colour} ${plural(category)}`);
    }
  }
  for (const category of SHAPE_CATEGORIES) add(objs.filter((o) => o.category === category).map((o) => o.id), category, plural(category));
  for (const colour of COLOUR_NAMES) {
    const ids = objs.filter((o) => o.colour === colour).map((o) => o.id);
    if (new Set(objs.filter((o) => o.colour === colour).map((o) => o.category)).size > 1) add(ids, `${colour} shape`, `${colour} shapes`);
  }
  return out;
}

/** Frame durations (in 1/fps ticks) for VFR output cycle 1,1,2 → pts tick of frame n is n + floor(n/3). */
function ptsTicks(n: number, vfr: boolean): number {
  return vfr ? n + Math.floor(n / 3) : n;
}

function encoderArgs(spec: Spec, codec: "h264" | "vp9" | "xvid"): string[] {
  const gop = ["-g", String(spec.gop)];
  if (codec === "h264") {
    return ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", "-threads", "1", ...gop, "-bf", spec.bframes ? "2" : "0", "-x264-params", "scenecut=0"];
  }
  if (codec === "vp9") return ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "30", "-deadline", "realtime", "-cpu-used", "8", "-threads", "1", "-pix_fmt", "yuv420p", ...gop];
  return ["-c:v", "mpeg4", "-vtag", "XVID", "-q:v", "3", "-pix_fmt", "yuv420p", "-threads", "1", ...gop, "-bf", spec.bframes ? "2" : "0"];
}

const CODEC_FOR_EXT: Record<string, "h264" | "vp9" | "xvid"> = { ".mp4": "h264", ".mov": "h264", ".mkv": "h264", ".webm": "vp9", ".avi": "xvid" };
const EXTS_FOR_CODEC = { h264: [".mp4", ".mov", ".mkv"], vp9: [".webm", ".mkv"], xvid: [".avi"] } as const;

/** Computes the ground truth of a spec without rendering video (positions, states, expressions). */
export function syntheticGroundTruth(input: SyntheticSpec, seed: number): { spec: Spec; objects: ObjectSpec[]; groundTruth: SyntheticGroundTruth } {
  const parsed = SyntheticSpecSchema.safeParse(input);
  if (!parsed.success) throw new VideoError("unsupported", `Invalid synthetic video spec: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  const spec = parsed.data;
  const objects = spec.objects ?? defaultScene(spec.width, spec.height, spec.frames, seed);
  if (new Set(objects.map((o) => o.id)).size !== objects.length) throw new VideoError("unsupported", "Invalid synthetic video spec: objects[].id must be unique");
  const cuts = [...new Set(spec.cuts.filter((c) => c < spec.frames))].sort((a, b) => a - b);
  const tracks: GroundTruthPoint[][] = objects.map(() => []);
  for (let f = 0; f < spec.frames; f++) {
    const pos = objects.map((o) => positionAt(o, f));
    objects.forEach((_, k) => tracks[k].push({ x: pos[k].x, y: pos[k].y, state: pointState(spec, objects, pos, k) }));
  }
  const groundTruth: SyntheticGroundTruth = {
    seed,
    width: spec.width,
    height: spec.height,
    fps: spec.fps,
    frameCount: spec.frames,
    timestamps: Array.from({ length: spec.frames }, (_, n) => ptsTicks(n, spec.vfr) / spec.fps),
    shotBoundaries: cuts,
    objects: objects.map((o, k) => ({ id: o.id, category: o.category, colour: o.colour, size: o.size, track: tracks[k] })),
    expressions: referringExpressions(objects),
  };
  return { spec: { ...spec, cuts }, objects, groundTruth };
}

/**
 * Renders a synthetic video to outPath (container from the extension: .mp4/.mov/.mkv H.264, .webm VP9, .avi XVID)
 * and returns its probed VideoMeta plus exact per-frame ground truth. Written to a temp file and renamed when
 * complete and verified (decoded frame count equals spec.frames).
 */
export async function generateSyntheticVideo(outPath: string, input: SyntheticSpec, seed: number): Promise<{ meta: VideoMeta; groundTruth: SyntheticGroundTruth }> {
  const { spec, objects, groundTruth } = syntheticGroundTruth(input, seed);
  const ext = path.extname(outPath).toLowerCase();
  const codec = spec.codec ?? CODEC_FOR_EXT[ext];
  if (!codec) throw new VideoError("bad_name", `Cannot tell the container from '${path.basename(outPath)}': use .mp4, .webm, .mkv, .mov or .avi`);
  if (!(EXTS_FOR_CODEC[codec] as readonly string[]).includes(ext)) throw new VideoError("bad_name", `Codec ${codec} cannot be written to a ${ext} file; use ${EXTS_FOR_CODEC[codec].join(" or ")}`);
  await mkdir(path.dirname(path.resolve(outPath)), { recursive: true });
  const tmp = path.join(path.dirname(path.resolve(outPath)), `.synth-${randomBytes(6).toString("hex")}${ext}`);
  const vf = spec.vfr ? ["-vf", `setpts=(N+floor(N/3))/(${spec.fps}*TB)`, "-vsync", "2"] : [];
  const args = [
    "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
    "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", `${spec.width}x${spec.height}`, "-r", String(spec.fps), "-i", "pipe:0",
    ...vf, ...encoderArgs(spec, codec), "-an", "-fflags", "+bitexact", "-map_metadata", "-1",
    ...(ext === ".mp4" || ext === ".mov" ? ["-movflags", "+faststart"] : []),
    tmp,
  ];
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(ffmpegPath(), args, { stdio: ["pipe", "ignore", "pipe"], shell: false });
      let stderr = "";
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (c: string) => (stderr = (stderr + c).slice(-8000)));
      child.on("error", (e) => reject(new VideoError("io", `could not start ffmpeg: ${e.message}`, { cause: e })));
      child.on("close", (code) => (code === 0 ? resolve() : reject(new VideoError("io", `ffmpeg failed to encode the synthetic video (exit ${code}): ${stderr.trim()}`))));
      child.stdin.on("error", () => {}); // EPIPE if ffmpeg dies; the exit code carries the reason
      const buf = Buffer.alloc(spec.width * spec.height * 3);
      let f = 0;
      const writeMore = () => {
        while (f < spec.frames) {
          const pos = objects.map((o) => positionAt(o, f));
          const shot = spec.cuts.filter((c) => c <= f).length;
          drawFrame(buf, spec, objects, pos, shot);
          f++;
          if (!child.stdin.write(Buffer.from(buf))) return void child.stdin.once("drain", writeMore);
        }
        child.stdin.end();
      };
      writeMore();
    });
    const meta = await probeVideo(tmp, { displayName: path.basename(outPath) });
    if (meta.frameCount !== spec.frames) {
      throw new VideoError("corrupt", `The synthetic video has ${meta.frameCount} decodable frames, expected ${spec.frames}`);
    }
    await rename(tmp, outPath);
    return { meta, groundTruth };
  } finally {
    await rm(tmp, { force: true });
  }
}
