"use client";
// A small reusable SVG line chart (no chart library, no CDN): nice axis ticks with labels, linear or log y,
// gaps where a value is not finite (a NaN loss shows as a break, not a dive to zero), a hover crosshair with the
// value of every series at the nearest step, and a legend that toggles series. Server-renders to plain SVG.
import { useMemo, useState, type MouseEvent } from "react";
import { formatNumber, linePath, makeScale, nearestIndex, type ScaleKind } from "./scale";

export const CHART_COLORS = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#0a7ea4", "#bf3989", "#57606a"];

export interface LineSeries {
  name: string;
  /** [x, y] sorted by x; y may be NaN/±Infinity (drawn as a gap). */
  points: ReadonlyArray<readonly [number, number]>;
  color?: string;
  dashed?: boolean;
  /** A faint companion (e.g. the raw values under a smoothed line): drawn thin, left out of legend and hover. */
  faint?: boolean;
}

export interface LineChartProps {
  title: string;
  series: readonly LineSeries[];
  xLabel: string;
  yLabel: string;
  yScale?: ScaleKind;
  /** Fixed y domain (e.g. [0, 1] for F1); otherwise the data extent rounded to nice ticks. */
  yDomain?: readonly [number, number];
  /** x extent to cover at least (e.g. the step range shared by charts of one run, so they line up). */
  xExtent?: readonly [number, number];
  formatY?: (v: number) => string;
  width?: number;
  height?: number;
  testId?: string;
  emptyText?: string;
}

const M = { left: 58, right: 14, top: 26, bottom: 42 };

