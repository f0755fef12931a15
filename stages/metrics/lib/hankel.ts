// Trajectory data and its delay (Hankel) embedding, METRICS.md A.1-A.2.
import type { Mat } from './dense.js';
import { check } from './errors.js';

/** Trajectories of one system: `data` is [trials, time, units] row-major (a single trajectory has trials = 1). */
export interface Trajectories {
  readonly trials: number;
  readonly time: number;
  readonly units: number;
  readonly data: Float64Array;
}

export function trajectories(trials: number, time: number, units: number, data: ArrayLike<number>): Trajectories {
  if (data.length !== trials * time * units) throw new RangeError(`trajectories: [${trials}, ${time}, ${units}] needs ${trials * time * units} values, got ${data.length}`);
  return { trials, time, units, data: Float64Array.from(data) };
}

/** Embedded length T' = T - (d - 1) tau of each trial. */
export function embeddedLength(time: number, nDelays: number, delayInterval: number): number {
  return time - (nDelays - 1) * delayInterval;
}

/**
 * H[(k, t), j*N + n] = x[k, t + (d-1-j) tau, n]: row t of trial k holds d blocks of width N, block 0 the
 * most recent sample and block d-1 the oldest. Trials are stacked row-wise (trial-major), giving
 * (K T') x (N d). Throws when T' < 1.
 */
export function delayEmbed(x: Trajectories, nDelays: number, delayInterval: number): Mat {
  const { trials: k, time: t, units: n } = x;
  const tp = embeddedLength(t, nDelays, delayInterval);
  check(tp >= 1, () => `too few time steps for the delays: n_delays ${nDelays} x delay_interval ${delayInterval} needs at least ${(nDelays - 1) * delayInterval + 1} time steps per trial, the data have ${t}`);
  const width = n * nDelays;
  const out = new Float64Array(k * tp * width);
  for (let trial = 0; trial < k; trial++) {
    for (let row = 0; row < tp; row++) {
      const o = (trial * tp + row) * width;
      for (let j = 0; j < nDelays; j++) {
        const src = (trial * t + row + (nDelays - 1 - j) * delayInterval) * n;
        out.set(x.data.subarray(src, src + n), o + j * n);
      }
    }
  }
  return { rows: k * tp, cols: width, data: out };
}

/**
 * G = Hs^T Hs (N d x N d) of the delay embedding, without forming Hs. Block (a, b) is
 *   sum_k sum_{t < T'} x[k, t + p_a] x[k, t + p_b]^T,  p_j = (d - 1 - j) tau,
 * so blocks with the same lag (b - a) tau are windows of one lagged product, each obtained from the previous
 * by sliding tau steps: d lagged products of cost K T' N^2 instead of the (N d)^2 K T' / 2 of the direct Gram.
 */
export function hankelGram(x: Trajectories, nDelays: number, delayInterval: number): Mat {
  const { trials: k, time: t, units: n } = x;
  const d = nDelays;
  const tau = delayInterval;
  const tp = embeddedLength(t, d, tau);
  check(tp >= 1, () => `too few time steps for the delays: n_delays ${d} x delay_interval ${tau} needs at least ${(d - 1) * tau + 1} time steps per trial, the data have ${t}`);
  const p = n * d;
  // xt[(trial * N + unit) * T + time]: each unit's time course contiguous, for dot products over time.
  const xt = new Float64Array(k * n * t);
  for (let trial = 0; trial < k; trial++) for (let step = 0; step < t; step++) for (let i = 0; i < n; i++) {
    xt[(trial * n + i) * t + step] = x.data[(trial * t + step) * n + i]!;
  }
  const g = new Float64Array(p * p);
  const s = new Float64Array(n * n);
  for (let lagIndex = 0; lagIndex < d; lagIndex++) {
    const lag = lagIndex * tau;
    s.fill(0);
    laggedProduct(s, xt, k, n, t, lag, 0, tp, 1);
    for (let m = 0; m + lagIndex < d; m++) {
      if (m > 0) {
        // window [q, q + T') -> [q + tau, q + tau + T')
        const q = (m - 1) * tau;
        laggedProduct(s, xt, k, n, t, lag, q, q + tau, -1);
        laggedProduct(s, xt, k, n, t, lag, q + tp, q + tp + tau, 1);
      }
      const b = d - 1 - m;
      const a = b - lagIndex;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        const v = s[i * n + j]!;
        g[(a * n + i) * p + b * n + j] = v;
        g[(b * n + j) * p + a * n + i] = v;
      }
    }
  }
  return { rows: p, cols: p, data: g };
}

/** s[i, j] += sign * sum_trials sum_{lo <= t < hi} xt[trial, i, t + lag] xt[trial, j, t], 2 x 4 register blocked. */
function laggedProduct(s: Float64Array, xt: Float64Array, k: number, n: number, t: number, lag: number, lo: number, hi: number, sign: number): void {
  for (let trial = 0; trial < k; trial++) {
    const base = trial * n * t;
    let i = 0;
    for (; i + 1 < n; i += 2) {
      const u0 = base + i * t + lag;
      const u1 = u0 + t;
      let j = 0;
      for (; j + 3 < n; j += 4) {
        const w0 = base + j * t, w1 = w0 + t, w2 = w1 + t, w3 = w2 + t;
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
        for (let step = lo; step < hi; step++) {
          const x0 = xt[u0 + step]!, x1 = xt[u1 + step]!;
          const y0 = xt[w0 + step]!, y1 = xt[w1 + step]!, y2 = xt[w2 + step]!, y3 = xt[w3 + step]!;
          a0 += x0 * y0; a1 += x0 * y1; a2 += x0 * y2; a3 += x0 * y3;
          b0 += x1 * y0; b1 += x1 * y1; b2 += x1 * y2; b3 += x1 * y3;
        }
        const r0 = i * n + j, r1 = r0 + n;
        s[r0]! += sign * a0; s[r0 + 1]! += sign * a1; s[r0 + 2]! += sign * a2; s[r0 + 3]! += sign * a3;
        s[r1]! += sign * b0; s[r1 + 1]! += sign * b1; s[r1 + 2]! += sign * b2; s[r1 + 3]! += sign * b3;
      }
      for (; j < n; j++) {
        const w0 = base + j * t;
        let a0 = 0, b0 = 0;
        for (let step = lo; step < hi; step++) {
          a0 += xt[u0 + step]! * xt[w0 + step]!;
          b0 += xt[u1 + step]! * xt[w0 + step]!;
        }
        s[i * n + j]! += sign * a0;
        s[(i + 1) * n + j]! += sign * b0;
      }
    }
    for (; i < n; i++) {
      const u0 = base + i * t + lag;
      for (let j = 0; j < n; j++) {
        const w0 = base + j * t;
        let a0 = 0;
        for (let step = lo; step < hi; step++) a0 += xt[u0 + step]! * xt[w0 + step]!;
        s[i * n + j]! += sign * a0;
      }
    }
  }
}
