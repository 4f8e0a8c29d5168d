// Linear sum assignment: a line-by-line port of scipy's `scipy/optimize/rectangular_lsap/rectangular_lsap.cpp`
// (Crouse 2016, shortest augmenting path, Jonker-Volgenant style dual updates). Every reference evaluator we
// match (TrackEval, davis2017-evaluation, Molmo2) calls `scipy.optimize.linear_sum_assignment`, and on tie-heavy
// matrices (binary similarities, IDF1 costs) the chosen optimum depends on scipy's exact tie rules, so this keeps them:
//   - rows are augmented in order 0..nr-1;
//   - `remaining` columns are filled in reverse order (nc-1..0) and removed by swapping in the last one;
//   - among equal shortest-path costs an unassigned column (new sink) is preferred, else the first one scanned;
//   - tall matrices are transposed and the result sorted by row.

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

  const u = new Float64Array(nr);
  const v = new Float64Array(nc);
  const shortestPathCosts = new Float64Array(nc);
  const path = new Int32Array(nc).fill(-1);
  const col4row = new Int32Array(nr).fill(-1);
  const row4col = new Int32Array(nc).fill(-1);
  const SR = new Uint8Array(nr);
  const SC = new Uint8Array(nc);
  const remaining = new Int32Array(nc);

  for (let curRow = 0; curRow < nr; curRow++) {
    // --- augmenting_path(curRow) ---
    let minVal = 0;
    let numRemaining = nc;
    // Reverse order makes a constant matrix give the identity (scipy #11602).
    for (let it = 0; it < nc; it++) remaining[it] = nc - it - 1;
    SR.fill(0);
    SC.fill(0);
    shortestPathCosts.fill(Infinity);

    let i = curRow;
    let sink = -1;
    while (sink === -1) {
      let index = -1;
      let lowest = Infinity;
      SR[i] = 1;
      const base = i * nc;
      const ui = u[i];
      for (let it = 0; it < numRemaining; it++) {
        const j = remaining[it];
        const r = minVal + c[base + j] - ui - v[j];
        if (r < shortestPathCosts[j]) {
          path[j] = i;
          shortestPathCosts[j] = r;
        }
        // Among equal minima prefer a column that ends the path (an unassigned one).
        const s = shortestPathCosts[j];
        if (s < lowest || (s === lowest && row4col[j] === -1)) {
          lowest = s;
          index = it;
        }
      }
      minVal = lowest;
      if (minVal === Infinity) throw new RangeError("linearSumAssignment: cost matrix is infeasible");
      const j = remaining[index];
      if (row4col[j] === -1) sink = j;
      else i = row4col[j];
      SC[j] = 1;
      remaining[index] = remaining[--numRemaining];
    }

    // --- update dual variables ---
    u[curRow] += minVal;
    for (let r = 0; r < nr; r++) {
      if (SR[r] && r !== curRow) u[r] += minVal - shortestPathCosts[col4row[r]];
    }
    for (let j = 0; j < nc; j++) {
      if (SC[j]) v[j] -= minVal - shortestPathCosts[j];
    }

    // --- augment previous solution ---
    let j = sink;
    for (;;) {
      const r = path[j];
      row4col[j] = r;
      const prev = col4row[r];
      col4row[r] = j;
      j = prev;
      if (r === curRow) break;
    }
  }

  const rows = new Int32Array(nr);
  const cols = new Int32Array(nr);
  if (transpose) {
    // Pairs sorted by original row index (= solver column), like scipy's argsort of col4row.
    const order = Array.from(col4row.keys()).sort((a, b) => col4row[a] - col4row[b]);
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
