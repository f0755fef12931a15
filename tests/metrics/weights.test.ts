import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/random.js';
import { scale, zeros, type Mat } from '../../stages/metrics/lib/dense.js';
import { weightDistance } from '../../stages/metrics/lib/weights.js';
import { fixture, randomMatrix } from './helpers.js';

/** W2[sigma(i), sigma(k)] = W1[i, k]: network 2 is network 1 with neuron i renamed sigma(i). */
function relabel(w: Mat, sigma: number[]): Mat {
  const n = w.rows;
  const out = zeros(n, n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) out.data[sigma[i]! * n + sigma[k]!] = w.data[i * n + k]!;
  return out;
}

function shuffled(n: number, rng: Rng): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  rng.shuffle(p);
  return p;
}

test('weight distance is 0 for P W P^T and recovers the relabelling', () => {
  const rng = new Rng(1);
  for (const n of [5, 32]) {
    const w = randomMatrix(rng, n, n, 1 / Math.sqrt(n));
    const sigma = shuffled(n, rng);
    const r = weightDistance(w, relabel(w, sigma));
    assert.ok(r.raw < 1e-12 && r.rms < 1e-12 && r.scalefree < 1e-12 && r.angle < 1e-6, JSON.stringify(r));
    assert.deepEqual(Array.from(r.permutation), sigma);
    assert.ok(r.unaligned.raw > 0.5, 'without alignment the copy looks different');
  }
});

test('the scale-free distance ignores a positive rescaling; the raw one does not', () => {
  const rng = new Rng(2);
  const n = 16;
  const w = randomMatrix(rng, n, n);
  const r = weightDistance(w, scale(relabel(w, shuffled(n, rng)), 3));
  assert.ok(r.scalefree < 1e-12);
  assert.ok(Math.abs(r.raw - 2 * Math.hypot(...w.data)) < 1e-9, 'raw = ||W - 3W|| = 2||W||');
  assert.ok(Math.abs(r.relative - 2) < 1e-12);
  assert.ok(Math.abs(r.sum - 0.5) < 1e-12);
});

test('a planted permutation is recovered under noise, with and without refinement', () => {
  const rng = new Rng(3);
  const n = 40;
  for (const noise of [0.1, 0.3]) {
    const w = randomMatrix(rng, n, n, 1 / Math.sqrt(n));
    const sigma = shuffled(n, rng);
    const w2 = relabel(w, sigma);
    for (let i = 0; i < n * n; i++) w2.data[i]! += (noise / Math.sqrt(n)) * rng.normal();
    for (const refine of [false, true]) {
      const r = weightDistance(w, w2, { refine, seed: 1 });
      assert.deepEqual(Array.from(r.permutation), sigma, `noise ${noise}, refine ${refine}`);
      // the aligned distance is the noise, far below the unaligned one
      assert.ok(r.rms < r.unaligned.rms / 3);
      assert.ok(Math.abs(r.scalefree ** 2 - (2 - 2 * Math.cos(r.angle))) < 1e-12);
    }
  }
});

test('extra per-neuron features take part in the signatures', () => {
  const rng = new Rng(4);
  const n = 12;
  // A matrix whose neurons are indistinguishable by their weights alone (all rows and columns are
  // permutations of each other: a circulant), told apart by one feature.
  const base = Array.from({ length: n }, () => rng.normal());
  const w = zeros(n, n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) w.data[i * n + k] = base[(k - i + n) % n]!;
  const f1 = zeros(n, 1);
  for (let i = 0; i < n; i++) f1.data[i] = i;
  const sigma = shuffled(n, rng);
  const f2 = zeros(n, 1);
  for (let i = 0; i < n; i++) f2.data[sigma[i]!] = i;
  const r = weightDistance(w, relabel(w, sigma), { features1: f1, features2: f2, faqStarts: 0 });
  assert.deepEqual(Array.from(r.permutation), sigma);
  assert.ok(r.raw < 1e-12);
});

test('FAQ alignment is at least as good as scipy quadratic_assignment with 6 starts (fixtures)', () => {
  for (const c of fixture<{ W1: number[][]; W2: number[][]; scipy_best_distance: number; planted_distance: number }[]>('faq.json')) {
    const n = c.W1.length;
    const m = (x: number[][]): Mat => ({ rows: n, cols: n, data: Float64Array.from(x.flat()) });
    const r = weightDistance(m(c.W1), m(c.W2), { seed: 0 });
    assert.ok(r.raw <= c.scipy_best_distance + 1e-9, `degen ${r.raw} vs scipy ${c.scipy_best_distance} (planted ${c.planted_distance})`);
  }
});

test('bad weight inputs are refused with a clear message', () => {
  const rng = new Rng(5);
  assert.throws(() => weightDistance(randomMatrix(rng, 3, 3), randomMatrix(rng, 4, 4)), /different widths \(3 and 4 units\)/);
  const bad = randomMatrix(rng, 3, 3);
  bad.data[4] = NaN;
  assert.throws(() => weightDistance(bad, randomMatrix(rng, 3, 3)), /W1 has a non-finite entry/);
});
