// Writer for Molmo2 `<points coords=…>` / `<tracks coords=…>` text, a line-by-line port of
// allenai/molmo2 `olmo/preprocessing/point_formatter.py: UnifiedPointFormatter` (coordinate_scale
// "1000", sort_order "xy", point_str_format "coord_str", DefaultTimestampFormatter).
import { pyFixed, pyInt03, pyRound } from "./pyCompat";
import type { OutputMode, Point2, PointingFormat, TrackFrameInput } from "./types";

export interface WriterOptions {
  /** Default `html-v2` (the SFT format released Molmo2 checkpoints emit); the reference class default is `html-v1`. */
  format?: PointingFormat;
  label?: string;
  /** Optional `alt="…"` attribute (written before `coords`, as the reference does). */
  alt?: string;
}

export interface PointWriterOptions extends WriterOptions {
  /** Default `point_then_count`, as in the reference. */
  mode?: OutputMode;
}

export interface ImageSize {
  width: number;
  height: number;
}

export interface TrackWriterOptions extends WriterOptions, ImageSize {
  /** `start_end_only`: keep only each object's first and last frame (`video_point_ground_start_end`). */
  startEndOnly?: boolean;
  /** `from_initial_points` (single-point tracking from a query point): keep only frames that contain one of these
   * objects strictly after its query time. As in the reference, a kept frame keeps *all* its points. */
  fromInitialPoints?: Array<{ id: number; time: number }>;
}

type Scaled = [number, number];

function separator(format: PointingFormat | undefined): string {
  const f = format ?? "html-v2";
  if (f === "html-v1") return "\t";
  if (f === "html-v2") return ";";
  throw new RangeError(`unknown pointing format '${String(f)}' (expected html-v1 or html-v2)`);
}

function checkSize(size: ImageSize, where: string): void {
  for (const k of ["width", "height"] as const) {
    if (!Number.isFinite(size[k]) || size[k] <= 0) throw new RangeError(`${where}: ${k} must be a positive finite number, got ${size[k]}`);
  }
}

function checkPoint(p: Point2, where: string): void {
  if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) throw new RangeError(`${where}: coordinates must be finite, got (${p.x}, ${p.y})`);
}

/** `_scale_point` with a (width, height) scale, including its operator-precedence quirk: the clip
 * only happens when x is out of [0,1] *and* y is inside it (`not 0<=x<=1 and 0<=y<=1`). */
export function scalePoint(p: Point2, size: ImageSize): Scaled {
  let x = p.x / size.width;
  let y = p.y / size.height;
  if (!(0 <= x && x <= 1.0) && 0 <= y && y <= 1.0) {
    x = Math.max(0, Math.min(x, 1.0));
    y = Math.max(0, Math.min(y, 1.0));
  }
  return [pyRound(1000 * x), pyRound(1000 * y)];
}

function compareScaled(a: Scaled, b: Scaled): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** `_format_image_points`: `"<id> <x> <y>"` triples with `%03d` coordinates. */
function formatImagePointTriples(ids: number[], scaled: Scaled[]): string {
  return scaled.map(([x, y], i) => `${ids[i]} ${pyInt03(x)} ${pyInt03(y)}`).join(" ");
}

/** `build_single_image_coordinates`: sort by the *rounded* (x, y), then number from `idStart`. */
function singleImageCoordinates(points: Point2[], size: ImageSize, idStart: number): string {
  const scaled = points.map((p) => scalePoint(p, size));
  const order = scaled.map((_, i) => i).sort((a, b) => compareScaled(scaled[a], scaled[b]) || a - b);
  return formatImagePointTriples(
    order.map((_, k) => idStart + k),
    order.map((i) => scaled[i]),
  );
}

/** `build_point_str_from_coord_str` (coord_str variant). */
function pointString(label: string, alt: string | undefined, coordStr: string, isTrack: boolean): string {
  if (!coordStr) return "";
  const tag = isTrack ? "tracks" : "points";
  let text = `<${tag}`;
  if (alt !== undefined) text += ` alt="${alt}"`;
  text += ` coords="${coordStr}"`;
  return `${text}>${label}</${tag}>`;
}

