// GET /api/reports?gt=accepted|set:<id>&pred=<id>[,<id>…]&project=&domain=&judge=auto|mask|distance&radius=&soft=&
//     corrected=&fps=&format=json|csv|eval-gt|eval-pred&table=summary|alphas|agreement — a benchmark report
// (reviewer/admin). JSON carries everything (report + gold agreement); CSV carries one table, raw values;
// eval-gt / eval-pred are the `groundtrack eval tracks --gt/--pred` files (JSON Lines) of the same data.
import { annotatorAgreement } from "../../../lib/services/reports-agreement";
import { agreementCsv, alphasCsv, CSV_TABLES, summaryCsv, type CsvTable } from "../../../lib/services/reports-csv";
import { buildReport, evalInputs, loadGroundTruth, loadPredictions, parseReportQuery } from "../../../lib/services/reports";
import { badRequest } from "../../../lib/services/errors";
import { route } from "../../_server/route";

export const GET = route(["reviewer", "admin"], async ({ req, db }) => {
  const url = new URL(req.url);
  const format = url.searchParams.get("format") ?? "json";
  if (!["json", "csv", "eval-gt", "eval-pred"].includes(format)) throw badRequest(`format: expected json, csv, eval-gt or eval-pred, got ${JSON.stringify(format)}`);
  const table = (url.searchParams.get("table") ?? "summary") as CsvTable;
  if (!CSV_TABLES.includes(table)) throw badRequest(`table: expected one of ${CSV_TABLES.join(", ")}, got ${JSON.stringify(table)}`);
  const q = parseReportQuery(url.searchParams);
  if (format === "eval-gt" || format === "eval-pred") {
    // The exact inputs of `groundtrack eval tracks` (JSON Lines), so anyone can re-score the report offline.
    const gt = await loadGroundTruth(db, q);
    let rows: unknown[] = gt.examples.map((e) => e.record);
    if (format === "eval-pred") {
      if (q.pred.length !== 1) throw badRequest(`pred: eval-pred exports exactly one prediction set (got ${q.pred.length})`);
      rows = evalInputs(gt, (await loadPredictions(db, q.pred[0], gt.examples)).byKey).pred;
    }
    return new Response(rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : ""), {
      status: 200,
      headers: { "content-type": "application/x-ndjson; charset=utf-8", "content-disposition": `attachment; filename="groundtrack-${format}.jsonl"`, "cache-control": "no-store" },
    });
  }
  if (format === "csv" && table === "agreement") {
    return csv(agreementCsv(await annotatorAgreement(db, q)), "agreement");
  }
  const report = await buildReport(db, q);
  if (format === "csv") return csv(table === "alphas" ? alphasCsv(report) : summaryCsv(report), table);
  const agreement = await annotatorAgreement(db, q);
  return { query: q, report, agreement: { radius: agreement.radius, soft: agreement.soft, goldTasks: agreement.goldTasks, rows: agreement.rows } };
});

function csv(text: string, table: string): Response {
  return new Response(text, {
    status: 200,
    headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="groundtrack-report-${table}.csv"`, "cache-control": "no-store" },
  });
}
