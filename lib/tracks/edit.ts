// Immutable keyframe edits and keyframe navigation for the annotator. Every function returns a new array sorted
// by frame and never mutates its input.
import { TrackSampler, type InterpolationOptions } from "./interpolate";
import type { Keyframe, PointState, KeyframeSource } from "./types";

/** Keyframes sorted by frame (a copy). */
export function sortKeyframes(keyframes: readonly Keyframe[]): Keyframe[] {
  return [...keyframes].sort((a, b) => a.frame - b.frame);
}

export function keyframeAt(keyframes: readonly Keyframe[], frame: number): Keyframe | null {
  return keyframes.find((k) => k.frame === frame) ?? null;
}

/** The nearest keyframe strictly after `frame`, or null. Input order does not matter. */
export function nextKeyframe(keyframes: readonly Keyframe[], frame: number): Keyframe | null {
  let best: Keyframe | null = null;
  for (const k of keyframes) if (k.frame > frame && (!best || k.frame < best.frame)) best = k;
  return best;
}

/** The nearest keyframe strictly before `frame`, or null. Input order does not matter. */
export function previousKeyframe(keyframes: readonly Keyframe[], frame: number): Keyframe | null {
  let best: Keyframe | null = null;
  for (const k of keyframes) if (k.frame < frame && (!best || k.frame > best.frame)) best = k;
  return best;
}

/** Inserts `keyframe`, replacing any keyframe on the same frame. */
export function setKeyframe(keyframes: readonly Keyframe[], keyframe: Keyframe): Keyframe[] {
  return sortKeyframes([...keyframes.filter((k) => k.frame !== keyframe.frame), { ...keyframe }]);
}

/** Removes the keyframe on `frame` (no-op copy when there is none). */
export function removeKeyframe(keyframes: readonly Keyframe[], frame: number): Keyframe[] {
  return sortKeyframes(keyframes.filter((k) => k.frame !== frame));
}

export interface KeyframeEdit {
  x?: number;
  y?: number;
  state?: PointState;
}

/**
 * CVAT-style edit on any frame: an edit on a non-keyframe first copies the interpolated point there and turns it
 * into a keyframe, then applies the change. On a frame where the track is unknown, x and y are required.
 */
export function editAt(
  keyframes: readonly Keyframe[],
  frame: number,
  edit: KeyframeEdit,
  source: KeyframeSource,
  options: InterpolationOptions,
): Keyframe[] {
  const current = new TrackSampler(keyframes, options).at(frame);
  const x = edit.x ?? current?.x;
  const y = edit.y ?? current?.y;
  if (x === undefined || y === undefined) throw new RangeError(`frame ${frame}: the track is unknown here, so x and y are required`);
  return setKeyframe(keyframes, { frame, x, y, state: edit.state ?? current?.state ?? "visible", source });
}
