// The tables davis2017-evaluation prints and writes: evaluation_method.py builds pandas DataFrames and prints
// `to_string(index=False)` (pandas 1.5 float formatting: 6 decimals, common trailing zeros trimmed, scientific
// notation for the whole column when a value is non-zero but below 1e-6) and writes CSVs with `%.3f`.
import { GLOBAL_MEASURES, type DavisEvaluation } from "./evaluate";

/** Python's correctly rounded `'{:.Nf}'` / `'{:.Ne}'` (ties to even on the exact binary value; JS rounds them up). */
function pyFormat(x: number, digits: number, style: "f" | "e"): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  let s = style === "f" ? a.toFixed(digits) : a.toExponential(digits);
  const exact = style === "f" ? a.toFixed(Math.min(100, digits + 30)) : a.toExponential(Math.min(100, digits + 30));
  const [mant, exp] = exact.split("e");
  const dot = mant.indexOf(".");
  const rest = mant.slice(dot + 1 + digits);
  if (/^50*$/.test(rest)) {
    const truncated = mant.slice(0, dot + 1 + digits);
    if (Number(truncated[truncated.length - 1]) % 2 === 0) s = exp === undefined ? truncated : `${truncated}e${exp}`;
  }
  if (style === "e") {
    const [m, e] = s.split("e");
    const n = Number(e);
    s = `${m}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  return (neg ? "-" : "") + s;
}

/** pandas `_trim_zeros_float`: drop trailing zeros equally from all plain decimal numbers, keep one. */
function trimZeros(values: string[]): string[] {
  const isDec = (x: string) => /^\s*[+-]?[0-9]+\.[0-9]*$/.test(x);
  let out = values;
  const shouldTrim = (v: string[]) => {
    const nums = v.filter(isDec);
    return nums.length > 0 && nums.every((x) => x.endsWith("0"));
  };
  while (shouldTrim(out)) out = out.map((x) => (isDec(x) ? x.slice(0, -1) : x));
  return out.map((x) => (isDec(x) && x.endsWith(".") ? x + "0" : x));
}

/** pandas FloatArrayFormatter (display.precision 6, no leading space because index=False). */
export function formatFloatColumn(values: number[], digits = 6): string[] {
  const fmt = (style: "f" | "e") => trimZeros(values.map((v) => (Number.isNaN(v) ? "NaN" : pyFormat(v, digits, style))));
  let out = fmt("f");
  const maxLen = out.reduce((m, x) => Math.max(m, x.length), 0);
  const tooLong = maxLen > digits + 6;
  const finite = values.filter((v) => !Number.isNaN(v)).map(Math.abs);
  const hasLarge = finite.some((v) => v > 1e6);
  const hasSmall = finite.some((v) => v < 10 ** -digits && v > 0);
  if (hasSmall || (tooLong && hasLarge)) out = fmt("e");
  return out;
}

interface Column {
  header: string;
  cells: string[];
}

/** `DataFrame.to_string(index=False)`: numeric headers get a leading space; everything right-justified; 1-space gaps. */
function renderColumns(cols: Column[]): string {
  const widths = cols.map((c) => Math.max(c.header.length, ...c.cells.map((x) => x.length)));
  const rows = cols[0].cells.length;
  const lines = [cols.map((c, i) => c.header.padStart(widths[i])).join(" ")];
  for (let r = 0; r < rows; r++) lines.push(cols.map((c, i) => c.cells[r].padStart(widths[i])).join(" "));
  return lines.join("\n");
}

export function globalTable(ev: DavisEvaluation): string {
  return renderColumns(GLOBAL_MEASURES.map((m) => ({ header: ` ${m}`, cells: formatFloatColumn([ev.global[m]]) })));
}

export function perSequenceTable(ev: DavisEvaluation): string {
  if (ev.objects.length === 0) return "Empty DataFrame\nColumns: [Sequence, J-Mean, F-Mean]\nIndex: []";
  return renderColumns([
    { header: "Sequence", cells: ev.objects.map((o) => o.name) },
    { header: " J-Mean", cells: formatFloatColumn(ev.objects.map((o) => o.J.mean)) },
    { header: " F-Mean", cells: formatFloatColumn(ev.objects.map((o) => o.F.mean)) },
  ]);
}

/** What evaluation_method.py prints after evaluating (without its timing line). */
export function printedReport(ev: DavisEvaluation, subset: string): string {
  return [
    `--------------------------- Global results for ${subset} ---------------------------`,
    globalTable(ev),
    "",
    `---------- Per sequence results for ${subset} ----------`,
    perSequenceTable(ev),
  ].join("\n");
}

const csvCell = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const csvFloat = (v: number) => (Number.isNaN(v) ? "" : pyFormat(v, 3, "f"));

/** `global_results-<set>.csv` as written by `to_csv(index=False, float_format="%.3f")`. */
export function globalCsv(ev: DavisEvaluation): string {
  return `${GLOBAL_MEASURES.map(csvCell).join(",")}\n${GLOBAL_MEASURES.map((m) => csvFloat(ev.global[m])).join(",")}\n`;
}

/** `per-sequence_results-<set>.csv`. */
export function perSequenceCsv(ev: DavisEvaluation): string {
  const lines = ["Sequence,J-Mean,F-Mean", ...ev.objects.map((o) => `${csvCell(o.name)},${csvFloat(o.J.mean)},${csvFloat(o.F.mean)}`)];
  return lines.join("\n") + "\n";
}
