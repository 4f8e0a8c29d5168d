// Benchmark reports (/reports): ground truth (accepted human tracks, or a stored set such as an imported GT file)
// scored against prediction sets with the Molmo2 point metrics (point P/R/F1, point HOTA/DetA/AssA over 19 alphas,
// counting) and, when both sides carry masks, DAVIS J&F. Tables per expression, per video, per domain.
//
// Exactness: every (video, expression) pair becomes one MolmoPoint-TrackAny GT row (written by lib/formats
// exportTrackAny on the sampling grid) and one JSON prediction record, scored by the same functions
// `groundtrack eval tracks` runs (gtVideoFromRecord + evaluateVideoTracking), so `exportEvalInputs` written to
// files and fed to the CLI print the same numbers (tested).
import { z } from "zod";
import type { Db } from "../db";
import { exportTrackAny } from "../formats/trackany";
import { decodeRle, mergeRuns, type RleRuns } from "../masks/rle";
import { SemiSupervisedSequence } from "../metrics/davis/sequence";
import {
  evaluateVideoTracking,
  gtVideoFromRecord,
  POINT_HOTA_ALPHAS,
  scoreVideoCount,
  summarizeCounts,
  type CountScore,
  type GtVideo,
  type PointJudge,
  type TrackFrame,
  type TrackPoint as MetricPoint,
  type VideoTrackingScores,
} from "../metrics/points";
import { interpolateTrack, InvalidTrackError } from "../tracks/interpolate";
import type { Keyframe, TrackSet } from "../tracks/types";
import { badRequest, notFound } from "./errors";
import { parseTrackRow, type ParsedTrack } from "./reports-data";

// ---------------------------------------------------------------------------------------------------------------
// Query

const flag = z
  .union([z.boolean(), z.enum(["1", "0", "true", "false", "on", "off", ""])])
  .transform((v) => v === true || v === "1" || v === "true" || v === "on");
const positiveInt = (name: string) =>
  z.coerce.number({ error: `${name}: expected a positive integer` }).int({ error: `${name}: expected a positive integer` }).positive({ error: `${name}: expected a positive integer` });

/** Report parameters as they arrive in a URL (page searchParams or API query); every field has a default. */
export const reportQuerySchema = z.object({
  /** `accepted` (accepted human tracks) or `set:<id>` (a stored prediction set used as ground truth). */
  gt: z
    .string()
    .regex(/^(accepted|set:[1-9][0-9]*)$/, { error: "gt: expected 'accepted' or 'set:<id>'" })
    .default("accepted"),
  /** Accepted GT only: restrict to one project. */
  project: positiveInt("project").optional(),
  /** Restrict to one domain (a video's domain, else its project's; '(none)' = untagged). */
  domain: z.string().max(200).optional(),
  /** Prediction set ids (repeatable or comma-separated). */
  pred: z.array(positiveInt("pred")).default([]),
  judge: z.enum(["auto", "mask", "distance"], { error: "judge: expected auto, mask or distance" }).default("auto"),
  /** Distance judge radius in pixels. */
  radius: z.coerce.number({ error: "radius: expected a number" }).positive({ error: "radius: must be > 0" }).max(100000).default(20),
  /** Distance judge: soft HOTA similarity max(0, 1 - d/r) (gives a real HOTA-vs-alpha curve). */
  soft: flag.default(true),
  /** Mask judge: fix Molmo2's mask-pairing quirks. */
  corrected: flag.default(false),
  /** GT frames: every floor(fps / samplingFps)-th frame, as Molmo2's *_1fps evaluation sets. */
  fps: z.coerce.number({ error: "fps: expected a number" }).positive({ error: "fps: must be > 0" }).max(1000).default(1),
});
export type ReportQuery = z.infer<typeof reportQuerySchema>;

/** Turns URL parameters (repeated keys allowed) into a validated query; errors name the parameter. */
export function parseReportQuery(params: URLSearchParams | Record<string, string | string[] | undefined>): ReportQuery {
  const get = (k: string): string[] => {
    if (params instanceof URLSearchParams) return params.getAll(k);
    const v = params[k];
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  };
  const one = (k: string) => {
    const v = get(k).filter((s) => s !== "");
    return v.length ? v[v.length - 1] : undefined;
  };
  const raw = {
    gt: one("gt"),
    project: one("project"),
    domain: one("domain"),
    pred: get("pred").flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean),
    judge: one("judge"),
    radius: one("radius"),
    soft: one("soft"),
    corrected: one("corrected"),
    fps: one("fps"),
  };
  const r = reportQuerySchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    const msg = i.message.includes(":") ? i.message : `${i.path.join(".") || "query"}: ${i.message}`;
    throw badRequest(msg);
  }
  return r.data;
}

