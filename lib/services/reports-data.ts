// The stored shape of predicted tracks (PredictionSet / PredictedTrack rows): what the inference service writes
// and what /reports reads. JSON columns are validated here, at the database edge, with errors that name the row.
import { z } from "zod";
import { parseRle, RleError, type CocoRle, type RleRuns } from "../masks/rle";
import type { Keyframe, PointState } from "../tracks/types";
import { badRequest } from "./errors";

/** One stored keyframe of a predicted track: native pixels, 0-based frame. */
export interface PredictedKeyframe {
  frame: number;
  x: number;
  y: number;
  state: PointState;
}

export const predictedKeyframesSchema = z.array(
  z.object({
    frame: z.number().int().nonnegative(),
    x: z.number().finite(),
    y: z.number().finite(),
    state: z.enum(["visible", "occluded", "outside"]),
  }),
);

/** `{"<frame>": COCO RLE}`: one mask per frame (frames without a key have no mask). */
export const predictedMasksSchema = z.record(
  z.string().regex(/^(0|[1-9][0-9]*)$/, { error: "mask keys must be frame indices" }),
  z.object({ size: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]), counts: z.string() }),
);
export type PredictedMasks = Record<string, CocoRle>;

/** Source tags of a prediction set. */
export function isPredictionSource(s: string): boolean {
  return s === "import" || /^model:.+$/.test(s);
}

/** What a PredictedTrack row holds, parsed. */
export interface ParsedTrack {
  /** PredictedTrack row id (for error messages); null for tracks that are not rows (human observations). */
  trackId?: number | null;
  objectKey: number;
  keyframes: Keyframe[];
  /** null when the row stores no masks. */
  masks: Map<number, RleRuns> | null;
}

function rowError(trackId: number, field: string, detail: string): Error {
  return badRequest(`PredictedTrack #${trackId}: ${field}: ${detail}`, { trackId, field });
}

/** Parses a row's JSON columns; keyframes get `source` = the set's source so they read as model output. */
export function parseTrackRow(row: { id: number; objectKey: number; keyframes: string; masks: string | null }, source: Keyframe["source"]): ParsedTrack {
  let raw: unknown;
  try {
    raw = JSON.parse(row.keyframes);
  } catch (e) {
    throw rowError(row.id, "keyframes", `not JSON (${(e as Error).message})`);
  }
  const k = predictedKeyframesSchema.safeParse(raw);
  if (!k.success) throw rowError(row.id, `keyframes.${k.error.issues[0].path.join(".")}`, k.error.issues[0].message);
  let masks: Map<number, RleRuns> | null = null;
  if (row.masks !== null) {
    try {
      raw = JSON.parse(row.masks);
    } catch (e) {
      throw rowError(row.id, "masks", `not JSON (${(e as Error).message})`);
    }
    const m = predictedMasksSchema.safeParse(raw);
    if (!m.success) throw rowError(row.id, `masks.${m.error.issues[0].path.join(".")}`, m.error.issues[0].message);
    masks = new Map();
    for (const [frame, rle] of Object.entries(m.data)) {
      try {
        masks.set(Number(frame), parseRle(rle));
      } catch (e) {
        if (e instanceof RleError) throw rowError(row.id, `masks.${frame}`, e.message);
        throw e;
      }
    }
  }
  return { trackId: row.id, objectKey: row.objectKey, keyframes: k.data.map((p) => ({ ...p, source })), masks };
}

/** Serialises keyframes for the `keyframes` column (sorted by frame, only the stored fields). */
export function serializeKeyframes(keyframes: readonly PredictedKeyframe[]): string {
  return JSON.stringify([...keyframes].sort((a, b) => a.frame - b.frame).map(({ frame, x, y, state }) => ({ frame, x, y, state })));
}
