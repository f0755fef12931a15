// Procrustes analysis over vector fields (PAVF), METRICS.md A.8: the angular and euclidean DSA scores
//   min over C in O(n) of || A^ - C B^ C^T ||,  A^ = A / ||A||, B^ = B / ||B||.
// Optimised in float64 by Riemannian L-BFGS on O(n) (Cayley retraction, Armijo backtracking), preconditioned
// by the Gauss-Newton matrix at B^ (which turns ~400 iterations per start into ~45), from the starts of A.8:
// I, a reflection, spectral starts (eigenvectors of the symmetric parts with signs matched through the skew
// parts) and seeded Haar-random starts of both determinant signs. Every start is screened for 30 iterations
// and the best two (and close contenders) are run to convergence.
import { Rng } from '../../../src/random.js';
import { determinantSign, frobenius, mulNTInto, polar, symmetricEigen, zeros, type Mat } from './dense.js';
import { check } from './errors.js';

export interface PavfOptions {
  /** Haar-random starts on top of the deterministic ones (about half with det = -1). */
  readonly restarts?: number;
  /** Seed of the random starts. */
  readonly seed?: number | string;
  /** Iteration cap per start. */
  readonly maxIterations?: number;
  /** Iterations every start gets before the best `polish` (and starts within 1.5x of the best f) are run to convergence. */
  readonly screenIterations?: number;
  readonly polish?: number;
}

export interface PavfResult {
  /** arccos <A^, C B^ C^T> in [0, pi], computed as 2 asin(||E|| / 2) (the same number, accurate near 0). */
  readonly angular: number;
  /** ||A^ - C B^ C^T|| in [0, 2]. */
  readonly euclidean: number;
  /** The optimal C (n x n, orthogonal). */
  readonly c: Mat;
  /** det C (+1 or -1). */
  readonly determinant: number;
  /** Which start reached the optimum: `identity`, `reflection`, `spectral:<k>` or `random:<k>`. */
  readonly start: string;
  /** Starts tried and total L-BFGS iterations over all of them. */
  readonly starts: number;
  readonly iterations: number;
}

export const defaultPavfRestarts = 48;

/** f below this (angle < 1e-10 rad) is an exact match up to round-off: no other start can matter. */
const exactMatch = 1e-20;

