// Molmo2 counting accuracy: image (`PointCountEval`) and video (`VixMoPointCountEval`),
// `olmo/eval/evaluators.py`.

export interface CountScore {
  /** False when no count could be read from the prediction (correct and close are then false). */
  valid: boolean;
  correct: boolean;
  close: boolean;
}

/** Image counting: close iff |gt - pred| <= 1. Molmo2 takes pred = number of extracted points. */
export function scoreImageCount(gt: number, pred: number | null): CountScore {
  if (pred === null) return { valid: false, correct: false, close: false };
  return { valid: true, correct: gt === pred, close: Math.abs(gt - pred) <= 1 };
}

/** Video counting tolerance: 1 + floor(0.05 * gt). */
export function videoCountMargin(gt: number): number {
  return 1 + Math.floor(0.05 * gt);
}

/** Video counting: close iff |gt - pred| <= 1 + floor(0.05 * gt). */
export function scoreVideoCount(gt: number, pred: number | null): CountScore {
  if (pred === null) return { valid: false, correct: false, close: false };
  return { valid: true, correct: gt === pred, close: Math.abs(gt - pred) <= videoCountMargin(gt) };
}

const PY_WS = /^[\s\u001c-\u001f\u0085]+|[\s\u001c-\u001f\u0085]+$/g;
const INT_LITERAL = /^[+-]?\d+(?:_\d+)*$/;
const TOTAL_RE = /(?:a total of|the total number(?:\s+of\s+.+?)?\s+is:)\s*(\d+)\.?/i;

/**
 * Reads a count from a video-counting answer as `VixMoPointCountEval` does: the whole answer
 * (lower-cased, trailing dots removed) as an integer, else "a total of N" / "the total number ... is: N".
 * Molmo2 also means to map "none" to 0, but its pattern is the non-raw string ".*\bnone\b.*" whose
 * `\b` is a backspace character, so that never matches; `molmo2Compat: false` applies the intended rule.
 * Returns null when nothing matches (the example then counts as invalid, not correct, not close).
 */
export function parseVideoCount(answer: string, opts: { molmo2Compat?: boolean } = {}): number | null {
  const pred = stripTrailingDots(answer.replace(PY_WS, "").toLowerCase()).replace(PY_WS, "");
  if (INT_LITERAL.test(pred)) return Number(pred.replace(/_/g, ""));
  const m = TOTAL_RE.exec(pred);
  if (m) return Number(m[1]);
  if (opts.molmo2Compat === false && /\bnone\b/.test(pred)) return 0;
  return null;
}

function stripTrailingDots(s: string): string {
  let end = s.length;
  while (end > 0 && s[end - 1] === ".") end--;
  return s.slice(0, end);
}

export interface CountSummary {
  n: number;
  correct: number;
  close: number;
  valid: number;
  /** Molmo2's accuracy bins by GT count: [0,5), [5,10), ..., [25, max+1); null for an empty bin. */
  bins: Array<{ from: number; to: number; n: number; correct: number | null }>;
}

/** Means over examples plus Molmo2's GT-count bins (video counting). */
export function summarizeCounts(examples: ReadonlyArray<{ gt: number; score: CountScore }>): CountSummary {
  const n = examples.length;
  const frac = (f: (s: CountScore) => boolean) => (n === 0 ? NaN : examples.filter((e) => f(e.score)).length / n);
  const maxCount = examples.reduce((m, e) => Math.max(m, e.gt), 0);
  const edges = [0, 5, 10, 15, 20, 25];
  const bins = edges.map((from, i) => {
    const to = i === edges.length - 1 ? maxCount + 1 : edges[i + 1];
    const inBin = examples.filter((e) => Number.isInteger(e.gt) && e.gt >= from && e.gt < to);
    return { from, to, n: inBin.length, correct: inBin.length === 0 ? null : inBin.filter((e) => e.score.correct).length / inBin.length };
  });
  return { n, correct: frac((s) => s.correct), close: frac((s) => s.close), valid: frac((s) => s.valid), bins };
}