export function LineChart({ title, series, xLabel, yLabel, yScale = "linear", yDomain, xExtent, formatY = formatNumber, width = 500, height = 260, testId, emptyText = "no data yet" }: LineChartProps) {
  const [hidden, setHidden] = useState<ReadonlySet<string>>(() => new Set());
  const [hoverX, setHoverX] = useState<number | null>(null);
  const colored = useMemo(() => series.map((s, i) => ({ ...s, color: s.color ?? CHART_COLORS[i % CHART_COLORS.length]!, xs: s.points.map((p) => p[0]) })), [series]);
  // A faint series follows its main series' visibility (same name up to " (raw)").
  const visible = colored.filter((s) => !hidden.has(s.faint ? s.name.replace(/ \(raw\)$/, "") : s.name));
  const main = visible.filter((s) => !s.faint);

  const pw = width - M.left - M.right;
  const ph = height - M.top - M.bottom;
  let xMin = Infinity, xMax = -Infinity, yMin = Infinity, yMax = -Infinity, yPosMin = Infinity;
  for (const s of visible) {
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x)) continue;
      xMin = Math.min(xMin, x);
      xMax = Math.max(xMax, x);
      if (!Number.isFinite(y)) continue;
      yMin = Math.min(yMin, y);
      yMax = Math.max(yMax, y);
      if (y > 0) yPosMin = Math.min(yPosMin, y);
    }
  }
  const hasData = Number.isFinite(xMin);
  if (hasData && xExtent) {
    xMin = Math.min(xMin, xExtent[0]);
    xMax = Math.max(xMax, xExtent[1]);
  }
  const logOk = yScale === "log" && Number.isFinite(yPosMin);
  const sx = makeScale("linear", hasData ? xMin : 0, hasData ? xMax : 1, M.left, M.left + pw, { ticks: 6 });
  const sy = logOk
    ? makeScale("log", yPosMin, yMax, M.top + ph, M.top)
    : makeScale("linear", Number.isFinite(yMin) ? yMin : 0, Number.isFinite(yMax) ? yMax : 1, M.top + ph, M.top, { ticks: 5, fixed: yDomain });
  const clampY = (v: number) => Math.max(M.top, Math.min(M.top + ph, sy.map(v)));

  // Hover: the step nearest the pointer among all visible series, and each series' value at its nearest step.
  let hover: { x: number; rows: Array<{ name: string; color: string; x: number; y: number }> } | null = null;
  if (hoverX !== null && hasData) {
    let best = NaN;
    for (const s of main) {
      const i = nearestIndex(s.xs, hoverX);
      if (i >= 0 && (Number.isNaN(best) || Math.abs(s.xs[i]! - hoverX) < Math.abs(best - hoverX))) best = s.xs[i]!;
    }
    if (!Number.isNaN(best)) {
      const rows = main.flatMap((s) => {
        const i = nearestIndex(s.xs, best);
        return i >= 0 ? [{ name: s.name, color: s.color, x: s.points[i]![0], y: s.points[i]![1] }] : [];
      });
      hover = { x: best, rows };
    }
  }

  const onMove = (e: MouseEvent<SVGRectElement>) => {
    const box = e.currentTarget.ownerSVGElement?.getBoundingClientRect();
    if (!box || box.width === 0) return;
    const px = ((e.clientX - box.left) * width) / box.width;
    setHoverX(sx.invert(px));
  };

  const tipLines = hover ? [`${xLabel} ${formatNumber(hover.x)}`, ...hover.rows.map((r) => `${r.name}: ${formatY(r.y)}${r.x !== hover!.x ? ` (at ${formatNumber(r.x)})` : ""}`)] : [];
  const tipW = Math.min(pw, 16 + 6.6 * Math.max(0, ...tipLines.map((l) => l.length)));
  const tipH = 8 + 15 * tipLines.length;
  const cx = hover ? sx.map(hover.x) : 0;
  const tipX = cx + 10 + tipW > M.left + pw ? cx - 10 - tipW : cx + 10;

  return (
    <figure data-testid={testId} data-series-count={series.length} style={{ margin: "0.4rem 0 1rem", width, maxWidth: "100%" }}>
      <svg viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label={`${title}: ${yLabel} against ${xLabel}`} style={{ maxWidth: "100%", height: "auto", background: "#fff", border: "1px solid #d9dee6", borderRadius: 6, display: "block" }}>
        <text x={M.left} y={16} fontSize="13" fontWeight={600} fill="#1d2430">{title}</text>
        {sy.kind === "log" && <text x={M.left + pw} y={16} fontSize="11" textAnchor="end" fill="#5d6b7e">log scale</text>}
        <rect x={M.left} y={M.top} width={pw} height={ph} fill="#fff" stroke="#d9dee6" />
        {sy.ticks.map((v) => (
          <g key={`y${v}`}>
            <line x1={M.left} x2={M.left + pw} y1={sy.map(v)} y2={sy.map(v)} stroke="#eef1f5" />
            <text x={M.left - 6} y={sy.map(v) + 4} textAnchor="end" fontSize="11" fill="#5d6b7e">{formatY(v)}</text>
          </g>
        ))}
        {hasData && sx.ticks.map((v) => (
          <g key={`x${v}`}>
            <line x1={sx.map(v)} x2={sx.map(v)} y1={M.top} y2={M.top + ph} stroke="#eef1f5" />
            <text x={sx.map(v)} y={M.top + ph + 15} textAnchor="middle" fontSize="11" fill="#5d6b7e">{formatNumber(v)}</text>
          </g>
        ))}
        <text x={M.left + pw / 2} y={height - 6} textAnchor="middle" fontSize="12" fill="#1d2430">{xLabel}</text>
        <text x={14} y={M.top + ph / 2} textAnchor="middle" fontSize="12" fill="#1d2430" transform={`rotate(-90 14 ${M.top + ph / 2})`}>{yLabel}</text>
        {!hasData && <text x={M.left + pw / 2} y={M.top + ph / 2} textAnchor="middle" fontSize="12" fill="#5d6b7e">{emptyText}</text>}
        {visible.map((s) => (
          <path key={s.name} d={linePath(s.points, sx.map, (v) => clampY(v), sy.kind === "log")} data-series={s.name} data-points={s.points.length} fill="none" stroke={s.color} strokeWidth={s.faint ? 1 : 1.8} strokeOpacity={s.faint ? 0.25 : 1} strokeDasharray={s.dashed ? "5 3" : undefined} strokeLinejoin="round" />
        ))}
        {/* A lone point has no segment to draw: mark it. */}
        {visible.filter((s) => s.points.length === 1 && Number.isFinite(s.points[0]![1])).map((s) => <circle key={`one${s.name}`} cx={sx.map(s.points[0]![0])} cy={clampY(s.points[0]![1])} r={3} fill={s.color} />)}
        {hover && (
          <g data-testid="chart-hover" pointerEvents="none">
            <line x1={cx} x2={cx} y1={M.top} y2={M.top + ph} stroke="#8c959f" strokeDasharray="3 3" />
            {hover.rows.filter((r) => Number.isFinite(r.y) && !(sy.kind === "log" && r.y <= 0)).map((r) => <circle key={r.name} cx={sx.map(r.x)} cy={clampY(r.y)} r={3.5} fill="#fff" stroke={r.color} strokeWidth={2} />)}
            <rect x={tipX} y={M.top + 4} width={tipW} height={tipH} rx={4} fill="rgba(255,255,255,0.95)" stroke="#d9dee6" />
            {tipLines.map((l, i) => (
              <text key={i} x={tipX + 8} y={M.top + 18 + 15 * i} fontSize="11.5" fill={i === 0 ? "#5d6b7e" : hover!.rows[i - 1]!.color}>{l}</text>
            ))}
          </g>
        )}
        <rect x={M.left} y={M.top} width={pw} height={ph} fill="transparent" onMouseMove={onMove} onMouseLeave={() => setHoverX(null)} data-testid={testId ? `${testId}-hit` : undefined} />
      </svg>
      <figcaption style={{ display: "flex", gap: "0.3rem 1rem", flexWrap: "wrap", fontSize: "0.85rem", marginTop: "0.3rem" }}>
        {colored.filter((s) => !s.faint).map((s) => {
          const off = hidden.has(s.name);
          const last = [...s.points].reverse().find((p) => Number.isFinite(p[1]));
          return (
            <button key={s.name} type="button" aria-pressed={!off} title={off ? "show" : "hide"} onClick={() => setHidden((h) => { const n = new Set(h); if (n.has(s.name)) n.delete(s.name); else n.add(s.name); return n; })}
              style={{ border: "none", background: "none", padding: 0, cursor: "pointer", opacity: off ? 0.4 : 1, display: "inline-flex", alignItems: "center", gap: "0.35rem" }}>
              <i style={{ display: "inline-block", width: 14, height: 3, background: s.color }} />
              {s.name}{last ? <span style={{ color: "#5d6b7e" }}> {formatY(last[1])}</span> : null}
            </button>
          );
        })}
      </figcaption>
    </figure>
  );
}