// ---------------------------------------------------------------------------------------------------------------
// Ground truth

/** One (video, expression) of the ground truth, ready for the point metrics. */
export interface GtExample {
  /** `v<videoId>e<expressionId>`: the `id` of its eval-tracks rows. */
  key: string;
  videoId: number;
  videoName: string;
  expressionId: number;
  expressionText: string;
  domain: string;
  width: number;
  height: number;
  fps: number;
  frameCount: number;
  shotBoundaries: number[];
  /** Evaluated frames. */
  grid: number[];
  /** MolmoPoint-TrackAny row (+ `masks` in the VideoTrackEval layout when known): what `eval tracks --gt` reads. */
  record: Record<string, unknown>;
  gt: GtVideo;
  /** Union of the GT objects' masks per frame (for J&F), or null without masks. */
  unionMasks: Map<number, RleRuns> | null;
}

export interface GroundTruth {
  label: string;
  examples: GtExample[];
  /** Accepted GT: expressions left out because some of their objects have no accepted task. */
  incomplete: Array<{ videoName: string; expressionText: string; missingObjects: number }>;
}

export const NO_DOMAIN = "(none)";

interface VideoRow {
  id: number;
  name: string;
  width: number;
  height: number;
  fps: number;
  frameCount: number;
  shotBoundaries: string;
  domain: string | null;
  project: { domain: string | null };
}

function domainOf(v: VideoRow): string {
  return v.domain ?? v.project.domain ?? NO_DOMAIN;
}

function jsonNumbers(text: string, what: string): number[] {
  const r = z.array(z.number().int()).safeParse(JSON.parse(text));
  if (!r.success) throw badRequest(`${what}: expected a JSON array of integers`);
  return r.data;
}

/** Every `step`-th frame, step = floor(fps / samplingFps) (at least 1): Molmo2's `frame % step == 0` rule. */
export function samplingGrid(frameCount: number, fps: number, samplingFps: number): number[] {
  const step = Math.max(1, Math.floor(fps / samplingFps));
  const out: number[] = [];
  for (let f = 0; f < frameCount; f += step) out.push(f);
  return out;
}

export interface ObjectTrack {
  objectKey: number;
  keyframes: Keyframe[];
  masks: Map<number, RleRuns> | null;
}

export function buildGroundTruthExample(video: VideoRow, expression: { id: number; text: string }, objects: ObjectTrack[], samplingFps: number): GtExample {
  // A boundary at 0 (or past the end) starts no new shot; some rows store [0].
  const shotBoundaries = jsonNumbers(video.shotBoundaries, `video ${video.name}: shotBoundaries`).filter((b) => b > 0 && b < video.frameCount);
  const grid = samplingGrid(video.frameCount, video.fps, samplingFps);
  const sorted = [...objects].sort((a, b) => a.objectKey - b.objectKey);
  const set: TrackSet = {
    video: { width: video.width, height: video.height, fps: video.fps, frameCount: video.frameCount, shotBoundaries, name: video.name },
    expression: expression.text,
    objects: sorted.map((o) => ({ objectId: String(o.objectKey), keyframes: o.keyframes })),
  };
  const key = `v${video.id}e${expression.id}`;
  let exported: string;
  try {
    exported = exportTrackAny(set, { frames: grid });
  } catch (e) {
    if (!(e instanceof InvalidTrackError || e instanceof RangeError)) throw e;
    throw badRequest(`ground truth on ${video.name} “${expression.text}”: ${e.message}`);
  }
  const record: Record<string, unknown> = { id: key, ...(JSON.parse(exported) as Record<string, unknown>) };
  let unionMasks: Map<number, RleRuns> | null = null;
  if (sorted.length > 0 && sorted.every((o) => o.masks !== null)) {
    // VideoTrackEval layout: per object, a list indexed by frame (null = no mask).
    record.masks = sorted.map((o) => {
      const last = Math.max(-1, ...o.masks!.keys());
      const list: Array<{ size: [number, number]; counts: number[] } | null> = new Array(last + 1).fill(null);
      for (const [frame, runs] of o.masks!) list[frame] = { size: [runs.height, runs.width], counts: runs.counts };
      return { object_id: String(o.objectKey), masks: list };
    });
    unionMasks = new Map();
    const frames = new Set(sorted.flatMap((o) => [...o.masks!.keys()]));
    for (const f of frames) {
      const parts = sorted.map((o) => o.masks!.get(f)).filter((m): m is RleRuns => m !== undefined);
      unionMasks.set(f, parts.length === 1 ? parts[0] : mergeRuns(parts));
    }
  }
  const gt = gtVideoFromRecord({ value: record, index: 0 }, { samplingFps });
  return {
    key,
    videoId: video.id,
    videoName: video.name,
    expressionId: expression.id,
    expressionText: expression.text,
    domain: domainOf(video),
    width: video.width,
    height: video.height,
    fps: video.fps,
    frameCount: video.frameCount,
    shotBoundaries,
    grid,
    record,
    gt,
    unionMasks,
  };
}

