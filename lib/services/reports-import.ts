// Importing a prediction file as a PredictionSet (POST /api/reports/predictions). Each item is one (video,
// expression): a MolmoPoint-TrackAny example (JSON; optional `masks` in the Molmo2-VideoTrackEval layout
// [{object_id, masks: [RLE | null per frame]}]) or Molmo2 `<tracks>` text, read by lib/formats with the video's
// size / fps / frame count from the database. Nothing is written unless every item is valid; errors name the
// item and the field.
import { z } from "zod";
import type { Db } from "../db";
import type { Actor } from "../auth/roles";
import { importTracks } from "../formats";
import { parseRle, RleError, rleFromUncompressed, type CocoRle } from "../masks/rle";
import { audit } from "./audit";
import { badRequest } from "./errors";
import { serializeKeyframes } from "./reports-data";

/** Upper bound of all items' content together (characters). */
export const MAX_IMPORT_CHARS = 20 * 1024 * 1024;
export const MAX_IMPORT_ITEMS = 5000;

export const importPredictionsSchema = z.object({
  name: z.string().trim().min(1, { error: "required" }).max(200),
  format: z.enum(["trackany", "molmo2"], { error: "expected trackany or molmo2" }),
  engine: z.string().max(200).default(""),
  items: z
    .array(
      z.object({
        /** Defaults: TrackAny `video` (video name) / the `<tracks>` label or TrackAny `expression` (text). */
        videoId: z.number().int().positive().optional(),
        expressionId: z.number().int().positive().optional(),
        content: z.string().min(1, { error: "empty" }),
      }),
    )
    .min(1, { error: "at least one item is required" })
    .max(MAX_IMPORT_ITEMS, { error: `at most ${MAX_IMPORT_ITEMS} per import` }),
});
export type ImportPredictionsBody = z.infer<typeof importPredictionsSchema>;

const rleSchema = z.object({
  size: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
  counts: z.union([z.string(), z.array(z.number().int().nonnegative())]),
});
const masksSchema = z.array(z.object({ object_id: z.union([z.string(), z.number()]), masks: z.array(rleSchema.nullable()) }));

export interface ImportedSet {
  id: number;
  name: string;
  tracks: number;
  expressions: number;
  warnings: string[];
}

interface PendingTrack {
  videoId: number;
  expressionId: number;
  objectKey: number;
  keyframes: string;
  masks: string | null;
}

function fail(where: string, detail: string): Error {
  return badRequest(`${where}: ${detail}`, { item: where });
}

/** Peeks at the TrackAny example for the video name / expression text when the ids are not given. */
function trackAnyHints(content: string, where: string): { video?: string; expression?: string } {
  let v: unknown;
  try {
    v = JSON.parse(content);
  } catch (e) {
    throw fail(`${where}.content`, `not valid JSON: ${(e as Error).message}`);
  }
  if (v && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    return { video: typeof o.video === "string" ? o.video : undefined, expression: typeof o.expression === "string" ? o.expression : undefined };
  }
  throw fail(`${where}.content`, "expected one TrackAny example (a JSON object)");
}

