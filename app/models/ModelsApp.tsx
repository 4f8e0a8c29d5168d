"use client";
// The /models page body: training runs (live progress over socket.io `train:progress`, polling as a safety net),
// the selected run's loss and metric curves, the model versions with their frozen-benchmark numbers and promotion
// decision, a side-by-side comparison of two versions with deltas, and the admin actions (promote / retire with a
// confirmation that shows what changes; register an external model).
import { Fragment, useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { io, type Socket } from "socket.io-client";
import type { ClientToServer, ServerToClient, TrainProgressWire } from "../_shared/live-protocol";
import { api, ApiError } from "../_client/api";
import type { TrainingRunView } from "../../lib/services/models";
import type { HeadlineKey, ModelsOverview, RunCurves, VersionComparison, VersionDetail, VersionRow } from "../../lib/services/models-view";
import { CHART_COLORS, LineChart, type LineSeries } from "../_components/charts/LineChart";
import { smoothEma } from "../_components/charts/scale";
import css from "./models.module.css";

/** Same order and labels as the registry view's HEADLINE_METRICS (kept here: that module is server-side). */
const HEADLINE: ReadonlyArray<{ key: HeadlineKey; label: string }> = [
  { key: "pointF1", label: "Point F1" },
  { key: "pointHota", label: "Point HOTA" },
  { key: "countAcc", label: "Counting acc" },
  { key: "closeAcc", label: "Close acc" },
];
/** Metrics where a larger value is better (deltas get a colour); anything else is shown without judgement. */
const HIGHER_IS_BETTER = new Set(["pointF1", "pointHota", "countAcc", "closeAcc", "f1", "precision", "recall", "HOTA", "DetA", "AssA", "countAccuracy", "closeAccuracy"]);
const LOSS_ORDER = ["loss", "loss_patch", "loss_subpatch", "loss_location", "loss_id"];
const OTHER_TITLES: Record<string, string> = { lr: "Learning rate", examples_per_sec: "Throughput (training examples / s)" };
const ACTIVE = new Set(["queued", "running"]);

type Curves = Record<string, Array<[number, number | null]>>;
type Notice = { kind: "info" | "error"; text: string } | null;
interface PendingAction { kind: "promote" | "retire"; version: VersionRow }

const pct = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? "—" : (v * 100).toFixed(1));
/** UTC, minute precision: the same text on the server and in every browser (no hydration mismatch). */
const date = (iso: string | null) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : "—");
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

