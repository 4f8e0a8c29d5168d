// Boundary (F) measure of davis2017/metrics.py `f_measure`, computed sparsely.
// `_seg2bmap` marks a pixel when the mask differs from its east, south or south-east neighbour (last row: east
// only; last column: south only; bottom-right pixel never). The reference then dilates each boundary map with
// `cv2.dilate(b, skimage.morphology.disk(r))` (pixels outside the image never contribute) and counts boundary
// pixels of one map lying inside the other's dilation. "Inside the dilation by a disk" is the same as "some
// boundary pixel of the other map at offset (dx, dy) with dx² + dy² <= r²", which we test per row with a
// binary search over the other map's row-sorted boundary pixels instead of materialising dilated images.

/** Boundary pixels of one binary mask, grouped by row; `xs[rowStart[y] .. rowStart[y + 1])` ascending. */
export interface BoundaryMap {
  count: number;
  rowStart: Int32Array;
  xs: Int32Array;
}

/** `bound_pix = ceil(0.008 * np.linalg.norm((H, W)))`, the reference's default `bound_th`. */
export function boundaryRadius(height: number, width: number, boundTh = 0.008): number {
  return Math.ceil(boundTh * Math.sqrt(height * height + width * width));
}

/** Half-width of `skimage.morphology.disk(r)` on each row offset dy = -r..r: max dx with dx² + dy² <= r². */
export function diskHalfWidths(r: number): Int32Array {
  const out = new Int32Array(2 * r + 1);
  for (let dy = -r; dy <= r; dy++) {
    let w = 0;
    while ((w + 1) * (w + 1) + dy * dy <= r * r) w++;
    out[dy + r] = w;
  }
  return out;
}

export const EMPTY_BOUNDARY: BoundaryMap = { count: 0, rowStart: new Int32Array(0), xs: new Int32Array(0) };

/**
 * `_seg2bmap(labels == k)` for every k in 1..maxLabel in one pass over a label map (values above maxLabel are
 * simply "not k"). Returns index k -> boundary map (index 0 unused).
 */
export function labelBoundaries(labels: Uint8Array, width: number, height: number, maxLabel: number): BoundaryMap[] {
  const lists: number[][] = [];
  for (let k = 0; k <= maxLabel; k++) lists.push([]);
  const W = width;
  const H = height;
  // Rows 0..H-2: compare with east, south and south-east neighbours. Most pixels have four equal labels and
  // are skipped by the first test.
  for (let y = 0; y < H - 1; y++) {
    const row = y * W;
    for (let p = row; p < row + W - 1; p++) {
      const a = labels[p];
      const b = labels[p + 1];
      const c = labels[p + W];
      const d = labels[p + W + 1];
      if (a === b && a === c && a === d) continue;
      // Not all four equal: every label present among them has a differing neighbour.
      if (a !== 0 && a <= maxLabel) lists[a].push(p);
      if (b !== a && b !== 0 && b <= maxLabel) lists[b].push(p);
      if (c !== a && c !== b && c !== 0 && c <= maxLabel) lists[c].push(p);
      if (d !== a && d !== b && d !== c && d !== 0 && d <= maxLabel) lists[d].push(p);
    }
    // Last column: south neighbour only.
    const p = row + W - 1;
    const a = labels[p];
    const c = labels[p + W];
    if (a !== c) {
      if (a !== 0 && a <= maxLabel) lists[a].push(p);
      if (c !== 0 && c <= maxLabel) lists[c].push(p);
    }
  }
  // Last row: east neighbour only; the bottom-right pixel is never a boundary.
  const last = (H - 1) * W;
  for (let p = last; p < last + W - 1; p++) {
    const a = labels[p];
    const b = labels[p + 1];
    if (a !== b) {
      if (a !== 0 && a <= maxLabel) lists[a].push(p);
      if (b !== 0 && b <= maxLabel) lists[b].push(p);
    }
  }
  return lists.map((list) => {
    if (list.length === 0) return EMPTY_BOUNDARY;
    // Pushed in increasing pixel order except for the last-column pixel of each row, which comes after that
    // row's other pixels: still row-major, so rows stay contiguous and each row's xs ascending.
    const rowStart = new Int32Array(height + 1);
    const xs = new Int32Array(list.length);
    for (let i = 0; i < list.length; i++) {
      const p = list[i];
      const y = (p / W) | 0;
      xs[i] = p - y * W;
      rowStart[y + 1]++;
    }
    for (let y = 0; y < height; y++) rowStart[y + 1] += rowStart[y];
    return { count: list.length, rowStart, xs };
  });
}

/** Number of pixels of `a` inside the disk dilation of `b` (i.e. `sum(a * cv2.dilate(b, disk))`). */
export function countWithinDisk(a: BoundaryMap, b: BoundaryMap, halfWidths: Int32Array, height: number): number {
  if (a.count === 0 || b.count === 0) return 0;
  const r = (halfWidths.length - 1) >> 1;
  const { rowStart: bRow, xs: bx } = b;
  let hits = 0;
  for (let y = 0; y < height; y++) {
    const end = a.rowStart[y + 1];
    for (let i = a.rowStart[y]; i < end; i++) {
      const x = a.xs[i];
      let found = false;
      for (let dy = -r; dy <= r && !found; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        let lo = bRow[yy];
        let hi = bRow[yy + 1];
        if (lo === hi) continue;
        const w = halfWidths[dy + r];
        const left = x - w;
        // first boundary x >= left in row yy
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (bx[mid] < left) lo = mid + 1;
          else hi = mid;
        }
        if (lo < bRow[yy + 1] && bx[lo] <= x + w) found = true;
      }
      if (found) hits++;
    }
  }
  return hits;
}

/** `f_measure` from the two boundary maps, with the reference's special cases for empty boundaries. */
export function fMeasure(fg: BoundaryMap, gt: BoundaryMap, halfWidths: Int32Array, height: number): number {
  const nFg = fg.count;
  const nGt = gt.count;
  let precision: number;
  let recall: number;
  if (nFg === 0 && nGt > 0) {
    precision = 1;
    recall = 0;
  } else if (nFg > 0 && nGt === 0) {
    precision = 0;
    recall = 1;
  } else if (nFg === 0 && nGt === 0) {
    precision = 1;
    recall = 1;
  } else {
    precision = countWithinDisk(fg, gt, halfWidths, height) / nFg;
    recall = countWithinDisk(gt, fg, halfWidths, height) / nGt;
  }
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

/** `db_eval_iou` from pixel counts: 1 when the union is empty (both masks empty or all void). */
export function jaccard(intersection: number, union: number): number {
  return union === 0 ? 1 : intersection / union;
}
