// Representational shape metrics on activity matrices, METRICS.md section B: netrep's LinearMetric
// (partial whitening with alpha, then orthogonal alignment) and linear CKA. X, Y are M samples x units.
import { frobenius, mulNTInto, nuclearNorm, svd, symmetricEigen, transposeInto, zeros, type Mat } from './dense.js';
import { check } from './errors.js';

export interface ShapeOptions {
  /** 1 = orthogonal Procrustes (angular shape distance), 0 = CCA-like; in between, partial whitening. */
  readonly alpha?: number;
  /** Subtract column means (default true). */
  readonly centre?: boolean;
}

export interface ShapeDistance {
  /** arccos(<X~, Y~> / (||X~|| ||Y~||)) in [0, pi], the angular shape distance at alpha = 1. */
  readonly angular: number;
  /** ||X~ - Y~|| (not scale-invariant). */
  readonly euclidean: number;
}

function validate(x: Mat, y: Mat): void {
  check(x.rows === y.rows, () => `shape metrics need the same samples in both, got ${x.rows} and ${y.rows} rows`);
  check(x.rows >= 1 && x.cols >= 1 && y.cols >= 1, () => `shape metrics need non-empty matrices, got ${x.rows}x${x.cols} and ${y.rows}x${y.cols}`);
  for (const [name, m] of [['X', x], ['Y', y]] as const) for (const v of m.data) check(Number.isFinite(v), () => `${name} has a non-finite entry (${v})`);
}

/** Copies X into M x width (zero columns on the right) and subtracts column means when asked. */
function prepare(x: Mat, width: number, centre: boolean): Mat {
  const out = zeros(x.rows, width);
  for (let i = 0; i < x.rows; i++) out.data.set(x.data.subarray(i * x.cols, (i + 1) * x.cols), i * width);
  if (centre) {
    for (let j = 0; j < x.cols; j++) {
      let mean = 0;
      for (let i = 0; i < x.rows; i++) mean += out.data[i * width + j]!;
      mean /= x.rows;
      for (let i = 0; i < x.rows; i++) out.data[i * width + j]! -= mean;
    }
  }
  return out;
}

/** X^T Y (X: M x p, Y: M x q) */
function crossProduct(x: Mat, y: Mat): Mat {
  const xt = new Float64Array(x.data.length);
  const yt = new Float64Array(y.data.length);
  transposeInto(xt, x.data, x.rows, x.cols);
  transposeInto(yt, y.data, y.rows, y.cols);
  const out = zeros(x.cols, y.cols);
  mulNTInto(out.data, xt, yt, x.cols, x.rows, y.cols);
  return out;
}

/**
 * Partial whitening Z = V diag(d) V^T with d_i = alpha + (1 - alpha) l_i^{-1/2} (l = eigenvalues of Xc^T Xc,
 * clipped at 1e-7), scaled to preserve total variance; Z = I when alpha > 1 - 1e-7.
 */
function whitening(xc: Mat, alpha: number): Mat | undefined {
  if (alpha > 1 - 1e-7) return undefined;
  const { values, vectors } = symmetricEigen(crossProduct(xc, xc));
  const n = values.length;
  const l = Float64Array.from(values, (v) => Math.max(v, 1e-7));
  let total = 0;
  let whitened = 0;
  for (const li of l) {
    total += li;
    whitened += alpha * alpha * li + 2 * alpha * (1 - alpha) * Math.sqrt(li) + (1 - alpha) ** 2;
  }
  const keep = Math.sqrt(total / whitened);
  const d = Float64Array.from(l, (li) => (alpha + (1 - alpha) / Math.sqrt(li)) * keep);
  const z = zeros(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += vectors.data[i * n + k]! * d[k]! * vectors.data[j * n + k]!;
    z.data[i * n + j] = s;
  }
  return z;
}

/** A B for A (m x k) and B (k x n). */
function times(a: Mat, b: Mat): Mat {
  const bt = new Float64Array(b.data.length);
  transposeInto(bt, b.data, b.rows, b.cols);
  const out = zeros(a.rows, b.cols);
  mulNTInto(out.data, a.data, bt, a.rows, a.cols, b.cols);
  return out;
}

