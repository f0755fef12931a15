// Leading eigenpairs of a symmetric matrix: Householder tridiagonalisation, all eigenvalues by implicit QL,
// then only the wanted eigenvectors by inverse iteration on the tridiagonal matrix, carried back through the
// reflectors. DMD needs every singular value (for rank selection) but only r ~ 20 of ~640 vectors; this
// costs ~n^3 multiply-adds against ~9 n^3 for a full eigendecomposition (ml-matrix's, 2.8 s at n = 640).
import type { Mat } from './dense.js';

export interface LeadingEigen {
  /** All eigenvalues, descending. */
  readonly values: Float64Array;
  /** Eigenvectors of the first `count` values, as columns (n x count). */
  readonly vectors: Mat;
}

/**
 * A = Q T Q^T with T tridiagonal (diagonal d, off-diagonal e[i] between i and i+1) and Q = H_0 ... H_{n-3},
 * H_j = I - beta_j v_j v_j^T acting on indices j+1 .. n-1. `a` (n x n, symmetric, row-major) is overwritten:
 * row j holds v_j to the right of the diagonal.
 */
function tridiagonalise(a: Float64Array, n: number): { d: Float64Array; e: Float64Array; beta: Float64Array } {
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  const beta = new Float64Array(n);
  const p = new Float64Array(n);
  for (let j = 0; j + 2 < n; j++) {
    const row = j * n;
    let norm = 0;
    for (let i = j + 1; i < n; i++) norm += a[row + i]! * a[row + i]!;
    norm = Math.sqrt(norm);
    const x0 = a[row + j + 1]!;
    if (norm === 0) {
      e[j] = 0;
      beta[j] = 0;
      continue;
    }
    const alpha = x0 > 0 ? -norm : norm;
    a[row + j + 1] = x0 - alpha; // v = x - alpha e_1, kept in row j
    const vv = norm * norm - x0 * x0 + (x0 - alpha) * (x0 - alpha);
    const b = 2 / vv;
    beta[j] = b;
    e[j] = alpha;
    // p = beta A' v over the trailing block (rows and columns j+1 ..), then w = p - (beta/2)(p.v) v.
    let pv = 0;
    for (let r = j + 1; r < n; r++) {
      const ar = r * n;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let c = j + 1;
      for (; c + 3 < n; c += 4) {
        s0 += a[ar + c]! * a[row + c]!;
        s1 += a[ar + c + 1]! * a[row + c + 1]!;
        s2 += a[ar + c + 2]! * a[row + c + 2]!;
        s3 += a[ar + c + 3]! * a[row + c + 3]!;
      }
      for (; c < n; c++) s0 += a[ar + c]! * a[row + c]!;
      const v = b * (s0 + s1 + s2 + s3);
      p[r] = v;
      pv += v * a[row + r]!;
    }
    const half = 0.5 * b * pv;
    for (let r = j + 1; r < n; r++) p[r] = p[r]! - half * a[row + r]!;
    // A' <- A' - v w^T - w v^T
    for (let r = j + 1; r < n; r++) {
      const ar = r * n;
      const vr = a[row + r]!;
      const wr = p[r]!;
      for (let c = j + 1; c < n; c++) a[ar + c]! -= vr * p[c]! + wr * a[row + c]!;
    }
  }
  for (let i = 0; i < n; i++) d[i] = a[i * n + i]!;
  if (n >= 2) e[n - 2] = a[(n - 2) * n + n - 1]!;
  return { d, e, beta };
}

/** Eigenvalues of the symmetric tridiagonal (d, e) by implicit QL with Wilkinson shifts; d is overwritten. */
function tridiagonalEigenvalues(d: Float64Array, offDiagonal: Float64Array): Float64Array {
  const n = d.length;
  const e = new Float64Array(n);
  e.set(offDiagonal);
  for (let l = 0; l < n; l++) {
    let iterations = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]!) + Math.abs(d[m + 1]!);
        if (Math.abs(e[m]!) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      if (++iterations > 60) throw new Error('tridiagonal QL did not converge');
      let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
      let r = Math.hypot(g, 1);
      g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = m - 1;
      let deflated = false;
      for (; i >= l; i--) {
        const f = s * e[i]!;
        const b = c * e[i]!;
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1]! -= p;
          e[m] = 0;
          deflated = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1]! - p;
        r = (d[i]! - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
      }
      if (deflated) continue;
      d[l]! -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
  return d;
}

/**
 * Eigenvector of the tridiagonal (d, e) for eigenvalue `lambda` by inverse iteration: LU of T - lambda I with
 * partial pivoting, three solves from a fixed start, each followed by Gram-Schmidt against `against`.
 */
