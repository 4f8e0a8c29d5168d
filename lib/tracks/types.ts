// Domain types of a point track and the neutral in-memory form every import/export format converts to and from.
import { z } from "zod";

/**
 * What is known about the tracked point on a keyframe:
 * - `visible`: the point is in view at (x, y);
 * - `occluded`: the point is in the frame at (x, y) but hidden behind something;
 * - `outside`: the object has left the frame (or the shot); (x, y) is kept only as CVAT does, so that a
 *   following keyframe interpolates from a defined position. Nothing is drawn.
 */
export type PointState = "visible" | "occluded" | "outside";
export const POINT_STATES: readonly PointState[] = ["visible", "occluded", "outside"];

/**
 * Who produced a keyframe: a person, the shared interpolation, a propagator (e.g. SAM2 / point tracker),
 * or a model, tagged with its version (`model:<version>`).
 */
export type KeyframeSource = "human" | "interpolated" | "propagated" | `model:${string}`;

export interface Keyframe {
  /** 0-based frame index in the video. */
  frame: number;
  /** Pixel coordinates in the native video resolution. */
  x: number;
  y: number;
  state: PointState;
  source: KeyframeSource;
}

/** One frame of a dense (interpolated) track. */
export interface TrackPoint {
  frame: number;
  x: number;
  y: number;
  state: PointState;
  /** The keyframe's own source on keyframes; `interpolated` on every other frame. */
  source: KeyframeSource;
  isKeyframe: boolean;
}

export interface VideoInfo {
  width: number;
  height: number;
  /** Native frames per second. */
  fps: number;
  frameCount: number;
  /** Seconds of each frame when not exactly frame / fps (variable frame rate); length frameCount. */
  timestamps?: number[];
  /** Frame indices at which a new shot starts (each in (0, frameCount)); tracks never interpolate across them. */
  shotBoundaries?: number[];
  /** Video file name as referenced by the source format (validated: no path tricks). */
  name?: string;
}

export interface TrackedObject {
  /** Stable identifier of the object within the set (formats with numeric ids use the decimal string). */
  objectId: string;
  label?: string;
  keyframes: Keyframe[];
}

/** The neutral form of a set of point tracks on one video. */
export interface TrackSet {
  video: VideoInfo;
  /** Referring expression the tracks answer, if any. */
  expression?: string;
  objects: TrackedObject[];
  /**
   * Format-specific scalar fields carried through a round trip (e.g. TrackAny `qid`, `anno_id`); keyed by the
   * format's own field names.
   */
  extra?: Record<string, JsonValue>;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

export const keyframeSourceSchema = z.union([
  z.enum(["human", "interpolated", "propagated"]),
  z.custom<`model:${string}`>((v) => typeof v === "string" && /^model:.+$/.test(v), {
    message: "expected 'human', 'interpolated', 'propagated' or 'model:<version>'",
  }),
]);

export const keyframeSchema = z.object({
  frame: z.number().int().nonnegative(),
  x: z.number().finite(),
  y: z.number().finite(),
  state: z.enum(["visible", "occluded", "outside"]),
  source: keyframeSourceSchema,
});

export const trackSetSchema = z.object({
  video: z.object({
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    fps: z.number().positive().finite(),
    frameCount: z.number().int().positive(),
    timestamps: z.array(z.number().finite()).optional(),
    shotBoundaries: z.array(z.number().int().positive()).optional(),
    name: z.string().optional(),
  }),
  expression: z.string().optional(),
  objects: z.array(
    z.object({
      objectId: z.string().min(1),
      label: z.string().optional(),
      keyframes: z.array(keyframeSchema),
    }),
  ),
  extra: z.record(z.string(), jsonValue).optional(),
});
