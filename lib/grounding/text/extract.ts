// Molmo2's module-level `extract_points` / `extract_multi_image_points` / `extract_tracks`
// (olmo/preprocessing/point_formatter.py): try the `<points coords=…>` parser first, then fall back
// to the legacy formats. Wherever the Python reference raises, these return a typed error instead;
// they never throw.
import {
  legacyMultiImagePoints,
  legacyOcclusionTracks,
  legacyPerFrameTracks,
  legacyPoints,
  legacySinglePointTracks,
  legacyStartEndTracks,
  type LegacyTrackFormat,
  type OccludableFramePoints,
} from "./legacyParser";
import { PyException } from "./pyCompat";
import { Unsupported } from "./pyLiteral";
import { ok, type FramePoints, type Point2, type Result } from "./types";
import { unifiedMultiImagePoints, unifiedTracks } from "./unifiedParser";

export interface ParseSize {
  width: number;
  height: number;
}

export interface TrackParseOptions extends ParseSize {
  fps: number;
  /** Legacy fallback format (default `video_point_track_per_frame`, what Molmo2's tracking evaluators pass).
   * `null` reproduces the reference's auto-detection, which never succeeds (it raises). */
  legacyFormat?: LegacyTrackFormat | null;
}

function checkNumbers(values: Record<string, number>): Result<null> {
  for (const [k, v] of Object.entries(values)) {
    if (typeof v !== "number" || !Number.isFinite(v)) return { ok: false, error: { message: `${k} must be a finite number, got ${String(v)}` } };
  }
  return ok(null);
}

/** Runs a reference-equivalent computation, turning Python-style exceptions into a typed error. */
function guarded<T>(text: unknown, run: (text: string) => T): Result<T> {
  if (typeof text !== "string") return { ok: false, error: { message: `text must be a string, got ${typeof text}` } };
  try {
    return ok(run(text));
  } catch (e) {
    if (e instanceof PyException) {
      const message = `reference raises ${e.message}`;
      return { ok: false, error: e.offset === undefined ? { message } : { message, offset: e.offset } };
    }
    if (e instanceof Unsupported) return { ok: false, error: { message: `not modelled by this port: ${e.message}` } };
    return { ok: false, error: { message: `internal error: ${e instanceof Error ? e.message : String(e)}` } };
  }
}

/** `extract_points`: pixel (x, y) of every point in the text. */
export function extractPoints(text: string, opts: ParseSize): Result<Point2[]> {
  const bad = checkNumbers({ width: opts.width, height: opts.height });
  if (!bad.ok) return bad;
  return guarded(text, (t) => {
    const unified = unifiedMultiImagePoints(t, opts.width, opts.height);
    if (unified.length) return unified.map((p) => ({ x: p.x, y: p.y }));
    return legacyPoints(t, opts.width, opts.height);
  });
}

/** A point with its frame field: 1-based image index (multi-image) or timestamp in seconds (video). */
export interface FramePoint {
  frame: number;
  x: number;
  y: number;
}

/** Per-image sizes for multi-image answers whose images differ in resolution (image `k` uses `sizes[k-1]`). */
export interface PerImageSizes {
  sizes: ParseSize[];
}

/** `extract_multi_image_points`: one (width, height) for every image/frame, or per-image `sizes`. */
export function extractMultiImagePoints(text: string, opts: ParseSize | PerImageSizes): Result<FramePoint[]> {
  const perImage = "sizes" in opts;
  const sizes = perImage ? opts.sizes : [opts];
  if (!Array.isArray(sizes)) return { ok: false, error: { message: "sizes must be an array" } };
  for (const [i, s] of sizes.entries()) {
    const bad = checkNumbers(perImage ? { [`sizes[${i}].width`]: s.width, [`sizes[${i}].height`]: s.height } : { width: s.width, height: s.height });
    if (!bad.ok) return bad;
  }
  return guarded(text, (t) => {
    const widths = sizes.map((s) => s.width);
    const heights = sizes.map((s) => s.height);
    const unified = perImage ? unifiedMultiImagePoints(t, widths, heights) : unifiedMultiImagePoints(t, widths[0], heights[0]);
    if (unified.length) return unified.map((p) => ({ frame: p.frame, x: p.x, y: p.y }));
    if (!perImage) return legacyMultiImagePoints(t, widths[0], heights[0]) ?? [];
    // The legacy parser multiplies by np.array([w_list, h_list]): only 1 or 2 images broadcast (into nested
    // arrays, not modelled); any other count raises inside its try and yields None, i.e. [].
    const legacy = legacyMultiImagePoints(t, 1, 1);
    if (legacy && legacy.length && (sizes.length === 1 || sizes.length === 2))
      throw new Unsupported("legacy <points t …/> text with 1 or 2 per-image sizes broadcasts into nested arrays in the reference");
    return [];
  });
}

