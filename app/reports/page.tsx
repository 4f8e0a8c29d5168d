// /reports — benchmark reports (reviewer/admin): pick ground truth and prediction sets, see point F1 / HOTA /
// counting / J&F per domain, video and expression, the HOTA-vs-alpha chart and per-annotator agreement on gold
// tasks; export CSV / JSON. Server-rendered; the only client-side behaviour is the browser's own forms.
import { redirect } from "next/navigation";
import { getDb } from "../../lib/db";
import { listProjects } from "../../lib/services/catalog";
import { ServiceError } from "../../lib/services/errors";
import { buildReport, listDomains, listPredictionSets, parseReportQuery, type ExampleResult, type Report, type ReportQuery, type SummaryRow } from "../../lib/services/reports";
import { annotatorAgreement, type Agreement } from "../../lib/services/reports-agreement";
import { importPredictionSet, importPredictionsSchema } from "../../lib/services/reports-import";
import { Denied, Shell } from "../_components/shell";
import { actionActor, pageAuth } from "../_server/page-auth";
import { HotaChart, SERIES_COLORS } from "./hota-chart";
import styles from "./reports.module.css";

export const dynamic = "force-dynamic";

type SearchParams = Record<string, string | string[] | undefined>;

/** ×100 with one decimal, like the paper's tables; "—" when undefined. */
function pct(v: number | null | undefined): string {
  return v === null || v === undefined || Number.isNaN(v) ? "—" : (v * 100).toFixed(1);
}

/** The URL query for a report (for export links and redirects). */
function queryString(q: ReportQuery, extra: Record<string, string> = {}): string {
  const p = new URLSearchParams();
  p.set("gt", q.gt);
  if (q.project) p.set("project", String(q.project));
  if (q.domain !== undefined) p.set("domain", q.domain);
  for (const id of q.pred) p.append("pred", String(id));
  p.set("judge", q.judge);
  p.set("radius", String(q.radius));
  p.set("soft", q.soft ? "1" : "0");
  p.set("corrected", q.corrected ? "1" : "0");
  p.set("fps", String(q.fps));
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return p.toString();
}

async function importAction(formData: FormData): Promise<void> {
  "use server";
  const actor = await actionActor(["reviewer", "admin"]);
  let target: string;
  try {
    const file = formData.get("file");
    if (!(file instanceof File) || file.size === 0) throw new ServiceError(400, "bad_request", "file: choose a prediction file");
    const text = await file.text();
    const format = String(formData.get("format") ?? "");
    const ids = (k: string) => {
      const v = String(formData.get(k) ?? "").trim();
      return v === "" ? undefined : Number(v);
    };
    // A TrackAny file may hold one example, a JSON array of examples, or JSON Lines.
    let contents: string[] = [text];
    if (format === "trackany") {
      const trimmed = text.trim();
      if (trimmed.startsWith("[")) {
        try {
          contents = (JSON.parse(trimmed) as unknown[]).map((x) => JSON.stringify(x));
        } catch {
          contents = [text];
        }
      } else if (!trimmed.startsWith("{") || trimmed.includes("\n{")) {
        const lines = trimmed.split(/\r?\n/).filter((l) => l.trim() !== "");
        if (lines.length > 1) contents = lines;
      }
    }
    const input = importPredictionsSchema.parse({
      name: String(formData.get("name") ?? "") || file.name,
      format,
      engine: String(formData.get("engine") ?? ""),
      items: contents.map((content) => ({ content, videoId: ids("videoId"), expressionId: ids("expressionId") })),
    });
    const r = await importPredictionSet(getDb(), actor, input);
    target = `/reports?notice=${encodeURIComponent(`Imported “${r.name}” as set #${r.id}: ${r.tracks} track(s) on ${r.expressions} expression(s).${r.warnings.length ? ` Warnings: ${r.warnings.join("; ")}` : ""}`)}&pred=${r.id}`;
  } catch (err) {
    const msg = err instanceof ServiceError ? err.message : err instanceof Error && "issues" in err ? `${(err as { issues: Array<{ path: PropertyKey[]; message: string }> }).issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}` : "import failed";
    target = `/reports?error=${encodeURIComponent(`Import: ${msg}`)}`;
  }
  redirect(target);
}