/** `build_point_output`: the answer sentence around the point string. `count === null` is Python `None`. */
export function buildPointOutput(pointStr: string, count: number | null, mode: OutputMode | undefined): string {
  if (count === 0) return "There are none.";
  switch (mode) {
    case "point_then_count":
    case "point_count":
      return `Counting the ${pointStr} shows a total of ${count}.`;
    case "count_then_point":
    case "count_point":
      return `There are ${count} ${pointStr}.`;
    case "count":
      return String(count);
    case undefined:
    case "point":
    case "pointing":
      return pointStr;
    default:
      throw new RangeError(`unknown output mode '${String(mode)}'`);
  }
}

/** `format_image_points`: a single image; the frame field is the literal `1`. */
export function formatImagePoints(points: Point2[], opts: PointWriterOptions & ImageSize): string {
  checkSize(opts, "formatImagePoints");
  points.forEach((p, i) => checkPoint(p, `formatImagePoints: points[${i}]`));
  separator(opts.format); // validates the format; a single image has no frame separator
  const coordStr = "1 " + singleImageCoordinates(points, opts, 1);
  const pointStr = pointString(opts.label ?? "", opts.alt, coordStr, false);
  return buildPointOutput(pointStr, points.length, opts.mode ?? "point_then_count");
}

export interface ImagePoints extends ImageSize {
  /** 1-based image index written as the frame field (Python `str(index)`; integers only). */
  index: number;
  points: Point2[];
}

/** `_build_multi_image_coordinates`: running point ids across frames; empty frames still write `"<prefix> "`. */
function multiFrameCoordinates(prefixes: string[], frames: Point2[][], sizes: ImageSize[], sep: string): string {
  let on = 1;
  const parts: string[] = [];
  frames.forEach((points, i) => {
    const frameStr = singleImageCoordinates(points, sizes[i], on);
    on += points.length;
    parts.push(`${prefixes[i]} ${frameStr}`);
  });
  return parts.join(sep);
}

/** `format_multi_image_points`: one entry per image, each with its own size. */
export function formatMultiImagePoints(images: ImagePoints[], opts: PointWriterOptions): string {
  const sep = separator(opts.format);
  images.forEach((im, i) => {
    checkSize(im, `formatMultiImagePoints: images[${i}]`);
    if (!Number.isSafeInteger(im.index)) throw new RangeError(`formatMultiImagePoints: images[${i}].index must be an integer, got ${im.index}`);
    im.points.forEach((p, j) => checkPoint(p, `formatMultiImagePoints: images[${i}].points[${j}]`));
  });
  const coordStr = multiFrameCoordinates(
    images.map((im) => String(im.index)),
    images.map((im) => im.points),
    images,
    sep,
  );
  const pointStr = pointString(opts.label ?? "", opts.alt, coordStr, false);
  const count = images.reduce((n, im) => n + im.points.length, 0);
  return buildPointOutput(pointStr, count, opts.mode ?? "point_then_count");
}

/** `format_video_points`: frame field = `"%0.1f" % time`, running ids across frames. */
export function formatVideoPoints(frames: Array<{ time: number; points: Point2[] }>, opts: PointWriterOptions & ImageSize): string {
  const sep = separator(opts.format);
  checkSize(opts, "formatVideoPoints");
  frames.forEach((f, i) => {
    if (!Number.isFinite(f.time)) throw new RangeError(`formatVideoPoints: frames[${i}].time must be finite, got ${f.time}`);
    f.points.forEach((p, j) => checkPoint(p, `formatVideoPoints: frames[${i}].points[${j}]`));
  });
  const coordStr = multiFrameCoordinates(
    frames.map((f) => pyFixed(f.time, 1)),
    frames.map((f) => f.points),
    frames.map(() => opts),
    sep,
  );
  const pointStr = pointString(opts.label ?? "", opts.alt, coordStr, false);
  const count = frames.reduce((n, f) => n + f.points.length, 0);
  return buildPointOutput(pointStr, count, opts.mode ?? "point_then_count");
}

