import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/random.js';
import { linearSumAssignment } from '../../stages/metrics/lib/lap.js';
import { fixture } from './helpers.js';

/** Best injective assignment of rows to columns by enumeration. */
function bruteForce(cost: Float64Array, rows: number, cols: number, maximize: boolean): number {
  let best = maximize ? -Infinity : Infinity;
  const used = new Uint8Array(cols);
  const walk = (i: number, acc: number): void => {
    if (i === rows) {
      best = maximize ? Math.max(best, acc) : Math.min(best, acc);
      return;
    }
    for (let j = 0; j < cols; j++) {
      if (used[j]) continue;
      used[j] = 1;
      walk(i + 1, acc + cost[i * cols + j]!);
      used[j] = 0;
    }
  };
  walk(0, 0);
  return best;
}

test('linear assignment equals brute force on small square and rectangular problems', () => {
  const rng = new Rng(1);
  for (let trial = 0; trial < 60; trial++) {
    const rows = 1 + rng.int(6);
    const cols = rows + rng.int(3);
    // integer costs make ties common, which exercises the tie handling
    const cost = Float64Array.from({ length: rows * cols }, () => (trial % 2 ? rng.int(5) : rng.normal()));
    for (const maximize of [false, true]) {
      const { rowToCol, total } = linearSumAssignment(cost, rows, cols, maximize);
      assert.ok(Math.abs(total - bruteForce(cost, rows, cols, maximize)) < 1e-12, `trial ${trial} ${rows}x${cols}`);
      assert.equal(new Set(rowToCol).size, rows, 'columns are distinct');
      let sum = 0;
      rowToCol.forEach((j, i) => { sum += cost[i * cols + j]!; });
      assert.ok(Math.abs(sum - total) < 1e-12);
    }
  }
});

test('more rows than columns: every column is used once and spare rows get -1', () => {
  const cost = Float64Array.from([5, 1, 2, 9, 0, 7]); // 3 x 2
  const { rowToCol, total } = linearSumAssignment(cost, 3, 2);
  // column 0 -> row 2 (cost 0), column 1 -> row 0 (cost 1)
  assert.deepEqual(Array.from(rowToCol), [1, -1, 0]);
  assert.equal(total, 1);
});

test('linear assignment matches scipy.optimize.linear_sum_assignment (fixtures)', () => {
  for (const c of fixture<{ cost: number[][]; min: number; max: number }[]>('lap.json')) {
    const rows = c.cost.length;
    const cols = c.cost[0]!.length;
    const flat = Float64Array.from(c.cost.flat());
    assert.ok(Math.abs(linearSumAssignment(flat, rows, cols).total - c.min) < 1e-9);
    assert.ok(Math.abs(linearSumAssignment(flat, rows, cols, true).total - c.max) < 1e-9);
  }
});

test('non-finite costs are refused', () => {
  assert.throws(() => linearSumAssignment(Float64Array.from([1, NaN, 2, 3]), 2, 2), /finite/);
});
