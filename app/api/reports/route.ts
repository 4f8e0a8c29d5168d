// GET /api/reports?gt=accepted|set:<id>&pred=<id>[,<id>…]&project=&domain=&judge=auto|mask|distance&radius=&soft=&
//     corrected=&fps=&format=json|csv&table=summary|alphas|agreement — a benchmark report (reviewer/admin).
// JSON carries everything (report + gold agreement); CSV carries one table, raw values.
import { annotatorAgreement } from "../../../lib/services/reports-agreement";
import { agreementCsv, alphasCsv, CSV_TABLES, summaryCsv, type CsvTable } from "../../../lib/services/reports-csv";
import { buildReport, parseReportQuery } from "../../../lib/services/reports";
import { badRequest } from "../../../lib/services/errors";
import { route } from "../../_server/route";

export const GET = route(["reviewer", "admin"], async ({ req, db }) => {
  const url = new URL(req.url);
  const format = url.searchParams.get("format") ?? "json";
  if (format !== "json" && format !== "csv") throw badRequest(`format: expected json or csv, got ${JSON.stringify(format)}`);
  const table = (url.searchParams.get("table") ?? "summary") as CsvTable;
  if (!CSV_TABLES.includes(table)) throw badRequest(`table: expected one of ${CSV_TABLES.join(", ")}, got ${JSON.stringify(table)}`);
  const q = parseReportQuery(url.searchParams);
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
