// Read side of the /models page on top of the registry (lib/services/models.ts): the headline benchmark numbers
// of each version, its promotion decision in one sentence, a per-metric comparison of two versions, and training
// curves decimated for plotting (with a since-step form for live appends). Writes go through the registry's rules;
// the page's admin actions below only add a staleness check and the evidence of a promotion by hand.
import { z } from "zod";
import type { Db } from "../db";
import type { Actor } from "../auth/roles";
import { badRequest, conflict, notFound } from "./errors";
import {
  getModelVersion, listModelVersions, listSnapshots, listTrainingRuns, MODEL_STATUSES, promotedVersion, promoteVersion, retireVersion, versionName,
  type ModelVersionView, type SnapshotView, type TrainingRunView,
} from "./models";

/** The benchmark columns of the versions table, in display order, with the key names an evaluation may use. */
export const HEADLINE_METRICS = [
  { key: "pointF1", label: "Point F1", aliases: ["pointF1", "point_f1", "f1", "F1"] },
  { key: "pointHota", label: "Point HOTA", aliases: ["pointHota", "point_hota", "HOTA", "hota"] },
  { key: "countAcc", label: "Counting acc", aliases: ["countAcc", "countAccuracy", "count_acc", "countingAccuracy", "countCorrect"] },
  { key: "closeAcc", label: "Close acc", aliases: ["closeAcc", "close_acc", "closeAccuracy", "countClose"] },
] as const;
export type HeadlineKey = (typeof HEADLINE_METRICS)[number]["key"];

/** Display names of the other numbers an evaluation report stores. */
const METRIC_LABELS: Record<string, string> = {
  f1: "Point F1", f1PerObject: "Point F1, own-object masks", ceilingF1: "Point F1 ceiling (ground truth's own score)", HOTA: "Point HOTA", countAccuracy: "Counting acc", closeAccuracy: "Close acc", precision: "Precision", recall: "Recall",
  examples: "Examples", seconds: "Evaluation time (s)",
};

/** The promotion decision in a form the page states in one sentence. */
export interface Decision {
  promoted: boolean | null;
  manual: boolean;
  reason: string | null;
  against: string | null;
}

export interface VersionRow extends ModelVersionView {
  /** Every finite number at the top level of the metrics record or under its `overall` object. */
  numbers: Record<string, number>;
  headline: Record<HeadlineKey, number | null>;
  decision: Decision;
  snapshotName: string | null;
}

export interface ComparisonRow {
  key: string;
  label: string;
  a: number | null;
  b: number | null;
  /** b − a. */
  delta: number | null;
}

export interface VersionComparison {
  a: VersionRow;
  b: VersionRow;
  /** Both were evaluated on the same frozen benchmark split (equal benchmark hashes): the numbers are comparable. */
  sameBenchmark: boolean;
  rows: ComparisonRow[];
}

/** Curves of one run: metric name → [step, value] sorted by step; a non-finite value travels as null (JSON). */
export interface RunCurves {
  runId: number;
  series: Record<string, Array<[number, number | null]>>;
  /** Points per series before decimation. */
  counts: Record<string, number>;
  /** Highest step with a stored point (the `since` of the next live fetch). */
  lastStep: number;
}

