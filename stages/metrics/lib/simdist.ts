// Comparing two DMD operators: the three DSA scores of METRICS.md A.8-A.9 behind one call.
import type { Mat } from './dense.js';
import { check } from './errors.js';
import { procrustesOverVectorFields, type PavfOptions } from './pavf.js';
import { spectralWasserstein } from './wasserstein.js';

export const dsaScores = ['angular', 'euclidean', 'wasserstein'] as const;
export type DsaScore = (typeof dsaScores)[number];

export interface OperatorComparison {
  /** The requested score. */
  readonly score: number;
  readonly method: DsaScore;
  /** PAVF scores (both come from the same optimal C), when the method is angular or euclidean. */
  readonly angular?: number;
  readonly euclidean?: number;
  /** det of the optimal C, which start found it, and the optimiser's effort. */
  readonly determinant?: number;
  readonly start?: string;
  readonly iterations?: number;
}

/** Scores two square operators; angular and euclidean need the same size (wasserstein zero-pads). */
export function compareOperators(a: Mat, b: Mat, method: DsaScore, options: PavfOptions = {}): OperatorComparison {
  check((dsaScores as readonly string[]).includes(method), () => `score must be one of ${dsaScores.join(', ')}, got ${method}`);
  if (method === 'wasserstein') return { score: spectralWasserstein(a, b), method };
  check(a.rows === b.rows, () => `the ${method} score needs operators of the same size, got ${a.rows}x${a.rows} and ${b.rows}x${b.rows} (different ranks); fix the rank or use the wasserstein score`);
  const r = procrustesOverVectorFields(a, b, options);
  return { score: method === 'angular' ? r.angular : r.euclidean, method, angular: r.angular, euclidean: r.euclidean, determinant: r.determinant, start: r.start, iterations: r.iterations };
}