export async function importPredictionSet(db: Db, actor: Actor, input: ImportPredictionsBody): Promise<ImportedSet> {
  const total = input.items.reduce((s, i) => s + i.content.length, 0);
  if (total > MAX_IMPORT_CHARS) throw badRequest(`items: ${total} characters of content; the limit is ${MAX_IMPORT_CHARS}`);
  const pending: PendingTrack[] = [];
  const warnings: string[] = [];
  const seenExpressions = new Map<number, number>();
  for (let i = 0; i < input.items.length; i++) {
    const item = input.items[i];
    const where = `items[${i}]`;
    const hints = input.format === "trackany" ? trackAnyHints(item.content, where) : {};
    // Video.
    let video;
    if (item.videoId !== undefined) {
      video = await db.video.findUnique({ where: { id: item.videoId } });
      if (!video) throw fail(`${where}.videoId`, `no video #${item.videoId}`);
    } else if (hints.video !== undefined) {
      const found = await db.video.findMany({ where: { name: hints.video } });
      if (found.length === 0) throw fail(`${where}.content.video`, `no video named ${JSON.stringify(hints.video)}`);
      if (found.length > 1) throw fail(`${where}.content.video`, `${found.length} videos are named ${JSON.stringify(hints.video)}; pass videoId`);
      video = found[0];
    } else throw fail(`${where}.videoId`, "required (the content does not name its video)");
    // Tracks, read with the video's geometry.
    const res = importTracks(input.format, item.content, {
      fileName: `${where}.content`, width: video.width, height: video.height, fps: video.fps, frameCount: video.frameCount, source: "propagated",
    });
    if (!res.ok) throw badRequest(res.error.message, { item: where, ...(res.error.field ? { field: res.error.field } : {}), ...(res.error.line ? { line: res.error.line } : {}), ...(res.error.path ? { path: res.error.path } : {}) });
    const set = res.value;
    warnings.push(...res.warnings.map((w) => `${where}: ${w}`));
    if (set.video.width !== video.width || set.video.height !== video.height) {
      throw fail(`${where}.content.width`, `${set.video.width}x${set.video.height} does not match video #${video.id} (${video.width}x${video.height})`);
    }
    if (set.video.frameCount !== video.frameCount) throw fail(`${where}.content.n_frames`, `${set.video.frameCount} does not match video #${video.id} (${video.frameCount} frames)`);
    // Expression.
    let expression;
    if (item.expressionId !== undefined) {
      expression = await db.expression.findUnique({ where: { id: item.expressionId } });
      if (!expression || expression.videoId !== video.id) throw fail(`${where}.expressionId`, `no expression #${item.expressionId} on video #${video.id}`);
    } else {
      const text = hints.expression ?? set.expression;
      if (text === undefined) throw fail(`${where}.expressionId`, "required (the content names no expression)");
      const found = await db.expression.findMany({ where: { videoId: video.id, text } });
      if (found.length !== 1) throw fail(`${where}.content.expression`, `${found.length === 0 ? "no" : found.length} expression(s) ${JSON.stringify(text)} on video #${video.id}; pass expressionId`);
      expression = found[0];
    }
    const prev = seenExpressions.get(expression.id);
    if (prev !== undefined) throw fail(`${where}`, `expression #${expression.id} is already given by items[${prev}]`);
    seenExpressions.set(expression.id, i);
    // Object keys: integer object ids as they are, otherwise the position.
    const keyOf = new Map<string, number>();
    const numeric = set.objects.every((o) => /^(0|[1-9][0-9]*)$/.test(o.objectId));
    set.objects.forEach((o, k) => keyOf.set(o.objectId, numeric ? Number(o.objectId) : k));
    // Masks (TrackAny only, carried in `extra.masks`).
    const masksByObject = new Map<string, Record<string, CocoRle>>();
    const rawMasks = set.extra?.masks;
    if (rawMasks !== undefined) {
      const m = masksSchema.safeParse(rawMasks);
      if (!m.success) throw fail(`${where}.content.masks.${m.error.issues[0].path.join(".")}`, m.error.issues[0].message);
      m.data.forEach((t, ti) => {
        const id = String(t.object_id);
        if (!keyOf.has(id)) throw fail(`${where}.content.masks[${ti}].object_id`, `${JSON.stringify(id)} is not in mask_id`);
        const out: Record<string, CocoRle> = {};
        t.masks.forEach((rle, frame) => {
          if (!rle) return;
          const field = `${where}.content.masks[${ti}].masks[${frame}]`;
          if (frame >= video.frameCount) throw fail(field, `frame ${frame} is beyond the video's ${video.frameCount} frames`);
          if (rle.size[0] !== video.height || rle.size[1] !== video.width) throw fail(`${field}.size`, `[${rle.size.join(", ")}] is not [height, width] = [${video.height}, ${video.width}]`);
          try {
            parseRle(rle);
            out[String(frame)] = typeof rle.counts === "string" ? { size: rle.size, counts: rle.counts } : rleFromUncompressed(rle);
          } catch (e) {
            if (e instanceof RleError) throw fail(`${field}.counts`, e.message);
            throw e;
          }
        });
        masksByObject.set(id, out);
      });
    }
    for (const o of set.objects) {
      const masks = masksByObject.get(o.objectId);
      pending.push({ videoId: video.id, expressionId: expression.id, objectKey: keyOf.get(o.objectId)!, keyframes: serializeKeyframes(o.keyframes), masks: masks ? JSON.stringify(masks) : null });
    }
  }
  const created = await db.$transaction(async (tx) => {
    const s = await tx.predictionSet.create({ data: { name: input.name, source: "import", engine: input.engine || `${input.format}-file`, createdById: actor.id } });
    if (pending.length) await tx.predictedTrack.createMany({ data: pending.map((p) => ({ ...p, predictionSetId: s.id })) });
    await audit(tx, actor.id, "predictions.import", "PredictionSet", s.id, { name: input.name, format: input.format, tracks: pending.length, expressions: seenExpressions.size });
    return s;
  });
  return { id: created.id, name: created.name, tracks: pending.length, expressions: seenExpressions.size, warnings };
}
