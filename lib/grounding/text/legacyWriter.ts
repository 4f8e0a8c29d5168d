// Writer for the legacy (Molmo-1 era) point/track text, a port of allenai/molmo2
// `olmo/preprocessing/point_formatter.py: LegacyPointFormatting` (0–100 coordinates with one decimal).
import { PY_WS, pyFixed, pyInt03, pyRepr } from "./pyCompat";
import type { Point2 } from "./types";

/** `pointing_format` values accepted by the legacy image writer (`points_to_text`). */
export type LegacyImageFormat = "default" | "compact_v1" | "compact_v2";
/** `pointing_format` values accepted by the legacy video-points writer (its `json` branch is unreachable in the reference). */
export type LegacyVideoPointsFormat = "default" | "paragraph" | "compact_v1";
/** Legacy track styles: `time t\n{id: [x, y]}` per frame, `id: ([x, y, t], [x, y, t])` first/last, or `[x, y, t], …` for object 0. */
export type LegacyTrackStyle = "per_frame" | "start_end" | "single_point";

const PY_LEADING_WS = new RegExp(`^[${PY_WS}]+`, "u");
const PY_TRAILING_WS = new RegExp(`[${PY_WS}]+$`, "u");

/** numpy's `round(np.float64, 1)`: `rint(x * 10) / 10` (not Python's correctly rounded `round`). */
function numpyRound1(x: number): number {
  const y = x * 10;
  const f = Math.floor(y);
  const d = y - f;
  const r = d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
  return r / 10;
}

/** Python `round(x, 1)` on a float: the correctly rounded one-decimal value. */
function pyRound1(x: number): number {
  return Number(pyFixed(x, 1));
}

function checkFinitePoints(points: Point2[], where: string): void {
  points.forEach((p, i) => {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) throw new RangeError(`${where}[${i}]: coordinates must be finite, got (${p.x}, ${p.y})`);
  });
}

/** `points_to_text` with a (width, height) pixel scale: 0–100 units, numpy-rounded to 0.1, sorted by x·10000 + y. */
function pointsToText(points: Point2[], width: number, height: number, label: string, alt: string | undefined, format: LegacyImageFormat): string {
  // format_image_points divides the scale by 100 first, then points_to_text divides by it.
  const sx = width / 100;
  const sy = height / 100;
  const rounded = points
    .map((p, k) => ({ x: numpyRound1(p.x / sx), y: numpyRound1(p.y / sy), k }))
    .sort((a, b) => a.x * 10000 + a.y - (b.x * 10000 + b.y) || a.k - b.k);
  if (format === "compact_v1" || format === "compact_v2") {
    const lab = label.replace(/\t/g, " ");
    // The label's tabs are replaced before the comparison, as in the reference.
    const a = alt === undefined || alt === lab ? "-" : alt.replace(/\t/g, " ");
    const body =
      format === "compact_v1"
        ? rounded.map((p, i) => `${i + 1} ${pyFixed(p.x, 1)} ${pyFixed(p.y, 1)}`)
        : rounded.map((p, i) => `${i + 1} ${pyInt03(Math.trunc(p.x * 10) + 0)} ${pyInt03(Math.trunc(p.y * 10) + 0)}`);
    return `<points ${lab}\t${a}\t${body.join(" ")}/>`;
  }
  if (format === "default") {
    const altText = alt === undefined ? "None" : alt;
    if (rounded.length === 1) return `<point x="${pyFixed(rounded[0].x, 1)}" y="${pyFixed(rounded[0].y, 1)}" alt="${altText}">${label}</point>`;
    const attrs = rounded.flatMap((p, i) => [`x${i + 1}="${pyFixed(p.x, 1)}"`, `y${i + 1}="${pyFixed(p.y, 1)}"`]).join(" ");
    return `<points ${attrs} alt="${altText}">${label}</points>`;
  }
  throw new RangeError(`unknown legacy image format '${String(format)}'`);
}

export interface LegacyImageOptions {
  width: number;
  height: number;
  label?: string;
  alt?: string;
  format: LegacyImageFormat;
  /** `point_count` / `point_then_count` (default) wrap the text in the counting sentence; anything else returns it bare. */
  mode?: "point_then_count" | "point_count" | "point";
}