/** Molmo2 `extract_tracks` equivalent: pixel coordinates, frame = round(time*fps). Never throws. */
export function extractTracks(text: string, opts: TrackParseOptions): Result<FramePoints[]> {
  const bad = checkNumbers({ width: opts.width, height: opts.height, fps: opts.fps });
  if (!bad.ok) return bad;
  const legacy = opts.legacyFormat === undefined ? "video_point_track_per_frame" : opts.legacyFormat;
  return guarded(text, (t) => {
    const unified = unifiedTracks(t, opts.width, opts.height, opts.fps);
    if (unified.length) return unified;
    if (legacy === "video_point_track_per_frame") return legacyPerFrameTracks(t, opts.width, opts.height, opts.fps);
    if (legacy === "video_point_ground_start_end") return legacyStartEndTracks(t, opts.width, opts.height, opts.fps);
    if (legacy === "video_single_point_track_per_frame") return legacySinglePointTracks(t, opts.width, opts.height, opts.fps);
    // ObjectTrackingParser.detect_format returns names parse_prediction does not handle, so it always raises.
    throw new PyException("ValueError", "legacy track format auto-detection always fails in the reference (pass legacyFormat)");
  });
}

/** `extract_tracks(…, format="video_point_track_all_frames_with_occlusion")`: `<tracks>` text first (nothing occluded),
 * else the point-tracking `time t\n{id: [x, y(, "yes")]}` format with per-point occlusion. Never throws. */
export function extractPointTracks(text: string, opts: { width: number; height: number; fps: number }): Result<OccludableFramePoints[]> {
  const bad = checkNumbers({ width: opts.width, height: opts.height, fps: opts.fps });
  if (!bad.ok) return bad;
  return guarded(text, (t) => {
    const unified = unifiedTracks(t, opts.width, opts.height, opts.fps);
    if (unified.length) return unified.map((f) => ({ ...f, points: f.points.map((p) => ({ ...p, occluded: false })) }));
    return legacyOcclusionTracks(t, opts.width, opts.height, opts.fps);
  });
}

/** A point with its object/point id: `frame` is the timestamp or image number (single size), or the 0-based image
 * index (per-image sizes). */
export interface IdentifiedPoint {
  id: number;
  frame: number;
  x: number;
  y: number;
}

/** `extract_any_points` (olmo/preprocessing/point_formatter.py, used by the reference's HTML viewers): `<points>` /
 * `<tracks>` text only (no legacy fallback), keeping point ids. Never throws. */
export function extractAnyPoints(text: string, opts: ParseSize | PerImageSizes): Result<IdentifiedPoint[]> {
  const perImage = "sizes" in opts;
  const sizes = perImage ? opts.sizes : [opts];
  if (!Array.isArray(sizes)) return { ok: false, error: { message: "sizes must be an array" } };
  for (const [i, s] of sizes.entries()) {
    const bad = checkNumbers({ [`sizes[${i}].width`]: s.width, [`sizes[${i}].height`]: s.height });
    if (!bad.ok) return bad;
  }
  return guarded(text, (t) => {
    const points = perImage
      ? unifiedMultiImagePoints(t, sizes.map((s) => s.width), sizes.map((s) => s.height))
      : unifiedMultiImagePoints(t, sizes[0].width, sizes[0].height);
    // The text numbers images from 1; the reference switches to 0-based indices for image groups.
    return points.map((p) => ({ id: Number(p.id), frame: perImage ? p.frame - 1 : p.frame, x: p.x, y: p.y }));
  });
}
