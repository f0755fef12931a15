// Permutation-aligned distance between two recurrent weight matrices, METRICS.md section C: relabel the
// hidden units of network 2 (W -> P W P^T) to best match network 1, then measure what is left.
import { Rng } from '../../../src/random.js';
import { frobenius, mulNTInto, transposeInto, type Mat } from './dense.js';
import { check } from './errors.js';
import { faq } from './faq.js';
import { linearSumAssignment } from './lap.js';

export interface WeightDistanceOptions {
  /** Extra per-neuron features F1, F2 (n x f), e.g. input-weight rows, output-weight columns, biases; used as given. */
  readonly features1?: Mat;
  readonly features2?: Mat;
  /** Greedy ascent of C.4 on the quadratic-assignment objective, applied to every candidate permutation. */
  readonly refine?: boolean;
  /** Seeded random doubly stochastic FAQ starts, besides the signature permutation and the barycentre. */
  readonly faqStarts?: number;
  readonly seed?: number | string;
}

export interface Distances {
  /** ||W1 - W2a||_F */
  readonly raw: number;
  /** raw / n, the per-weight RMS (the degeneracy statistic; comparable across widths). */
  readonly rms: number;
  /** ||W1/||W1|| - W2a/||W2||||_F in [0, 2]; 0 iff W2 is a positively scaled relabelling of W1. */
  readonly scalefree: number;
  /** Angle between W1 and W2a, arccos <W1^, W2a^> (computed as 2 asin(scalefree / 2)). */
  readonly angle: number;
  /** raw / sqrt(||W1|| ||W2||), raw / (||W1|| + ||W2||), raw / ||W1||. */
  readonly geometric: number;
  readonly sum: number;
  readonly relative: number;
}

export interface WeightDistance extends Distances {
  /** permutation[i] = neuron of network 2 matched to neuron i of network 1: W2a[i, k] = W2[sigma(i), sigma(k)]. */
  readonly permutation: Int32Array;
  /** The same measures with no relabelling (identity), as a baseline. */
  readonly unaligned: Distances;
  /** Which candidate won: `signature` or `faq:<start>`. */
  readonly source: string;
}

export const defaultFaqStarts = 4;

/** Steps C.1-C.7: signatures + LAP, optional refinement, multi-start FAQ, keep the permutation with the smallest distance. */
export function weightDistance(w1: Mat, w2: Mat, options: WeightDistanceOptions = {}): WeightDistance {
  check(w1.rows === w1.cols && w2.rows === w2.cols, () => `recurrent weights must be square, got ${w1.rows}x${w1.cols} and ${w2.rows}x${w2.cols}`);
  check(w1.rows === w2.rows, () => `networks of different widths (${w1.rows} and ${w2.rows} units) cannot be aligned`);
  const n = w1.rows;
  const f1 = options.features1;
  const f2 = options.features2;
  check((f1 === undefined) === (f2 === undefined), () => 'give extra features for both networks or for neither');
  if (f1 && f2) check(f1.rows === n && f2.rows === n && f1.cols === f2.cols, () => `extra features must be ${n} x f for both networks, got ${f1.rows}x${f1.cols} and ${f2.rows}x${f2.cols}`);
  for (const [name, m] of [['W1', w1], ['W2', w2], ['F1', f1], ['F2', f2]] as const) {
    if (m) for (const v of m.data) check(Number.isFinite(v), () => `${name} has a non-finite entry (${v})`);
  }
  const norm1 = frobenius(w1);
  const norm2 = frobenius(w2);
  check(norm1 > 0 && norm2 > 0, () => 'a recurrent matrix is all zero');
  const a = Float64Array.from(w1.data, (v) => v / norm1);
  const b = Float64Array.from(w2.data, (v) => v / norm2);

  const candidates: { label: string; sigma: Int32Array }[] = [];
  let signature = signaturePermutation(a, b, n, f1, f2);
  if (options.refine) signature = refinePermutation(a, b, n, signature);
  candidates.push({ label: 'signature', sigma: signature });
  const starts: { label: string; d: Float64Array }[] = [
    { label: 'signature', d: permutationMatrix(signature, n) },
    { label: 'barycentre', d: new Float64Array(n * n).fill(1 / n) },
  ];
  const rng = new Rng(options.seed ?? 0);
  const count = options.faqStarts ?? defaultFaqStarts;
  check(Number.isInteger(count) && count >= 0, () => `FAQ starts must be a non-negative integer, got ${count}`);
  for (let k = 0; k < count; k++) starts.push({ label: `random:${k}`, d: randomStart(n, rng) });
  for (const start of starts) {
    let sigma = faq(a, b, n, start.d);
    if (options.refine) sigma = refinePermutation(a, b, n, sigma);
    candidates.push({ label: `faq:${start.label}`, sigma });
  }
  let best: { label: string; sigma: Int32Array; raw: number } | undefined;
  for (const c of candidates) {
    const raw = alignedDistance(w1.data, w2.data, n, c.sigma);
    if (!best || raw < best.raw) best = { ...c, raw };
  }
  const identity = Int32Array.from({ length: n }, (_, i) => i);
  return {
    ...distances(w1.data, w2.data, n, best!.sigma, norm1, norm2),
    permutation: best!.sigma,
    unaligned: distances(w1.data, w2.data, n, identity, norm1, norm2),
    source: best!.label,
  };
}

