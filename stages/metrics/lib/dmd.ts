// HAVOK-style DMD, METRICS.md A.3-A.7: a linear operator A_v fitted in the SVD ("eigen-time-delay")
// coordinates of the delay embedding. DSA compares two A_v.
import { choleskySolve, eigenvalues, gram, mulInto, mulTNInto, symmetricEigen, transpose, zeros, type Mat } from './dense.js';
import { check } from './errors.js';
import { symmetricSpectrum } from './eigen.js';
import { delayEmbed, embeddedLength, hankelGram, type Trajectories } from './hankel.js';

export interface RankRule {
  /** Keep this many directions. */
  readonly rank?: number;
  /** Keep the directions whose singular value exceeds this (at least one). */
  readonly rankThresh?: number;
  /** Keep the fewest directions whose cumulative explained variance reaches this fraction. */
  readonly rankExplainedVariance?: number;
}

export interface DmdOptions extends RankRule {
  /** d, number of delays (1 = no embedding). */
  readonly nDelays?: number;
  /** tau, samples between delays. */
  readonly delayInterval?: number;
  /** Ridge lambda in V coordinates (dimensionless). Default 0. */
  readonly lamb?: number;
  /** Reduced-rank regression (A.6) instead of principal-component regression (A.5). */
  readonly reducedRankReg?: boolean;
  /** h: the operator maps v_t to v_{t+h}. */
  readonly stepsAhead?: number;
}

export interface DmdFit {
  /** r, the number of directions kept. */
  readonly rank: number;
  /**
   * Singular values of the delay embedding, descending (all min(N d, K T') of them); those below the Gram
   * route's resolution (4 sqrt(p eps) s_1, p the Gram size) are 0.
   */
  readonly singularValues: Float64Array;
  /**
   * The operator in the column convention, v_{t+h} ~= A_v v_t: r x r for PCR, m x m (rank r) for reduced-rank
   * regression (the transpose of the reference's row-convention matrix there). SVD signs canonical (A.7).
   */
  readonly aV: Mat;
  /** Columns of U (embedding-space basis, N d x size of A_v), signs canonical. */
  readonly modes: Mat;
  /** Eigenvalues of the reduced-rank projector (A.6), descending; empty for PCR. */
  readonly projectorValues: Float64Array;
  /** N d. */
  readonly embeddingDim: number;
  /** K T'. */
  readonly samples: number;
}

/** Rank selection of A.4 over descending `values` (singular values, or RRR projector eigenvalues). */
export function selectRank(values: Float64Array, rule: RankRule): number {
  const given = [rule.rank, rule.rankThresh, rule.rankExplainedVariance].filter((v) => v !== undefined).length;
  check(given <= 1, () => 'give at most one of rank, rank_thresh, rank_explained_variance');
  const len = values.length;
  let r = len;
  if (rule.rank !== undefined) {
    check(Number.isInteger(rule.rank) && rule.rank >= 1, () => `rank must be a positive integer, got ${rule.rank}`);
    r = rule.rank;
  } else if (rule.rankThresh !== undefined) {
    const t = rule.rankThresh;
    check(Number.isFinite(t), () => `rank_thresh must be a number, got ${t}`);
    r = Math.max(1, values.reduce((n, s) => n + (s > t ? 1 : 0), 0));
  } else if (rule.rankExplainedVariance !== undefined) {
    const p = rule.rankExplainedVariance;
    check(Number.isFinite(p), () => `rank_explained_variance must be a number, got ${p}`);
    // 1 + numpy's searchsorted(cev, p, side='left'): the first index whose cumulative share reaches p.
    let total = 0;
    for (const s of values) total += s * s;
    let cum = 0;
    let first = len;
    for (let i = 0; i < len; i++) {
      cum += values[i]! * values[i]!;
      if (cum / total >= p) {
        first = i;
        break;
      }
    }
    r = Math.min(len, first + 1);
  }
  return Math.min(r, len);
}

function positiveInt(value: number, name: string): number {
  check(Number.isInteger(value) && value >= 1, () => `${name} must be a positive integer, got ${value}`);
  return value;
}

