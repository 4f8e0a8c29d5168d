// Molmo2's module-level `extract_points` / `extract_multi_image_points` / `extract_tracks`
// (olmo/preprocessing/point_formatter.py): try the `<points coords=…>` parser first, then fall back
// to the legacy formats. Wherever the Python reference raises, these return a typed error instead;
// they never throw.
import { legacyMultiImagePoints, legacyPerFrameTracks, legacyPoints, legacySinglePointTracks, legacyStartEndTracks, type LegacyTrackFormat } from "./legacyParser";
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
      const offset = (e as PyException & { offset?: number }).offset;
      return { ok: false, error: offset === undefined ? { message: `reference raises ${e.message}` } : { message: `reference raises ${e.message}`, offset } };
    }
    if (e instanceof Unsupported) return { ok: false, error: { message: `unsupported legacy literal: ${e.message}` } };
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

/** `extract_multi_image_points` with one (width, height) for all images/frames. */
export function extractMultiImagePoints(text: string, opts: ParseSize): Result<FramePoint[]> {
  const bad = checkNumbers({ width: opts.width, height: opts.height });
  if (!bad.ok) return bad;
  return guarded(text, (t) => {
    const unified = unifiedMultiImagePoints(t, opts.width, opts.height);
    if (unified.length) return unified.map((p) => ({ frame: p.frame, x: p.x, y: p.y }));
    return legacyMultiImagePoints(t, opts.width, opts.height) ?? [];
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