/** ||W1 - W2[sigma, sigma]||_F */
function alignedDistance(w1: Float64Array, w2: Float64Array, n: number, sigma: Int32Array): number {
  const diff = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) diff[i * n + k] = w1[i * n + k]! - w2[sigma[i]! * n + sigma[k]!]!;
  return frobenius(diff);
}

function distances(w1: Float64Array, w2: Float64Array, n: number, sigma: Int32Array, norm1: number, norm2: number): Distances {
  const raw = alignedDistance(w1, w2, n, sigma);
  const diff = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) diff[i * n + k] = w1[i * n + k]! / norm1 - w2[sigma[i]! * n + sigma[k]!]! / norm2;
  const scalefree = frobenius(diff);
  return {
    raw,
    rms: raw / n,
    scalefree,
    angle: 2 * Math.asin(Math.min(1, scalefree / 2)),
    geometric: raw / Math.sqrt(norm1 * norm2),
    sum: raw / (norm1 + norm2),
    relative: raw / norm1,
  };
}

/**
 * C.2-C.3: neuron signatures s[i] = [sort(W^[i, :]), sort(W^[:, i]), F[i, :]], which do not depend on how the
 * other neurons are labelled, matched by a linear assignment on squared distances.
 */
export function signaturePermutation(a: Float64Array, b: Float64Array, n: number, f1?: Mat, f2?: Mat): Int32Array {
  const extra = f1?.cols ?? 0;
  const len = 2 * n + extra;
  const sig = (w: Float64Array, f: Mat | undefined): Float64Array => {
    const s = new Float64Array(n * len);
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const row = w.slice(i * n, (i + 1) * n).sort();
      for (let k = 0; k < n; k++) col[k] = w[k * n + i]!;
      col.sort();
      s.set(row, i * len);
      s.set(col, i * len + n);
      if (f) s.set(f.data.subarray(i * extra, (i + 1) * extra), i * len + 2 * n);
    }
    return s;
  };
  const s1 = sig(a, f1);
  const s2 = sig(b, f2);
  const cost = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let c = 0;
    for (let k = 0; k < len; k++) {
      const d = s1[i * len + k]! - s2[j * len + k]!;
      c += d * d;
    }
    cost[i * n + j] = c;
  }
  return linearSumAssignment(cost, n, n).rowToCol;
}

/** J(sigma) = sum_ik A[i, k] B[sigma(i), sigma(k)] */
function alignment(a: Float64Array, b: Float64Array, n: number, sigma: Int32Array): number {
  let j = 0;
  for (let i = 0; i < n; i++) {
    const bi = sigma[i]! * n;
    for (let k = 0; k < n; k++) j += a[i * n + k]! * b[bi + sigma[k]!]!;
  }
  return j;
}

/**
 * C.4: repeat sigma' = LAP(G, maximise) with G = A (B[:, sigma])^T + A^T B[sigma, :] while J improves by more than
 * 1e-12 (at most 100 times).
 */
export function refinePermutation(a: Float64Array, b: Float64Array, n: number, start: Int32Array): Int32Array {
  let sigma = start;
  let score = alignment(a, b, n, sigma);
  const at = new Float64Array(n * n);
  transposeInto(at, a, n, n);
  const bs = new Float64Array(n * n); // B[:, sigma]
  const bst = new Float64Array(n * n); // (B[sigma, :])^T
  const g = new Float64Array(n * n);
  const g2 = new Float64Array(n * n);
  for (let round = 0; round < 100; round++) {
    for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) {
      bs[j * n + k] = b[j * n + sigma[k]!]!;
      bst[j * n + k] = b[sigma[k]! * n + j]!;
    }
    mulNTInto(g, a, bs, n, n, n); // A (B[:, sigma])^T
    mulNTInto(g2, at, bst, n, n, n); // A^T B[sigma, :]
    for (let i = 0; i < n * n; i++) g[i]! += g2[i]!;
    const next = linearSumAssignment(g, n, n, true).rowToCol;
    const nextScore = alignment(a, b, n, next);
    if (!(nextScore > score + 1e-12)) break;
    sigma = next;
    score = nextScore;
  }
  return sigma;
}

function permutationMatrix(sigma: Int32Array, n: number): Float64Array {
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) d[i * n + sigma[i]!] = 1;
  return d;
}

/** (J/n + K)/2 with K a random doubly stochastic matrix (Sinkhorn balancing of uniform noise), as scipy's "randomized". */
function randomStart(n: number, rng: Rng): Float64Array {
  const k = Float64Array.from({ length: n * n }, () => rng.next());
  const colSums = new Float64Array(n);
  for (let it = 0; it < 100; it++) {
    // Columns are normalised last, so stop once the rows also sum to 1.
    let worst = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += k[i * n + j]!;
      worst = Math.max(worst, Math.abs(s - 1));
      for (let j = 0; j < n; j++) k[i * n + j]! /= s;
    }
    if (worst < 1e-12) break;
    colSums.fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) colSums[j]! += k[i * n + j]!;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) k[i * n + j]! /= colSums[j]!;
  }
  for (let i = 0; i < n * n; i++) k[i] = (k[i]! + 1 / n) / 2;
  return k;
}
