// Classical (Torgerson) multidimensional scaling: places n networks in the plane so that their
// Euclidean distances approximate a given distance matrix (here DSA distances).
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/**
 * B = -1/2 J D² J with J = I - 11ᵀ/n; coordinates = top `dims` eigenvectors of B scaled by
 * sqrt(max(λ, 0)). `distances` is [n, n] row-major and symmetric. Each axis is signed so that its
 * largest-magnitude coordinate is positive, so the same matrix always gives the same picture.
 * Returns [n][dims].
 */
export function classicalMds(distances: ArrayLike<number>, n: number, dims = 2): number[][] {
  if (n === 0) return [];
  const squared = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) squared.set(i, j, distances[i * n + j]! ** 2);
  // Double centring: subtract row and column means, add back the grand mean.
  const rowMean = new Float64Array(n);
  let grand = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) rowMean[i]! += squared.get(i, j) / n;
    grand += rowMean[i]! / n;
  }
  const b = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b.set(i, j, -0.5 * (squared.get(i, j) - rowMean[i]! - rowMean[j]! + grand));
  const eig = new EigenvalueDecomposition(b, { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const vectors = eig.eigenvectorMatrix;
  const order = values.map((_, i) => i).sort((x, y) => values[y]! - values[x]!);
  const coords = Array.from({ length: n }, () => new Array<number>(dims).fill(0));
  for (let d = 0; d < Math.min(dims, n); d++) {
    const col = order[d]!;
    const scale = Math.sqrt(Math.max(values[col]!, 0));
    let pivot = 0;
    for (let i = 1; i < n; i++) if (Math.abs(vectors.get(i, col)) > Math.abs(vectors.get(pivot, col)) + 1e-12) pivot = i;
    const sign = vectors.get(pivot, col) < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) coords[i]![d] = sign * scale * vectors.get(i, col);
  }
  return coords;
}
