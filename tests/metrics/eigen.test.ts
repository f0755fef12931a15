import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/random.js';
import { gram, symmetricEigen, type Mat } from '../../stages/metrics/lib/dense.js';
import { leadingEigen } from '../../stages/metrics/lib/eigen.js';
import { delayEmbed, hankelGram, trajectories } from '../../stages/metrics/lib/hankel.js';
import { maxAbsDiff, randomMatrix } from './helpers.js';

test('the Hankel-structured Gram matrix equals Hs^T Hs of the explicit embedding', () => {
  const rng = new Rng(1);
  for (const [k, t, n, d, tau] of [[1, 9, 2, 1, 1], [3, 20, 4, 3, 1], [2, 30, 3, 4, 2], [4, 12, 5, 2, 3], [1, 7, 3, 7, 1]] as const) {
    const x = trajectories(k, t, n, Float64Array.from({ length: k * t * n }, () => rng.normal()));
    const direct = gram(delayEmbed(x, d, tau));
    const structured = hankelGram(x, d, tau);
    assert.ok(maxAbsDiff(direct.data, structured.data) < 1e-12 * t * k, `[${k}, ${t}, ${n}] d ${d} tau ${tau}`);
  }
});

function check(s: Mat, count: number, label: string): void {
  const n = s.rows;
  const { values, vectors } = leadingEigen(s, count);
  const reference = symmetricEigen(s);
  const scale = Math.abs(reference.values[0]!) + Math.abs(reference.values[n - 1]!);
  assert.ok(maxAbsDiff(values, reference.values) < 1e-12 * scale * n, `${label}: eigenvalues`);
  for (let c = 0; c < count; c++) {
    // residual ||S z - lambda z|| and orthonormality
    let res = 0;
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let j = 0; j < n; j++) acc += s.data[i * n + j]! * vectors.data[j * count + c]!;
      res = Math.max(res, Math.abs(acc - values[c]! * vectors.data[i * count + c]!));
    }
    assert.ok(res < 1e-11 * scale, `${label}: residual of vector ${c} is ${res}`);
    for (let c2 = 0; c2 <= c; c2++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += vectors.data[i * count + c]! * vectors.data[i * count + c2]!;
      assert.ok(Math.abs(dot - (c === c2 ? 1 : 0)) < 1e-10, `${label}: <z${c}, z${c2}> = ${dot}`);
    }
  }
}

test('leading eigenpairs by tridiagonalisation and inverse iteration agree with a full decomposition', () => {
  const rng = new Rng(2);
  for (const n of [1, 2, 3, 10, 60]) check(gram(randomMatrix(rng, 2 * n + 1, n)), Math.min(n, 8), `gram ${n}`);
  // indefinite, and a matrix with clusters: eigenvalues 4 (x6), 4 + tiny steps, then decaying
  check(((m) => { for (let i = 0; i < 30; i++) for (let j = 0; j < i; j++) m.data[i * 30 + j] = m.data[j * 30 + i]!; return m; })(randomMatrix(rng, 30, 30)), 10, 'indefinite');
  const n = 40;
  const q = symmetricEigen(gram(randomMatrix(rng, n + 5, n))).vectors; // a random orthogonal basis
  const lambda = Array.from({ length: n }, (_, i) => (i < 6 ? 4 : i < 12 ? 4 + 1e-9 * i : 1 / (i + 1)));
  const s: Mat = { rows: n, cols: n, data: new Float64Array(n * n) };
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let k = 0; k < n; k++) acc += q.data[i * n + k]! * lambda[k]! * q.data[j * n + k]!;
    s.data[i * n + j] = acc;
  }
  check(s, 15, 'clustered');
});
