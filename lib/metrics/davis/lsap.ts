// Linear sum assignment, a line-by-line port of SciPy's `linear_sum_assignment` (scipy/optimize/
// rectangular_lsap/rectangular_lsap.cpp: Crouse's shortest augmenting path). The port matters for ties:
// the unsupervised DAVIS protocol matches proposals to objects with it, and tied scores (e.g. several
// empty proposals) must pick the same pairs as SciPy does.

export interface Assignment {
  /** Row indices, ascending. */
  rows: number[];
  /** Column assigned to each entry of `rows`. */
  cols: number[];
}

function augmentingPath(
  nc: number,
  cost: Float64Array,
  u: Float64Array,
  v: Float64Array,
  path: Int32Array,
  row4col: Int32Array,
  shortestPathCosts: Float64Array,
  start: number,
  SR: Uint8Array,
  SC: Uint8Array,
  remaining: Int32Array,
): { sink: number; minVal: number } {
  let i = start;
  let minVal = 0;
  let numRemaining = nc;
  // Filled in reverse so that a constant cost matrix yields the identity (scipy #11602).
  for (let it = 0; it < nc; it++) remaining[it] = nc - it - 1;
  SR.fill(0);
  SC.fill(0);
  shortestPathCosts.fill(Infinity);
  let sink = -1;
  while (sink === -1) {
    let index = -1;
    let lowest = Infinity;
    SR[i] = 1;
    for (let it = 0; it < numRemaining; it++) {
      const j = remaining[it];
      const r = minVal + cost[i * nc + j] - u[i] - v[j];
      if (r < shortestPathCosts[j]) {
        path[j] = i;
        shortestPathCosts[j] = r;
      }
      // Among equal minima prefer a column that is still free: it ends the path.
      if (shortestPathCosts[j] < lowest || (shortestPathCosts[j] === lowest && row4col[j] === -1)) {
        lowest = shortestPathCosts[j];
        index = it;
      }
    }
    minVal = lowest;
    if (minVal === Infinity) return { sink: -1, minVal };
    const j = remaining[index];
    if (row4col[j] === -1) sink = j;
    else i = row4col[j];
    SC[j] = 1;
    remaining[index] = remaining[--numRemaining];
  }
  return { sink, minVal };
}

/** Minimises the total cost of a row-major `nr x nc` matrix; returns min(nr, nc) pairs sorted by row. */
export function linearSumAssignment(costRows: ReadonlyArray<ArrayLike<number>>): Assignment {
  let nr = costRows.length;
  let nc = nr === 0 ? 0 : costRows[0].length;
  if (nr === 0 || nc === 0) return { rows: [], cols: [] };
  const transpose = nc < nr;
  const cost = new Float64Array(nr * nc);
  for (let i = 0; i < nr; i++) {
    if (costRows[i].length !== nc) throw new RangeError("linearSumAssignment: ragged cost matrix");
    for (let j = 0; j < nc; j++) {
      if (transpose) cost[j * nr + i] = costRows[i][j];
      else cost[i * nc + j] = costRows[i][j];
    }
  }
  if (transpose) [nr, nc] = [nc, nr];
  for (let k = 0; k < cost.length; k++) {
    if (Number.isNaN(cost[k]) || cost[k] === -Infinity) throw new RangeError("linearSumAssignment: matrix contains invalid numeric entries");
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
    const { sink, minVal } = augmentingPath(nc, cost, u, v, path, row4col, shortestPathCosts, curRow, SR, SC, remaining);
    if (sink < 0) throw new RangeError("linearSumAssignment: cost matrix is infeasible");
    u[curRow] += minVal;
    for (let i = 0; i < nr; i++) if (SR[i] && i !== curRow) u[i] += minVal - shortestPathCosts[col4row[i]];
    for (let j = 0; j < nc; j++) if (SC[j]) v[j] -= minVal - shortestPathCosts[j];
    let j = sink;
    for (;;) {
      const i = path[j];
      row4col[j] = i;
      const t = col4row[i];
      col4row[i] = j;
      j = t;
      if (i === curRow) break;
    }
  }
  if (transpose) {
    // col4row values are distinct columns of the original matrix, so the argsort has no ties.
    const order = Array.from(col4row.keys()).sort((a, b) => col4row[a] - col4row[b]);
    return { rows: order.map((k) => col4row[k]), cols: order };
  }
  return { rows: Array.from({ length: nr }, (_, i) => i), cols: Array.from(col4row) };
}