/**
 * netrep LinearMetric (B.1), fit and scored on the same X, Y: zero-pad the narrower matrix, centre, partially
 * whiten, align by the SVD of Xw^T Yw, then compare X~ = Xc W_x and Y~ = Yc W_y.
 */
export function shapeDistance(x: Mat, y: Mat, options: ShapeOptions = {}): ShapeDistance {
  validate(x, y);
  const alpha = options.alpha ?? 1;
  check(Number.isFinite(alpha) && alpha >= 0 && alpha <= 1, () => `alpha must be in [0, 1], got ${alpha}`);
  const width = Math.max(x.cols, y.cols);
  const xc = prepare(x, width, options.centre ?? true);
  const yc = prepare(y, width, options.centre ?? true);
  check(frobenius(xc) > 0 && frobenius(yc) > 0, () => 'shape metrics need activity that varies (a matrix is constant after centring)');
  const zx = whitening(xc, alpha);
  const zy = whitening(yc, alpha);
  const xw = zx ? times(xc, zx) : xc;
  const yw = zy ? times(yc, zy) : yc;
  const { u, v } = svd(crossProduct(xw, yw));
  const xt = times(xw, u); // Xc Z_x U
  const yt = times(yw, v);
  // angular = arccos <X~^, Y~^> computed as 2 asin(||X~^ - Y~^|| / 2): the same angle, but exact copies give
  // ~1e-15 instead of arccos's ~1e-8.
  const nx = frobenius(xt);
  const ny = frobenius(yt);
  const diff = new Float64Array(xt.data.length);
  const unitDiff = new Float64Array(xt.data.length);
  for (let i = 0; i < diff.length; i++) {
    diff[i] = xt.data[i]! - yt.data[i]!;
    unitDiff[i] = xt.data[i]! / nx - yt.data[i]! / ny;
  }
  return { angular: 2 * Math.asin(Math.min(1, frobenius(unitDiff) / 2)), euclidean: frobenius(diff) };
}

/**
 * Closed form at alpha = 1 (B.1.6): angular = arccos(||Xc^T Yc||_* / (||Xc|| ||Yc||)),
 * euclidean = sqrt(||Xc||^2 + ||Yc||^2 - 2 ||Xc^T Yc||_*).
 */
export function procrustesClosedForm(x: Mat, y: Mat, centre = true): ShapeDistance {
  validate(x, y);
  const width = Math.max(x.cols, y.cols);
  const xc = prepare(x, width, centre);
  const yc = prepare(y, width, centre);
  const nuc = nuclearNorm(crossProduct(xc, yc));
  const nx = frobenius(xc);
  const ny = frobenius(yc);
  return {
    angular: Math.acos(Math.min(1, Math.max(-1, nuc / (nx * ny)))),
    euclidean: Math.sqrt(Math.max(0, nx * nx + ny * ny - 2 * nuc)),
  };
}

/** Standard linear CKA (Kornblith et al. 2019) in [0, 1]: ||Xc^T Yc||^2 / (||Xc^T Xc|| ||Yc^T Yc||). */
export function linearCka(x: Mat, y: Mat, centre = true): number {
  validate(x, y);
  const xc = prepare(x, x.cols, centre);
  const yc = prepare(y, y.cols, centre);
  const sxy = frobenius(crossProduct(xc, yc));
  const sxx = frobenius(crossProduct(xc, xc));
  const syy = frobenius(crossProduct(yc, yc));
  check(sxx > 0 && syy > 0, () => 'CKA needs activity that varies (a matrix is constant after centring)');
  return (sxy * sxy) / (sxx * syy);
}

/** netrep's LinearCKA, an angle: arccos(<Xc Xc^T, Yc Yc^T> / (||Xc Xc^T|| ||Yc Yc^T||)) = arccos(CKA). */
export function ckaAngle(cka: number): number {
  return Math.acos(Math.min(1, Math.max(-1, cka)));
}
