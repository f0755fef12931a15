// Shared helpers for the metrics tests: fixtures generated once with numpy/scipy, random matrices.
import { readFileSync } from 'node:fs';
import { Rng } from '../../src/random.js';
import { zeros, type Mat } from '../../stages/metrics/lib/dense.js';

/** Reads tests/metrics/fixtures/<name> (tests run from dist/tests/metrics/, fixtures stay in the source tree). */
export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../../tests/metrics/fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

export function randomMatrix(rng: Rng, rows: number, cols: number, sd = 1): Mat {
  const m = zeros(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = sd * rng.normal();
  return m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? worst : Infinity;
}
