// Linear sum assignment: a line-by-line port of scipy's `scipy/optimize/rectangular_lsap/rectangular_lsap.cpp`
// (Crouse 2016, shortest augmenting path, Jonker-Volgenant style dual updates). Every reference evaluator we
// match (TrackEval, davis2017-evaluation, Molmo2) calls `scipy.optimize.linear_sum_assignment`, and on tie-heavy
// matrices (binary similarities, IDF1 costs) the chosen optimum depends on scipy's exact tie rules, so this keeps them:
//   - rows are augmented in order 0..nr-1;
//   - `remaining` columns are filled in reverse order (nc-1..0) and removed by swapping in the last one;
//   - among equal shortest-path costs an unassigned column (new sink) is preferred, else the first one scanned;
//   - tall matrices are transposed and the result sorted by row.
// The solver loop itself runs as WebAssembly (./mot/lsapKernel), step for step the same.
import { solveLsap } from "./mot/lsapKernel";

export interface Assignment {
  /** Row indices of the matched pairs, ascending (as scipy returns them). */
  rows: Int32Array;
  /** Column index matched to `rows[k]`. */
  cols: Int32Array;
}

/**
 * Solves min (or max) sum_k cost[rows[k], cols[k]] over matchings of size min(nRows, nCols),
 * identical to `scipy.optimize.linear_sum_assignment(cost, maximize)` including the pair order and tie-breaking.
 *
 * `cost` is either an array of `nRows` rows of `nCols` numbers, or a row-major Float64Array of length nRows*nCols
 * (element (i, j) at `i * nCols + j`). The input is never modified. Throws on NaN or -inf entries ("invalid") and
 * when no finite-cost complete matching exists ("infeasible"), as scipy raises ValueError.
 */
export function linearSumAssignment(
  cost: Float64Array | number[][],
  nRows: number,
  nCols: number,
  maximize = false,
): Assignment {
  if (!Number.isInteger(nRows) || !Number.isInteger(nCols) || nRows < 0 || nCols < 0) {
    throw new RangeError(`linearSumAssignment: bad shape ${nRows}x${nCols}`);
  }
  if (nRows === 0 || nCols === 0) return { rows: new Int32Array(0), cols: new Int32Array(0) };

  // Copy into row-major form, transposed when the matrix is tall (the solver needs nr <= nc).
  const transpose = nCols < nRows;
  const nr = transpose ? nCols : nRows;
  const nc = transpose ? nRows : nCols;
  const c = new Float64Array(nr * nc);
  const sign = maximize ? -1 : 1;
  if (cost instanceof Float64Array) {
    if (cost.length !== nRows * nCols) {
      throw new RangeError(`linearSumAssignment: Float64Array of length ${cost.length} does not match ${nRows}x${nCols}`);
    }
    for (let i = 0; i < nRows; i++) {
      for (let j = 0; j < nCols; j++) {
        const x = sign * cost[i * nCols + j];
        if (transpose) c[j * nc + i] = x;
        else c[i * nc + j] = x;
      }
    }
  } else {
    if (cost.length !== nRows) throw new RangeError(`linearSumAssignment: ${cost.length} rows, expected ${nRows}`);
    for (let i = 0; i < nRows; i++) {
      const row = cost[i];
      if (row.length !== nCols) throw new RangeError(`linearSumAssignment: row ${i} has ${row.length} columns, expected ${nCols}`);
      for (let j = 0; j < nCols; j++) {
        const x = sign * row[j];
        if (transpose) c[j * nc + i] = x;
        else c[i * nc + j] = x;
      }
    }
  }
  for (let k = 0; k < c.length; k++) {
    const x = c[k];
    if (x !== x || x === -Infinity) throw new RangeError("linearSumAssignment: matrix contains invalid numeric entries");
  }

  // The solver loop runs in WebAssembly (./mot/lsapKernel): the same steps and float operations as scipy's C++.
  const col4row = solveLsap(c, nr, nc);
  if (!col4row) throw new RangeError("linearSumAssignment: cost matrix is infeasible");

  const rows = new Int32Array(nr);
  const cols = new Int32Array(nr);
  if (transpose) {
    // Pairs sorted by original row index (= solver column), like scipy's argsort of col4row.
    const order = Array.from(col4row.subarray(0, nr).keys()).sort((a, b) => col4row[a] - col4row[b]);
    for (let k = 0; k < nr; k++) {
      rows[k] = col4row[order[k]];
      cols[k] = order[k];
    }
  } else {
    for (let k = 0; k < nr; k++) {
      rows[k] = k;
      cols[k] = col4row[k];
    }
  }
  return { rows, cols };
}

