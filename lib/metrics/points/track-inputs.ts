// Reading tracking ground truth and predictions for `groundtrack eval tracks`, validated with zod.
// Ground truth: Molmo2-VideoTrackEval rows (points per object per frame + COCO RLE masks) or
// MolmoPoint-TrackAny rows (frame_trajectories, optionally with masks in the VideoTrackEval layout).
// Predictions: JSON tracks or Molmo2 text (parsed by lib/grounding/text `extractTracks`).
import { z } from "zod";
import { extractTracks } from "../../grounding/text";
import { mergeRuns, parseRle, RleError, type RleRuns } from "../../masks/rle";
import type { ObjectMasks, TrackFrame, TrackGroundTruth, TrackPoint } from "./types";

/** Bad input, located: the record (0-based index, and 1-based line for JSONL) and the field path. */
export class TrackInputError extends Error {
  override name = "TrackInputError";
  constructor(
    message: string,
    readonly record?: number,
    readonly field?: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

export interface InputRecord {
  value: unknown;
  index: number;
  /** 1-based line in a JSONL file. */
  line?: number;
}

/** A JSON array, `{videos: [...]}`, a single JSON object, or JSON Lines. */
export function readRecords(text: string): InputRecord[] {
  let whole: unknown;
  let wholeError: Error | null = null;
  try {
    whole = JSON.parse(text);
  } catch (e) {
    wholeError = e as Error;
  }
  if (!wholeError) {
    if (Array.isArray(whole)) return whole.map((value, index) => ({ value, index }));
    if (whole && typeof whole === "object" && Array.isArray((whole as { videos?: unknown }).videos)) {
      return ((whole as { videos: unknown[] }).videos).map((value, index) => ({ value, index }));
    }
    if (whole && typeof whole === "object") return [{ value: whole, index: 0 }];
    throw new TrackInputError("expected a JSON array of records, {\"videos\": [...]}, a JSON object or JSON Lines");
  }
  const lines = text.split(/\r?\n/);
  const out: InputRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    try {
      out.push({ value: JSON.parse(lines[i]), index: out.length, line: i + 1 });
    } catch (e) {
      if (out.length === 0 && i === firstNonEmpty(lines)) {
        throw new TrackInputError(`not JSON (${wholeError.message}) and not JSON Lines (line ${i + 1}: ${(e as Error).message})`, undefined, undefined, i + 1);
      }
      throw new TrackInputError(`line ${i + 1} is not valid JSON: ${(e as Error).message}`, out.length, undefined, i + 1);
    }
  }
  return out;
}

function firstNonEmpty(lines: string[]): number {
  return lines.findIndex((l) => l.trim() !== "");
}

const Id = z.union([z.string(), z.number()]);
const Xy = z.tuple([z.number(), z.number()]);
const Rle = z.object({
  size: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
  counts: z.union([z.string(), z.array(z.number())]),
});
// A frame's mask: one RLE, or (Molmo2 `ann_to_mask`) a list of RLE parts merged by union.
const FrameMask = z.union([Rle, z.array(Rle).min(1)]);
const MaskTracks = z.array(z.object({ object_id: Id, masks: z.array(FrameMask.nullable()) }));

const VideoTrackEvalRow = z.object({
  id: Id,
  fps: z.number().positive(),
  w: z.number().int().positive(),
  h: z.number().int().positive(),
  mask_id: z.array(Id),
  points: z.array(z.object({ object_id: Id, points: z.array(Xy.nullable()) })),
  masks: MaskTracks.optional(),
});

const TrackAnyRow = z.object({
  id: Id,
  fps: z.number().positive(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  frame_trajectories: z.array(
    z.object({
      frame: z.number().int().nonnegative(),
      time: z.number().optional(),
      points: z.array(z.object({ id: Id, point: Xy, occluded: z.boolean().optional() })),
    }),
  ),
  mask_id: z.array(Id).optional(),
  masks: MaskTracks.optional(),
});

export interface GtVideo {
  id: string;
  fps: number;
  gt: TrackGroundTruth;
  /** Distinct GT objects with at least one point in the evaluated frames. */
  objectCount: number;
}

function zodFail(error: z.ZodError, rec: InputRecord): TrackInputError {
  const issue = error.issues[0];
  const field = issue.path.map(String).join(".") || "(record)";
  return new TrackInputError(`${field}: ${issue.message}`, rec.index, field, rec.line);
}

/** The row's masks (if any) and, per GT point index, the position of its object's mask in that list. */
function gtMasks(
  rowMasks: z.infer<typeof MaskTracks> | null | undefined,
  rec: InputRecord,
  indexOfObject: ReadonlyMap<string, number>,
): { masks: ObjectMasks[] | null; maskIndexOfId: Map<number, number> | undefined } {
  if (!rowMasks) return { masks: null, maskIndexOfId: undefined };
  const m = masksFrom(rowMasks, rec);
  const maskIndexOfId = new Map<number, number>();
  for (const [objectId, i] of indexOfObject) {
    const at = m.indexOf.get(objectId);
    if (at !== undefined) maskIndexOfId.set(i, at);
  }
  return { masks: m.masks, maskIndexOfId };
}

function masksFrom(tracks: z.infer<typeof MaskTracks>, rec: InputRecord): { masks: ObjectMasks[]; indexOf: Map<string, number> } {
  // Python dict semantics: a repeated object_id keeps its first position and takes the last value.
  const indexOf = new Map<string, number>();
  const masks: ObjectMasks[] = [];
  tracks.forEach((t, i) => {
    const byFrame = new Map<number, RleRuns>();
    t.masks.forEach((m, frame) => {
      if (!m) return;
      try {
        byFrame.set(frame, Array.isArray(m) ? mergeRuns(m.map((part) => parseRle(part))) : parseRle(m));
      } catch (e) {
        if (e instanceof RleError) {
          const field = `masks.${i}.masks.${frame}`;
          throw new TrackInputError(`${field}: ${e.message}`, rec.index, field, rec.line);
        }
        throw e;
      }
    });
    const key = String(t.object_id);
    const entry = { objectId: key, byFrame };
    const at = indexOf.get(key);
    if (at === undefined) {
      indexOf.set(key, masks.length);
      masks.push(entry);
    } else masks[at] = entry;
  });
  return { masks, indexOf };
}

/**
 * One GT video. VideoTrackEval rows keep Molmo2's sampling: a frame is evaluated iff it has a point
 * and `frame % floor(fps / samplingFps) == 0`; point ids are positions in `mask_id`.
 * TrackAny rows use their (already sampled) `frame_trajectories`; occluded points are not GT.
 */
export function gtVideoFromRecord(rec: InputRecord, opts: { samplingFps: number }): GtVideo {
  const v = rec.value;
  if (v && typeof v === "object" && "frame_trajectories" in v) return trackAnyVideo(rec);
  const parsed = VideoTrackEvalRow.safeParse(v);
  if (!parsed.success) throw zodFail(parsed.error, rec);
  const row = parsed.data;
  const step = Math.floor(row.fps / opts.samplingFps);
  if (!(step >= 1)) throw new TrackInputError(`fps ${row.fps} is below the sampling fps ${opts.samplingFps}`, rec.index, "fps", rec.line);
  const idxOfObject = new Map<string, number>();
  row.mask_id.forEach((m, i) => idxOfObject.set(String(m), i));
  const perFrame = new Map<number, TrackPoint[]>();
  row.points.forEach((obj, oi) => {
    const idx = idxOfObject.get(String(obj.object_id));
    if (idx === undefined) {
      throw new TrackInputError(`points.${oi}.object_id: ${JSON.stringify(obj.object_id)} is not in mask_id`, rec.index, `points.${oi}.object_id`, rec.line);
    }
    obj.points.forEach((p, frame) => {
      if (!p) return;
      const list = perFrame.get(frame) ?? [];
      const existing = list.findIndex((q) => q.id === idx);
      const pt = { id: idx, x: p[0], y: p[1] };
      if (existing >= 0) list[existing] = pt; // dict assignment: same key keeps its place
      else list.push(pt);
      perFrame.set(frame, list);
    });
  });
  const frames: TrackFrame[] = [...perFrame.entries()]
    .filter(([frame]) => frame % step === 0)
    .sort((a, b) => a[0] - b[0])
    .map(([frame, points]) => ({ frame, points }));
  const { masks, maskIndexOfId } = gtMasks(row.masks, rec, idxOfObject);
  return { id: String(row.id), fps: row.fps, gt: { width: row.w, height: row.h, frames, masks, maskIndexOfId }, objectCount: countObjects(frames) };
}

function trackAnyVideo(rec: InputRecord): GtVideo {
  const parsed = TrackAnyRow.safeParse(rec.value);
  if (!parsed.success) throw zodFail(parsed.error, rec);
  const row = parsed.data;
  const idOf = new Map<string, number>();
  row.mask_id?.forEach((m, i) => idOf.set(String(m), i));
  const idFor = (raw: string | number, field: string): number => {
    const key = String(raw);
    const known = idOf.get(key);
    if (known !== undefined) return known;
    if (row.mask_id) throw new TrackInputError(`${field}: ${JSON.stringify(raw)} is not in mask_id`, rec.index, field, rec.line);
    if (typeof raw === "number" && Number.isInteger(raw) && raw >= 0) return raw;
    const next = idOf.size;
    idOf.set(key, next);
    return next;
  };
  const frames: TrackFrame[] = [];
  const seenFrames = new Set<number>();
  row.frame_trajectories.forEach((f, fi) => {
    if (seenFrames.has(f.frame)) throw new TrackInputError(`frame_trajectories.${fi}.frame: frame ${f.frame} appears twice`, rec.index, `frame_trajectories.${fi}.frame`, rec.line);
    seenFrames.add(f.frame);
    const points: TrackPoint[] = [];
    f.points.forEach((p, pi) => {
      if (p.occluded) return;
      const field = `frame_trajectories.${fi}.points.${pi}.id`;
      const id = idFor(p.id, field);
      if (points.some((q) => q.id === id)) throw new TrackInputError(`${field}: object ${JSON.stringify(p.id)} appears twice in frame ${f.frame}`, rec.index, field, rec.line);
      points.push({ id, x: p.point[0], y: p.point[1] });
    });
    if (points.length) frames.push({ frame: f.frame, points });
  });
  frames.sort((a, b) => a.frame - b.frame);
  const { masks, maskIndexOfId } = gtMasks(row.masks, rec, idOf);
  return { id: String(row.id), fps: row.fps, gt: { width: row.width, height: row.height, frames, masks, maskIndexOfId }, objectCount: countObjects(frames) };
}

function countObjects(frames: readonly TrackFrame[]): number {
  const ids = new Set<number>();
  for (const f of frames) for (const p of f.points) ids.add(p.id);
  return ids.size;
}

const JsonPrediction = z.object({
  frames: z.array(
    z.object({
      frame: z.number().int().nonnegative(),
      time: z.number().optional(),
      points: z.array(z.object({ id: z.number().int(), x: z.number(), y: z.number() })),
    }),
  ),
});
const PredictionRecord = z.object({
  id: Id.optional(),
  example_id: Id.optional(),
  prediction: z.string().optional(),
  frames: z.unknown().optional(),
});

export interface PredVideo {
  id: string;
  frames: TrackFrame[];
  source: "json" | "text";
}

/**
 * One prediction record: `{id | example_id, prediction: "<Molmo2 text>"}` or
 * `{id | example_id, frames: [{frame, points: [{id, x, y}]}]}`. Text is parsed with the GT video's
 * width, height and fps exactly as Molmo2's tracking evaluator does (`extract_tracks`).
 */
export function predVideoFromRecord(rec: InputRecord, gtById: ReadonlyMap<string, GtVideo>): PredVideo {
  const parsed = PredictionRecord.safeParse(rec.value);
  if (!parsed.success) throw zodFail(parsed.error, rec);
  const r = parsed.data;
  const rawId = r.example_id ?? r.id;
  if (rawId === undefined) throw new TrackInputError("id: a prediction needs `id` or `example_id`", rec.index, "id", rec.line);
  const id = String(rawId);
  const gt = gtById.get(id);
  if (!gt) throw new TrackInputError(`${r.example_id !== undefined ? "example_id" : "id"}: no ground-truth video with id ${JSON.stringify(id)}`, rec.index, "id", rec.line);
  if (typeof r.prediction === "string") return { id, frames: textPrediction(r.prediction, gt, rec, "prediction"), source: "text" };
  if (r.frames === undefined) throw new TrackInputError("a prediction needs `prediction` (Molmo2 text) or `frames` (JSON tracks)", rec.index, "prediction", rec.line);
  const j = JsonPrediction.safeParse({ frames: r.frames });
  if (!j.success) throw zodFail(j.error, rec);
  j.data.frames.forEach((f, fi) => {
    const ids = new Set<number>();
    f.points.forEach((p, pi) => {
      if (ids.has(p.id)) throw new TrackInputError(`frames.${fi}.points.${pi}.id: track ${p.id} appears twice in frame ${f.frame}`, rec.index, `frames.${fi}.points.${pi}.id`, rec.line);
      ids.add(p.id);
    });
  });
  return { id, frames: j.data.frames.map((f) => ({ frame: f.frame, points: f.points })), source: "json" };
}

/** Molmo2 text → frames with the GT video's geometry; a parse failure names the record and offset. */
export function textPrediction(text: string, gt: GtVideo, rec: InputRecord | null, field: string): TrackFrame[] {
  const res = extractTracks(text, { width: gt.gt.width, height: gt.gt.height, fps: gt.fps });
  if (!res.ok) {
    const at = res.error.offset !== undefined ? ` at offset ${res.error.offset}` : "";
    throw new TrackInputError(`${field}: cannot parse Molmo2 text${at}: ${res.error.message}`, rec?.index, field, rec?.line);
  }
  return res.value.map((f) => ({ frame: f.frame, points: f.points }));
}