function duration(run: TrainingRunView, now: number): string {
  if (!run.startedAt) return "—";
  const ms = (run.finishedAt ? Date.parse(run.finishedAt) : now) - Date.parse(run.startedAt);
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** The promotion decision in one sentence. */
function decisionText(v: VersionRow): string {
  const d = v.decision;
  const reason = d.reason ? `: ${d.reason}` : "";
  if (v.status === "promoted") return `${d.manual ? "Promoted by hand" : "Promoted"}${reason}${d.against && !d.reason?.includes(d.against) ? ` (over ${d.against})` : ""}`;
  if (v.status === "rejected" || d.promoted === false) return `Not promoted${reason}${d.against && !d.reason?.includes(d.against) ? ` (vs ${d.against})` : ""}`;
  if (v.status === "retired") return `Retired ${date(v.retiredAt)}${d.reason ? ` — was promoted${reason}` : ""}`;
  if (Object.keys(v.numbers).length === 0) return v.kind === "external" ? "External model: not evaluated on the frozen split yet" : "Not evaluated on the frozen split yet";
  return "Candidate: no promotion decision yet";
}

/** Merges live points (steps after the last known one) into the curves. */
function mergeCurves(prev: Curves, add: Curves): Curves {
  const out: Curves = { ...prev };
  for (const [name, pts] of Object.entries(add)) {
    const cur = out[name] ?? [];
    const last = cur.length ? cur[cur.length - 1]![0] : -Infinity;
    out[name] = [...cur, ...pts.filter((p) => p[0] > last)];
  }
  return out;
}

const toSeries = (curves: Curves, names: readonly string[], colors: Record<string, string>): LineSeries[] =>
  names.map((n) => ({ name: n, color: colors[n], points: (curves[n] ?? []).map(([x, y]) => [x, y === null ? NaN : y] as const) }));

/** Loss series smoothed for reading the trend, with the raw values kept underneath (faint). */
function smoothed(series: LineSeries[], w: number): LineSeries[] {
  if (!(w > 0)) return series;
  return series.flatMap((s) => [{ ...s, name: `${s.name} (raw)`, faint: true }, { ...s, points: smoothEma(s.points, w) }]);
}

function RunCharts({ curves, logLoss, smoothing }: { curves: Curves; logLoss: boolean; smoothing: number }) {
  const names = Object.keys(curves);
  const losses = [...LOSS_ORDER.filter((n) => names.includes(n)), ...names.filter((n) => n.startsWith("loss") && !LOSS_ORDER.includes(n)).sort()];
  const metrics = names.filter((n) => n.startsWith("val_")).sort();
  const other = names.filter((n) => !losses.includes(n) && !metrics.includes(n)).sort();
  const colors: Record<string, string> = {};
  [...losses, ...metrics, ...other].forEach((n, i) => (colors[n] = CHART_COLORS[i % CHART_COLORS.length]!));
  // One step axis for every chart of the run, so a validation point sits under the loss at the same step.
  let lo = Infinity;
  let hi = -Infinity;
  for (const pts of Object.values(curves)) if (pts.length) { lo = Math.min(lo, pts[0]![0]); hi = Math.max(hi, pts[pts.length - 1]![0]); }
  const xExtent = Number.isFinite(lo) ? ([Math.min(0, lo), hi] as const) : undefined;
  const unit = metrics.every((n) => (curves[n] ?? []).every(([, y]) => y === null || (y >= 0 && y <= 1)));
  return (
    <div className={css.charts}>
      <LineChart testId="loss-chart" xExtent={xExtent} title="Training loss (total and per head)" xLabel="step" yLabel="loss" yScale={logLoss ? "log" : "linear"} series={smoothed(toSeries(curves, losses, colors), smoothing)} emptyText="no loss recorded yet" />
      <LineChart testId="metric-chart" xExtent={xExtent} title="Validation metrics" xLabel="step" yLabel="value" yDomain={unit ? [0, 1] : undefined} series={toSeries(curves, metrics, colors)} emptyText="no validation point yet" />
      {/* Learning rate, throughput, …: one chart each (their scales have nothing in common). */}
      {other.map((n) => <LineChart key={n} testId={`chart-${n}`} xExtent={xExtent} title={OTHER_TITLES[n] ?? n} xLabel="step" yLabel={n} series={toSeries(curves, [n], colors)} />)}
    </div>
  );
}

function Comparison({ cmp }: { cmp: VersionComparison }) {
  const max = Math.max(1e-9, ...cmp.rows.flatMap((r) => [r.a ?? 0, r.b ?? 0]).filter((v) => v <= 1));
  const headline = new Set(HEADLINE.map((h) => h.key as string));
  return (
    <>
      {!cmp.sameBenchmark && (
        <p className={css.warn} data-testid="benchmark-warning">
          {cmp.a.version} and {cmp.b.version} were not scored on the same frozen benchmark split ({cmp.a.benchmarkHash?.slice(0, 10) ?? "none"} vs {cmp.b.benchmarkHash?.slice(0, 10) ?? "none"}): the deltas are not a fair comparison.
        </p>
      )}
      <table data-testid="comparison">
        <thead>
          <tr><th>Metric</th><th className="num">{cmp.a.version} (A)</th><th className="num">{cmp.b.version} (B)</th><th className="num">Δ B − A</th></tr>
        </thead>
        <tbody>
          {cmp.rows.map((r) => {
            const unit = (r.a ?? 0) <= 1 && (r.b ?? 0) <= 1;
            const show = (v: number | null) => (v === null ? "—" : unit ? pct(v) : String(Number(v.toPrecision(4))));
            const judged = HIGHER_IS_BETTER.has(r.key.split(":").pop()!) && r.delta !== null && r.delta !== 0;
            const cls = judged ? (r.delta! > 0 ? css.up : css.down) : undefined;
            return (
              <tr key={r.key} data-metric={r.key} style={headline.has(r.key) ? { fontWeight: 600 } : undefined}>
                <td>{r.label}</td>
                <td className="num">{show(r.a)}{unit && r.a !== null && <span className={css.bar} style={{ width: `${(r.a / max) * 60}px` }} />}</td>
                <td className="num">{show(r.b)}{unit && r.b !== null && <span className={`${css.bar} ${css.b}`} style={{ width: `${(r.b / max) * 60}px` }} />}</td>
                <td className={`num ${cls ?? ""}`} data-testid={`delta-${r.key}`}>{r.delta === null ? "—" : `${r.delta > 0 ? "+" : r.delta < 0 ? "−" : "±"}${unit ? pct(Math.abs(r.delta)) : Number(Math.abs(r.delta).toPrecision(4))}`}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted" style={{ fontSize: "0.85rem" }}>Rates ×100. Green: B is better; red: B is worse.</p>
    </>
  );
}

function VersionDetailView({ version, colSpan }: { version: string; colSpan: number }) {
  const [d, setD] = useState<VersionDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [all, setAll] = useState(false);
  useEffect(() => {
    api.modelDetail(version).then(setD).catch((err: unknown) => setError(message(err)));
  }, [version]);
  const shown = d ? (all ? d.examples : d.examples.slice(0, 10)) : [];
  const cmp = d?.version.comparison ?? {};
  return (
    <tr data-testid={`detail-${version}`}>
      <td colSpan={colSpan} style={{ background: "#fafbfd" }}>
        {error && <p className="error">{error}</p>}
        {!d && !error && <p className="muted">Loading…</p>}
        {d && (
          <div style={{ display: "grid", gap: "0.6rem" }}>
            <div className={css.kv}>
              {d.engine && <span>engine <b>{d.engine}</b></span>}
              {d.evaluatedAt && <span>evaluated <b>{date(d.evaluatedAt)} UTC</b></span>}
              {d.version.benchmarkHash && <span>benchmark split <b>{d.version.benchmarkHash.slice(0, 12)}</b></span>}
              {d.version.dir && <span>model dir <b>{d.version.dir}</b></span>}
              {d.version.description && <span>{d.version.description}</span>}
            </div>
            {Object.keys(d.bySource).length > 0 && (
              <table>
                <thead><tr><th>Source</th><th className="num">Examples</th><th className="num">Point F1</th><th className="num">Point HOTA</th><th className="num">Counting acc</th><th className="num">Close acc</th></tr></thead>
                <tbody>
                  {Object.entries(d.bySource).map(([src, n]) => (
                    <tr key={src}><td>{src}</td><td className="num">{n.examples ?? "—"}</td><td className="num">{pct(n.f1)}</td><td className="num">{pct(n.HOTA)}</td><td className="num">{pct(n.countAccuracy)}</td><td className="num">{pct(n.closeAccuracy)}</td></tr>
                  ))}
                </tbody>
              </table>
            )}
            {d.examples.length > 0 ? (
              <table>
                <caption className="muted" style={{ textAlign: "left", fontSize: "0.85rem", padding: "0.2rem 0" }}>Benchmark examples, worst point F1 first ({d.examples.length})</caption>
                <thead><tr><th>Example</th><th>Source</th><th>Expression</th><th className="num">Point F1</th><th className="num">HOTA</th><th className="num">GT / pred count</th><th>Count</th></tr></thead>
                <tbody>
                  {shown.map((e) => (
                    <tr key={e.id}>
                      <td>{e.id}</td><td>{e.source}</td><td>“{e.expression}”</td><td className="num">{pct(e.f1)}</td><td className="num">{pct(e.HOTA)}</td>
                      <td className="num">{e.gtCount ?? "—"} / {e.predCount ?? "—"}</td>
                      <td>{e.countCorrect === null ? "—" : e.countCorrect ? "exact" : e.countClose ? "close" : "wrong"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : <p className="muted">No per-example scores stored for this version.</p>}
            {d.examples.length > 10 && <div><button type="button" onClick={() => setAll((x) => !x)}>{all ? "Show the 10 worst" : `Show all ${d.examples.length}`}</button></div>}
            {Object.keys(cmp).length > 0 && (
              <details>
                <summary className="muted" style={{ cursor: "pointer" }}>Decision record</summary>
                <pre style={{ fontSize: "0.8rem", whiteSpace: "pre-wrap" }}>{JSON.stringify(cmp, null, 2)}</pre>
              </details>
            )}
          </div>
        )}
      </td>
    </tr>
  );
}

function ConfirmDialog({ action, promoted, onDone, onCancel, onStale }: { action: PendingAction; promoted: VersionRow | null; onDone: (v: VersionRow, text: string) => void; onCancel: () => void; onStale: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [note, setNote] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // After a 409 the decision was made on an outdated view: the page reloads behind the dialog, which only closes.
  const [stale, setStale] = useState(false);
  const v = action.version;
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  const f1 = v.headline.pointF1;
  const curF1 = promoted?.headline.pointF1 ?? null;
  const comparable = promoted !== null && promoted.version !== v.version && v.benchmarkHash !== null && v.benchmarkHash === promoted.benchmarkHash && f1 !== null && curF1 !== null;
  const override = action.kind === "promote" && (v.status === "rejected" || (promoted !== null && promoted.version !== v.version && (!comparable || f1! < curF1!)));

  async function confirm(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body = { expectedStatus: v.status as VersionRow["status"], expectedPromoted: promoted?.version ?? null, note };
    try {
      const r = action.kind === "promote" ? await api.promoteModel(v.version, body) : await api.retireModel(v.version, body);
      onDone(r, action.kind === "promote" ? `${v.version} is now the promoted model${promoted && promoted.version !== v.version ? `; ${promoted.version} was retired` : ""}.` : `${v.version} was retired.`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        setStale(true);
        onStale();
      }
      setError(message(err));
      setBusy(false);
    }
  }

  return (
    <dialog ref={ref} className={css.modal} onCancel={onCancel} data-testid="confirm-dialog">
      <form onSubmit={confirm}>
        <h3>{action.kind === "promote" ? `Promote ${v.version}?` : `Retire ${v.version}?`}</h3>
        {action.kind === "promote" ? (
          <>
            <p>It becomes the model the inference service uses by default{promoted && promoted.version !== v.version ? <>, replacing <b>{promoted.version}</b> (which is retired)</> : ""}.</p>
            {promoted && promoted.version !== v.version && (
              <table>
                <thead><tr><th>Metric</th><th className="num">{promoted.version}</th><th className="num">{v.version}</th></tr></thead>
                <tbody>{HEADLINE.map((h) => <tr key={h.key}><td>{h.label}</td><td className="num">{pct(promoted.headline[h.key])}</td><td className="num">{pct(v.headline[h.key])}</td></tr>)}</tbody>
              </table>
            )}
            {override && (
              <p className={css.warn}>
                {v.status === "rejected" ? "The benchmark rejected this version." : !comparable ? `No point F1 comparable with ${promoted!.version} on the same frozen split.` : `Its point F1 (${pct(f1)}) is below ${promoted!.version} (${pct(curF1)}).`} Say why you promote it anyway; the note is kept with the decision.
              </p>
            )}
          </>
        ) : (
          <p>{v.status === "promoted" ? "No version will be promoted afterwards: the inference service falls back to the default built-in model until another version is promoted." : "It stays listed with its metrics but is no longer a candidate."}</p>
        )}
        {action.kind === "promote" && (
          <label style={{ display: "grid", gap: "0.25rem", fontSize: "0.85rem" }}>
            Note {override ? "(required)" : "(optional)"}
            <textarea name="note" value={note} onChange={(e) => setNote(e.target.value)} required={override} placeholder={override ? "why this version should serve despite the benchmark" : "kept with the decision"} />
          </label>
        )}
        {error && <p className="error" role="alert" data-testid="dialog-error">{error}</p>}
        <div className={css.buttons}>
          <button type="button" onClick={onCancel} disabled={busy}>{stale ? "Close" : "Cancel"}</button>
          {!stale && <button type="submit" className="primary" disabled={busy} data-testid="confirm">{action.kind === "promote" ? "Promote" : "Retire"}</button>}
        </div>
      </form>
    </dialog>
  );
}

function StartRun({ snapshots, onStarted }: { snapshots: ModelsOverview["snapshots"]; onStarted: (runId: number) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const num = (k: string) => {
      const v = String(f.get(k) ?? "").trim();
      return v === "" ? undefined : Number(v);
    };
    const version = String(f.get("version") ?? "").trim();
    setBusy(true);
    setError(null);
    try {
      onStarted(await api.startTrainingRun({
        snapshotId: Number(f.get("snapshotId")), steps: num("steps") ?? 0, batchSize: num("batchSize"), lr: num("lr"), seed: num("seed"), checkpointEvery: num("checkpointEvery"), processes: num("processes"),
        ...(version ? { version } : {}),
      }));
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  }
  if (snapshots.length === 0) return <p className="muted">No dataset snapshot yet: build one with <code>npx groundtrack train snapshot</code>.</p>;
  const counts = (c: Record<string, unknown>) => Object.entries(c).map(([split, v]) => `${split} ${typeof v === "object" && v ? Object.values(v as Record<string, number>).reduce((a, b) => a + Number(b), 0) : String(v)}`).join(", ");
  return (
    <form className={`card ${css.form}`} onSubmit={submit} data-testid="start-run">
      <label>Snapshot
        <select name="snapshotId" defaultValue={snapshots[0]!.id}>
          {snapshots.map((x) => <option key={x.id} value={x.id}>#{x.id} {x.name || "(unnamed)"} — {counts(x.counts)}</option>)}
        </select>
      </label>
      <label>Steps<input name="steps" type="number" min="1" required defaultValue={200} /></label>
      <label>Batch size<input name="batchSize" type="number" min="1" defaultValue={4} /></label>
      <label>Learning rate<input name="lr" type="number" min="0" step="any" defaultValue={0.003} /></label>
      <label>Seed<input name="seed" type="number" min="0" defaultValue={0} /></label>
      <label>Checkpoint every (steps)<input name="checkpointEvery" type="number" min="0" defaultValue={50} /></label>
      <label title="Data-parallel training processes, one jax-js thread each; must divide the batch size">Processes<input name="processes" type="number" min="1" max="16" defaultValue={1} /></label>
      <label>Version name<input name="version" placeholder="default tiny-run<id>" /></label>
      <div><button type="submit" className="primary" disabled={busy}>{busy ? "Starting…" : "Start training run"}</button></div>
      {error && <p className="error" role="alert" style={{ gridColumn: "1 / -1" }}>{error}</p>}
    </form>
  );
}

function RegisterExternal({ onDone }: { onDone: (v: VersionRow) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const form = e.currentTarget;
    setBusy(true);
    setError(null);
    try {
      const v = await api.registerExternalModel({ version: String(f.get("version") ?? ""), endpoint: String(f.get("endpoint") ?? ""), model: String(f.get("model") ?? ""), description: String(f.get("description") ?? "") });
      form.reset();
      onDone(v);
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className={`card ${css.form}`} onSubmit={submit} data-testid="register-external">
      <label>Version name<input name="version" required placeholder="molmo2-8b-vllm" /></label>
      <label>Endpoint (OpenAI-compatible)<input name="endpoint" required placeholder="http://127.0.0.1:8000/v1" /></label>
      <label>Served model name<input name="model" required placeholder="allenai/Molmo2-8B" /></label>
      <label>Description<input name="description" placeholder="optional" /></label>
      <div><button type="submit" disabled={busy}>Register external model</button></div>
      {error && <p className="error" role="alert" style={{ gridColumn: "1 / -1" }}>{error}</p>}
    </form>
  );
}

export function ModelsApp({ initial, isAdmin, renderedAt }: { initial: ModelsOverview; isAdmin: boolean; renderedAt: number }) {
  const [data, setData] = useState<ModelsOverview>(initial);
  const [runId, setRunId] = useState<number | null>(() => (initial.runs.find((r) => ACTIVE.has(r.status)) ?? initial.runs[0])?.id ?? null);
  const [curves, setCurves] = useState<Curves>({});
  const [curveCounts, setCurveCounts] = useState<Record<string, number>>({});
  const lastStep = useRef(-1);
  const [logLoss, setLogLoss] = useState(false);
  const [smoothing, setSmoothing] = useState(0);
  const [expanded, setExpanded] = useState<string | null>(null);
  const [live, setLive] = useState<"connecting" | "live" | "offline">("connecting");
  const [notice, setNotice] = useState<Notice>(null);
  const [pending, setPending] = useState<PendingAction | null>(null);
  // Durations of running runs count from the server's render time until the first tick (same text on both sides).
  const [now, setNow] = useState(renderedAt);
  const defaultPair = useMemo(() => {
    const vs = initial.versions;
    const a = vs.find((v) => v.status === "promoted") ?? vs[1] ?? vs[0];
    const b = vs.find((v) => v.version !== a?.version && v.status === "candidate") ?? vs.find((v) => v.version !== a?.version);
    return { a: a?.version ?? "", b: b?.version ?? "" };
  }, [initial]);
  const [pair, setPair] = useState(defaultPair);
  const [cmp, setCmp] = useState<VersionComparison | null>(null);
  const [cmpError, setCmpError] = useState<string | null>(null);

  const run = data.runs.find((r) => r.id === runId) ?? null;
  const promoted = data.versions.find((v) => v.status === "promoted") ?? null;

  const reload = useCallback(async () => {
    try {
      setData(await api.modelsOverview());
    } catch (err) {
      setNotice({ kind: "error", text: `Could not reload: ${message(err)}` });
    }
  }, []);

  // Curves of the selected run: a full (decimated) load on selection, then only the steps after the last one.
  const loadCurves = useCallback(async (id: number, full: boolean) => {
    const r = await api.trainingRun(id, full ? {} : { since: lastStep.current });
    if (full) {
      setCurves(r.curves.series as Curves);
      setCurveCounts(r.curves.counts);
    } else {
      setCurves((c) => mergeCurves(c, r.curves.series as Curves));
      setCurveCounts((c) => {
        const out = { ...c };
        for (const [k, n] of Object.entries(r.curves.counts)) out[k] = (out[k] ?? 0) + n;
        return out;
      });
    }
    lastStep.current = Math.max(full ? -1 : lastStep.current, r.curves.lastStep);
    // A run older than the listed 100 (opened from its version) joins the list so its detail can show.
    setData((d) => ({ ...d, runs: d.runs.some((x) => x.id === id) ? d.runs.map((x) => (x.id === id ? r.run : x)) : [...d.runs, r.run] }));
    return r.run;
  }, []);

  useEffect(() => {
    if (runId === null) return;
    lastStep.current = -1;
    setCurves({});
    loadCurves(runId, true).catch((err: unknown) => setNotice({ kind: "error", text: `Run #${runId}: ${message(err)}` }));
  }, [runId, loadCurves]);

  // Live: every `train:progress` event refreshes the affected run (its row, and its curves when it is shown);
  // a run that ended also reloads the registry (a new candidate or promotion).
  const runIdRef = useRef(runId);
  runIdRef.current = runId;
  const statuses = useRef(new Map<number, string>());
  useEffect(() => {
    for (const r of data.runs) statuses.current.set(r.id, r.status);
  }, [data.runs]);
  const onRunEvent = useCallback((id: number) => {
    const shown = runIdRef.current === id;
    const before = statuses.current.get(id);
    const p = shown ? loadCurves(id, false) : api.trainingRun(id, { since: Number.MAX_SAFE_INTEGER }).then((r) => r.run);
    p.then((r) => {
      // A run that ended may have registered (and promoted) a candidate: reload the registry.
      if (!before || before !== r.status || !ACTIVE.has(r.status)) void reload();
      if (!shown) setData((d) => ({ ...d, runs: d.runs.some((x) => x.id === id) ? d.runs.map((x) => (x.id === id ? r : x)) : [r, ...d.runs] }));
    }).catch(() => {});
  }, [loadCurves, reload]);

  useEffect(() => {
    const s: Socket<ServerToClient, ClientToServer> = io({ transports: ["websocket", "polling"] });
    s.on("connect", () => setLive("live"));
    s.on("disconnect", () => setLive("offline"));
    s.on("connect_error", () => setLive("offline"));
    // The event carries the run's row state: show it at once; the curves and anything else (a new candidate
    // version when the run ends) follow in one coalesced fetch per run per 500 ms.
    const timers = new Map<number, ReturnType<typeof setTimeout>>();
    s.on("train:progress", (e: TrainProgressWire) => {
      setData((d) => ({ ...d, runs: d.runs.map((r) => (r.id === e.runId ? { ...r, status: e.status as TrainingRunView["status"], stage: e.stage, step: e.step, steps: e.steps, loss: e.loss, errorCode: e.errorCode } : r)) }));
      if (timers.has(e.runId)) return;
      timers.set(e.runId, setTimeout(() => { timers.delete(e.runId); onRunEvent(e.runId); }, 500));
    });
    return () => {
      for (const t of timers.values()) clearTimeout(t);
      s.close();
    };
  }, [onRunEvent]);

  // Safety net while something is active: every 3 s without a socket, every 10 s with one (the server relays
  // run rows as events, but a metric row written between two heartbeats moves no row).
  const anyActive = data.runs.some((r) => ACTIVE.has(r.status));
  useEffect(() => {
    if (!anyActive) return;
    const t = setInterval(() => {
      setNow(Date.now());
      const id = runIdRef.current;
      if (id !== null && ACTIVE.has(statuses.current.get(id) ?? "")) onRunEvent(id);
      else void reload();
    }, live === "live" ? 10_000 : 3000);
    return () => clearInterval(t);
  }, [anyActive, onRunEvent, reload, live]);

  useEffect(() => {
    if (!pair.a || !pair.b || pair.a === pair.b) {
      setCmp(null);
      setCmpError(pair.a && pair.a === pair.b ? "Pick two different versions." : null);
      return;
    }
    let cancelled = false;
    api.compareModels(pair.a, pair.b).then((c) => !cancelled && (setCmp(c), setCmpError(null))).catch((err: unknown) => !cancelled && setCmpError(message(err)));
    return () => { cancelled = true; };
  }, [pair, data.versions]);

  const pctDone = run && run.steps > 0 ? Math.min(1, run.step / run.steps) : 0;

  return (
    <div data-testid="models-app">
      {notice && <p className={`${css.notice} ${css[notice.kind]}`} role={notice.kind === "error" ? "alert" : "status"} data-testid="notice">{notice.text}</p>}

      <section className={css.section}>
        <h2>Training runs</h2>
        <div className={css.toolbar}>
          <span className="muted" data-testid="live-status">Live updates: {live === "live" ? "connected" : live === "connecting" ? "connecting…" : "offline (polling)"}</span>
          <button type="button" onClick={() => void reload()}>Refresh</button>
        </div>
        {data.runs.length === 0 ? <p className="muted">No training runs yet. Start one with <code>npx groundtrack train run</code>.</p> : (
          <table className={css.runs} data-testid="runs">
            <thead><tr><th>Run</th><th>Status</th><th>Progress</th><th>Stage</th><th className="num">Loss</th><th>Snapshot</th><th>Candidate</th><th>Started (UTC)</th><th>Duration</th><th>Error</th></tr></thead>
            <tbody>
              {data.runs.map((r) => {
                const done = r.steps > 0 ? Math.min(1, r.step / r.steps) : 0;
                return (
                  <tr key={r.id} className={r.id === runId ? css.selected : undefined} onClick={() => setRunId(r.id)} data-run={r.id} data-status={r.status}>
                    <td><a href={`#run-${r.id}`} onClick={(e) => e.preventDefault()}>#{r.id}</a></td>
                    <td><span className={`badge ${css[`badge-${r.status}`] ?? ""}`}>{r.status}</span></td>
                    <td style={{ whiteSpace: "nowrap" }}>
                      <span className={`${css.progress} ${r.status === "failed" || r.status === "killed" ? css.failed : r.status === "succeeded" ? css.done : ""}`}><i style={{ width: `${(done * 100).toFixed(1)}%` }} /></span>
                      <span data-testid={`run-${r.id}-progress`}>{r.step}/{r.steps}</span>
                    </td>
                    <td>{r.stage || "—"}</td>
                    <td className="num">{r.loss === null ? "—" : Number(r.loss.toPrecision(4))}</td>
                    <td>#{r.snapshotId}</td>
                    <td>{r.candidateVersion ?? "—"}</td>
                    <td>{date(r.startedAt)}</td>
                    <td>{duration(r, now)}</td>
                    <td className={r.errorCode ? "error" : undefined} style={{ maxWidth: "16rem", fontSize: "0.82rem", overflowWrap: "anywhere" }}>{r.errorCode ? `${r.errorCode}: ${r.errorMessage ?? ""}` : "—"}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {run && (
          <div className="card" id={`run-${run.id}`} data-testid="run-detail" data-run={run.id}>
            <div className={css.toolbar}>
              <b>Run #{run.id}</b>
              <span className={`badge ${css[`badge-${run.status}`] ?? ""}`}>{run.status}</span>
              <span>{run.step}/{run.steps} steps ({(pctDone * 100).toFixed(0)} %)</span>
              {run.attempts > 1 && <span className="muted">{run.attempts} attempts (resumed)</span>}
              <label className="inline"><input type="checkbox" checked={logLoss} onChange={(e) => setLogLoss(e.target.checked)} /> log-scale loss</label>
              <label className="inline" title="exponential moving average of the loss (raw values stay faint underneath)">
                smoothing <input type="range" min="0" max="0.99" step="0.01" value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} data-testid="smoothing" /> {smoothing.toFixed(2)}
              </label>
              <span className="muted">{Object.entries(curveCounts).map(([k, n]) => `${k} ${n}`).join(" · ")}</span>
            </div>
            <div className={css.kv}>
              {Object.entries(run.config).map(([k, v]) => v !== null && typeof v === "object"
                ? <span key={k} title={JSON.stringify(v, null, 1)}>{k} <b>{`{${Object.keys(v).length} fields}`}</b></span>
                : <span key={k}>{k} <b>{String(v)}</b></span>)}
            </div>
            {run.errorCode && <p className="error" role="alert">Failed — {run.errorCode}: {run.errorMessage}</p>}
            <RunCharts curves={curves} logLoss={logLoss} smoothing={smoothing} />
          </div>
        )}
      </section>

      <section className={css.section}>
        <h2>Model versions</h2>
        <p className="muted" style={{ fontSize: "0.85rem" }}>
          Scored on the snapshot&apos;s frozen benchmark split (rates ×100). {promoted ? <>Serving: <b data-testid="promoted">{promoted.version}</b>.</> : <span data-testid="promoted">No version promoted: the default built-in model serves.</span>}
        </p>
        {data.versions.length === 0 ? <p className="muted">No model versions registered yet.</p> : (
          <div style={{ overflowX: "auto" }}>
            <table className={css.versions} data-testid="versions">
              <thead>
                <tr>
                  <th>Version</th><th>Status</th>
                  {HEADLINE.map((h) => <th key={h.key} className="num">{h.label}</th>)}
                  <th>Snapshot</th><th>Decision</th>{isAdmin && <th>Actions</th>}
                </tr>
              </thead>
              <tbody>
                {data.versions.map((v) => (
                  <Fragment key={v.id}>
                  <tr className={v.status === "promoted" ? css.promoted : undefined} data-version={v.version} data-status={v.status}>
                    <td title={v.description || undefined}>
                      <button type="button" className={css.link} aria-expanded={expanded === v.version} onClick={() => setExpanded((x) => (x === v.version ? null : v.version))} data-testid={`expand-${v.version}`}>
                        {expanded === v.version ? "▾" : "▸"} <b>{v.version}</b>
                      </button>
                      <div className="muted" style={{ fontSize: "0.8rem" }}>
                        {v.kind}
                        {v.trainingRunId !== null && <> · <a href={`#run-${v.trainingRunId}`} onClick={() => setRunId(v.trainingRunId)}>run #{v.trainingRunId}</a></>}
                        {" "}· {date(v.createdAt)} UTC
                      </div>
                      {v.kind === "external" && <div className="muted" style={{ fontSize: "0.8rem" }}>{v.remoteModel} @ {v.endpoint}</div>}
                    </td>
                    <td><span className={`badge ${css[`badge-${v.status}`] ?? ""}`}>{v.status}</span></td>
                    {HEADLINE.map((h) => <td key={h.key} className="num" data-metric={h.key}>{pct(v.headline[h.key])}</td>)}
                    <td title={v.benchmarkHash ? `benchmark split ${v.benchmarkHash}` : "not evaluated"}>{v.snapshotName ?? "—"}</td>
                    <td className={css.decision}>{decisionText(v)}</td>
                    {isAdmin && (
                      <td>
                        {v.status !== "promoted" && <button type="button" onClick={() => setPending({ kind: "promote", version: v })} data-testid={`promote-${v.version}`}>Promote</button>}{" "}
                        {v.status !== "retired" && <button type="button" onClick={() => setPending({ kind: "retire", version: v })} data-testid={`retire-${v.version}`}>Retire</button>}
                      </td>
                    )}
                  </tr>
                  {expanded === v.version && <VersionDetailView version={v.version} colSpan={isAdmin ? 9 : 8} />}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className={css.section}>
        <h2>Compare versions</h2>
        <div className={css.toolbar}>
          <label className="inline">A <select value={pair.a} onChange={(e) => setPair((p) => ({ ...p, a: e.target.value }))} data-testid="cmp-a">{data.versions.map((v) => <option key={v.id} value={v.version}>{v.version} ({v.status})</option>)}</select></label>
          <label className="inline">B <select value={pair.b} onChange={(e) => setPair((p) => ({ ...p, b: e.target.value }))} data-testid="cmp-b">{data.versions.map((v) => <option key={v.id} value={v.version}>{v.version} ({v.status})</option>)}</select></label>
        </div>
        {cmpError && <p className="error">{cmpError}</p>}
        {cmp && <Comparison cmp={cmp} />}
        {!cmp && !cmpError && <p className="muted">Register at least two versions to compare them.</p>}
      </section>

      {isAdmin && (
        <section className={css.section}>
          <h2>Start a training run</h2>
          <p className="muted" style={{ fontSize: "0.85rem" }}>Trains MolmoPoint-Tiny on the snapshot in its own process, exports and evaluates the candidate on the frozen benchmark split, and promotes it only if its point F1 beats the promoted version.</p>
          <StartRun snapshots={data.snapshots} onStarted={(id) => { setNotice({ kind: "info", text: `Training run #${id} started.` }); void reload().then(() => setRunId(id)); }} />
        </section>
      )}

      {isAdmin && (
        <section className={css.section}>
          <h2>Register an external model</h2>
          <p className="muted" style={{ fontSize: "0.85rem" }}>A checkpoint served elsewhere (e.g. MolmoPoint-8B behind vLLM) becomes a candidate version used through the remote runtime.</p>
          <RegisterExternal onDone={(v) => { setNotice({ kind: "info", text: `Registered ${v.version} (external, candidate).` }); void reload(); }} />
        </section>
      )}

      {pending && (
        <ConfirmDialog
          action={pending}
          promoted={promoted}
          onCancel={() => setPending(null)}
          onStale={() => void reload()}
          onDone={(_v, text) => {
            setPending(null);
            setNotice({ kind: "info", text });
            void reload();
          }}
        />
      )}
    </div>
  );
}