/**
 * Fast path for maximisation with non-negative scores when only the positive-score pairs of the result are used
 * (TrackEval's per-frame matchings all drop zero-score pairs). Returns null when it cannot prove the answer; callers
 * then run `linearSumAssignment`, whose tie-breaking decides.
 *
 * Why it is exact: zero entries can complete any partial matching, so an assignment is optimal iff its positive
 * pairs form a maximum-weight matching inside every connected component of the graph of positive entries. When that
 * maximum is unique in every component (the best beats every other matching of the component by more than 1e-9,
 * far above the solver's rounding), every optimal assignment, scipy's included, has exactly these positive pairs.
 * Components are solved by enumeration, so only small ones (<= 6 rows, <= 16 positive entries) are accepted.
 * Pairs come back in ascending row order, like scipy's.
 */
export function uniquePositiveMatching(score: Float64Array, nRows: number, nCols: number): Assignment | null {
  const entries = new PositiveEntries();
  for (let i = 0; i < nRows; i++) {
    for (let j = 0; j < nCols; j++) if (score[i * nCols + j] > 0) entries.push(i, j, score[i * nCols + j]);
  }
  const r = uniquePositiveMatchingSparse(entries, nRows, nCols);
  return r && { rows: r.rows.slice(), cols: r.cols.slice() };
}

/** (row, column, value) entries of a matrix, e.g. its positive scores in row-major order (growable, reusable). */
export class PositiveEntries {
  rows = new Int32Array(64);
  cols = new Int32Array(64);
  values = new Float64Array(64);
  length = 0;
  clear(): void {
    this.length = 0;
  }
  push(i: number, j: number, v: number): void {
    if (this.length === this.rows.length) {
      const n = 2 * this.length;
      const r = new Int32Array(n);
      r.set(this.rows);
      this.rows = r;
      const c = new Int32Array(n);
      c.set(this.cols);
      this.cols = c;
      const w = new Float64Array(n);
      w.set(this.values);
      this.values = w;
    }
    this.rows[this.length] = i;
    this.cols[this.length] = j;
    this.values[this.length++] = v;
  }
}

/** Scratch arrays of `uniquePositiveMatchingSparse`, grown on demand and reused (it runs once per frame and metric). */
const up = {
  rowCount: new Int32Array(64),
  colCount: new Int32Array(64),
  parent: new Int32Array(128),
  head: new Int32Array(128),
  tail: new Int32Array(128),
  next: new Int32Array(64),
  chosenCol: new Int32Array(64),
  used: new Uint8Array(64),
  /** Component being enumerated: its entries (indices into the list) and where each of its rows starts. */
  compEntries: new Int32Array(64),
  compRowStart: new Int32Array(8),
  chosen: new Int32Array(8),
  bestChosen: new Int32Array(8),
  rowsOut: new Int32Array(64),
  colsOut: new Int32Array(64),
};

function sizeScratch(nRows: number, nCols: number, n: number): void {
  if (up.rowCount.length < nRows) {
    up.rowCount = new Int32Array(2 * nRows);
    up.chosenCol = new Int32Array(2 * nRows);
  }
  if (up.colCount.length < nCols) {
    up.colCount = new Int32Array(2 * nCols);
    up.used = new Uint8Array(2 * nCols);
  }
  if (up.parent.length < nRows + nCols) {
    up.parent = new Int32Array(2 * (nRows + nCols));
    up.head = new Int32Array(2 * (nRows + nCols));
    up.tail = new Int32Array(2 * (nRows + nCols));
  }
  if (up.next.length < n) {
    up.next = new Int32Array(2 * n);
    up.compEntries = new Int32Array(2 * n);
  }
}

/**
 * `uniquePositiveMatching` on the list of positive entries (row-major order), without touching the zeros.
 * The returned arrays are views of `e` or of scratch space: valid until `e` changes or the next call.
 */