/** Fits the DMD operator of A.3-A.6 to one system's trajectories. */
export function fitDmd(x: Trajectories, options: DmdOptions = {}): DmdFit {
  const d = positiveInt(options.nDelays ?? 1, 'n_delays');
  const tau = positiveInt(options.delayInterval ?? 1, 'delay_interval');
  const h = positiveInt(options.stepsAhead ?? 1, 'steps_ahead');
  const lamb = options.lamb ?? 0;
  check(Number.isFinite(lamb) && lamb >= 0, () => `lamb must be a non-negative number, got ${lamb}`);
  const rule: RankRule = { rank: options.rank, rankThresh: options.rankThresh, rankExplainedVariance: options.rankExplainedVariance };
  selectRank(new Float64Array(1), rule); // validates the rule before any work
  const { trials: k, time: t, units: n } = x;
  check(k >= 1 && n >= 1, () => `need at least one trial and one unit, got [${k}, ${t}, ${n}]`);
  const bad = firstNonFinite(x.data);
  check(bad < 0, () => `the trajectories contain ${x.data[bad]} (trial ${Math.floor(bad / (t * n))}, step ${Math.floor(bad / n) % t}, unit ${bad % n}); expected finite numbers`);
  const tp = embeddedLength(t, d, tau);
  check(tp - h >= 1, () => `too few time steps for the delays: n_delays ${d} x delay_interval ${tau} and steps_ahead ${h} need at least ${(d - 1) * tau + h + 1} time steps per trial, the data have ${t}`);
  const p = n * d;
  const rowsH = k * tp;
  check(k === 1 || rowsH >= p, () => `too few samples for the delays: ${k} trials x ${tp} embedded steps = ${rowsH} rows < ${n} units x ${d} delays = ${p} columns; reduce n_delays`);

  const hs = delayEmbed(x, d, tau); // (K T') x (N d)
  const m = Math.min(p, rowsH);
  // Thin SVD of Hs^T = U S V^T through the eigendecomposition of the smaller Gram matrix (A.7).
  const byColumns = p <= rowsH;
  const g = byColumns ? hankelGram(x, d, tau) : gram(transpose(hs));
  const eig = symmetricSpectrum(g);
  const s = new Float64Array(m);
  for (let i = 0; i < m; i++) s[i] = Math.sqrt(Math.max(eig.values[i]!, 0));
  check(s[0]! > 0, () => 'the data are all zero');
  // The Gram route resolves singular values only down to ~sqrt(size * eps) * s_1; below that they are round-off
  // (an exact SVD would give ~0 there), so they are reported and used for rank selection as 0.
  const floor = s[0]! * Math.sqrt(eig.values.length * 2.220446049250313e-16) * 4;
  let resolved = 0;
  while (resolved < m && s[resolved]! > floor) resolved++;
  s.fill(0, resolved);

  // Columns of V used: r for PCR; all m for reduced-rank regression (which selects r afterwards).
  const rrr = options.reducedRankReg ?? false;
  const cols = rrr ? m : Math.min(selectRank(s, rule), p);
  check(cols <= resolved, () => rrr
    ? `reduced-rank regression uses all ${m} directions of the delay embedding, but only ${resolved} are numerically resolved (singular values below ${floor.toExponential(2)} are round-off); reduce n_delays or use principal-component regression with rank <= ${resolved}`
    : `rank ${cols} exceeds the numerical rank ${resolved} of the delay embedding (singular values below ${floor.toExponential(2)} are round-off); choose rank <= ${resolved}`);
  // Inverse iteration gives a few leading eigenvectors cheaply; for many of them a full QL decomposition is
  // cheaper and keeps clusters orthogonal.
  const basis = cols * 3 > g.rows ? leadingColumns(symmetricEigen(g).vectors, cols) : eig.vectors(cols);
  const { u, v } = singularVectors(hs, basis, s, cols, byColumns);

  // Pairs (v_t, v_{t+h}) within each trial, never across a trial boundary.
  const pairs = k * (tp - h);
  const vMinus = zeros(pairs, cols);
  const vPlus = zeros(pairs, cols);
  for (let trial = 0; trial < k; trial++) {
    for (let step = 0; step < tp - h; step++) {
      const row = trial * (tp - h) + step;
      vMinus.data.set(v.data.subarray((trial * tp + step) * cols, (trial * tp + step + 1) * cols), row * cols);
      vPlus.data.set(v.data.subarray((trial * tp + step + h) * cols, (trial * tp + step + h + 1) * cols), row * cols);
    }
  }
  // B_ols = (V-^T V- + lamb I)^{-1} V-^T V+   (row convention: v_{t+h}^T ~= v_t^T B_ols)
  const normal = gram(vMinus);
  for (let i = 0; i < cols; i++) normal.data[i * cols + i]! += lamb;
  const cross = zeros(cols, cols);
  mulTNInto(cross.data, vMinus.data, vPlus.data, pairs, cols, cols);
  const bOls = choleskySolve(normal, cross);
  check(bOls !== undefined, () => `the regression is singular: the ${cols} delay-embedding directions are linearly dependent over the (t, t+${h}) pairs; set lamb > 0 or reduce the rank`);

  let rank = cols;
  let aV: Mat;
  let projectorValues: Float64Array = new Float64Array(0);
  if (!rrr) {
    aV = transpose(bOls);
  } else {
    // Projector M = V+^T V- (V-^T V- + lamb I)^{-1} V-^T V+ = cross^T B_ols; keep its top-r eigenvectors Q_r.
    const proj = zeros(cols, cols);
    mulTNInto(proj.data, cross.data, bOls.data, cols, cols, cols);
    for (let i = 0; i < cols; i++) for (let j = 0; j < i; j++) {
      const avg = (proj.data[i * cols + j]! + proj.data[j * cols + i]!) / 2;
      proj.data[i * cols + j] = avg;
      proj.data[j * cols + i] = avg;
    }
    const pe = symmetricEigen(proj);
    projectorValues = pe.values;
    const keep = selectRank(pe.values, rule);
    // Row-convention A = B_ols Q_r Q_r^T; stored transposed (column convention) like the PCR operator.
    const qq = zeros(cols, cols);
    for (let i = 0; i < cols; i++) for (let j = 0; j < cols; j++) {
      let acc = 0;
      for (let c = 0; c < keep; c++) acc += pe.vectors.data[i * cols + c]! * pe.vectors.data[j * cols + c]!;
      qq.data[i * cols + j] = acc;
    }
    const row = zeros(cols, cols);
    mulInto(row.data, bOls.data, qq.data, cols, cols, cols);
    aV = transpose(row);
    rank = keep;
  }
  return { rank, singularValues: s, aV, modes: u, projectorValues, embeddingDim: p, samples: rowsH };
}