/** Scores two square operators by PAVF (A.8). Throws on mismatched sizes or a zero matrix. */
export function procrustesOverVectorFields(a: Mat, b: Mat, options: PavfOptions = {}): PavfResult {
  check(a.rows === a.cols && b.rows === b.cols, () => `PAVF needs square matrices, got ${a.rows}x${a.cols} and ${b.rows}x${b.cols}`);
  check(a.rows === b.rows, () => `PAVF needs matrices of the same size, got ${a.rows}x${a.rows} and ${b.rows}x${b.rows}`);
  const n = a.rows;
  const na = frobenius(a);
  const nb = frobenius(b);
  check(na > 0 && nb > 0 && Number.isFinite(na) && Number.isFinite(nb), () => `PAVF needs finite, non-zero matrices (norms ${na} and ${nb})`);
  const ah = Float64Array.from(a.data, (v) => v / na);
  const bh = Float64Array.from(b.data, (v) => v / nb);
  const solver = new PavfSolver(n, ah, bh);
  const restarts = options.restarts ?? defaultPavfRestarts;
  check(Number.isInteger(restarts) && restarts >= 0, () => `restarts must be a non-negative integer, got ${restarts}`);
  const rng = new Rng(options.seed ?? 0);
  const maxIterations = options.maxIterations ?? 2000;

  const starts: { label: string; c: Float64Array }[] = [];
  const eye = new Float64Array(n * n);
  for (let i = 0; i < n; i++) eye[i * n + i] = 1;
  starts.push({ label: 'identity', c: eye });
  const flip = Float64Array.from(eye);
  flip[0] = -1;
  starts.push({ label: 'reflection', c: flip });
  spectralStarts(ah, bh, n, rng.fork('spectral')).forEach((c, k) => starts.push({ label: `spectral:${k}`, c }));
  // Random starts alternate determinant signs: each component of O(n) holds its own local minima.
  const haar = rng.fork('haar');
  for (let k = 0; k < restarts; k++) starts.push({ label: `random:${k}`, c: haarOrthogonal(n, haar, k % 2 === 1 ? -1 : 1) });

  // Every start gets `screen` iterations, then the `polish` best run to convergence. With the Gauss-Newton
  // preconditioner a start converges in ~45 iterations, and after 30 the eventual winner ranks among the
  // best two (measured on DMD operators of RNNs).
  const screen = options.screenIterations ?? 30;
  const polish = options.polish ?? 2;
  const screened: { f: number; c: Float64Array; label: string; done: boolean }[] = [];
  let iterations = 0;
  for (const start of starts) {
    solver.reset(start.c);
    const done = solver.iterate(screen);
    iterations += solver.iterations;
    screened.push({ f: solver.finish(), c: Float64Array.from(solver.c), label: start.label, done });
    if (solver.f < exactMatch) break; // f >= 0: nothing can beat an exact match
  }
  screened.sort((x, y) => x.f - y.f);
  let best = screened[0]!;
  // Polish the best `polish`, and up to 8 in all whose screened f is within 1.5x of the leader: on operators far
  // apart (~1 rad) starts converge more slowly and the rank after 30 iterations is less reliable (measured:
  // 3 of 45 pairs missed their minimum by 0.4-1.8e-4 rad with the top two alone, none with this rule).
  const contenders = screened.slice(0, 8).filter((cand, k) => k < polish || cand.f <= 1.5 * best.f);
  for (const cand of contenders) {
    if (cand.done || best.f < exactMatch) continue;
    solver.reset(cand.c);
    solver.iterate(maxIterations);
    iterations += solver.iterations;
    const f = solver.finish();
    if (f < best.f) best = { f, c: Float64Array.from(solver.c), label: cand.label, done: true };
  }
  // Final polar re-orthonormalisation, then the residual E = C B^ C^T - A^ computed directly.
  const c = polar({ rows: n, cols: n, data: best!.c });
  const e = conjugateResidual(c.data, ah, bh, n);
  const euclidean = frobenius(e);
  return {
    angular: 2 * Math.asin(Math.min(1, euclidean / 2)),
    euclidean,
    c,
    determinant: determinantSign(c),
    start: best!.label,
    starts: screened.length,
    iterations,
  };
}

/** E = C B C^T - A (n x n). */
function conjugateResidual(c: Float64Array, a: Float64Array, b: Float64Array, n: number): Float64Array {
  const cb = new Float64Array(n * n);
  mul(cb, c, b, n);
  const e = new Float64Array(n * n);
  mulABt(e, cb, c, n);
  for (let i = 0; i < n * n; i++) e[i]! -= a[i]!;
  return e;
}

/** out = x y^T (n x n) */
function mulABt(out: Float64Array, x: Float64Array, y: Float64Array, n: number): void {
  mulNTInto(out, x, y, n, n, n);
}

/** out = x^T (n x n) */
function transposeInto(out: Float64Array, x: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[j * n + i] = x[i * n + j]!;
}

/** out = x y (n x n); `scratch` receives y^T */
function mul(out: Float64Array, x: Float64Array, y: Float64Array, n: number, scratch: Float64Array = new Float64Array(n * n)): void {
  transposeInto(scratch, y, n);
  mulABt(out, x, scratch, n);
}

/** out = x^T y (n x n); `s1`, `s2` receive x^T and y^T */
function mulAtB(out: Float64Array, x: Float64Array, y: Float64Array, n: number, s1: Float64Array = new Float64Array(n * n), s2: Float64Array = new Float64Array(n * n)): void {
  transposeInto(s1, x, n);
  transposeInto(s2, y, n);
  mulABt(out, s1, s2, n);
}

/**
 * Riemannian L-BFGS on O(n) for f(C) = ||C^T A C - B||^2 (= ||A - C B C^T||^2 for orthogonal C).
 * Tangent vectors are skew matrices W in the left trivialisation C -> C cay(W), and L-BFGS pairs are kept in
 * those coordinates (transport by left translation). All buffers are allocated once per problem size.
 */
