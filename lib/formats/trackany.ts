// MolmoPoint-TrackAny / TrackSyn example JSON (HF `allenai/MolmoPoint-TrackAny`, config `track`), field types as
// in the dataset card and read by allenai/molmo2 `TrackingDataset._create_message_list`: a point's `id` is an
// int64 matched as `str(id)` against the `mask_id` string list; `point` is [x, y] in native pixels; `frame` is the
// native frame index and `time` its seconds.
import { z } from "zod";
import { interpolateTrack } from "../tracks/interpolate";
import type { JsonValue, Keyframe, KeyframeSource, TrackSet } from "../tracks/types";
import { failure, guard, type ImportResult } from "./result";
import { unsafeNameReason } from "./safe-name";
import { keyframesOnGrid } from "./sampled";

const int = z.number().int();
const pointSchema = z.object({
  id: int,
  point: z.tuple([z.number().finite(), z.number().finite()], { error: "expected [x, y]" }),
  occluded: z.boolean(),
});
const exampleSchema = z.looseObject({
  id: z.string().optional(),
  video: z.string(),
  expression: z.string().optional(),
  fps: z.number().positive().finite(),
  sampling_fps: z.number().positive().finite().optional(),
  height: int.positive(),
  width: int.positive(),
  n_frames: int.positive().optional(),
  task: z.string().optional(),
  frame_trajectories: z.array(z.object({ frame: int.nonnegative(), time: z.number().finite(), points: z.array(pointSchema) })),
  mask_id: z.array(z.string()),
  obj_id: z.array(int).optional(),
  qid: z.string().optional(),
  anno_id: z.array(z.string()).optional(),
  video_path: z.string().optional(),
  video_source: z.string().optional(),
});
export type TrackAnyExample = z.infer<typeof exampleSchema>;

/** Field order of the dataset card; exported files keep it. */
const CARD_ORDER = ["id", "video", "expression", "fps", "sampling_fps", "height", "width", "n_frames", "task", "frame_trajectories", "mask_id", "obj_id", "qid", "anno_id", "video_path", "video_source"];
/** Fields the neutral form holds itself (everything else rides along in `extra`). */
const STRUCTURAL = new Set(["video", "expression", "fps", "height", "width", "n_frames", "frame_trajectories", "mask_id"]);

/** `a.b[3].c` from a zod issue path. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || "(root)";
}

export interface TrackAnyImportOptions {
  fileName?: string;
  /** Frame count when the example has no `n_frames`. */
  frameCount?: number;
  /** Source recorded on imported keyframes (default `human`). */
  source?: KeyframeSource;
}

/**
 * Reads one TrackAny example (a JSON object). Every listed point becomes a keyframe (`occluded` → state
 * occluded); an object missing from a listed frame after it has appeared gets an `outside` keyframe there.
 * Times must equal frame / fps (within 1 ms). Unknown top-level fields are kept in `extra`.
 */
export function importTrackAny(text: string, options: TrackAnyImportOptions = {}): ImportResult<TrackSet> {
  const file = options.fileName ?? "trackany.json";
  return guard(() => {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw failure(file, `not valid JSON: ${(e as Error).message}`);
    }
    const parsed = exampleSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = jsonPath(issue.path);
      const field = issue.path.length ? String(issue.path[issue.path.length - 1]) : undefined;
      throw failure(file, `${path}: ${issue.message}`, { path, field });
    }
    return fromExample(parsed.data, file, options);
  });
}

