// Linear assignment (the same problem as scipy.optimize.linear_sum_assignment): match each row to a distinct
// column so the summed cost is least (or greatest). Shortest augmenting paths with dual potentials
// (Hungarian method in the Jonker-Volgenant form), O(rows^2 cols), exact for finite costs.
import { check } from './errors.js';

export interface Assignment {
  /** rowToCol[i] = column matched to row i (every row is matched when rows <= cols). */
  readonly rowToCol: Int32Array;
  /** Summed cost of the matched entries. */
  readonly total: number;
}

/**
 * Solves min (or max) sum_i cost[i, sigma(i)] over injective sigma; `cost` is rows x cols, row-major.
 * When rows > cols the transposed problem is solved and rows without a column get -1.
 */
export function linearSumAssignment(cost: Float64Array, rows: number, cols: number, maximize = false): Assignment {
  check(cost.length === rows * cols, () => `assignment cost has ${cost.length} entries, expected ${rows} x ${cols}`);
  for (let i = 0; i < cost.length; i++) check(Number.isFinite(cost[i]!), () => `assignment cost must be finite, entry ${i} is ${cost[i]}`);
  if (rows > cols) {
    const t = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = cost[i * cols + j]!;
    const sub = linearSumAssignment(t, cols, rows, maximize);
    const rowToCol = new Int32Array(rows).fill(-1);
    sub.rowToCol.forEach((r, c) => { rowToCol[r] = c; });
    return { rowToCol, total: sub.total };
  }
  const sign = maximize ? -1 : 1;
  const n = rows;
  const m = cols;
  // 1-based rows and columns; column 0 is a virtual start. colRow[j] = row matched to column j (0 = none).
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const colRow = new Int32Array(m + 1);
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    colRow[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    // Dijkstra-like growth of alternating paths in reduced costs until a free column is reached.
    do {
      used[j0] = 1;
      const i0 = colRow[j0]!;
      const base = (i0 - 1) * m;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const reduced = sign * cost[base + j - 1]! - u[i0]! - v[j]!;
        if (reduced < minv[j]!) {
          minv[j] = reduced;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[colRow[j]!]! += delta;
          v[j]! -= delta;
        } else {
          minv[j]! -= delta;
        }
      }
      j0 = j1;
    } while (colRow[j0] !== 0);
    // Augment along the path back to the virtual column.
    do {
      const j1 = way[j0]!;
      colRow[j0] = colRow[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const rowToCol = new Int32Array(n).fill(-1);
  let total = 0;
  for (let j = 1; j <= m; j++) {
    const r = colRow[j]!;
    if (r > 0) {
      rowToCol[r - 1] = j - 1;
      total += cost[(r - 1) * m + j - 1]!;
    }
  }
  return { rowToCol, total };
}
