import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/random.js';
import { matmul, toRows, zeros } from '../../stages/metrics/lib/dense.js';
import { fitDmd, fullOperator, selectRank, sortedEigenvalues } from '../../stages/metrics/lib/dmd.js';
import { MetricInputError } from '../../stages/metrics/lib/errors.js';
import { delayEmbed, trajectories } from '../../stages/metrics/lib/hankel.js';
import { fixture, maxAbsDiff, randomMatrix } from './helpers.js';

test('delay embedding puts the most recent sample first (A.2), hand-worked', () => {
  const x = trajectories(1, 4, 2, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(toRows(delayEmbed(x, 1, 1)), [[1, 2], [3, 4], [5, 6], [7, 8]]);
  assert.deepEqual(toRows(delayEmbed(x, 2, 1)), [[3, 4, 1, 2], [5, 6, 3, 4], [7, 8, 5, 6]]);
  assert.deepEqual(toRows(delayEmbed(x, 2, 2)), [[5, 6, 1, 2], [7, 8, 3, 4]]);
  assert.deepEqual(toRows(delayEmbed(x, 3, 1)), [[5, 6, 3, 4, 1, 2], [7, 8, 5, 6, 3, 4]]);
});

test('delay embedding stacks trials trial-major and never mixes them', () => {
  // two trials of one unit: 1 2 3 | 10 20 30
  const x = trajectories(2, 3, 1, [1, 2, 3, 10, 20, 30]);
  assert.deepEqual(toRows(delayEmbed(x, 2, 1)), [[2, 1], [3, 2], [20, 10], [30, 20]]);
});

test('too few time steps for the delays is a clear input error', () => {
  const x = trajectories(1, 4, 2, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.throws(() => delayEmbed(x, 3, 2), (e: unknown) => e instanceof MetricInputError && /at least 5 time steps/.test(e.message));
  // 4 steps, d = 4: T' = 1 leaves no (t, t+1) pair
  assert.throws(() => fitDmd(x, { nDelays: 4 }), /too few time steps/);
  // 2 trials x 9 embedded steps = 18 rows < 4 units x 5 delays
  const y = trajectories(2, 13, 4, new Float64Array(2 * 13 * 4).fill(1));
  assert.throws(() => fitDmd(y, { nDelays: 5 }), /too few samples for the delays: 2 trials x 9 embedded steps = 18 rows < 4 units x 5 delays = 20 columns/);
});

test('NaN in the trajectories is named with its trial, step and unit', () => {
  const data = new Float64Array(2 * 5 * 3).fill(1);
  data[(1 * 5 + 2) * 3 + 1] = NaN;
  assert.throws(() => fitDmd(trajectories(2, 5, 3, data)), /contain NaN \(trial 1, step 2, unit 1\)/);
});

test('rank selection follows A.4, including searchsorted(side=left) for explained variance', () => {
  // squares 4, 2, 1, 1: cumulative shares 0.5, 0.75, 0.875, 1
  const s = Float64Array.from([2, Math.SQRT2, 1, 1]);
  assert.equal(selectRank(s, {}), 4);
  assert.equal(selectRank(s, { rank: 2 }), 2);
  assert.equal(selectRank(s, { rank: 9 }), 4, 'capped at len(s)');
  assert.equal(selectRank(s, { rankThresh: 1 }), 2, 'strictly greater than the threshold');
  assert.equal(selectRank(s, { rankThresh: 5 }), 1, 'at least one');
  assert.equal(selectRank(s, { rankExplainedVariance: 0.5 }), 1, 'a share equal to p is enough (side=left)');
  assert.equal(selectRank(s, { rankExplainedVariance: 0.51 }), 2);
  assert.equal(selectRank(s, { rankExplainedVariance: 0.75 }), 2);
  assert.equal(selectRank(s, { rankExplainedVariance: 0.9 }), 4);
  assert.equal(selectRank(s, { rankExplainedVariance: 1.5 }), 4, 'capped at len(s)');
  assert.throws(() => selectRank(s, { rank: 2, rankThresh: 1 }), /at most one/);
  assert.throws(() => selectRank(s, { rank: 0 }), /positive integer/);
});

test('DMD recovers a known linear system from its noiseless trajectories', () => {
  const rng = new Rng(7);
  const n = 4;
  // A stable rotation-plus-decay system with distinct eigenvalue moduli.
  const a = zeros(n, n);
  const blocks: [number, number][] = [[0.95, 0.3], [0.8, 0.1]];
  blocks.forEach(([r, th], b) => {
    const i = 2 * b;
    a.data[i * n + i] = r * Math.cos(th); a.data[i * n + i + 1] = -r * Math.sin(th);
    a.data[(i + 1) * n + i] = r * Math.sin(th); a.data[(i + 1) * n + i + 1] = r * Math.cos(th);
  });
  const q = randomMatrix(rng, n, n); // observe through a random (invertible) map
  const k = 6, t = 25;
  const data = new Float64Array(k * t * n);
  for (let trial = 0; trial < k; trial++) {
    const x0 = randomMatrix(rng, n, 1);
    let state = x0;
    for (let step = 0; step < t; step++) {
      const obs = matmul(q, state);
      data.set(obs.data, (trial * t + step) * n);
      state = matmul(a, state);
    }
  }
  const fit = fitDmd(trajectories(k, t, n, data), { nDelays: 1 });
  assert.equal(fit.rank, 4);
  const want = sortedEigenvalues(a);
  const got = sortedEigenvalues(fit.aV);
  assert.ok(maxAbsDiff(want.flat(), got.flat()) < 1e-10, `eigenvalues ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
  // The full-space operator is the observed system Q A Q^{-1}: it maps each sample to the next one.
  const full = fullOperator(fit);
  let worst = 0;
  for (let trial = 0; trial < k; trial++) for (let step = 0; step + 1 < t; step++) {
    const now = { rows: n, cols: 1, data: data.slice((trial * t + step) * n, (trial * t + step + 1) * n) };
    const next = matmul(full, now);
    worst = Math.max(worst, maxAbsDiff(next.data, data.subarray((trial * t + step + 1) * n, (trial * t + step + 2) * n)));
  }
  assert.ok(worst < 1e-9, `one-step prediction error ${worst}`);
  // With two delays the embedding has rank 4 (x_{t-1} = A^{-1} x_t): rank 4 finds the same eigenvalues, rank 8 is refused.
  const delayed = fitDmd(trajectories(k, t, n, data), { nDelays: 2, rank: 4 });
  assert.ok(maxAbsDiff(want.flat(), sortedEigenvalues(delayed.aV).flat()) < 1e-8);
  assert.throws(() => fitDmd(trajectories(k, t, n, data), { nDelays: 2 }), /exceeds the numerical rank 4/);
});

interface DmdCase {
  name: string; trials: number; time: number; units: number; n_delays: number; delay_interval: number; rank: number | null;
  lamb: number; reduced_rank_reg: boolean; steps_ahead: number; x: number[];
  expected: { s: number[]; A_v: number[][]; rank: number; eig_re: number[]; eig_abs: number[] };
}

test('DMD matches an independent numpy SVD route (fixtures) to ~1e-9', () => {
  for (const c of fixture<DmdCase[]>('dmd.json')) {
    const fit = fitDmd(trajectories(c.trials, c.time, c.units, c.x), {
      nDelays: c.n_delays, delayInterval: c.delay_interval, rank: c.rank ?? undefined, lamb: c.lamb,
      reducedRankReg: c.reduced_rank_reg, stepsAhead: c.steps_ahead,
    });
    assert.equal(fit.rank, c.expected.rank, c.name);
    assert.ok(maxAbsDiff(fit.singularValues, c.expected.s) < 1e-9 * c.expected.s[0]!, `${c.name}: singular values`);
    const sv = Float64Array.from(c.expected.A_v.flat());
    assert.ok(maxAbsDiff(fit.aV.data, sv) < 1e-8, `${c.name}: A_v differs by ${maxAbsDiff(fit.aV.data, sv)}`);
    const ev = sortedEigenvalues(fit.aV);
    const re = ev.map((p) => p[0]).sort((x, y) => x - y);
    assert.ok(maxAbsDiff(re, c.expected.eig_re) < 1e-8, `${c.name}: eigenvalues`);
  }
});
