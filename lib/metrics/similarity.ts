// Similarity functions exactly as TrackEval's `_base_dataset.py` computes them (same operation order, same eps guards).

const EPS = 2.220446049250313e-16; // np.finfo(float).eps

/**
 * Box IoU between every box of `a` and every box of `b` (TrackEval `_calculate_box_ious`, box_format 'xywh').
 * Boxes are packed as [x, y, w, h] quadruples; the result is row-major a.length/4 x b.length/4.
 * Corners are x1 = x + w (no +1); areas are computed from corners, as TrackEval does after its in-place conversion.
 * `scratch`, when given and large enough, is reused (the result is then a view of it, valid until the next call).
 */
export function boxIouXywh(a: Float64Array, b: Float64Array, scratch?: Float64Array): Float64Array {
  const na = a.length >> 2;
  const nb = b.length >> 2;
  let out: Float64Array;
  if (scratch && scratch.length >= na * nb) {
    out = scratch.subarray(0, na * nb);
    out.fill(0);
  } else out = new Float64Array(na * nb);
  for (let i = 0; i < na; i++) {
    const ax0 = a[4 * i];
    const ay0 = a[4 * i + 1];
    const ax1 = ax0 + a[4 * i + 2];
    const ay1 = ay0 + a[4 * i + 3];
    const areaA = (ax1 - ax0) * (ay1 - ay0);
    for (let j = 0; j < nb; j++) {
      const bx0 = b[4 * j];
      const by0 = b[4 * j + 1];
      const bx1 = bx0 + b[4 * j + 2];
      const by1 = by0 + b[4 * j + 3];
      // No overlap: TrackEval gets 0 / union = +0, which the zero-initialised output already holds.
      const iw = Math.min(ax1, bx1) - Math.max(ax0, bx0);
      if (!(iw > 0)) continue;
      const ih = Math.min(ay1, by1) - Math.max(ay0, by0);
      if (!(ih > 0)) continue;
      const areaB = (bx1 - bx0) * (by1 - by0);
      let inter = iw * ih;
      let union = areaA + areaB - inter;
      if (areaA <= EPS || areaB <= EPS || union <= EPS) inter = 0;
      if (union <= EPS) union = 1;
      out[i * nb + j] = inter / union;
    }
  }
  return out;
}

/**
 * TrackEval `_calculate_euclidean_similarity`: max(0, 1 - ||p - q|| / zeroDistance) for 2-D points packed [x, y].
 */
export function euclideanSimilarity(a: Float64Array, b: Float64Array, zeroDistance = 2.0): Float64Array {
  const na = a.length >> 1;
  const nb = b.length >> 1;
  const out = new Float64Array(na * nb);
  for (let i = 0; i < na; i++) {
    for (let j = 0; j < nb; j++) {
      const dx = a[2 * i] - b[2 * j];
      const dy = a[2 * i + 1] - b[2 * j + 1];
      out[i * nb + j] = Math.max(0, 1 - Math.sqrt(dx * dx + dy * dy) / zeroDistance);
    }
  }
  return out;
}
