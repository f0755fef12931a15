import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/random.js';
import { matmul, matmulNT, scale, type Mat } from '../../stages/metrics/lib/dense.js';
import { haarOrthogonal } from '../../stages/metrics/lib/pavf.js';
import { ckaAngle, linearCka, procrustesClosedForm, shapeDistance } from '../../stages/metrics/lib/shape.js';
import { randomMatrix } from './helpers.js';

/** Y = c X Q + offset (a rotated, scaled and shifted copy). */
function similarCopy(x: Mat, rng: Rng, c: number, det: 1 | -1 = 1): Mat {
  const q = { rows: x.cols, cols: x.cols, data: haarOrthogonal(x.cols, rng, det) };
  const y = scale(matmul(x, q), c);
  for (let j = 0; j < y.cols; j++) {
    const shift = 5 * rng.normal();
    for (let i = 0; i < y.rows; i++) y.data[i * y.cols + j]! += shift;
  }
  return y;
}

test('Procrustes closed form (nuclear norm) agrees with the general path at alpha = 1', () => {
  const rng = new Rng(1);
  for (const [m, nx, ny] of [[50, 6, 6], [40, 5, 8], [30, 7, 3]] as const) {
    const x = randomMatrix(rng, m, nx);
    const y = randomMatrix(rng, m, ny);
    for (const centre of [true, false]) {
      const general = shapeDistance(x, y, { alpha: 1, centre });
      const closed = procrustesClosedForm(x, y, centre);
      assert.ok(Math.abs(general.angular - closed.angular) < 1e-12, `${m}x${nx} vs ${m}x${ny}: ${general.angular} vs ${closed.angular}`);
      assert.ok(Math.abs(general.euclidean - closed.euclidean) < 1e-9 * closed.euclidean);
    }
  }
});

test('shape distance is ~0 for rotated, reflected, scaled and shifted copies (alpha = 1 and 0)', () => {
  const rng = new Rng(2);
  const x = randomMatrix(rng, 60, 8);
  for (const det of [1, -1] as const) {
    const y = similarCopy(x, rng, 3.5, det);
    assert.ok(shapeDistance(x, y, { alpha: 1 }).angular < 1e-6);
    assert.ok(shapeDistance(x, y, { alpha: 0 }).angular < 1e-6);
    assert.ok(procrustesClosedForm(x, y).angular < 1e-6);
  }
  // alpha = 0 is invariant to any invertible linear map; alpha = 1 is not
  const s = randomMatrix(rng, 8, 8);
  const y = matmul(x, s);
  assert.ok(shapeDistance(x, y, { alpha: 0 }).angular < 1e-6);
  assert.ok(shapeDistance(x, y, { alpha: 1 }).angular > 0.05);
  // without centring a shift is a real difference
  const shifted = similarCopy(x, rng, 1);
  assert.ok(shapeDistance(x, shifted, { alpha: 1, centre: false }).angular > 0.05);
});

test('for 0 < alpha < 1 the angle depends on scale (netrep behaviour)', () => {
  const rng = new Rng(3);
  const x = randomMatrix(rng, 80, 6);
  for (let j = 0; j < 6; j++) for (let i = 0; i < 80; i++) x.data[i * 6 + j]! *= 1 + j; // unequal variances
  const y = similarCopy(x, rng, 10);
  assert.ok(shapeDistance(x, y, { alpha: 0.5 }).angular > 1e-3);
});

test('euclidean Procrustes: sqrt(2 - 2 cos angle) on unit-norm data; scale-dependent otherwise', () => {
  const rng = new Rng(4);
  const x = randomMatrix(rng, 40, 5);
  const y = randomMatrix(rng, 40, 5);
  const unit = (m: Mat): Mat => {
    const mean = new Float64Array(m.cols);
    for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) mean[j]! += m.data[i * m.cols + j]! / m.rows;
    const c = { rows: m.rows, cols: m.cols, data: Float64Array.from(m.data, (v, k) => v - mean[k % m.cols]!) };
    return scale(c, 1 / Math.hypot(...c.data));
  };
  const d = shapeDistance(unit(x), unit(y));
  assert.ok(Math.abs(d.euclidean - Math.sqrt(2 - 2 * Math.cos(d.angular))) < 1e-12);
  assert.ok(Math.abs(shapeDistance(x, scale(y, 2)).euclidean - shapeDistance(x, y).euclidean) > 1e-3);
});

test('linear CKA: 1 for similar copies, in [0, 1], equal to the Gram-matrix (netrep) form', () => {
  const rng = new Rng(5);
  const x = randomMatrix(rng, 30, 6);
  assert.ok(Math.abs(linearCka(x, similarCopy(x, rng, 0.2, -1)) - 1) < 1e-12);
  const y = randomMatrix(rng, 30, 4);
  const cka = linearCka(x, y);
  assert.ok(cka > 0 && cka < 1);
  // <Xc Xc^T, Yc Yc^T> / (||Xc Xc^T|| ||Yc Yc^T||) with M x M Gram matrices
  const centred = (m: Mat): Mat => {
    const out = { rows: m.rows, cols: m.cols, data: Float64Array.from(m.data) };
    for (let j = 0; j < m.cols; j++) {
      let mean = 0;
      for (let i = 0; i < m.rows; i++) mean += m.data[i * m.cols + j]! / m.rows;
      for (let i = 0; i < m.rows; i++) out.data[i * m.cols + j]! -= mean;
    }
    return out;
  };
  const kx = matmulNT(centred(x), centred(x));
  const ky = matmulNT(centred(y), centred(y));
  let inner = 0;
  for (let i = 0; i < kx.data.length; i++) inner += kx.data[i]! * ky.data[i]!;
  const gram = inner / (Math.hypot(...kx.data) * Math.hypot(...ky.data));
  assert.ok(Math.abs(cka - gram) < 1e-12);
  assert.ok(Math.abs(ckaAngle(cka) - Math.acos(gram)) < 1e-9);
  // not invariant to a general invertible map
  assert.ok(linearCka(x, matmul(x, randomMatrix(rng, 6, 6))) < 0.999);
});

test('shape inputs: different sample counts and NaN are refused', () => {
  const rng = new Rng(6);
  assert.throws(() => shapeDistance(randomMatrix(rng, 10, 3), randomMatrix(rng, 11, 3)), /same samples in both, got 10 and 11 rows/);
  const bad = randomMatrix(rng, 10, 3);
  bad.data[2] = NaN;
  assert.throws(() => linearCka(bad, randomMatrix(rng, 10, 3)), /X has a non-finite entry/);
  assert.throws(() => shapeDistance(randomMatrix(rng, 10, 3), randomMatrix(rng, 10, 3), { alpha: 2 }), /alpha must be in \[0, 1\]/);
});