/** `_filter_all_but_start_end`: keep each object's first and last frame; frames merge by time. */
function filterAllButStartEnd(frames: TrackFrameInput[]): TrackFrameInput[] {
  const objectFrames = new Map<number, number[]>();
  frames.forEach((f, i) => {
    for (const p of f.points) {
      const list = objectFrames.get(p.id) ?? [];
      list.push(i);
      objectFrames.set(p.id, list);
    }
  });
  const byTime = new Map<number, TrackFrameInput>();
  frames.forEach((f, i) => {
    const kept = f.points.filter((p) => {
      const list = objectFrames.get(p.id)!;
      return i === list[0] || i === list[list.length - 1];
    });
    if (kept.length === 0) return;
    let merged = byTime.get(f.time);
    if (!merged) {
      merged = { time: f.time, points: [] };
      byTime.set(f.time, merged);
    }
    for (const p of kept) {
      // dict.update: an existing key keeps its position and takes the new value.
      const at = merged.points.findIndex((q) => q.id === p.id);
      if (at >= 0) merged.points[at] = p;
      else merged.points.push(p);
    }
  });
  return [...byTime.values()];
}

/** `_filter_for_initial_points`: the per-frame point filter it computes is discarded; whole frames are kept. */
function filterForInitialPoints(frames: TrackFrameInput[], initial: Array<{ id: number; time: number }>): TrackFrameInput[] {
  const mapping = new Map<number, number>();
  initial.forEach((p, i) => mapping.set(p.id, i)); // dict comprehension: a repeated id keeps its last index
  return frames.filter((f) => {
    if (f.points.length === 0) return false;
    const ids = new Set(f.points.map((p) => p.id));
    for (const [id, i] of mapping) if (f.time > initial[i].time && ids.has(id)) return true;
    return false;
  });
}

/** `build_video_track_coordinates`: persistent ids numbered by first appearance after the per-frame xy sort. */
function trackCoordinates(frames: TrackFrameInput[], size: ImageSize, sep: string): string {
  const frameStrings: string[] = [];
  const idToIndex = new Map<number, number>();
  const ordered = frames.map((f, i) => ({ f, i })).sort((a, b) => a.f.time - b.f.time || a.i - b.i);
  for (const { f } of ordered) {
    if (f.points.length === 0) continue;
    const list: Array<{ id: number; p: Scaled; k: number }> = [];
    f.points.forEach((pt, k) => {
      if (pt.occluded) return;
      list.push({ id: pt.id, p: scalePoint(pt, size), k });
    });
    if (list.length === 0) continue;
    list.sort((a, b) => compareScaled(a.p, b.p) || a.k - b.k);
    const renumbered = list.map((e, k) => {
      if (!idToIndex.has(e.id)) idToIndex.set(e.id, idToIndex.size);
      return { id: idToIndex.get(e.id)! + 1, p: e.p, k };
    });
    renumbered.sort((a, b) => a.id - b.id || a.k - b.k);
    const body = formatImagePointTriples(
      renumbered.map((e) => e.id),
      renumbered.map((e) => e.p),
    );
    frameStrings.push(`${pyFixed(f.time, 1)} ${body}`);
  }
  return frameStrings.join(sep);
}

/** Writes tracks as Molmo2 `<tracks …>` text exactly as `format_video_tracks` does. */
export function formatTracks(frames: TrackFrameInput[], opts: TrackWriterOptions): string {
  const sep = separator(opts.format);
  checkSize(opts, "formatTracks");
  frames.forEach((f, i) => {
    if (!Number.isFinite(f.time)) throw new RangeError(`formatTracks: frames[${i}].time must be finite, got ${f.time}`);
    const seen = new Set<number>();
    f.points.forEach((p, j) => {
      checkPoint(p, `formatTracks: frames[${i}].points[${j}]`);
      if (seen.has(p.id)) throw new RangeError(`formatTracks: frames[${i}] has object id ${p.id} twice`);
      seen.add(p.id);
    });
  });
  if (frames.length === 0) return "No tracks available.";
  let selected = opts.startEndOnly ? filterAllButStartEnd(frames) : frames;
  if (opts.fromInitialPoints) selected = filterForInitialPoints(selected, opts.fromInitialPoints);
  const coordStr = trackCoordinates(selected, opts, sep);
  const pointStr = pointString(opts.label ?? "", opts.alt, coordStr, true);
  // Tracking answers are never counting answers: mode is fixed to `point` (count None).
  return buildPointOutput(pointStr, null, "point");
}
