// F1-vs-steps curves of the ablation as a self-contained SVG: one panel per data fraction, one line per model.
export interface CurvePoint {
  step: number;
  f1: number;
}

export interface Curve {
  /** Legend label, e.g. "grounding tokens". */
  model: string;
  points: readonly CurvePoint[];
}

export interface Panel {
  /** Panel title, e.g. "1/8 of the data (12 videos)". */
  title: string;
  /** F1 of an empty answer on the same examples (Molmo2's F1 gives frames without GT and without predictions 1), drawn dotted. */
  floor?: number;
  curves: readonly Curve[];
}

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
const DASHES = ["", "6 4", "2 3", "8 3 2 3"];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Renders the panels side by side; y is F1 in [0, 1] on every panel (comparable at a glance), x is training steps. */
export function curvesSvg(panels: readonly Panel[], opts: { title: string; yLabel?: string }): string {
  const pw = 260;
  const ph = 200;
  const m = { l: 46, r: 12, t: 28, b: 40 };
  const width = Math.max(2, panels.length) * (pw + m.l + m.r);
  const height = ph + m.t + m.b + 40 + 24;
  const models = [...new Set(panels.flatMap((p) => p.curves.map((c) => c.model)))];
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${esc(opts.title)}</text>`);
  panels.forEach((panel, i) => {
    const x0 = i * (pw + m.l + m.r) + m.l;
    const y0 = m.t + 16;
    const maxStep = Math.max(1, ...panel.curves.flatMap((c) => c.points.map((p) => p.step)));
    const sx = (s: number) => x0 + (s / maxStep) * pw;
    const sy = (f: number) => y0 + ph - Math.max(0, Math.min(1, f)) * ph;
    out.push(`<text x="${x0 + pw / 2}" y="${y0 - 6}" text-anchor="middle" font-weight="bold">${esc(panel.title)}</text>`);
    out.push(`<rect x="${x0}" y="${y0}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
    for (let k = 0; k <= 5; k++) {
      const f = k / 5;
      out.push(`<line x1="${x0}" x2="${x0 + pw}" y1="${sy(f)}" y2="${sy(f)}" stroke="#ddd"/>`);
      out.push(`<text x="${x0 - 4}" y="${sy(f) + 4}" text-anchor="end">${f.toFixed(1)}</text>`);
    }
    for (let k = 0; k <= 4; k++) {
      const s = Math.round((k / 4) * maxStep);
      out.push(`<text x="${sx(s)}" y="${y0 + ph + 14}" text-anchor="middle">${s}</text>`);
    }
    out.push(`<text x="${x0 + pw / 2}" y="${y0 + ph + 30}" text-anchor="middle">training steps</text>`);
    if (i === 0) out.push(`<text transform="translate(${x0 - 34},${y0 + ph / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel ?? "point F1 (held-out)")}</text>`);
    if (panel.floor !== undefined) {
      out.push(`<line x1="${x0}" x2="${x0 + pw}" y1="${sy(panel.floor)}" y2="${sy(panel.floor)}" stroke="#888" stroke-dasharray="1 3"/>`);
      out.push(`<text x="${x0 + pw - 4}" y="${sy(panel.floor) - 4}" text-anchor="end" fill="#666">empty answer</text>`);
    }
    for (const c of panel.curves) {
      const k = models.indexOf(c.model);
      const pts = [...c.points].sort((a, b) => a.step - b.step);
      if (pts.length === 0) continue;
      const d = pts.map((p, j) => `${j ? "L" : "M"}${sx(p.step).toFixed(1)},${sy(p.f1).toFixed(1)}`).join(" ");
      out.push(`<path d="${d}" fill="none" stroke="${COLOURS[k % COLOURS.length]}" stroke-width="2" stroke-dasharray="${DASHES[k % DASHES.length]}"/>`);
      for (const p of pts) out.push(`<circle cx="${sx(p.step).toFixed(1)}" cy="${sy(p.f1).toFixed(1)}" r="2.5" fill="${COLOURS[k % COLOURS.length]}"/>`);
    }
  });
  const ly = height - 14;
  models.forEach((model, k) => {
    const lx = m.l + k * 320;
    out.push(`<line x1="${lx}" x2="${lx + 28}" y1="${ly - 4}" y2="${ly - 4}" stroke="${COLOURS[k % COLOURS.length]}" stroke-width="2" stroke-dasharray="${DASHES[k % DASHES.length]}"/>`);
    out.push(`<text x="${lx + 34}" y="${ly}">${esc(model)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
