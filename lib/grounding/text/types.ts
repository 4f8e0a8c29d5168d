// Shared shapes of the Molmo2 text point/track formats.

export type Result<T> = { ok: true; value: T } | { ok: false; error: { message: string; offset?: number } };

/** One video frame of a track set: pixel coordinates, object ids, `frame = round(time * fps)`. */
export interface FramePoints {
  frame: number;
  time: number;
  points: Array<{ id: number; x: number; y: number }>;
}

/** A frame given to the track writer; `occluded` points are skipped exactly like the reference. */
export interface TrackFrameInput {
  time: number;
  points: Array<{ id: number; x: number; y: number; occluded?: boolean }>;
}

/** Pixel point (x right, y down). */
export interface Point2 {
  x: number;
  y: number;
}

/** `html-v1` separates frames/images with a tab (pretraining); `html-v2` with `;` (SFT, released models). */
export type PointingFormat = "html-v1" | "html-v2";

/** `build_point_output` modes of the reference writer. */
export type OutputMode = "point_then_count" | "point_count" | "count_then_point" | "count_point" | "count" | "point" | "pointing";

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}