export class PavfSolver {
  readonly c: Float64Array; // current C
  f = Infinity; // f(C)
  readonly #m: Float64Array; // M = C^T A C
  readonly #e: Float64Array; // E = M - B
  // Tangent vectors (gradient, direction, L-BFGS pairs) are packed skew matrices: the n(n-1)/2 entries above
  // the diagonal, so that the L-BFGS dot products cost half as much as on full matrices.
  readonly #g: Float64Array; // Riemannian gradient, packed
  readonly #p: Float64Array; // search direction, packed
  readonly #r: Float64Array; // Cayley factor R
  readonly #rt: Float64Array; // R^T
  readonly #mNew: Float64Array;
  readonly #gNew: Float64Array;
  readonly #t1: Float64Array;
  readonly #t2: Float64Array;
  readonly #t3: Float64Array;
  readonly #t4: Float64Array;
  readonly #s: Float64Array[]; // L-BFGS steps, ring buffer
  readonly #y: Float64Array[]; // L-BFGS gradient changes
  readonly #rho: Float64Array;
  readonly #alpha: Float64Array;
  #stored = 0;
  #head = 0;
  #stalls = 0;
  #sinceRefresh = 0;
  readonly #precond: Float64Array; // Cholesky factor of the Gauss-Newton matrix at B, see gaussNewtonFactor
  /** Iterations since the last reset. */
  iterations = 0;
  static readonly memory = 8;

  constructor(readonly n: number, readonly a: Float64Array, readonly b: Float64Array) {
    const buf = () => new Float64Array(n * n);
    const packed = () => new Float64Array((n * (n - 1)) / 2);
    this.c = buf();
    this.#m = buf(); this.#e = buf(); this.#r = buf(); this.#rt = buf();
    this.#mNew = buf(); this.#t1 = buf(); this.#t2 = buf(); this.#t3 = buf(); this.#t4 = buf();
    this.#g = packed(); this.#p = packed(); this.#gNew = packed();
    this.#s = Array.from({ length: PavfSolver.memory }, packed);
    this.#y = Array.from({ length: PavfSolver.memory }, packed);
    this.#rho = new Float64Array(PavfSolver.memory);
    this.#alpha = new Float64Array(PavfSolver.memory);
    this.#precond = gaussNewtonFactor(b, n);
  }

  /** Starts a new run at C0 (orthogonal). */
  reset(c0: Float64Array): void {
    this.c.set(c0);
    this.#refreshFrame();
    this.#stored = 0;
    this.#head = 0;
    this.#stalls = 0;
    this.iterations = 0;
  }

  /** M = C^T A C from the current C, f and gradient. */
  #refreshFrame(): void {
    const { n } = this;
    mulAtB(this.#t1, this.c, this.a, n, this.#t3, this.#t4);
    mul(this.#m, this.#t1, this.c, n, this.#t3);
    this.f = this.#loss(this.#m);
    this.#gradient(this.#m, this.#g);
    this.#sinceRefresh = 0;
  }

  #loss(m: Float64Array): number {
    let f = 0;
    for (let i = 0; i < m.length; i++) {
      const d = m[i]! - this.b[i]!;
      f += d * d;
    }
    return f;
  }

