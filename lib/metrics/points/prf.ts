// Precision / recall / F1 helpers with Molmo2's conventions.

/** Molmo2 `f1_score`: 0 when either is 0, else 2PR / (P + R + 1e-10). */
export function molmoF1(precision: number, recall: number): number {
  if (precision === 0 || recall === 0) return 0;
  return (2 * (precision * recall)) / (precision + recall + 1e-10);
}

/** Arithmetic mean; NaN for an empty list (callers decide what an empty set means). */
export function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}