export interface ModelsOverview {
  versions: VersionRow[];
  runs: TrainingRunView[];
  snapshots: SnapshotView[];
  promoted: string | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Every finite number of a metrics record: top-level numbers, then `overall.*` (wins on a clash), then the
 * per-source summaries of an evaluation report as `<source>:<name>` (e.g. `synth:f1`, `tasks:HOTA`).
 */
export function numericMetrics(m: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  const take = (o: Record<string, unknown>, prefix = "") => {
    for (const [k, v] of Object.entries(o)) if (typeof v === "number" && Number.isFinite(v)) out[prefix + k] = v;
  };
  take(m);
  if (isRecord(m.overall)) take(m.overall);
  if (isRecord(m.bySource)) for (const [src, o] of Object.entries(m.bySource)) if (isRecord(o)) take(o, `${src}:`);
  return out;
}

export function headlineOf(numbers: Record<string, number>): Record<HeadlineKey, number | null> {
  const out = {} as Record<HeadlineKey, number | null>;
  for (const h of HEADLINE_METRICS) {
    const alias = h.aliases.find((a) => a in numbers);
    out[h.key] = alias === undefined ? null : numbers[alias]!;
  }
  return out;
}

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/** Reads the decision out of the registry's comparison record (tolerant to its exact key names). */
export function decisionOf(c: Record<string, unknown>): Decision {
  const raw = c.promoted ?? c.promote;
  const word = str(c.decision);
  const promoted = typeof raw === "boolean" ? raw : word ? /^promot/.test(word) : null;
  const against = str(c.against) ?? str(c.againstVersion) ?? str(c.currentVersion) ?? str(c.previous) ?? (isRecord(c.current) ? str(c.current.version) : null);
  return { promoted, manual: c.manual === true, reason: str(c.reason) ?? str(c.message), against };
}

function row(v: ModelVersionView, snapshots: ReadonlyMap<number, string>): VersionRow {
  const numbers = numericMetrics(v.metrics);
  // The per-example scores stay in the registry (CLI / version JSON): the page needs the summaries only, and a
  // benchmark of hundreds of examples per version would bloat every page load.
  const { perExample: _dropped, ...metrics } = v.metrics;
  return { ...v, metrics, numbers, headline: headlineOf(numbers), decision: decisionOf(v.comparison), snapshotName: v.snapshotId === null ? null : snapshots.get(v.snapshotId) ?? `#${v.snapshotId}` };
}

const snapshotNames = (s: readonly SnapshotView[]) => new Map(s.map((x) => [x.id, x.name || `snapshot #${x.id}`]));

/** Everything the /models page shows on load. */
export async function modelsOverview(db: Db): Promise<ModelsOverview> {
  const [versions, runs, snapshots] = await Promise.all([listModelVersions(db), listTrainingRuns(db, { limit: 100 }), listSnapshots(db)]);
  const names = snapshotNames(snapshots);
  const rows = versions.map((v) => row(v, names));
  return { versions: rows, runs, snapshots, promoted: rows.find((v) => v.status === "promoted")?.version ?? null };
}

export async function versionRow(db: Db, version: string): Promise<VersionRow> {
  const v = await getModelVersion(db, version);
  const s = v.snapshotId === null ? null : await db.datasetSnapshot.findUnique({ where: { id: v.snapshotId }, select: { id: true, name: true } });
  return row(v, snapshotNames(s ? [{ id: s.id, name: s.name } as SnapshotView] : []));
}

/** One benchmark example as the version detail lists it (from the stored evaluation report). */
export interface ExampleRow {
  id: string;
  source: string;
  expression: string;
  f1: number | null;
  HOTA: number | null;
  gtCount: number | null;
  predCount: number | null;
  countCorrect: boolean | null;
  countClose: boolean | null;
}

export interface VersionDetail {
  version: VersionRow;
  /** Source (synth / tasks / …) → its numbers. */
  bySource: Record<string, Record<string, number>>;
  /** Worst point F1 first (examples without F1 last). */
  examples: ExampleRow[];
  evaluatedAt: string | null;
  engine: string | null;
}

const numOrNull = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
const boolOrNull = (v: unknown) => (typeof v === "boolean" ? v : null);

/** A version with its per-source numbers and per-example scores (what the versions table leaves out). */
export async function versionDetail(db: Db, version: string): Promise<VersionDetail> {
  const v = await getModelVersion(db, version);
  const row = await versionRow(db, version);
  const m = v.metrics;
  const bySource: VersionDetail["bySource"] = {};
  if (isRecord(m.bySource)) {
    for (const [src, o] of Object.entries(m.bySource)) if (isRecord(o)) bySource[src] = numericMetrics(o);
  }
  const examples: ExampleRow[] = (Array.isArray(m.perExample) ? m.perExample : []).filter(isRecord).map((e) => ({
    id: str(e.id) ?? "?", source: str(e.source) ?? "", expression: str(e.expression) ?? "",
    f1: numOrNull(e.f1), HOTA: numOrNull(e.HOTA), gtCount: numOrNull(e.gtCount), predCount: numOrNull(e.predCount),
    countCorrect: boolOrNull(e.countCorrect), countClose: boolOrNull(e.countClose),
  }));
  examples.sort((a, b) => (a.f1 ?? Infinity) - (b.f1 ?? Infinity) || a.id.localeCompare(b.id));
  return { version: row, bySource, examples, evaluatedAt: str(m.evaluatedAt), engine: str(m.engine) };
}

/** Per-metric comparison of two versions: the headline metrics first, then every other number either one has. */
export async function compareVersions(db: Db, a: string, b: string): Promise<VersionComparison> {
  if (a === b) throw badRequest("b: pick two different versions to compare");
  const [va, vb] = await Promise.all([versionRow(db, a), versionRow(db, b)]);
  const rows: ComparisonRow[] = [];
  const add = (key: string, label: string, x: number | null, y: number | null) => rows.push({ key, label, a: x, b: y, delta: x === null || y === null ? null : y - x });
  const seen = new Set<string>();
  for (const h of HEADLINE_METRICS) {
    add(h.key, h.label, va.headline[h.key], vb.headline[h.key]);
    for (const alias of h.aliases) seen.add(alias);
  }
  // Overall numbers first, then per source; within a group the headline metrics in table order, then the rest.
  const order = ["f1", "HOTA", "countAccuracy", "closeAccuracy"];
  const rank = (k: string) => {
    const i = k.indexOf(":");
    const name = i < 0 ? k : k.slice(i + 1);
    const r = order.indexOf(name);
    return [i < 0 ? "" : k.slice(0, i), r < 0 ? order.length : r, name] as const;
  };
  const byRank = (x: string, y: string) => {
    const [sx, rx, nx] = rank(x);
    const [sy, ry, ny] = rank(y);
    return sx.localeCompare(sy) || rx - ry || nx.localeCompare(ny);
  };
  for (const k of [...new Set([...Object.keys(va.numbers), ...Object.keys(vb.numbers)])].filter((k) => !seen.has(k)).sort(byRank)) {
    const [src, name] = k.includes(":") ? [k.slice(0, k.indexOf(":")), k.slice(k.indexOf(":") + 1)] : [null, k];
    add(k, src === null ? METRIC_LABELS[name] ?? name : `${src} · ${METRIC_LABELS[name] ?? name}`, va.numbers[k] ?? null, vb.numbers[k] ?? null);
  }
  return { a: va, b: vb, sameBenchmark: va.benchmarkHash !== null && va.benchmarkHash === vb.benchmarkHash, rows };
}

/**
 * A run's curves (only steps after `sinceStep` when given, for live appends), each at most about `maxPoints`
 * points. A long series is decimated inside SQLite — per step bucket its first point and the points of its lowest
 * and highest value, plus the last point — so a 20 000-step run never materialises 100 000 rows in JS, and a loss
 * spike never disappears from the plot.
 */
export async function runCurves(db: Db, runId: number, opts: { sinceStep?: number; maxPoints?: number } = {}): Promise<RunCurves> {
  if (!(await db.trainingRun.findUnique({ where: { id: runId }, select: { id: true } }))) throw notFound(`training run #${runId}`);
  const since = opts.sinceStep ?? -1;
  const max = Math.max(4, opts.maxPoints ?? 2000);
  const stats = await db.trainingMetric.groupBy({
    by: ["name"],
    where: { runId, step: { gt: since } },
    _count: { _all: true },
    _min: { step: true },
    _max: { step: true },
  });
  const series: RunCurves["series"] = {};
  const counts: Record<string, number> = {};
  let lastStep = since;
  const short = stats.filter((g) => g._count._all <= max).map((g) => g.name);
  if (short.length) {
    const rows = await db.trainingMetric.findMany({ where: { runId, name: { in: short }, step: { gt: since } }, orderBy: [{ name: "asc" }, { step: "asc" }], select: { name: true, step: true, value: true } });
    for (const r of rows) (series[r.name] ??= []).push([r.step, Number.isFinite(r.value) ? r.value : null]);
  }
  for (const g of stats) {
    counts[g.name] = g._count._all;
    lastStep = Math.max(lastStep, g._max.step ?? since);
    if (g._count._all > max) series[g.name] = await decimatedSeries(db, runId, g.name, since, g._min.step!, g._max.step!, max);
  }
  return { runId, series: Object.fromEntries(Object.entries(series).sort(([a], [b]) => a.localeCompare(b))), counts, lastStep };
}

/** SQL side of `runCurves`: bucket = ⌊(step − lo) · B / (hi − lo + 1)⌋ over B = ⌊(max − 1) / 3⌋ buckets of steps. */
async function decimatedSeries(db: Db, runId: number, name: string, since: number, lo: number, hi: number, max: number): Promise<Array<[number, number | null]>> {
  const buckets = Math.max(1, Math.floor((max - 1) / 3));
  const span = hi - lo + 1;
  // SQLite returns the bare columns (step / value) of the row that holds the MIN() / MAX() of each group. The
  // parameters arrive as REAL: cast them, or the division is not an integer bucket.
  type Row = { step: number | bigint; value: number };
  const pick = (agg: "first" | "min" | "max") =>
    agg === "first"
      ? db.$queryRaw<Row[]>`SELECT MIN(step) AS step, value FROM TrainingMetric WHERE runId = ${runId} AND name = ${name} AND step > ${since} GROUP BY ((step - CAST(${lo} AS INTEGER)) * CAST(${buckets} AS INTEGER)) / CAST(${span} AS INTEGER)`
      : agg === "min"
        ? db.$queryRaw<Row[]>`SELECT step, MIN(value) AS value FROM TrainingMetric WHERE runId = ${runId} AND name = ${name} AND step > ${since} GROUP BY ((step - CAST(${lo} AS INTEGER)) * CAST(${buckets} AS INTEGER)) / CAST(${span} AS INTEGER)`
        : db.$queryRaw<Row[]>`SELECT step, MAX(value) AS value FROM TrainingMetric WHERE runId = ${runId} AND name = ${name} AND step > ${since} GROUP BY ((step - CAST(${lo} AS INTEGER)) * CAST(${buckets} AS INTEGER)) / CAST(${span} AS INTEGER)`;
  const last = await db.trainingMetric.findUniqueOrThrow({ where: { runId_name_step: { runId, name, step: hi } }, select: { value: true } });
  const points = new Map<number, number>([[hi, last.value]]);
  for (const rows of await Promise.all([pick("first"), pick("min"), pick("max")])) for (const r of rows) points.set(Number(r.step), r.value);
  return [...points].sort((a, b) => a[0] - b[0]).map(([x, y]) => [x, Number.isFinite(y) ? y : null]);
}

// ---------------------------------------------------------------------------------------------------------------
// Admin actions from the page: the registry's promote/retire, guarded against acting on a stale view (the page
// sends the status it showed; a different current state is a 409 carrying the current row) and, for a promotion
// by hand, recording the evidence the registry keeps for every decision.

export const pageActionBody = z
  .object({
    /** The version's status as the page showed it. */
    expectedStatus: z.enum(MODEL_STATUSES).optional(),
    /** The promoted version as the page showed it (null: none). */
    expectedPromoted: z.string().nullable().optional(),
    note: z.string().trim().max(2000).default(""),
  })
  .strict();
export type PageActionBody = z.input<typeof pageActionBody>;

async function checkFresh(db: Db, version: string, body: z.infer<typeof pageActionBody>): Promise<{ row: VersionRow; current: VersionRow | null }> {
  const row = await versionRow(db, version);
  const cur = await promotedVersion(db);
  const current = cur ? await versionRow(db, cur.version) : null;
  if (body.expectedStatus !== undefined && body.expectedStatus !== row.status) {
    throw conflict(`model version '${version}' is now ${row.status} (the page showed ${body.expectedStatus}); reload and decide again`, row);
  }
  if (body.expectedPromoted !== undefined && body.expectedPromoted !== (current?.version ?? null)) {
    throw conflict(`the promoted version is now ${current ? `'${current.version}'` : "none"} (the page showed ${body.expectedPromoted === null ? "none" : `'${body.expectedPromoted}'`}); reload and decide again`, current);
  }
  return { row, current };
}

/**
 * Promotion by hand. Overriding the benchmark — the version was rejected, or it scores a lower point F1 than the
 * promoted one, or either has no point F1 on the same frozen split — needs a note saying why.
 */
export async function promoteByHand(db: Db, actor: Actor, version: string, input: PageActionBody): Promise<VersionRow> {
  const body = pageActionBody.parse(input);
  const { row, current } = await checkFresh(db, version, body);
  if (row.status === "promoted") return row;
  const f1 = row.headline.pointF1;
  const curF1 = current?.headline.pointF1 ?? null;
  const comparable = current !== null && row.benchmarkHash !== null && row.benchmarkHash === current.benchmarkHash && f1 !== null && curF1 !== null;
  const override = row.status === "rejected" || (current !== null && (!comparable || (f1 as number) < (curF1 as number)));
  if (override && body.note === "") {
    const why = row.status === "rejected" ? "it was rejected by the benchmark" : !comparable ? `it has no point F1 comparable with '${current!.version}' on the same frozen split` : `its point F1 ${fmt(f1)} is below '${current!.version}' (${fmt(curF1)})`;
    throw badRequest(`note: say why you promote '${version}' by hand — ${why}`);
  }
  const deltas: Record<string, { candidate: number | null; current: number | null; delta: number | null }> = {};
  for (const h of HEADLINE_METRICS) {
    const a = row.headline[h.key];
    const b = current?.headline[h.key] ?? null;
    deltas[h.key] = { candidate: a, current: b, delta: a === null || b === null ? null : a - b };
  }
  const reason = body.note !== "" ? body.note : current ? `promoted by hand by ${actor.username}: point F1 ${fmt(f1)} vs ${fmt(curF1)} of '${current.version}'` : `promoted by hand by ${actor.username}: no version was promoted`;
  await promoteVersion(db, actor, version, {
    manual: true, decision: "promoted", promoted: true, by: actor.username, reason, against: current?.version ?? null,
    sameBenchmark: comparable, metrics: deltas, at: new Date().toISOString(),
  });
  return versionRow(db, version);
}

/** Retire by hand (retiring the promoted version leaves none promoted: the demo/default model serves). */
export async function retireByHand(db: Db, actor: Actor, version: string, input: PageActionBody): Promise<VersionRow> {
  const body = pageActionBody.parse(input);
  await checkFresh(db, version, body);
  await retireVersion(db, actor, version);
  return versionRow(db, version);
}

/** A :version path segment: the registry's version-name rule, or a 400 naming the parameter. */
export function versionParam(raw: string): string {
  const r = versionName.safeParse(raw);
  if (!r.success) throw badRequest(`version: ${JSON.stringify(raw)} is not a version name (1-64 characters from A-Z a-z 0-9 . _ -)`);
  return r.data;
}

const fmt = (v: number | null) => (v === null ? "—" : (v * 100).toFixed(1));