/** `LegacyPointFormatting.format_image_points` (no "There are none." here: zero points still give a tag). */
export function formatLegacyImagePoints(points: Point2[], opts: LegacyImageOptions): string {
  checkFinitePoints(points, "formatLegacyImagePoints: points");
  const text = pointsToText(points, opts.width, opts.height, opts.label ?? "", opts.alt, opts.format);
  const mode = opts.mode ?? "point_then_count";
  return mode === "point_count" || mode === "point_then_count" ? `Counting the ${text} shows a total of ${points.length}.` : text;
}

export interface LegacyVideoPointsOptions {
  label?: string;
  format: LegacyVideoPointsFormat;
  mode?: "point_count" | "count_point" | "count" | "point" | "pointing";
}

/** `LegacyPointFormatting.format_video_points`. Points are already in 0–100 units (the reference asserts scale == 100);
 * times are written with Python `str(float)`. */
export function formatLegacyVideoPoints(frames: Array<{ time: number; points: Point2[] }>, opts: LegacyVideoPointsOptions): string {
  frames.forEach((f, i) => checkFinitePoints(f.points, `formatLegacyVideoPoints: frames[${i}].points`));
  if (frames.length === 0) return "There are none.";
  const label = opts.label ?? "";
  const fmt = opts.format;
  if (fmt !== "default" && fmt !== "paragraph" && fmt !== "compact_v1") throw new RangeError(`unknown legacy video format '${String(fmt)}'`);
  const parts: string[] = [];
  let pt = 0;
  frames.forEach((f, ix) => {
    const ts = pyRepr(f.time);
    let text = fmt === "default" ? `<points t${ix + 1}=${ts}` : fmt === "paragraph" ? `${ts}\n` : `<points ${ts}\t`;
    for (const { x, y } of f.points) {
      if (fmt === "default") text += ` x${pt + 1}=${pyFixed(x, 1)} y${pt + 1}=${pyFixed(y, 1)}`;
      else if (fmt === "paragraph") text += `${pt + 1} ${pyFixed(x, 1)} ${pyFixed(y, 1)}\n`;
      else text += `${pt + 1} ${pyFixed(x, 1)} ${pyFixed(y, 1)} `;
      pt++;
    }
    parts.push(fmt === "paragraph" ? text : text.replace(PY_TRAILING_WS, "") + "/>");
  });
  const pointText = parts.join(" ").replace(PY_LEADING_WS, "").replace(PY_TRAILING_WS, "");
  const mode = opts.mode ?? "point";
  if (mode === "point_count") return `The "${label}" are located at: ${pointText}.\nCounting shows the total number is: ${pt}.`;
  if (mode === "count_point") return `The total number of "${label}" is: ${pt}.\nThey are located at: ${pointText}.`;
  if (mode === "count") return `The total number of "${label}" is: ${pt}.`;
  if (mode === "point" || mode === "pointing") return pointText;
  throw new RangeError(`unknown legacy video mode '${String(mode)}'`);
}

export interface LegacyTrackOptions {
  width: number;
  height: number;
  style?: LegacyTrackStyle;
  /** `from_initial_points` (point tracking with occlusion): query points; output ids are their indices, and only frames
   * after each query's frame are written, occluded points as `[x, y, yes]`. Takes precedence over `style`. */
  initialPoints?: Array<{ id: number; frame: number }>;
}

interface LegacyTrackFrame {
  time: number;
  /** Native frame index; needed only with `initialPoints`. */
  frame?: number;
  points: Array<{ id: number; x: number; y: number; occluded?: boolean }>;
}