  /**
   * Gradient of f(C cay(W)) at W = 0: as a skew matrix G = X - X^T with X = M^T E - E M^T, E = M - B. Packed
   * coordinates w_ij (i < j, W_ij = w_ij = -W_ji) see it doubled: out_ij = 2 G_ij.
   */
  #gradient(m: Float64Array, out: Float64Array): void {
    const { n } = this;
    for (let i = 0; i < m.length; i++) this.#e[i] = m[i]! - this.b[i]!;
    mulAtB(this.#t1, m, this.#e, n, this.#t3, this.#t4); // M^T E
    mulABt(this.#t2, this.#e, m, n); // E M^T
    let q = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const xij = this.#t1[i * n + j]! - this.#t2[i * n + j]!;
        const xji = this.#t1[j * n + i]! - this.#t2[j * n + i]!;
        out[q++] = 2 * (xij - xji);
      }
    }
  }

  /** R = cay(t P) = (I - tP/2)^{-1} (I + tP/2) = 2 (I - tP/2)^{-1} - I. I - tP/2 has symmetric part I, so no pivoting is needed. */
  #cayley(t: number): void {
    const { n } = this;
    const lu = this.#t1;
    const r = this.#r;
    const h = 0.5 * t;
    let q = 0;
    for (let i = 0; i < n; i++) {
      lu[i * n + i] = 1;
      for (let j = i + 1; j < n; j++) {
        const w = h * this.#p[q++]!;
        lu[i * n + j] = -w;
        lu[j * n + i] = w;
      }
    }
    r.fill(0);
    for (let i = 0; i < n; i++) r[i * n + i] = 1;
    // Gauss-Jordan on [lu | r] -> [I | lu^{-1}] in n^3 multiply-adds: at step k, columns < k of lu are
    // already reduced and row k of r is zero beyond column k.
    for (let k = 0; k < n; k++) {
      const kk = k * n;
      const inv = 1 / lu[kk + k]!;
      for (let j = k; j < n; j++) lu[kk + j]! *= inv;
      for (let j = 0; j <= k; j++) r[kk + j]! *= inv;
      for (let i = 0; i < n; i++) {
        if (i === k) continue;
        const ii = i * n;
        const f = lu[ii + k]!;
        if (f === 0) continue;
        for (let j = k; j < n; j++) lu[ii + j]! -= f * lu[kk + j]!;
        for (let j = 0; j <= k; j++) r[ii + j]! -= f * r[kk + j]!;
      }
    }
    for (let i = 0; i < n * n; i++) r[i] = 2 * r[i]!;
    for (let i = 0; i < n; i++) r[i * n + i]! -= 1;
    transposeInto(this.#rt, r, n);
  }

  /**
   * Continues L-BFGS for at most `iterations` steps. Returns true once converged: gradient at round-off level,
   * an exact match, or f no longer decreasing by more than 1e-12 of itself.
   */
  iterate(iterations: number): boolean {
    const { n } = this;
    const size = this.#g.length;
    for (let it = 0; it < iterations; it++, this.iterations++) {
      const gg = dotArrays(this.#g, this.#g);
      if (gg < 1e-24 || this.f < 1e-30 || this.#stalls >= 3) return true;
      this.#direction();
      let slope = dotArrays(this.#g, this.#p);
      if (!(slope < 0)) {
        for (let i = 0; i < size; i++) this.#p[i] = -this.#g[i]!;
        choleskySolveInPlace(this.#precond, this.#p, size);
        slope = dotArrays(this.#g, this.#p);
        this.#stored = 0;
      }
      // Preconditioned steps are Gauss-Newton-like, so t = 1 is right near a minimum; far from one, cap the
      // rotation at about 1 rad.
      let t = Math.min(1, 1 / Math.sqrt(dotArrays(this.#p, this.#p)));
      let fNew = Infinity;
      for (let tries = 0; tries < 40; tries++) {
        this.#cayley(t);
        // M' = R^T M R = R^T X with X = M R
        mulABt(this.#t2, this.#m, this.#rt, n);
        transposeInto(this.#t3, this.#t2, n);
        mulABt(this.#mNew, this.#rt, this.#t3, n);
        fNew = this.#loss(this.#mNew);
        if (fNew <= this.f + 1e-4 * t * slope) break;
        t *= 0.5;
      }
      if (!(fNew <= this.f + 1e-4 * t * slope)) {
        // No decrease along this direction (round-off level): retry once from steepest descent, then stop.
        if (this.#stored === 0) return true;
        this.#stored = 0;
        continue;
      }
      // Accept: C <- C R, M <- M'.
      mulABt(this.#t2, this.c, this.#rt, n);
      this.c.set(this.#t2);
      this.#m.set(this.#mNew);
      this.#gradient(this.#m, this.#gNew);
      // L-BFGS pair (s = t p, y = g' - g), kept only when the curvature s.y is positive.
      const s = this.#s[this.#head]!;
      const y = this.#y[this.#head]!;
      let sy = 0;
      for (let i = 0; i < size; i++) {
        s[i] = t * this.#p[i]!;
        y[i] = this.#gNew[i]! - this.#g[i]!;
        sy += s[i]! * y[i]!;
      }
      if (sy > 1e-300) {
        this.#rho[this.#head] = 1 / sy;
        this.#head = (this.#head + 1) % PavfSolver.memory;
        this.#stored = Math.min(this.#stored + 1, PavfSolver.memory);
      }
      this.#g.set(this.#gNew);
      this.#stalls = this.f - fNew <= 1e-12 * this.f ? this.#stalls + 1 : 0;
      this.f = fNew;
      // Products of Cayley factors drift off O(n) by round-off; pull C back and recompute M now and then.
      if (++this.#sinceRefresh >= 25) {
        this.#reorthonormalise();
        this.#refreshFrame();
      }
    }
    return false;
  }

  /** Copy of the current gradient in packed coordinates (for tests). */
  gradient(): Float64Array {
    return Float64Array.from(this.#g);
  }

  /** Re-orthonormalises C and recomputes f exactly from it. */
  finish(): number {
    this.#reorthonormalise();
    this.#refreshFrame();
    return this.f;
  }

  /** One Newton-Schulz step C <- C (3I - C^T C) / 2: quadratic convergence to the polar factor from near O(n). */
  #reorthonormalise(): void {
    const { n } = this;
    mulAtB(this.#t1, this.c, this.c, n, this.#t3, this.#t4);
    for (let i = 0; i < n * n; i++) this.#t1[i] = -0.5 * this.#t1[i]!;
    for (let i = 0; i < n; i++) this.#t1[i * n + i]! += 1.5;
    mul(this.#t2, this.c, this.#t1, n, this.#t3);
    this.c.set(this.#t2);
  }

  /** Two-loop recursion: p = -H g from the stored pairs (newest at head - 1). */
  #direction(): void {
    const p = this.#p;
    const mem = PavfSolver.memory;
    const stored = this.#stored;
    const head = this.#head;
    for (let i = 0; i < p.length; i++) p[i] = -this.#g[i]!;
    if (stored === 0) {
      choleskySolveInPlace(this.#precond, p, p.length);
      return;
    }
    for (let k = 1; k <= stored; k++) {
      const idx = (head - k + mem) % mem;
      const a = this.#rho[idx]! * dotArrays(this.#s[idx]!, p);
      this.#alpha[idx] = a;
      const y = this.#y[idx]!;
      for (let i = 0; i < p.length; i++) p[i]! -= a * y[i]!;
    }
    // Initial inverse Hessian P^{-1}, P the Gauss-Newton matrix at B, which already has the Hessian's scale.
    choleskySolveInPlace(this.#precond, p, p.length);
    for (let k = stored; k >= 1; k--) {
      const idx = (head - k + mem) % mem;
      const beta = this.#rho[idx]! * dotArrays(this.#y[idx]!, p);
      const s = this.#s[idx]!;
      const coef = this.#alpha[idx]! - beta;
      for (let i = 0; i < p.length; i++) p[i]! += coef * s[i]!;
    }
  }
}

/**
 * Cholesky factor of the Gauss-Newton matrix of f at M = B in packed coordinates: w^T G w = ||B W - W B||^2 with
 * W = sum_{k<l} w_kl (e_k e_l^T - e_l e_k^T). It models the Hessian of f (which is 2 G near a good fit) and turns
 * L-BFGS's ~400 iterations per start on DMD operators (Hessian condition ~3e3) into ~40 (preconditioned ~6).
 * In full coordinates ||BW - WB||^2 = sum Q[(a,b),(c,d)] W_ab W_cd with
 * Q = delta_bd (B^T B)_ac + delta_ac (B B^T)_bd - B_ca B_db - B_ac B_bd.
 */
export function gaussNewtonFactor(b: Float64Array, n: number): Float64Array {
  const s = new Float64Array(n * n); // B^T B
  const t = new Float64Array(n * n); // B B^T
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let x = 0, y = 0;
    for (let k = 0; k < n; k++) {
      x += b[k * n + i]! * b[k * n + j]!;
      y += b[i * n + k]! * b[j * n + k]!;
    }
    s[i * n + j] = x;
    t[i * n + j] = y;
  }
  const q = (a: number, bb: number, c: number, d: number): number =>
    (bb === d ? s[a * n + c]! : 0) + (a === c ? t[bb * n + d]! : 0) - b[c * n + a]! * b[d * n + bb]! - b[a * n + c]! * b[bb * n + d]!;
  const size = (n * (n - 1)) / 2;
  const g = new Float64Array(size * size);
  let r = 0;
  for (let k = 0; k < n; k++) for (let l = k + 1; l < n; l++, r++) {
    let c = 0;
    for (let p = 0; p < n; p++) for (let qq = p + 1; qq < n; qq++, c++) {
      if (c < r) continue;
      const v = 2 * (q(k, l, p, qq) - q(k, l, qq, p) - q(l, k, p, qq) + q(l, k, qq, p));
      g[r * size + c] = v;
      g[c * size + r] = v;
    }
  }
  // A commuting direction (B W = W B) has no curvature at B; a small ridge keeps G positive definite.
  let trace = 0;
  for (let i = 0; i < size; i++) trace += g[i * size + i]!;
  const ridge = 1e-6 * (trace / size) + 1e-300;
  for (let i = 0; i < size; i++) g[i * size + i]! += ridge;
  // In-place Cholesky, lower triangle; then L^T is mirrored into the upper triangle so that both triangular
  // solves read rows contiguously (the diagonal holds L_ii).
  for (let j = 0; j < size; j++) {
    const jj = j * size;
    let d = g[jj + j]!;
    for (let k = 0; k < j; k++) d -= g[jj + k]! * g[jj + k]!;
    const ljj = Math.sqrt(Math.max(d, ridge));
    g[jj + j] = ljj;
    for (let i = j + 1; i < size; i++) {
      const ii = i * size;
      let v = g[ii + j]!;
      for (let k = 0; k < j; k++) v -= g[ii + k]! * g[jj + k]!;
      g[ii + j] = v / ljj;
    }
  }
  for (let i = 0; i < size; i++) for (let j = i + 1; j < size; j++) g[i * size + j] = g[j * size + i]!;
  return g;
}

/**
 * x <- (L L^T)^{-1} x, with L below the diagonal of `l` and L^T above it (gaussNewtonFactor's layout). Four
 * partial sums per row break the add-latency chain (2x faster, measured).
 */
function choleskySolveInPlace(l: Float64Array, x: Float64Array, size: number): void {
  for (let i = 0; i < size; i++) {
    const ii = i * size;
    let v0 = x[i]!, v1 = 0, v2 = 0, v3 = 0;
    let k = 0;
    for (; k + 3 < i; k += 4) {
      v0 -= l[ii + k]! * x[k]!;
      v1 -= l[ii + k + 1]! * x[k + 1]!;
      v2 -= l[ii + k + 2]! * x[k + 2]!;
      v3 -= l[ii + k + 3]! * x[k + 3]!;
    }
    for (; k < i; k++) v0 -= l[ii + k]! * x[k]!;
    x[i] = (v0 + v1 + v2 + v3) / l[ii + i]!;
  }
  for (let i = size - 1; i >= 0; i--) {
    const ii = i * size;
    let v0 = x[i]!, v1 = 0, v2 = 0, v3 = 0;
    let k = i + 1;
    for (; k + 3 < size; k += 4) {
      v0 -= l[ii + k]! * x[k]!;
      v1 -= l[ii + k + 1]! * x[k + 1]!;
      v2 -= l[ii + k + 2]! * x[k + 2]!;
      v3 -= l[ii + k + 3]! * x[k + 3]!;
    }
    for (; k < size; k++) v0 -= l[ii + k]! * x[k]!;
    x[i] = (v0 + v1 + v2 + v3) / l[ii + i]!;
  }
}

function dotArrays(x: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

/**
 * Spectral starts of A.8: C0 = V_A diag(d) V_B^T with V the eigenvectors (ascending) of the symmetric parts, and
 * sign vectors d that locally maximise d^T (K_A o K_B) d, K = V^T skew(.) V. If B = Q A Q^T with distinct
 * symmetric-part eigenvalues, one of them is Q^T exactly.
 */
export function spectralStarts(a: Float64Array, b: Float64Array, n: number, rng: Rng, randomSigns = 4): Float64Array[] {
  const va = ascendingEigenvectors(symmetricPart(a, n), n);
  const vb = ascendingEigenvectors(symmetricPart(b, n), n);
  const ka = rotateSkew(a, va, n);
  const kb = rotateSkew(b, vb, n);
  const m = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) m[i] = ka[i]! * kb[i]!;

  const candidates: Int8Array[] = [];
  candidates.push(new Int8Array(n).fill(1));
  const top = symmetricEigen({ rows: n, cols: n, data: m }).vectors; // column 0 = top eigenvector
  candidates.push(Int8Array.from({ length: n }, (_, i) => (top.data[i * n]! < 0 ? -1 : 1)));
  for (let k = 0; k < randomSigns; k++) candidates.push(Int8Array.from({ length: n }, () => (rng.next() < 0.5 ? -1 : 1)));

  const seen = new Set<string>();
  const out: Float64Array[] = [];
  for (const d of candidates) {
    ascendSigns(d, m, n);
    // d and -d give C0 and -C0, the same conjugation: keep one of each pair.
    const key = Array.from(d, (v) => (v === d[0] ? '+' : '-')).join('');
    if (seen.has(key)) continue;
    seen.add(key);
    const c = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += va[i * n + k]! * d[k]! * vb[j * n + k]!;
      c[i * n + j] = acc;
    }
    out.push(c);
  }
  return out;
}

/** Single-flip ascent on d^T M d: flip d_i while that increases it (gain -4 d_i sum_{j != i} M_ij d_j > 0). */
function ascendSigns(d: Int8Array, m: Float64Array, n: number): void {
  for (let sweep = 0; sweep < 100 * n; sweep++) {
    let flipped = false;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) if (j !== i) s += m[i * n + j]! * d[j]!;
      if (-4 * d[i]! * s > 1e-300) {
        d[i] = -d[i]! as -1 | 1;
        flipped = true;
      }
    }
    if (!flipped) return;
  }
}

function symmetricPart(a: Float64Array, n: number): Mat {
  const s = zeros(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s.data[i * n + j] = (a[i * n + j]! + a[j * n + i]!) / 2;
  return s;
}

/** Eigenvectors as columns, ascending eigenvalue order. */
function ascendingEigenvectors(s: Mat, n: number): Float64Array {
  const { vectors } = symmetricEigen(s); // descending
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) v[i * n + k] = vectors.data[i * n + (n - 1 - k)]!;
  return v;
}

/** K = V^T skew(A) V */
function rotateSkew(a: Float64Array, v: Float64Array, n: number): Float64Array {
  const k = new Float64Array(n * n);
  const t = new Float64Array(n * n);
  const sk = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sk[i * n + j] = (a[i * n + j]! - a[j * n + i]!) / 2;
  mulAtB(t, v, sk, n);
  mul(k, t, v, n);
  return k;
}

/** Haar-distributed orthogonal matrix with the given determinant sign (QR of a Gaussian matrix, R's diagonal positive). */
export function haarOrthogonal(n: number, rng: Rng, det: 1 | -1 = 1): Float64Array {
  const q = new Float64Array(n * n); // columns are the basis
  for (let i = 0; i < n * n; i++) q[i] = rng.normal();
  // Modified Gram-Schmidt twice over the columns ("twice is enough" for orthogonality to round-off).
  for (let j = 0; j < n; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let proj = 0;
        for (let i = 0; i < n; i++) proj += q[i * n + k]! * q[i * n + j]!;
        for (let i = 0; i < n; i++) q[i * n + j]! -= proj * q[i * n + k]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += q[i * n + j]! * q[i * n + j]!;
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) q[i * n + j]! /= norm;
  }
  if (determinantSign({ rows: n, cols: n, data: q }) !== det) for (let i = 0; i < n; i++) q[i * n] = -q[i * n]!;
  return q;
}