const videoSelect = {
  id: true, name: true, width: true, height: true, fps: true, frameCount: true, shotBoundaries: true, domain: true, projectId: true,
  project: { select: { domain: true } },
} as const;

/**
 * Accepted ground truth: every expression all of whose objects have an accepted task; an object's track is its
 * observations (keyframes). Expressions with some object not yet accepted are listed in `incomplete`.
 */
async function acceptedGroundTruth(db: Db, q: ReportQuery): Promise<GroundTruth> {
  const tasks = await db.task.findMany({
    where: { status: "accepted", ...(q.project ? { video: { projectId: q.project } } : {}) },
    select: {
      objectId: true,
      expression: { select: { id: true, text: true, objects: { select: { id: true } } } },
      object: { select: { id: true, objectKey: true, observations: { select: { frameIndex: true, x: true, y: true, state: true }, orderBy: { frameIndex: "asc" } } } },
      video: { select: videoSelect },
    },
    orderBy: [{ videoId: "asc" }, { expressionId: "asc" }],
  });
  const byExpression = new Map<number, { video: VideoRow; expression: { id: number; text: string }; all: number[]; objects: Map<number, ObjectTrack> }>();
  for (const t of tasks) {
    if (q.domain !== undefined && domainOf(t.video) !== q.domain) continue;
    let e = byExpression.get(t.expression.id);
    if (!e) {
      e = { video: t.video, expression: { id: t.expression.id, text: t.expression.text }, all: t.expression.objects.map((o) => o.id), objects: new Map() };
      byExpression.set(t.expression.id, e);
    }
    e.objects.set(t.object.id, {
      objectKey: t.object.objectKey,
      keyframes: t.object.observations.map((o) => ({ frame: o.frameIndex, x: o.x, y: o.y, state: o.state as Keyframe["state"], source: "human" })),
      masks: null,
    });
  }
  const examples: GtExample[] = [];
  const incomplete: GroundTruth["incomplete"] = [];
  for (const e of byExpression.values()) {
    const missing = e.all.filter((id) => !e.objects.has(id)).length;
    if (missing) incomplete.push({ videoName: e.video.name, expressionText: e.expression.text, missingObjects: missing });
    else examples.push(buildGroundTruthExample(e.video, e.expression, [...e.objects.values()], q.fps));
  }
  const label = `accepted tracks${q.project ? ` · project #${q.project}` : ""}${q.domain !== undefined ? ` · domain ${q.domain}` : ""}`;
  return { label, examples, incomplete };
}

async function setTracks(db: Db, setId: number, expressionIds?: number[]) {
  return db.predictedTrack.findMany({
    where: { predictionSetId: setId, ...(expressionIds ? { expressionId: { in: expressionIds } } : {}) },
    select: {
      id: true, objectKey: true, keyframes: true, masks: true, videoId: true,
      expression: { select: { id: true, text: true } },
      video: { select: videoSelect },
    },
    orderBy: [{ videoId: "asc" }, { expressionId: "asc" }, { objectKey: "asc" }],
  });
}

