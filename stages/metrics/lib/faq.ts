// FAQ graph matching (Fast Approximate Quadratic assignment, Vogelstein et al. 2015), METRICS.md C.5:
//   maximise h(D) = trace(A^T D B D^T) = <A, D B D^T> over doubly stochastic D by Frank-Wolfe,
// then project to the nearest permutation by one linear assignment. Same objective and defaults
// (30 iterations, tolerance 0.03) as scipy.optimize.quadratic_assignment(method="faq", maximize=True).
import { mulNTInto, transposeInto } from './dense.js';
import { linearSumAssignment } from './lap.js';

export interface FaqOptions {
  readonly maxIterations?: number;
  /** Stop when ||D_new - D||_F / sqrt(n) falls below this. */
  readonly tolerance?: number;
}

/**
 * One FAQ run from the doubly stochastic start `d0` (n x n). Returns sigma with P[i, sigma(i)] = 1, i.e. the
 * aligned B is B[sigma(i), sigma(k)]. `a`, `b`: n x n row-major.
 */
export function faq(a: Float64Array, b: Float64Array, n: number, d0: Float64Array, options: FaqOptions = {}): Int32Array {
  const maxIterations = options.maxIterations ?? 30;
  const tolerance = options.tolerance ?? 0.03;
  const size = n * n;
  const at = new Float64Array(size);
  const bt = new Float64Array(size);
  transposeInto(at, a, n, n);
  transposeInto(bt, b, n, n);
  const d = Float64Array.from(d0);
  const dt = new Float64Array(size);
  const t1 = new Float64Array(size);
  // x = A D B^T and y = A^T D B; grad h(D) = x + y.
  const x = new Float64Array(size);
  const y = new Float64Array(size);
  transposeInto(dt, d, n, n);
  mulNTInto(t1, a, dt, n, n, n); // A D
  mulNTInto(x, t1, b, n, n, n); // (A D) B^T
  mulNTInto(t1, at, dt, n, n, n); // A^T D
  mulNTInto(y, t1, bt, n, n, n); // (A^T D) B
  const grad = new Float64Array(size);
  const xq = new Float64Array(size); // A Q B^T
  const yq = new Float64Array(size); // A^T Q B
  const qinv = new Int32Array(n);
  for (let it = 0; it < maxIterations; it++) {
    for (let i = 0; i < size; i++) grad[i] = x[i]! + y[i]!;
    // Frank-Wolfe vertex: the permutation Q maximising <grad, Q>.
    const q = linearSumAssignment(grad, n, n, true).rowToCol;
    for (let i = 0; i < n; i++) qinv[q[i]!] = i;
    // A Q is A with its columns moved, (A Q)[i, j] = A[i, q^{-1}(j)]; likewise (A^T Q)[i, j] = A[q^{-1}(j), i].
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t1[i * n + j] = a[i * n + qinv[j]!]!;
    mulNTInto(xq, t1, b, n, n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t1[i * n + j] = a[qinv[j]! * n + i]!;
    mulNTInto(yq, t1, bt, n, n, n);
    // Exact line search on h(D + alpha R), R = Q - D: h(D) + alpha lin + alpha^2 quad with
    //   lin = <grad, Q - D>,  quad = <A, Q B Q^T> - <x, Q> - <xq, D> + <x, D>.
    let gradQ = 0, gradD = 0, xQ = 0, xqD = 0, xD = 0, hQ = 0;
    for (let i = 0; i < n; i++) {
      const row = i * n + q[i]!;
      gradQ += grad[row]!;
      xQ += x[row]!;
      for (let k = 0; k < n; k++) hQ += a[i * n + k]! * b[q[i]! * n + q[k]!]!;
    }
    for (let i = 0; i < size; i++) {
      gradD += grad[i]! * d[i]!;
      xqD += xq[i]! * d[i]!;
      xD += x[i]! * d[i]!;
    }
    const lin = gradQ - gradD;
    const quad = hQ - xQ - xqD + xD;
    let alpha: number;
    if (quad < 0) alpha = Math.min(1, Math.max(0, -lin / (2 * quad)));
    else alpha = lin + quad > 0 ? 1 : 0;
    if (alpha === 0) break;
    // ||D_new - D||_F = alpha ||Q - D||_F, with ||Q - D||^2 = ||D||^2 - 2 sum_i D[i, q(i)] + n.
    let dd = 0, dq = 0;
    for (let i = 0; i < size; i++) dd += d[i]! * d[i]!;
    for (let i = 0; i < n; i++) dq += d[i * n + q[i]!]!;
    const moved = alpha * Math.sqrt(Math.max(0, dd - 2 * dq + n));
    // D <- (1 - alpha) D + alpha Q, and the same for x and y.
    for (let i = 0; i < size; i++) {
      d[i]! *= 1 - alpha;
      x[i] = (1 - alpha) * x[i]! + alpha * xq[i]!;
      y[i] = (1 - alpha) * y[i]! + alpha * yq[i]!;
    }
    for (let i = 0; i < n; i++) d[i * n + q[i]!]! += alpha;
    if (moved / Math.sqrt(n) < tolerance) break;
  }
  return linearSumAssignment(d, n, n, true).rowToCol;
}