/** `_format_video_point_track_all_frames_with_occlusion`. */
function occlusionTrackText(frames: LegacyTrackFrame[], initial: Array<{ id: number; frame: number }>, width: number, height: number): string {
  const mapping = new Map<number, number>();
  initial.forEach((p, i) => mapping.set(p.id, i));
  const out: string[] = [];
  frames.forEach((f, fi) => {
    if (f.points.length === 0) return;
    if (f.frame === undefined) throw new RangeError(`formatLegacyTracks: frames[${fi}].frame is required with initialPoints`);
    const byId = new Map(f.points.map((p) => [p.id, p]));
    const chosen: Array<{ idx: number; p: { x: number; y: number; occluded?: boolean } }> = [];
    for (const [id, idx] of mapping) {
      const p = byId.get(id);
      if (p && f.frame > initial[idx].frame) chosen.push({ idx, p });
    }
    if (chosen.length === 0) return;
    chosen.sort((a, b) => a.idx - b.idx);
    const pairs = chosen.map(({ idx, p }) => {
      const [x, y] = norm(p, width, height);
      return p.occluded ? `${idx}: [${x}, ${y}, yes]` : `${idx}: [${x}, ${y}]`;
    });
    out.push(`time ${pyFixed(f.time, 2)}`, `{${pairs.join(", ")}}`);
  });
  return out.join("\n");
}

/** `normalize_points` + round: pixels → 0–100 with Python's `round(x, 1)`, written with `str(float)`. */
function norm(p: { x: number; y: number }, width: number, height: number): [string, string] {
  return [pyRepr(pyRound1(p.x / (width / 100))), pyRepr(pyRound1(p.y / (height / 100)))];
}

/** `LegacyPointFormatting.format_video_tracks` (per-frame, start/end, single-point styles). */
export function formatLegacyTracks(frames: LegacyTrackFrame[], opts: LegacyTrackOptions): string {
  frames.forEach((f, i) => {
    if (!Number.isFinite(f.time)) throw new RangeError(`formatLegacyTracks: frames[${i}].time must be finite`);
    checkFinitePoints(f.points, `formatLegacyTracks: frames[${i}].points`);
    if (new Set(f.points.map((p) => p.id)).size !== f.points.length) throw new RangeError(`formatLegacyTracks: frames[${i}] repeats an object id`);
  });
  if (frames.length === 0) return "There are none.";
  const { width, height } = opts;
  if (opts.initialPoints) return occlusionTrackText(frames, opts.initialPoints, width, height);
  const style = opts.style ?? "per_frame";
  if (style === "per_frame") {
    const out: string[] = [];
    for (const f of frames) {
      const visible = f.points.filter((p) => !p.occluded).sort((a, b) => a.id - b.id);
      if (visible.length === 0) continue;
      const pairs = visible.map((p) => {
        const [x, y] = norm(p, width, height);
        return `${p.id}: [${x}, ${y}]`;
      });
      out.push(`time ${pyFixed(f.time, 2)}`, `{${pairs.join(", ")}}`);
    }
    return out.join("\n");
  }
  if (style === "start_end") {
    // Occluded points count here too, as in the reference.
    const objects = new Map<number, Array<{ time: string; p: { x: number; y: number } }>>();
    for (const f of frames) {
      for (const p of f.points) {
        const list = objects.get(p.id) ?? [];
        list.push({ time: pyFixed(f.time, 2), p });
        objects.set(p.id, list);
      }
    }
    const out: string[] = [];
    for (const [id, list] of objects) {
      if (list.length < 2) continue;
      const sorted = list.map((e, k) => ({ ...e, k })).sort((a, b) => Number(a.time) - Number(b.time) || a.k - b.k);
      const first = sorted[0];
      const last = sorted[sorted.length - 1];
      const [fx, fy] = norm(first.p, width, height);
      const [lx, ly] = norm(last.p, width, height);
      out.push(`${id}: ([${fx}, ${fy}, ${first.time}], [${lx}, ${ly}, ${last.time}])`);
    }
    return out.join("\n");
  }
  if (style === "single_point") {
    const out: string[] = [];
    for (const f of frames.slice(1)) {
      if (f.points.length === 0) continue;
      const p = f.points.find((q) => q.id === 0);
      if (!p) throw new RangeError("formatLegacyTracks: single_point style needs object id 0 in every non-empty frame after the first (the reference raises KeyError)");
      if (p.occluded) continue;
      const [x, y] = norm(p, width, height);
      out.push(`[${x}, ${y}, ${pyFixed(f.time, 2)}]`);
    }
    return out.join(", ");
  }
  throw new RangeError(`unknown legacy track style '${String(style)}'`);
}