/** A stored set (e.g. an imported GT file, possibly with masks) used as ground truth. */
async function setGroundTruth(db: Db, setId: number, q: ReportQuery): Promise<GroundTruth> {
  const set = await db.predictionSet.findUnique({ where: { id: setId } });
  if (!set) throw notFound(`prediction set #${setId}`);
  const rows = await setTracks(db, setId);
  const byExpression = new Map<number, { video: VideoRow; expression: { id: number; text: string }; objects: ObjectTrack[] }>();
  for (const r of rows) {
    if (q.project && r.video.projectId !== q.project) continue;
    if (q.domain !== undefined && domainOf(r.video) !== q.domain) continue;
    let e = byExpression.get(r.expression.id);
    if (!e) byExpression.set(r.expression.id, (e = { video: r.video, expression: r.expression, objects: [] }));
    e.objects.push(parseTrackRow(r, "human"));
  }
  const examples = [...byExpression.values()].map((e) => buildGroundTruthExample(e.video, e.expression, e.objects, q.fps));
  return { label: `set #${set.id} ${set.name}`, examples, incomplete: [] };
}

export async function loadGroundTruth(db: Db, q: ReportQuery): Promise<GroundTruth> {
  return q.gt === "accepted" ? acceptedGroundTruth(db, q) : setGroundTruth(db, Number(q.gt.slice(4)), q);
}

// ---------------------------------------------------------------------------------------------------------------
// Predictions

/** A prediction set's points on one example's grid: visible interpolated points, ordered by objectKey. */
export interface PredExample {
  frames: TrackFrame[];
  /** Distinct predicted objects (the counting prediction). */
  objects: number;
  unionMasks: Map<number, RleRuns> | null;
}

