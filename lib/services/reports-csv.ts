// CSV export of a /reports report: raw values (0..1, full precision), one table per request.
import type { Agreement } from "./reports-agreement";
import type { Report, SummaryRow } from "./reports";
import { METRIC_FIELDS } from "./reports";

export const CSV_TABLES = ["summary", "alphas", "agreement"] as const;
export type CsvTable = (typeof CSV_TABLES)[number];

/** RFC 4180 quoting; text cells that a spreadsheet would run as a formula get a leading apostrophe. */
function textCell(s: string): string {
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function numCell(n: number | null): string {
  return n === null || Number.isNaN(n) ? "" : String(n);
}

function lines(header: string[], rows: string[][]): string {
  return [header.join(","), ...rows.map((r) => r.join(","))].join("\r\n") + "\r\n";
}

export const SUMMARY_HEADER = [
  "table", "prediction_set_id", "prediction_set", "domain", "video", "expression", "n", "gt_objects", "pred_objects", "prediction_missing",
  ...METRIC_FIELDS, "count_correct", "count_close", "J", "F", "JF",
];

/** One row per (set, level): overall, each domain, each video, each expression (level in column `table`). */
export function summaryCsv(report: Report): string {
  const rows: string[][] = [];
  for (const s of report.sets) {
    const head = [String(s.id), textCell(s.name)];
    const group = (table: string, domain: string, video: string, r: SummaryRow) => [
      table, ...head, textCell(domain), textCell(video), "", String(r.n), "", "", "",
      ...METRIC_FIELDS.map((k) => numCell(r[k])), numCell(r.countCorrect), numCell(r.countClose), numCell(r.J), numCell(r.F), numCell(r.JF),
    ];
    rows.push(group("overall", "", "", s.overall));
    for (const d of s.domains) rows.push(group("domain", d.label, "", d));
    for (const v of s.videos) rows.push(group("video", "", v.label, v));
    for (const e of s.examples) {
      rows.push([
        "expression", ...head, textCell(e.domain), textCell(e.videoName), textCell(e.expressionText), "1", String(e.gtObjects), String(e.predObjects), e.predictionMissing ? "1" : "0",
        ...METRIC_FIELDS.map((k) => numCell(e.scores[k])), e.count.correct ? "1" : "0", e.count.close ? "1" : "0",
        numCell(e.jf?.J ?? null), numCell(e.jf?.F ?? null), numCell(e.jf?.JF ?? null),
      ]);
    }
  }
  return lines(SUMMARY_HEADER, rows);
}

/** HOTA / DetA / AssA per alpha, averaged over the GT examples, per prediction set. */
export function alphasCsv(report: Report): string {
  const rows: string[][] = [];
  for (const s of report.sets) {
    report.alphas.forEach((a, i) => rows.push([String(s.id), textCell(s.name), String(a), numCell(s.overall.HOTA_array[i]), numCell(s.overall.DetA_array[i]), numCell(s.overall.AssA_array[i])]));
  }
  return lines(["prediction_set_id", "prediction_set", "alpha", "HOTA", "DetA", "AssA"], rows);
}

export function agreementCsv(a: Agreement): string {
  return lines(
    ["user_id", "username", "display_name", "tasks", "gold_points", "precision", "recall", "f1", "HOTA", "DetA", "AssA", "HOTA_alphaMean"],
    a.rows.map((r) => [
      String(r.userId), textCell(r.username), textCell(r.displayName), String(r.tasks), String(r.goldPoints),
      ...[r.precision, r.recall, r.f1, r.HOTA, r.DetA, r.AssA, r.HOTA_alphaMean].map(numCell),
    ]),
  );
}