function MetricsTable({ caption, rows, showSet, hasJf }: { caption: string; rows: Array<{ group: string; set: string; color: string; row: SummaryRow; all?: boolean }>; showSet: boolean; hasJf: boolean }) {
  return (
    <table className={styles.metrics}>
      <caption className="muted" style={{ textAlign: "left", padding: "0.3rem 0" }}>{caption}</caption>
      <thead>
        <tr>
          <th>{rows[0]?.all === undefined ? "" : ""}</th>
          {showSet && <th>Predictions</th>}
          <th className="num">n</th>
          <th className="num">HOTA</th><th className="num">DetA</th><th className="num">AssA</th><th className="num">HOTA<sub>α</sub></th>
          <th className="num">P</th><th className="num">R</th><th className="num">F1</th>
          <th className="num">Count acc</th><th className="num">Close acc</th>
          {hasJf && <><th className="num">J</th><th className="num">F</th><th className="num">J&amp;F</th></>}
        </tr>
      </thead>
      <tbody>
        {rows.map(({ group, set, color, row, all }, i) => (
          <tr key={i} className={all ? styles.all : undefined}>
            <td className={styles.group}>{group}</td>
            {showSet && <td><span style={{ color }}>■</span> {set}</td>}
            <td className="num">{row.n}</td>
            <td className="num">{pct(row.HOTA)}</td><td className="num">{pct(row.DetA)}</td><td className="num">{pct(row.AssA)}</td><td className="num">{pct(row.HOTA_alphaMean)}</td>
            <td className="num">{pct(row.precision)}</td><td className="num">{pct(row.recall)}</td><td className="num">{pct(row.f1)}</td>
            <td className="num">{pct(row.countCorrect)}</td><td className="num">{pct(row.countClose)}</td>
            {hasJf && <><td className="num">{pct(row.J)}</td><td className="num">{pct(row.F)}</td><td className="num">{pct(row.JF)}</td></>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ExampleTable({ examples, hasJf }: { examples: ExampleResult[]; hasJf: boolean }) {
  return (
    <table className={styles.metrics}>
      <thead>
        <tr>
          <th>Video</th><th>Expression</th><th>Domain</th><th className="num">GT obj</th><th className="num">Pred obj</th>
          <th className="num">HOTA</th><th className="num">DetA</th><th className="num">AssA</th><th className="num">P</th><th className="num">R</th><th className="num">F1</th>
          {hasJf && <th className="num">J&amp;F</th>}
        </tr>
      </thead>
      <tbody>
        {examples.map((e) => (
          <tr key={e.key}>
            <td>{e.videoName}</td>
            <td>“{e.expressionText}”{e.predictionMissing && <span className="muted"> (no prediction)</span>}</td>
            <td>{e.domain}</td>
            <td className="num">{e.gtObjects}</td><td className="num">{e.predObjects}</td>
            <td className="num">{pct(e.scores.HOTA)}</td><td className="num">{pct(e.scores.DetA)}</td><td className="num">{pct(e.scores.AssA)}</td>
            <td className="num">{pct(e.scores.precision)}</td><td className="num">{pct(e.scores.recall)}</td><td className="num">{pct(e.scores.f1)}</td>
            {hasJf && <td className="num">{pct(e.jf?.JF ?? null)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function judgeText(r: Report): string {
  const j = r.judge;
  return j.kind === "mask" ? `point inside the GT mask (${j.molmo2Compat ? "Molmo2 exact" : "corrected pairing"})` : `distance ≤ ${j.radius} px${j.soft ? ", soft HOTA similarity max(0, 1 − d/r)" : ""}`;
}

function ReportView({ report, agreement, q }: { report: Report; agreement: Agreement; q: ReportQuery }) {
  const sets = report.sets;
  const color = (i: number) => SERIES_COLORS[i % SERIES_COLORS.length];
  const hasJf = sets.some((s) => s.overall.JF !== null);
  const domainRows = [
    ...[...new Set(sets.flatMap((s) => s.domains.map((d) => d.label)))].sort().flatMap((d) =>
      sets.flatMap((s, i) => {
        const row = s.domains.find((x) => x.label === d);
        return row ? [{ group: d, set: s.name, color: color(i), row }] : [];
      }),
    ),
    ...sets.map((s, i) => ({ group: "All", set: s.name, color: color(i), row: s.overall, all: true })),
  ];
  const videoRows = [...new Set(sets.flatMap((s) => s.videos.map((v) => v.label)))].sort().flatMap((v) =>
    sets.flatMap((s, i) => {
      const row = s.videos.find((x) => x.label === v);
      return row ? [{ group: v, set: s.name, color: color(i), row }] : [];
    }),
  );
  return (
    <>
      <p className={styles.note}>
        Ground truth: {report.gt.label} — {report.gt.examples} expression(s), frames every {q.fps === 1 ? "second" : `1/${q.fps} s`}. Judge: {judgeText(report)}. Numbers ×100.
        {report.gt.incomplete.length > 0 && <> Left out (not every object accepted): {report.gt.incomplete.map((i) => `${i.videoName} “${i.expressionText}”`).join(", ")}.</>}
      </p>
      <div className={styles.exports}>
        Export: <a href={`/api/reports?${queryString(q, { format: "csv", table: "summary" })}`}>summary.csv</a>
        <a href={`/api/reports?${queryString(q, { format: "csv", table: "alphas" })}`}>alphas.csv</a>
        <a href={`/api/reports?${queryString(q, { format: "csv", table: "agreement" })}`}>agreement.csv</a>
        <a href={`/api/reports?${queryString(q, { format: "json" })}`}>report.json</a>
        <a href={`/api/reports?${queryString(q, { format: "eval-gt" })}`} title="groundtrack eval tracks --gt">eval-gt.jsonl</a>
        {sets.map((s) => (
          <a key={s.id} href={`/api/reports?${queryString({ ...q, pred: [s.id] }, { format: "eval-pred" })}`} title="groundtrack eval tracks --pred">eval-pred #{s.id}.jsonl</a>
        ))}
      </div>
      {report.gt.examples === 0 ? <p className="muted">The ground truth selection holds no complete expression.</p> : sets.length === 0 ? <p className="muted">Pick one or more prediction sets.</p> : (
        <>
          <h2>Per domain</h2>
          <MetricsTable caption="HOTA, DetA, AssA at α = 0.5 (Molmo2); HOTAα = mean over the 19 alphas; P/R/F1 = per-frame point F1; count = distinct predicted tracks vs GT objects." rows={domainRows} showSet hasJf={hasJf} />
          <h2>HOTA vs alpha</h2>
          <HotaChart alphas={report.alphas} series={sets.map((s) => ({ name: s.name, values: s.overall.HOTA_array }))} />
          <h2>Per video</h2>
          <MetricsTable caption="Mean over the video's expressions." rows={videoRows} showSet hasJf={hasJf} />
          <h2>Per expression</h2>
          {sets.map((s, i) => (
            <details key={s.id} className={styles.more} open={sets.length === 1}>
              <summary><span style={{ color: color(i) }}>■</span> {s.name} <span className="muted">({s.source}{s.engine ? ` · ${s.engine}` : ""})</span></summary>
              <ExampleTable examples={s.examples} hasJf={hasJf} />
            </details>
          ))}
        </>
      )}
      <h2>Annotator agreement on gold tasks</h2>
      <p className={styles.note}>
        {agreement.goldTasks} accepted gold task(s). Each annotator&apos;s submitted track on a twin task (same video, same expression text and object key) against the gold track: point F1 within {agreement.radius} px and distance HOTA{agreement.soft ? " (soft)" : ""}.
      </p>
      {agreement.rows.length === 0 ? <p className="muted">No submitted twin tasks of gold tasks yet.</p> : (
        <table className={styles.metrics}>
          <thead><tr><th>Annotator</th><th className="num">Tasks</th><th className="num">Gold points</th><th className="num">P</th><th className="num">R</th><th className="num">F1</th><th className="num">HOTA</th><th className="num">DetA</th><th className="num">AssA</th></tr></thead>
          <tbody>
            {agreement.rows.map((r) => (
              <tr key={r.userId}><td>{r.displayName} <span className="muted">({r.username})</span></td><td className="num">{r.tasks}</td><td className="num">{r.goldPoints}</td>
                <td className="num">{pct(r.precision)}</td><td className="num">{pct(r.recall)}</td><td className="num">{pct(r.f1)}</td><td className="num">{pct(r.HOTA)}</td><td className="num">{pct(r.DetA)}</td><td className="num">{pct(r.AssA)}</td></tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export default async function ReportsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const auth = await pageAuth("/reports", ["reviewer", "admin"]);
  if (!auth.ok) return <Shell actor={auth.actor} title="Reports"><Denied message={auth.message} /></Shell>;
  const sp = await searchParams;
  const db = getDb();
  const [sets, projects, domains] = await Promise.all([listPredictionSets(db), listProjects(db), listDomains(db)]);
  let q: ReportQuery | null = null;
  let error: string | null = typeof sp.error === "string" ? sp.error : null;
  let report: Report | null = null;
  let agreement: Agreement | null = null;
  try {
    q = parseReportQuery(sp);
    [report, agreement] = await Promise.all([buildReport(db, q), annotatorAgreement(db, q)]);
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    error = err.message;
  }
  const cur = q ?? parseReportQuery({});
  return (
    <Shell actor={auth.actor} title="Benchmark reports">
      {error && <p className="error" role="alert">{error}</p>}
      {typeof sp.notice === "string" && <p className="card">{sp.notice}</p>}
      <form method="get" action="/reports" className={`card ${styles.pickers}`}>
        <label>Ground truth
          <select name="gt" defaultValue={cur.gt}>
            <option value="accepted">Accepted human tracks</option>
            {sets.map((s) => <option key={s.id} value={`set:${s.id}`}>Set #{s.id} {s.name}{s.hasMasks ? " (masks)" : ""}</option>)}
          </select>
        </label>
        <label>Project
          <select name="project" defaultValue={cur.project ? String(cur.project) : ""}>
            <option value="">All projects</option>
            {projects.map((p) => <option key={p.id} value={p.id}>{p.name}</option>)}
          </select>
        </label>
        <label>Domain
          <select name="domain" defaultValue={cur.domain ?? ""}>
            <option value="">All domains</option>
            {domains.map((d) => <option key={d} value={d}>{d}</option>)}
          </select>
        </label>
        <label>Judge
          <select name="judge" defaultValue={cur.judge}>
            <option value="auto">auto (mask when GT has masks)</option>
            <option value="mask">point in mask</option>
            <option value="distance">distance</option>
          </select>
        </label>
        <label>Radius (px, distance judge)<input name="radius" type="number" min="0.1" step="any" defaultValue={cur.radius} /></label>
        <label>Sampled frames per second<input name="fps" type="number" min="0.01" step="any" defaultValue={cur.fps} /></label>
        <div className={styles.checks}>
          <input type="hidden" name="soft" value="0" />
          <label><input type="checkbox" name="soft" value="1" defaultChecked={cur.soft} /> soft distance HOTA</label>
          <input type="hidden" name="corrected" value="0" />
          <label><input type="checkbox" name="corrected" value="1" defaultChecked={cur.corrected} /> corrected mask pairing</label>
        </div>
        <fieldset>
          <legend>Predictions</legend>
          {sets.length === 0 ? <span className="muted">No prediction sets yet: import one below or run a model.</span> : sets.map((s) => (
            <label key={s.id}><input type="checkbox" name="pred" value={s.id} defaultChecked={cur.pred.includes(s.id)} /> #{s.id} {s.name} <span className="muted">({s.source}, {s.tracks} tracks)</span></label>
          ))}
        </fieldset>
        <div className={styles.actions}><button className="primary" type="submit">Show report</button></div>
      </form>
      {report && agreement && q && <ReportView report={report} agreement={agreement} q={q} />}
      <h2>Import predictions</h2>
      <form action={importAction} className={`card ${styles.pickers}`}>
        <label>File (TrackAny JSON / JSON Lines, or Molmo2 text)<input type="file" name="file" required /></label>
        <label>Format
          <select name="format" defaultValue="trackany"><option value="trackany">MolmoPoint-TrackAny JSON</option><option value="molmo2">Molmo2 &lt;tracks&gt; text</option></select>
        </label>
        <label>Name<input name="name" placeholder="defaults to the file name" /></label>
        <label>Engine<input name="engine" placeholder="e.g. molmopoint-8b" /></label>
        <label>Video id (Molmo2 text; optional for TrackAny)<input name="videoId" type="number" min="1" /></label>
        <label>Expression id (optional)<input name="expressionId" type="number" min="1" /></label>
        <div className={styles.actions}><button type="submit">Import</button><span className={styles.note}>Also: POST /api/reports/predictions.</span></div>
      </form>
    </Shell>
  );
}