function fromExample(ex: TrackAnyExample, file: string, options: TrackAnyImportOptions): TrackSet {
  const at = (path: string, detail: string, field?: string) => failure(file, `${path}: ${detail}`, { path, field });
  for (const key of ["video", "video_path"] as const) {
    const name = ex[key];
    const why = name === undefined ? null : unsafeNameReason(name);
    if (why) throw at(key, `file name ${JSON.stringify(name)} ${why}`, key);
  }
  const frameCount = ex.n_frames ?? options.frameCount;
  if (frameCount === undefined) throw at("n_frames", "missing (pass the frame count)", "n_frames");
  const index = new Map<string, number>();
  ex.mask_id.forEach((m, i) => {
    if (index.has(m)) throw at(`mask_id[${i}]`, `'${m}' is repeated`, "mask_id");
    index.set(m, i);
  });
  const source = options.source ?? "human";
  const present: Keyframe[][] = ex.mask_id.map(() => []);
  const grid: number[] = [];
  const order = ex.frame_trajectories.map((t, i) => i).sort((a, b) => ex.frame_trajectories[a].frame - ex.frame_trajectories[b].frame);
  let prevFrame = -1;
  let prevIndex = -1;
  for (const ti of order) {
    const t = ex.frame_trajectories[ti];
    const path = `frame_trajectories[${ti}]`;
    if (t.frame >= frameCount) throw at(`${path}.frame`, `${t.frame} is not below n_frames ${frameCount}`, "frame");
    if (t.frame === prevFrame) throw at(`${path}.frame`, `frame ${t.frame} is listed twice (also frame_trajectories[${prevIndex}])`, "frame");
    if (Math.abs(t.time - t.frame / ex.fps) > 1e-3) {
      throw at(`${path}.time`, `${t.time} s does not match frame ${t.frame} / fps ${ex.fps} = ${t.frame / ex.fps} s`, "time");
    }
    prevFrame = t.frame;
    prevIndex = ti;
    grid.push(t.frame);
    const seen = new Set<number>();
    t.points.forEach((p, pi) => {
      const obj = index.get(String(p.id));
      if (obj === undefined) throw at(`${path}.points[${pi}].id`, `${p.id} is not listed in mask_id`, "id");
      if (seen.has(obj)) throw at(`${path}.points[${pi}].id`, `object ${p.id} appears twice in frame ${t.frame}`, "id");
      seen.add(obj);
      present[obj].push({ frame: t.frame, x: p.point[0], y: p.point[1], state: p.occluded ? "occluded" : "visible", source });
    });
  }
  const extra: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(ex)) if (!STRUCTURAL.has(k) && v !== undefined) extra[k] = v as JsonValue;
  return {
    video: { width: ex.width, height: ex.height, fps: ex.fps, frameCount, name: ex.video },
    ...(ex.expression !== undefined ? { expression: ex.expression } : {}),
    objects: ex.mask_id.map((m, i) => ({ objectId: m, keyframes: keyframesOnGrid(present[i], grid) })),
    ...(Object.keys(extra).length ? { extra } : {}),
  };
}

export interface TrackAnyExportOptions {
  /** Frames to sample; default: every frame holding a keyframe of any object. */
  frames?: readonly number[];
}

/**
 * Writes a TrackAny example. On each sampled frame every object whose interpolated state is visible or occluded
 * is listed (outside/unknown objects are omitted, as in the dataset). Object ids: `mask_id` = objectId, point
 * `id` = its integer value (objectIds must therefore be integer strings). `time` = timestamps[frame] or
 * frame / fps. Fields from `extra` are written back in dataset-card order.
 */
export function exportTrackAny(set: TrackSet, options: TrackAnyExportOptions = {}): string {
  const { video } = set;
  if (!video.name) throw new RangeError("TrackAny needs the video name (the `video` field); none is known for this track set");
  for (const o of set.objects) {
    if (!/^(0|-?[1-9][0-9]*)$/.test(o.objectId)) throw new RangeError(`TrackAny needs integer object ids; got '${o.objectId}'`);
  }
  const dense = set.objects.map((o) => interpolateTrack(o.keyframes, { frameCount: video.frameCount, shotBoundaries: video.shotBoundaries }));
  const frames = options.frames
    ? [...new Set(options.frames)].sort((a, b) => a - b)
    : [...new Set(set.objects.flatMap((o) => o.keyframes.map((k) => k.frame)))].sort((a, b) => a - b);
  const trajectories = frames.map((frame) => {
    if (!Number.isInteger(frame) || frame < 0 || frame >= video.frameCount) throw new RangeError(`frame ${frame} is outside the video`);
    const points = [];
    for (let i = 0; i < set.objects.length; i++) {
      const p = dense[i][frame];
      if (p && p.state !== "outside") points.push({ id: Number(set.objects[i].objectId), point: [p.x, p.y], occluded: p.state === "occluded" });
    }
    return { frame, time: video.timestamps?.[frame] ?? frame / video.fps, points };
  });
  const fields: Record<string, unknown> = {
    ...set.extra,
    video: video.name,
    ...(set.expression !== undefined ? { expression: set.expression } : {}),
    fps: video.fps,
    height: video.height,
    width: video.width,
    n_frames: video.frameCount,
    frame_trajectories: trajectories,
    mask_id: set.objects.map((o) => o.objectId),
  };
  const ordered: Record<string, unknown> = {};
  for (const k of CARD_ORDER) if (k in fields) ordered[k] = fields[k];
  for (const k of Object.keys(fields)) if (!(k in ordered)) ordered[k] = fields[k];
  return JSON.stringify(ordered);
}
