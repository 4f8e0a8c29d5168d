// Formats that list where an object IS on a grid of frames (dense MOT rows, TrackAny samples, Molmo2 timestamps)
// say nothing explicit about where it is not. Converting to keyframes, an object missing from a grid frame after
// it has appeared gets an `outside` keyframe there, so the shared interpolation never bridges the gap.
import type { Keyframe } from "../tracks/types";

/**
 * `present` must be sorted by frame with unique frames, each a member of `grid` (sorted, unique). Returns the
 * keyframes: every presence, plus an `outside` keyframe (at the last known position, as CVAT copies the shape)
 * on the first grid frame of each absence that follows a presence.
 */
export function keyframesOnGrid(present: readonly Keyframe[], grid: readonly number[]): Keyframe[] {
  const out: Keyframe[] = [];
  let i = 0;
  let last: Keyframe | null = null;
  let absent = false;
  for (const frame of grid) {
    if (i < present.length && present[i].frame === frame) {
      last = present[i++];
      out.push(last);
      absent = false;
    } else if (last && !absent) {
      out.push({ frame, x: last.x, y: last.y, state: "outside", source: last.source });
      absent = true;
    }
  }
  return out;
}
