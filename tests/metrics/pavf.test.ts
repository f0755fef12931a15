import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simulateRnn } from '../../bench/dsa.js';
import { Rng } from '../../src/random.js';
import { determinantSign, eigenvalues, matmul, matmulNT, scale, transpose, zeros, type Mat } from '../../stages/metrics/lib/dense.js';
import { fitDmd } from '../../stages/metrics/lib/dmd.js';
import { gaussNewtonFactor, haarOrthogonal, PavfSolver, procrustesOverVectorFields } from '../../stages/metrics/lib/pavf.js';
import { compareOperators } from '../../stages/metrics/lib/simdist.js';
import { spectralWasserstein } from '../../stages/metrics/lib/wasserstein.js';
import { fixture, randomMatrix } from './helpers.js';

const sq = (n: number, data: Float64Array): Mat => ({ rows: n, cols: n, data });

/** c Q A Q^T */
function conjugate(q: Mat, a: Mat, c = 1): Mat {
  return scale(matmulNT(matmul(q, a), q), c);
}

function permutationMatrix(perm: number[]): Mat {
  const n = perm.length;
  const p = zeros(n, n);
  perm.forEach((j, i) => { p.data[i * n + j] = 1; });
  return p;
}

// Small realistic operators: DMD fits of simulated slow RNNs (A_v ~ I + small, the hard case).
const operators = [0, 1, 2].map((seed) => fitDmd(simulateRnn(seed, { units: 24, trials: 12, time: 60 }), { nDelays: 3, rank: 10 }).aV);

test('the PAVF gradient matches finite differences of f(C cay(tW))', () => {
  const rng = new Rng(3);
  const n = 6;
  const a = randomMatrix(rng, n, n);
  const b = randomMatrix(rng, n, n);
  const solver = new PavfSolver(n, a.data, b.data);
  const c0 = haarOrthogonal(n, rng);
  solver.reset(c0);
  const g = solver.gradient();
  const f = (w: Float64Array): number => {
    // C cay(W) with W from packed w, then ||C^T A C - B||^2
    const wm = zeros(n, n);
    let q = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) { wm.data[i * n + j] = w[q]!; wm.data[j * n + i] = -w[q]!; q++; }
    const left = zeros(n, n); const right = zeros(n, n);
    for (let i = 0; i < n * n; i++) { left.data[i] = -wm.data[i]! / 2; right.data[i] = wm.data[i]! / 2; }
    for (let i = 0; i < n; i++) { left.data[i * n + i]! += 1; right.data[i * n + i]! += 1; }
    // cay = left^{-1} right, by solving with ml-matrix-free Gauss elimination on a tiny system
    const inv = invert(left);
    const cay = matmul(inv, right);
    const c = matmul(sq(n, c0), cay);
    const m = matmul(matmul(transpose(c), a), c);
    let s = 0;
    for (let i = 0; i < n * n; i++) s += (m.data[i]! - b.data[i]!) ** 2;
    return s;
  };
  const h = 1e-6;
  for (let k = 0; k < g.length; k++) {
    const wp = new Float64Array(g.length); wp[k] = h;
    const wm = new Float64Array(g.length); wm[k] = -h;
    const fd = (f(wp) - f(wm)) / (2 * h);
    assert.ok(Math.abs(fd - g[k]!) < 1e-6 * (1 + Math.abs(fd)), `component ${k}: finite difference ${fd}, gradient ${g[k]}`);
  }
});

function invert(m: Mat): Mat {
  const n = m.rows;
  const a = Float64Array.from(m.data);
  const out = zeros(n, n);
  for (let i = 0; i < n; i++) out.data[i * n + i] = 1;
  for (let k = 0; k < n; k++) {
    let piv = k;
    for (let r = k + 1; r < n; r++) if (Math.abs(a[r * n + k]!) > Math.abs(a[piv * n + k]!)) piv = r;
    for (let j = 0; j < n; j++) {
      [a[k * n + j], a[piv * n + j]] = [a[piv * n + j]!, a[k * n + j]!];
      [out.data[k * n + j], out.data[piv * n + j]] = [out.data[piv * n + j]!, out.data[k * n + j]!];
    }
    const d = a[k * n + k]!;
    for (let j = 0; j < n; j++) { a[k * n + j]! /= d; out.data[k * n + j]! /= d; }
    for (let r = 0; r < n; r++) {
      if (r === k) continue;
      const f = a[r * n + k]!;
      for (let j = 0; j < n; j++) { a[r * n + j]! -= f * a[k * n + j]!; out.data[r * n + j]! -= f * out.data[k * n + j]!; }
    }
  }
  return out;
}

