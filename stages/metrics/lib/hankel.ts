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