function inverseIteration(d: Float64Array, e: Float64Array, lambda: number, scaleT: number, against: readonly Float64Array[]): Float64Array {
  const n = d.length;
  // Gaussian elimination with row swaps keeps U with two superdiagonals: u0 (diagonal), u1, u2.
  const u0 = new Float64Array(n);
  const u1 = new Float64Array(n);
  const u2 = new Float64Array(n);
  const mult = new Float64Array(n);
  const swapped = new Uint8Array(n);
  const tiny = Number.EPSILON * scaleT;
  let diag = d[0]! - lambda;
  let sup = n > 1 ? e[0]! : 0;
  let sup2 = 0;
  for (let i = 0; i < n - 1; i++) {
    const below = e[i]!;
    const nextDiag = d[i + 1]! - lambda;
    const nextSup = i + 1 < n - 1 ? e[i + 1]! : 0;
    if (Math.abs(diag) >= Math.abs(below)) {
      const piv = diag === 0 ? tiny : diag;
      const m = below / piv;
      mult[i] = m;
      swapped[i] = 0;
      u0[i] = piv;
      u1[i] = sup;
      u2[i] = sup2;
      diag = nextDiag - m * sup;
      sup = nextSup - m * sup2;
      sup2 = 0;
      // sup2 of row i+1 stays 0: row i had no entry two to the right of i + 1
    } else {
      const m = diag / below;
      mult[i] = m;
      swapped[i] = 1;
      u0[i] = below;
      u1[i] = nextDiag;
      u2[i] = nextSup;
      diag = sup - m * nextDiag;
      sup = sup2 - m * nextSup;
      sup2 = 0;
    }
  }
  u0[n - 1] = diag === 0 ? tiny : diag;
  const y = new Float64Array(n);
  // A fixed, non-special start (1 + small ramp) so results are reproducible.
  for (let i = 0; i < n; i++) y[i] = 1 + (i % 7) * 0.013;
  for (let iteration = 0; iteration < 3; iteration++) {
    // forward: apply the row operations to y
    for (let i = 0; i < n - 1; i++) {
      if (swapped[i]) {
        const t = y[i]!;
        y[i] = y[i + 1]!;
        y[i + 1] = t - mult[i]! * y[i]!;
      } else {
        y[i + 1]! -= mult[i]! * y[i]!;
      }
    }
    // back substitution with U
    for (let i = n - 1; i >= 0; i--) {
      let v = y[i]!;
      if (i + 1 < n) v -= u1[i]! * y[i + 1]!;
      if (i + 2 < n) v -= u2[i]! * y[i + 2]!;
      const piv = u0[i] === 0 ? tiny : u0[i]!;
      y[i] = v / piv;
    }
    for (const q of against) {
      let proj = 0;
      for (let i = 0; i < n; i++) proj += q[i]! * y[i]!;
      for (let i = 0; i < n; i++) y[i]! -= proj * q[i]!;
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += y[i]! * y[i]!;
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) y[i]! /= norm;
  }
  return y;
}

export interface SymmetricSpectrum {
  /** All eigenvalues, descending. */
  readonly values: Float64Array;
  /** Eigenvectors of the `count` largest eigenvalues, as columns (n x count). */
  vectors(count: number): Mat;
}

/**
 * Eigenvalues of the symmetric matrix `s` now, eigenvectors of the leading ones on request (so that a rank can
 * be chosen from the values first).
 */
export function symmetricSpectrum(s: Mat): SymmetricSpectrum {
  const n = s.rows;
  const a = Float64Array.from(s.data);
  const { d, e, beta } = tridiagonalise(a, n);
  const values = tridiagonalEigenvalues(Float64Array.from(d), e).sort().reverse();
  let scaleT = 0;
  for (let i = 0; i < n; i++) scaleT = Math.max(scaleT, Math.abs(d[i]!) + (i > 0 ? Math.abs(e[i - 1]!) : 0) + (i < n - 1 ? Math.abs(e[i]!) : 0));
  const vectors = (count: number): Mat => {
    const k = Math.min(count, n);
    const out: Mat = { rows: n, cols: k, data: new Float64Array(n * k) };
    const found: Float64Array[] = [];
    for (let c = 0; c < k; c++) {
      const lambda = values[c]!;
      // Orthogonalise against earlier vectors of nearby eigenvalues (a cluster), as LAPACK's dstein does.
      const cluster = found.filter((_, j) => Math.abs(values[j]! - lambda) <= 1e-3 * scaleT);
      const y = inverseIteration(d, e, lambda, scaleT, cluster);
      found.push(y);
      // z = H_0 ... H_{n-3} y: apply the last reflector first.
      const z = Float64Array.from(y);
      for (let j = n - 3; j >= 0; j--) {
        const b = beta[j]!;
        if (b === 0) continue;
        const row = j * n;
        let dotv = 0;
        for (let i = j + 1; i < n; i++) dotv += a[row + i]! * z[i]!;
        const f = b * dotv;
        for (let i = j + 1; i < n; i++) z[i]! -= f * a[row + i]!;
      }
      for (let i = 0; i < n; i++) out.data[i * k + c] = z[i]!;
    }
    return out;
  };
  return { values, vectors };
}

/** All eigenvalues (descending) and the eigenvectors of the `count` largest of the symmetric matrix `s`. */
export function leadingEigen(s: Mat, count: number): LeadingEigen {
  const spectrum = symmetricSpectrum(s);
  return { values: spectrum.values, vectors: spectrum.vectors(count) };
}
