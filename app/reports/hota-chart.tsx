// HOTA vs alpha: an SVG line chart (server-rendered, no client code), one line per prediction set.
import styles from "./reports.module.css";

export const SERIES_COLORS = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#0a7ea4", "#bf3989", "#57606a"];

export interface ChartSeries {
  name: string;
  values: readonly number[];
}

const W = 640;
const H = 300;
const M = { left: 52, right: 16, top: 14, bottom: 44 };

export function HotaChart({ alphas, series, metric = "HOTA" }: { alphas: readonly number[]; series: readonly ChartSeries[]; metric?: string }) {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (a: number) => M.left + ((a - 0) / 1) * pw;
  const y = (v: number) => M.top + (1 - v) * ph;
  const yTicks = [0, 0.2, 0.4, 0.6, 0.8, 1];
  const xTicks = [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95];
  return (
    <figure className={styles.chart}>
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={`${metric} as a function of the localisation threshold alpha`}>
        <rect x={M.left} y={M.top} width={pw} height={ph} fill="#fff" stroke="#d9dee6" />
        {yTicks.map((v) => (
          <g key={`y${v}`}>
            <line x1={M.left} x2={M.left + pw} y1={y(v)} y2={y(v)} stroke="#eef1f5" />
            <text x={M.left - 8} y={y(v) + 4} textAnchor="end" fontSize="11" fill="#5d6b7e">{(v * 100).toFixed(0)}</text>
          </g>
        ))}
        {xTicks.map((a) => (
          <g key={`x${a}`}>
            <line x1={x(a)} x2={x(a)} y1={M.top} y2={M.top + ph} stroke="#eef1f5" />
            <text x={x(a)} y={M.top + ph + 16} textAnchor="middle" fontSize="11" fill="#5d6b7e">{a.toFixed(2)}</text>
          </g>
        ))}
        <text x={M.left + pw / 2} y={H - 6} textAnchor="middle" fontSize="12" fill="#1d2430">alpha (localisation threshold)</text>
        <text x={14} y={M.top + ph / 2} textAnchor="middle" fontSize="12" fill="#1d2430" transform={`rotate(-90 14 ${M.top + ph / 2})`}>{metric} ×100</text>
        {series.map((s, i) => {
          const color = SERIES_COLORS[i % SERIES_COLORS.length];
          const pts = alphas.map((a, k) => `${x(a).toFixed(1)},${y(s.values[k]).toFixed(1)}`).join(" ");
          return (
            <g key={s.name + i} data-series={s.name}>
              <polyline points={pts} fill="none" stroke={color} strokeWidth={2} />
              {alphas.map((a, k) => <circle key={k} cx={x(a)} cy={y(s.values[k])} r={2.5} fill={color}><title>{`${s.name}: alpha ${a.toFixed(2)} → ${(s.values[k] * 100).toFixed(1)}`}</title></circle>)}
            </g>
          );
        })}
      </svg>
      <figcaption className={styles.legend}>
        {series.map((s, i) => (
          <span key={s.name + i}><i style={{ background: SERIES_COLORS[i % SERIES_COLORS.length] }} />{s.name}</span>
        ))}
      </figcaption>
    </figure>
  );
}