export function uniquePositiveMatchingSparse(e: PositiveEntries, nRows: number, nCols: number): Assignment | null {
  const n = e.length;
  sizeScratch(nRows, nCols, n);
  const { rowCount, colCount } = up;
  rowCount.fill(0, 0, nRows);
  colCount.fill(0, 0, nCols);
  let isolated = true;
  for (let k = 0; k < n; k++) {
    if (++rowCount[e.rows[k]] > 1) isolated = false;
    if (++colCount[e.cols[k]] > 1) isolated = false;
  }
  if (isolated) return { rows: e.rows.subarray(0, n), cols: e.cols.subarray(0, n) };

  const { parent, head, tail, next, chosenCol, used } = up;
  const nodes = nRows + nCols;
  for (let k = 0; k < nodes; k++) parent[k] = k;
  for (let k = 0; k < n; k++) {
    const a = findRoot(parent, e.rows[k]);
    const b = findRoot(parent, nRows + e.cols[k]);
    if (a !== b) parent[a] = b;
  }
  // Entries grouped by component root (linked lists in entry order, so rows stay ascending).
  head.fill(-1, 0, nodes);
  for (let k = 0; k < n; k++) {
    const r = findRoot(parent, e.rows[k]);
    next[k] = -1;
    if (head[r] < 0) head[r] = k;
    else next[tail[r]] = k;
    tail[r] = k;
  }
  chosenCol.fill(-1, 0, nRows);
  used.fill(0, 0, nCols);
  for (let r = 0; r < nodes; r++) {
    if (head[r] < 0) continue;
    if (next[head[r]] < 0) {
      chosenCol[e.rows[head[r]]] = e.cols[head[r]];
      continue;
    }
    // The component's entries, and the start of each of its rows among them.
    let m = 0;
    let R = 0;
    for (let k = head[r]; k >= 0; k = next[k]) {
      if (m === 0 || e.rows[k] !== e.rows[up.compEntries[m - 1]]) {
        if (R === 6) return null;
        up.compRowStart[R++] = m;
      }
      if (m === 16) return null;
      up.compEntries[m++] = k;
    }
    up.compRowStart[R] = m;
    best = -Infinity;
    second = -Infinity;
    enumerate(e, R, 0, 0);
    if (!(best - second > 1e-9 * Math.max(1, Math.abs(best)))) return null;
    for (let q = 0; q < R; q++) {
      const k = up.bestChosen[q];
      if (k >= 0) chosenCol[e.rows[k]] = e.cols[k];
    }
  }
  if (up.rowsOut.length < nRows) {
    up.rowsOut = new Int32Array(2 * nRows);
    up.colsOut = new Int32Array(2 * nRows);
  }
  let m = 0;
  for (let i = 0; i < nRows; i++) {
    if (chosenCol[i] >= 0) {
      up.rowsOut[m] = i;
      up.colsOut[m++] = chosenCol[i];
    }
  }
  return { rows: up.rowsOut.subarray(0, m), cols: up.colsOut.subarray(0, m) };
}

/** Union-find root with path halving. */
export function findRoot(parent: Int32Array, x: number): number {
  while (parent[x] !== x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

let best = -Infinity;
let second = -Infinity;

/**
 * Visits every matching of the component (its row q: unmatched, or one of its entries whose column is free); tracks
 * the best total (its chosen entries in `up.bestChosen`) and the runner-up.
 */
function enumerate(e: PositiveEntries, R: number, q: number, total: number): void {
  if (q === R) {
    if (total > best) {
      second = best;
      best = total;
      up.bestChosen.set(up.chosen.subarray(0, R));
    } else if (total > second) second = total;
    return;
  }
  up.chosen[q] = -1;
  enumerate(e, R, q + 1, total);
  const used = up.used;
  for (let x = up.compRowStart[q], x1 = up.compRowStart[q + 1]; x < x1; x++) {
    const k = up.compEntries[x];
    const j = e.cols[k];
    if (used[j]) continue;
    used[j] = 1;
    up.chosen[q] = k;
    enumerate(e, R, q + 1, total + e.values[k]);
    used[j] = 0;
  }
  up.chosen[q] = -1;
}
