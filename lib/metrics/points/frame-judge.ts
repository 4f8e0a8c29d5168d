// Per-frame pairing of GT points with masks, shared by tracking F1 and point HOTA.
import type { RleRuns } from "../../masks/rle";
import type { TrackGroundTruth } from "./types";

/** Molmo2 `load_masks_at_frame`: every object's mask at `frame` in object order (null = empty). */
export function masksAtFrame(gt: TrackGroundTruth, frame: number): Array<RleRuns | null> {
  if (!gt.masks) throw new Error("mask judge needs ground-truth masks, but this video has none (use a distance judge)");
  return gt.masks.map((m) => m.byFrame.get(frame) ?? null);
}

/** The mask of GT object `id` at `frame` (corrected pairing by identity). */
export function maskOfObject(gt: TrackGroundTruth, id: number, frame: number): RleRuns | null {
  if (!gt.masks) throw new Error("mask judge needs ground-truth masks, but this video has none (use a distance judge)");
  const m = gt.masks[gt.maskIndexOfId ? (gt.maskIndexOfId.get(id) ?? -1) : id];
  if (!m) throw new RangeError(`GT point id ${id} has no object in the mask list (${gt.masks.length} objects)`);
  return m.byFrame.get(frame) ?? null;
}

/** Frames by index; a repeated frame index keeps the last entry (Python dict semantics). */
export function byFrame<T extends { frame: number }>(entries: readonly T[]): Map<number, T> {
  const m = new Map<number, T>();
  for (const e of entries) m.set(e.frame, e);
  return m;
}