test('the Gauss-Newton preconditioner is the quadratic form ||BW - WB||^2', () => {
  const rng = new Rng(5);
  const n = 5;
  const b = randomMatrix(rng, n, n);
  const size = (n * (n - 1)) / 2;
  const l = gaussNewtonFactor(b.data, n);
  for (let trial = 0; trial < 3; trial++) {
    const w = Float64Array.from({ length: size }, () => rng.normal());
    // w^T L L^T w = ||L^T w||^2 (L^T is stored above the diagonal, L_ii on it)
    let form = 0;
    for (let i = 0; i < size; i++) {
      let s = l[i * size + i]! * w[i]!;
      for (let k = i + 1; k < size; k++) s += l[i * size + k]! * w[k]!;
      form += s * s;
    }
    const wm = zeros(n, n);
    let q = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) { wm.data[i * n + j] = w[q]!; wm.data[j * n + i] = -w[q]!; q++; }
    const comm = matmul(b, wm);
    const other = matmul(wm, b);
    let direct = 0;
    for (let i = 0; i < n * n; i++) direct += (comm.data[i]! - other.data[i]!) ** 2;
    // G = 2 x the form, plus a 1e-6 relative ridge
    assert.ok(Math.abs(form - 2 * direct) < 1e-5 * form, `${form} vs ${2 * direct}`);
  }
});

test('DSA angular and euclidean are ~0 for rotated, reflected, permuted and rescaled copies (< 1e-6 rad)', () => {
  const rng = new Rng(11);
  const cases: { name: string; a: Mat }[] = [
    ...operators.map((a, i) => ({ name: `dmd operator ${i}`, a })),
    { name: 'random 8x8', a: randomMatrix(rng, 8, 8) },
    { name: 'random 20x20', a: randomMatrix(rng, 20, 20) },
  ];
  for (const { name, a } of cases) {
    const n = a.rows;
    const rotation = sq(n, haarOrthogonal(n, rng, 1));
    const reflection = sq(n, haarOrthogonal(n, rng, -1));
    const perm = Array.from({ length: n }, (_, i) => i);
    rng.shuffle(perm);
    const copies: [string, Mat][] = [
      ['itself', a],
      ['rotated', conjugate(rotation, a)],
      ['reflected (det -1)', conjugate(reflection, a)],
      ['permuted', conjugate(permutationMatrix(perm), a)],
      ['rescaled x 7.5', scale(a, 7.5)],
      ['rotated, reflected and rescaled x 0.01', conjugate(reflection, conjugate(rotation, a), 0.01)],
    ];
    for (const [what, b] of copies) {
      const r = procrustesOverVectorFields(a, b, { seed: 1, restarts: 4 });
      assert.ok(r.angular < 1e-6, `${name} vs ${what}: angular ${r.angular}`);
      assert.ok(r.euclidean < 1e-6, `${name} vs ${what}: euclidean ${r.euclidean}`);
    }
  }
});

test('PAVF finds the reflection component: the optimal C of a det -1 copy has det -1', () => {
  const rng = new Rng(2);
  const a = operators[0]!;
  const n = a.rows;
  const reflection = sq(n, haarOrthogonal(n, rng, -1));
  const r = procrustesOverVectorFields(a, conjugate(reflection, a), { seed: 0, restarts: 2 });
  assert.ok(r.angular < 1e-6);
  assert.equal(r.determinant, -1);
  assert.equal(determinantSign(r.c), -1);
});