function leadingColumns(m: Mat, count: number): Mat {
  const out = zeros(m.rows, count);
  for (let i = 0; i < m.rows; i++) for (let c = 0; c < count; c++) out.data[i * count + c] = m.data[i * m.cols + c]!;
  return out;
}

/**
 * The first `count` left and right singular vectors of Hs^T from the leading Gram eigenvectors `basis`, with canonical signs:
 * column k of U has its largest-magnitude entry (first on ties) positive, and v_k follows u_k.
 * byColumns: eigenvectors are U (Gram Hs^T Hs) and V = Hs U / s; otherwise they are V (Gram Hs Hs^T) and U = Hs^T V / s.
 */
function singularVectors(hs: Mat, basis: Mat, s: Float64Array, count: number, byColumns: boolean): { u: Mat; v: Mat } {
  const rows = hs.rows;
  const p = hs.cols;
  let u: Mat;
  let v: Mat;
  if (byColumns) {
    u = basis;
    v = zeros(rows, count);
    mulInto(v.data, hs.data, u.data, rows, p, count);
  } else {
    v = basis;
    u = zeros(p, count);
    mulTNInto(u.data, hs.data, v.data, rows, p, count);
  }
  const other = byColumns ? v : u;
  for (let c = 0; c < count; c++) {
    const inv = 1 / s[c]!;
    for (let i = 0; i < other.rows; i++) other.data[i * count + c]! *= inv;
  }
  for (let c = 0; c < count; c++) {
    let best = 0;
    for (let i = 1; i < p; i++) if (Math.abs(u.data[i * count + c]!) > Math.abs(u.data[best * count + c]!)) best = i;
    if (u.data[best * count + c]! < 0) {
      for (let i = 0; i < p; i++) u.data[i * count + c] = -u.data[i * count + c]!;
      for (let i = 0; i < rows; i++) v.data[i * count + c] = -v.data[i * count + c]!;
    }
  }
  return { u, v };
}

/** Index of the first NaN or infinite entry, or -1. */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return i;
  return -1;
}

/** A_full = U S A_v S^{-1} U^T (N d x N d), the operator on delay vectors; for prediction and checks. */
export function fullOperator(fit: DmdFit): Mat {
  const { aV, modes, singularValues: s } = fit;
  const c = aV.rows;
  const p = modes.rows;
  const left = zeros(p, c); // U S A_v S^{-1}
  const scaled = zeros(c, c);
  for (let i = 0; i < c; i++) for (let j = 0; j < c; j++) scaled.data[i * c + j] = (s[i]! * aV.data[i * c + j]!) / s[j]!;
  mulInto(left.data, modes.data, scaled.data, p, c, c);
  const out = zeros(p, p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) {
    let acc = 0;
    for (let q = 0; q < c; q++) acc += left.data[i * c + q]! * modes.data[j * c + q]!;
    out.data[i * p + j] = acc;
  }
  return out;
}

/** Eigenvalues of a square operator as [re, im] pairs, by descending modulus, then real part, then imaginary part. */
export function sortedEigenvalues(a: Mat): [number, number][] {
  const { re, im } = eigenvalues(a);
  const pairs = Array.from(re, (x, i): [number, number] => [x, im[i]!]);
  return pairs.sort((p1, p2) => Math.hypot(p2[0], p2[1]) - Math.hypot(p1[0], p1[1]) || p2[0] - p1[0] || p2[1] - p1[1]);
}
