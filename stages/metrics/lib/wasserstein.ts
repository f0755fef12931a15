// The eigenvalue score of METRICS.md A.9: squared 2-Wasserstein distance between the spectra of two
// operators, as point clouds in the complex plane with uniform weights. Not normalised (scale-dependent).
import { eigenvalues, type Mat } from './dense.js';
import { check } from './errors.js';
import { linearSumAssignment } from './lap.js';

/**
 * W2^2 = (1/n) min over permutations sigma of sum_i |lambda_i - mu_sigma(i)|^2. With equal sizes the optimal
 * uniform transport plan is a permutation / n; a smaller spectrum is padded with zeros (points at the origin).
 */
export function spectralWasserstein(a: Mat, b: Mat): number {
  check(a.rows === a.cols && b.rows === b.cols, () => `the wasserstein score needs square matrices, got ${a.rows}x${a.cols} and ${b.rows}x${b.cols}`);
  return eigenvalueWasserstein(eigenvalues(a), eigenvalues(b));
}

export function eigenvalueWasserstein(x: { re: Float64Array; im: Float64Array }, y: { re: Float64Array; im: Float64Array }): number {
  const n = Math.max(x.re.length, y.re.length);
  const cost = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const xr = x.re[i] ?? 0;
    const xi = x.im[i] ?? 0;
    for (let j = 0; j < n; j++) {
      const dr = xr - (y.re[j] ?? 0);
      const di = xi - (y.im[j] ?? 0);
      cost[i * n + j] = dr * dr + di * di;
    }
  }
  return linearSumAssignment(cost, n, n).total / n;
}