test('PAVF scores: euclidean^2 = 2 - 2 cos(angular), symmetric in A and B, zero only for copies', () => {
  const [a, b] = [operators[0]!, operators[1]!];
  const ab = procrustesOverVectorFields(a, b, { seed: 3 });
  const ba = procrustesOverVectorFields(b, a, { seed: 4 });
  assert.ok(ab.angular > 1e-3, `different networks should differ, got ${ab.angular}`);
  assert.ok(Math.abs(ab.euclidean ** 2 - (2 - 2 * Math.cos(ab.angular))) < 1e-12);
  assert.ok(Math.abs(ab.angular - ba.angular) < 1e-9, `d(A,B) = ${ab.angular} but d(B,A) = ${ba.angular}`);
  // Transposing both (the row vs column convention of A.6) changes nothing.
  const tt = procrustesOverVectorFields(transpose(a), transpose(b), { seed: 5 });
  assert.ok(Math.abs(tt.angular - ab.angular) < 1e-9, `transposed: ${tt.angular} vs ${ab.angular}`);
  // The optimum is at least as good as any orthogonal matrix tried at random.
  const rng = new Rng(9);
  const n = a.rows;
  const na = Math.hypot(...a.data), nb = Math.hypot(...b.data);
  for (let k = 0; k < 50; k++) {
    const c = sq(n, haarOrthogonal(n, rng, k % 2 ? -1 : 1));
    const m = matmulNT(matmul(c, b), c);
    let e = 0;
    for (let i = 0; i < n * n; i++) e += (a.data[i]! / na - m.data[i]! / nb) ** 2;
    assert.ok(Math.sqrt(e) >= ab.euclidean - 1e-12);
  }
});

interface PavfCase { n: number; a: number[]; b: number[]; reference_angular: number }

test('PAVF reaches the minimum found by a float64 multi-start numpy/scipy optimiser (fixtures)', () => {
  for (const c of fixture<PavfCase[]>('pavf.json')) {
    const r = procrustesOverVectorFields(sq(c.n, Float64Array.from(c.a)), sq(c.n, Float64Array.from(c.b)), { seed: 0 });
    assert.ok(r.angular <= c.reference_angular + 1e-7, `degen ${r.angular} vs reference ${c.reference_angular}`);
  }
});

test('wasserstein is 0 for similar matrices (any invertible change of basis) and for the transpose', () => {
  const rng = new Rng(4);
  const a = operators[2]!;
  const n = a.rows;
  const s = randomMatrix(rng, n, n);
  const similar = matmul(matmul(s, a), invert(s));
  assert.ok(spectralWasserstein(a, similar) < 1e-12);
  assert.ok(spectralWasserstein(a, transpose(a)) < 1e-20);
  // but not scale-invariant
  assert.ok(spectralWasserstein(a, scale(a, 2)) > 0.1);
});

test('wasserstein on hand-worked spectra, with zero padding for different sizes', () => {
  const diag = (values: number[]): Mat => {
    const m = zeros(values.length, values.length);
    values.forEach((v, i) => { m.data[i * values.length + i] = v; });
    return m;
  };
  // {1, 2} vs {2, 4}: best matching 1-2, 2-4 -> (1 + 4) / 2
  assert.equal(spectralWasserstein(diag([1, 2]), diag([4, 2])), 2.5);
  // rotation by theta has eigenvalues e^{+-i theta}; vs {0, 0} padded... {1} vs rotation: pad 1 with 0
  const rot = zeros(2, 2);
  rot.data.set([0, -1, 1, 0]); // eigenvalues +-i
  // {1, 0} vs {i, -i}: |1 - i|^2 + |0 + i|^2 = 2 + 1 = 3, / 2
  assert.equal(spectralWasserstein(diag([1]), rot), 1.5);
  const ev = eigenvalues(rot);
  assert.deepEqual(Array.from(ev.re).map(Math.abs), [0, 0]);
});

test('compareOperators: the three scores, and a clear error for different sizes', () => {
  const [a, b] = [operators[0]!, operators[1]!];
  const ang = compareOperators(a, b, 'angular', { seed: 1 });
  const euc = compareOperators(a, b, 'euclidean', { seed: 1 });
  assert.equal(ang.score, ang.angular);
  assert.equal(euc.score, euc.euclidean);
  assert.ok(Math.abs(ang.angular! - euc.angular!) < 1e-12);
  assert.ok(compareOperators(a, b, 'wasserstein').score > 0);
  const small = fitDmd(simulateRnn(5, { units: 24, trials: 12, time: 60 }), { nDelays: 3, rank: 6 }).aV;
  assert.throws(() => compareOperators(a, small, 'angular'), /same size.*10x10 and 6x6.*wasserstein/);
  assert.ok(compareOperators(a, small, 'wasserstein').score > 0);
});
