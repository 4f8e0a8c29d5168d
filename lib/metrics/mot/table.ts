// TrackEval-like result tables (`_BaseMetric.print_table`): '%-35s' first column, '%-10s' others, floats as
// "{0:1.5g}".format(100 * value) (HOTA arrays by their alpha mean), integers as "%d".
import { alphaMean, HOTA_FLOAT_ARRAY_FIELDS, HOTA_FLOAT_FIELDS } from "../hota";
import type { MotTrackerResults, MotMetrics } from "./evaluate";

/** Python's format(x, '1.5g'). */
export function formatG5(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const [mant, expStr] = x.toExponential(4).split("e");
  const exp = Number(expStr);
  if (exp < -4 || exp >= 5) {
    const m = mant.includes(".") ? mant.replace(/0+$/, "").replace(/\.$/, "") : mant;
    const sign = exp < 0 ? "-" : "+";
    return `${m}e${sign}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const fixed = x.toFixed(Math.max(0, 4 - exp));
  return fixed.includes(".") ? fixed.replace(/0+$/, "").replace(/\.$/, "") : fixed;
}

function row(cells: string[]): string {
  return cells[0].padEnd(35) + cells.slice(1).map((c) => c.padEnd(10)).join("");
}

type Column = { name: string; value: (m: MotMetrics) => string };

const pct = (v: number) => formatG5(100 * v);
const int = (v: number) => String(Math.trunc(v));

const TABLES: { metric: string; columns: Column[] }[] = [
  {
    metric: "HOTA",
    columns: [
      ...HOTA_FLOAT_ARRAY_FIELDS.map((f) => ({ name: f, value: (m: MotMetrics) => pct(alphaMean(m.HOTA[f])) })),
      ...HOTA_FLOAT_FIELDS.map((f) => ({ name: f, value: (m: MotMetrics) => pct(m.HOTA[f]) })),
    ],
  },
  {
    metric: "CLEAR",
    columns: [
      ...(["MOTA", "MOTP", "MODA", "CLR_Re", "CLR_Pr", "MTR", "PTR", "MLR", "sMOTA"] as const).map((f) => ({ name: f, value: (m: MotMetrics) => pct(m.CLEAR[f]) })),
      ...(["CLR_TP", "CLR_FN", "CLR_FP", "IDSW", "MT", "PT", "ML", "Frag"] as const).map((f) => ({ name: f, value: (m: MotMetrics) => int(m.CLEAR[f]) })),
    ],
  },
  {
    metric: "Identity",
    columns: [
      ...(["IDF1", "IDR", "IDP"] as const).map((f) => ({ name: f, value: (m: MotMetrics) => pct(m.Identity[f]) })),
      ...(["IDTP", "IDFN", "IDFP"] as const).map((f) => ({ name: f, value: (m: MotMetrics) => int(m.Identity[f]) })),
    ],
  },
  {
    metric: "Count",
    columns: (["Dets", "GT_Dets", "IDs", "GT_IDs"] as const).map((f) => ({ name: f, value: (m: MotMetrics) => int(m.Count[f]) })),
  },
];

/** The tables TrackEval prints for one tracker (class 'pedestrian'). */
export function formatTrackerTables(tracker: string, res: MotTrackerResults): string {
  const seqs = Object.keys(res).filter((s) => s !== "COMBINED_SEQ").sort();
  const out: string[] = [];
  for (const t of TABLES) {
    out.push("");
    out.push(row([`${t.metric}: ${tracker}-pedestrian`, ...t.columns.map((c) => c.name)]));
    for (const s of seqs) out.push(row([s, ...t.columns.map((c) => c.value(res[s]))]));
    out.push(row(["COMBINED", ...t.columns.map((c) => c.value(res.COMBINED_SEQ))]));
  }
  return out.join("\n");
}