export function predictionOnGrid(example: GtExample, tracks: readonly ParsedTrack[]): PredExample {
  const sorted = [...tracks].sort((a, b) => a.objectKey - b.objectKey);
  const dense = sorted.map((t) => {
    try {
      return interpolateTrack(t.keyframes, { frameCount: example.frameCount, shotBoundaries: example.shotBoundaries });
    } catch (e) {
      if (!(e instanceof InvalidTrackError)) throw e;
      throw badRequest(`${t.trackId ? `PredictedTrack #${t.trackId}` : `object ${t.objectKey}`} on ${example.videoName} “${example.expressionText}”: keyframes: ${e.message}`);
    }
  });
  const frames: TrackFrame[] = [];
  const seen = new Set<number>();
  for (const frame of example.grid) {
    const points: MetricPoint[] = [];
    sorted.forEach((t, i) => {
      const p = dense[i][frame];
      if (p && p.state === "visible") {
        points.push({ id: t.objectKey, x: p.x, y: p.y });
        seen.add(t.objectKey);
      }
    });
    if (points.length) frames.push({ frame, points });
  }
  let unionMasks: Map<number, RleRuns> | null = null;
  if (sorted.some((t) => t.masks !== null)) {
    unionMasks = new Map();
    const all = new Set(sorted.flatMap((t) => (t.masks ? [...t.masks.keys()] : [])));
    for (const f of all) {
      const parts = sorted.map((t) => t.masks?.get(f)).filter((m): m is RleRuns => m !== undefined);
      unionMasks.set(f, parts.length === 1 ? parts[0] : mergeRuns(parts));
    }
  }
  return { frames, objects: seen.size, unionMasks };
}

// ---------------------------------------------------------------------------------------------------------------
// Scoring

export interface JandF {
  J: number;
  F: number;
  JF: number;
  frames: number;
}

/** Column-major COCO mask → row-major 0/1 labels. */
function labels(runs: RleRuns | undefined, height: number, width: number): Uint8Array {
  const out = new Uint8Array(height * width);
  if (!runs) return out;
  if (runs.height !== height || runs.width !== width) throw badRequest(`mask is ${runs.width}x${runs.height}, the video is ${width}x${height}`);
  const col = decodeRle(runs);
  for (let x = 0; x < width; x++) for (let y = 0; y < height; y++) out[y * width + x] = col[x * height + y];
  return out;
}

/**
 * J&F of the expression's foreground (the union of its objects' masks, the Ref-YouTube-VOS / MeViS convention)
 * on the grid frames where the GT has a mask: davis2017 per-frame J (region IoU) and F (boundary F-measure),
 * averaged over frames, J&F = (J + F) / 2.
 */
export function expressionJandF(example: GtExample, pred: Map<number, RleRuns>): JandF | null {
  if (!example.unionMasks) return null;
  const seq = new SemiSupervisedSequence(example.key, 1);
  let frames = 0;
  for (const f of example.grid) {
    const g = example.unionMasks.get(f);
    if (!g) continue;
    seq.addFrame(labels(g, example.height, example.width), labels(pred.get(f), example.height, example.width), example.width, example.height);
    frames++;
  }
  if (frames === 0) return null;
  const [o] = seq.finish();
  return { J: o.J.mean, F: o.F.mean, JF: (o.J.mean + o.F.mean) / 2, frames };
}

export interface ExampleResult {
  key: string;
  videoId: number;
  videoName: string;
  expressionId: number;
  expressionText: string;
  domain: string;
  gtObjects: number;
  /** GT points on the evaluated frames. */
  gtPoints: number;
  predObjects: number;
  predictionMissing: boolean;
  scores: VideoTrackingScores;
  count: CountScore;
  jf: JandF | null;
}

export const METRIC_FIELDS = ["precision", "recall", "f1", "HOTA", "DetA", "AssA", "DetPr", "DetRe", "LocA", "HOTA_alphaMean"] as const;
export type MetricField = (typeof METRIC_FIELDS)[number];

/** Means over a group of examples (the eval-tracks convention: every example weighs the same). */
export interface SummaryRow extends Record<MetricField, number> {
  label: string;
  n: number;
  countCorrect: number;
  countClose: number;
  /** Mean over the examples that have J&F (null when none has). */
  J: number | null;
  F: number | null;
  JF: number | null;
  HOTA_array: number[];
  DetA_array: number[];
  AssA_array: number[];
}

export function summarize(label: string, rows: readonly ExampleResult[]): SummaryRow {
  const n = rows.length;
  const m = (f: (r: ExampleResult) => number) => rows.reduce((s, r) => s + f(r), 0) / n;
  const arr = (k: "HOTA_array" | "DetA_array" | "AssA_array") => POINT_HOTA_ALPHAS.map((_, i) => m((r) => r.scores[k][i]));
  const counts = summarizeCounts(rows.map((r) => ({ gt: r.gtObjects, score: r.count })));
  const withJf = rows.filter((r) => r.jf !== null);
  const jm = (k: "J" | "F" | "JF") => (withJf.length ? withJf.reduce((s, r) => s + r.jf![k], 0) / withJf.length : null);
  const metrics = Object.fromEntries(METRIC_FIELDS.map((k) => [k, m((r) => r.scores[k])])) as Record<MetricField, number>;
  return { label, n, ...metrics, countCorrect: counts.correct, countClose: counts.close, J: jm("J"), F: jm("F"), JF: jm("JF"), HOTA_array: arr("HOTA_array"), DetA_array: arr("DetA_array"), AssA_array: arr("AssA_array") };
}

function groupBy(rows: readonly ExampleResult[], key: (r: ExampleResult) => string): SummaryRow[] {
  const groups = new Map<string, ExampleResult[]>();
  for (const r of rows) {
    const k = key(r);
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([k, rs]) => summarize(k, rs));
}

export interface SetReport {
  id: number;
  name: string;
  source: string;
  engine: string;
  overall: SummaryRow;
  domains: SummaryRow[];
  videos: SummaryRow[];
  examples: ExampleResult[];
}

export interface Report {
  gt: { spec: string; label: string; examples: number; incomplete: GroundTruth["incomplete"] };
  judge: PointJudge;
  samplingFps: number;
  alphas: number[];
  sets: SetReport[];
}

/** The judge the query asks for, checked against the GT (mask needs masks on every example). */
export function chooseJudge(q: ReportQuery, gt: GroundTruth): PointJudge {
  const hasMasks = gt.examples.length > 0 && gt.examples.every((e) => e.gt.gt.masks !== null);
  const kind = q.judge === "auto" ? (hasMasks ? "mask" : "distance") : q.judge;
  if (kind === "mask") {
    if (!hasMasks) throw badRequest("judge: mask needs GT masks on every example; this ground truth has none (use judge=distance)");
    return { kind: "mask", molmo2Compat: !q.corrected };
  }
  return { kind: "distance", radius: q.radius, soft: q.soft };
}

export function scoreExample(example: GtExample, pred: PredExample | null, judge: PointJudge): ExampleResult {
  const frames = pred?.frames ?? [];
  const scores = evaluateVideoTracking(frames, example.gt.gt, judge);
  const predObjects = pred?.objects ?? 0;
  return {
    key: example.key,
    videoId: example.videoId,
    videoName: example.videoName,
    expressionId: example.expressionId,
    expressionText: example.expressionText,
    domain: example.domain,
    gtObjects: example.gt.objectCount,
    gtPoints: example.gt.gt.frames.reduce((s, f) => s + f.points.length, 0),
    predObjects,
    predictionMissing: pred === null,
    scores,
    count: scoreVideoCount(example.gt.objectCount, predObjects),
    jf: pred?.unionMasks ? expressionJandF(example, pred.unionMasks) : null,
  };
}

/** Each set's predictions for the GT examples (null = the set has no track for that expression). */
export async function loadPredictions(db: Db, setId: number, examples: readonly GtExample[]): Promise<{ set: { id: number; name: string; source: string; engine: string }; byKey: Map<string, PredExample | null> }> {
  const set = await db.predictionSet.findUnique({ where: { id: setId }, select: { id: true, name: true, source: true, engine: true } });
  if (!set) throw notFound(`prediction set #${setId}`);
  const rows = await setTracks(db, setId, examples.map((e) => e.expressionId));
  const tracks = new Map<number, ParsedTrack[]>();
  for (const r of rows) tracks.set(r.expression.id, [...(tracks.get(r.expression.id) ?? []), parseTrackRow(r, "propagated")]);
  const byKey = new Map<string, PredExample | null>();
  for (const e of examples) {
    const t = tracks.get(e.expressionId);
    byKey.set(e.key, t ? predictionOnGrid(e, t) : null);
  }
  return { set, byKey };
}

export async function buildReport(db: Db, q: ReportQuery): Promise<Report> {
  const gt = await loadGroundTruth(db, q);
  const judge = chooseJudge(q, gt);
  const sets: SetReport[] = [];
  for (const setId of [...new Set(q.pred)]) {
    const { set, byKey } = await loadPredictions(db, setId, gt.examples);
    const examples = gt.examples.map((e) => scoreExample(e, byKey.get(e.key) ?? null, judge));
    sets.push({
      ...set,
      overall: summarize("all", examples),
      domains: groupBy(examples, (r) => r.domain),
      videos: groupBy(examples, (r) => r.videoName),
      examples,
    });
  }
  return { gt: { spec: q.gt, label: gt.label, examples: gt.examples.length, incomplete: gt.incomplete }, judge, samplingFps: q.fps, alphas: [...POINT_HOTA_ALPHAS], sets };
}

/** The same data as `eval tracks` input files: GT rows (TrackAny + masks) and JSON prediction records. */
export function evalInputs(gt: GroundTruth, preds: ReadonlyMap<string, PredExample | null>): { gt: Record<string, unknown>[]; pred: Array<{ id: string; frames: TrackFrame[] }> } {
  return {
    gt: gt.examples.map((e) => e.record),
    pred: gt.examples.flatMap((e) => {
      const p = preds.get(e.key);
      return p ? [{ id: e.key, frames: p.frames }] : [];
    }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Pickers

export interface PredictionSetSummary {
  id: number;
  name: string;
  source: string;
  engine: string;
  createdAt: string;
  createdBy: string | null;
  tracks: number;
  expressions: number;
  hasMasks: boolean;
}

export async function listPredictionSets(db: Db): Promise<PredictionSetSummary[]> {
  const sets = await db.predictionSet.findMany({
    orderBy: { createdAt: "desc" },
    select: { id: true, name: true, source: true, engine: true, createdAt: true, createdBy: { select: { username: true } }, _count: { select: { tracks: true } } },
  });
  const out: PredictionSetSummary[] = [];
  for (const s of sets) {
    const exprs = await db.predictedTrack.groupBy({ by: ["expressionId"], where: { predictionSetId: s.id } });
    const masked = await db.predictedTrack.count({ where: { predictionSetId: s.id, masks: { not: null } } });
    out.push({
      id: s.id, name: s.name, source: s.source, engine: s.engine, createdAt: s.createdAt.toISOString(), createdBy: s.createdBy?.username ?? null,
      tracks: s._count.tracks, expressions: exprs.length, hasMasks: masked > 0,
    });
  }
  return out;
}

/** Domains in use (video tags, else project tags), plus NO_DOMAIN when some video has none. */
export async function listDomains(db: Db): Promise<string[]> {
  const videos = await db.video.findMany({ select: { domain: true, project: { select: { domain: true } } } });
  return [...new Set(videos.map((v) => v.domain ?? v.project.domain ?? NO_DOMAIN))].sort();
}
