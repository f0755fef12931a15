// Statistics of a set of networks and their bootstrap intervals. A resample of networks is stored as
// counts (how often each network was drawn), so every statistic is a weighted form of the plain one and
// the point estimate is the same function with every count 1.
import type { Rng } from '../../src/random.js';

/** A statistic of a resample: `counts[i]` = times network i was drawn. NaN when not computable. */
export type Statistic = (counts: Int32Array) => number;

/** Weighted mean over networks with a finite value: sum_i c_i v_i / sum_i c_i. */
export function meanOf(values: Float64Array): Statistic {
  return (counts) => {
    let sum = 0;
    let weight = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v) || counts[i] === 0) continue;
      sum += counts[i]! * v;
      weight += counts[i]!;
    }
    return weight > 0 ? sum / weight : NaN;
  };
}

/**
 * Population std (ddof 0) over networks with a finite value, each counted c_i times. Not computable
 * with fewer than two such networks (the std of one value says nothing); a resample that drew one
 * network n times is still a legitimate resample, with std 0.
 */
export function stdOf(values: Float64Array): Statistic {
  const mean = meanOf(values);
  const available = values.filter((v) => Number.isFinite(v)).length;
  return (counts) => {
    const m = mean(counts);
    if (available < 2 || Number.isNaN(m)) return NaN;
    let sum = 0;
    let weight = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isFinite(v) || counts[i] === 0) continue;
      sum += counts[i]! * (v - m) * (v - m);
      weight += counts[i]!;
    }
    return Math.sqrt(sum / weight);
  };
}

/**
 * Mean over pairs of distinct drawn networks of d(a, b): sum_{a<b} c_a c_b d_ab / sum_{a<b} c_a c_b.
 * A network drawn twice is never paired with itself (its distance to itself is 0 by definition, which
 * would pull the mean down). `distances` is [n, n] row-major; NaN entries (pairs without a value) are
 * left out.
 */
export function pairMeanOf(distances: Float64Array, n: number): Statistic {
  return (counts) => {
    let sum = 0;
    let weight = 0;
    for (let a = 0; a < n; a++) {
      const ca = counts[a]!;
      if (ca === 0) continue;
      for (let b = a + 1; b < n; b++) {
        const d = distances[a * n + b]!;
        if (counts[b] === 0 || !Number.isFinite(d)) continue;
        const w = ca * counts[b]!;
        sum += w * d;
        weight += w;
      }
    }
    return weight > 0 ? sum / weight : NaN;
  };
}

/** Linear-interpolated quantile of sorted values (numpy's default): position q (m - 1). */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const m = sorted.length;
  if (m === 0) return NaN;
  const pos = q * (m - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, m - 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

export interface Estimate {
  readonly value: number | null;
  readonly lo: number | null;
  readonly hi: number | null;
}

/**
 * Point estimates and percentile 95% intervals of several statistics over one shared set of
 * resamples: `resamples` draws of n networks with replacement from `rng`, each statistic recomputed on
 * each draw. Draws where a statistic is not computable (NaN) are left out of its interval. With fewer
 * than two networks, or `resamples` 0, the intervals are null.
 */
export function bootstrap(stats: Readonly<Record<string, Statistic>>, n: number, resamples: number, rng: Rng, level = 0.95): Record<string, Estimate> {
  const names = Object.keys(stats);
  const ones = new Int32Array(n).fill(1);
  const draws = names.map(() => new Float64Array(resamples));
  const counts = new Int32Array(n);
  const doResample = n >= 2 && resamples > 0;
  if (doResample) {
    for (let r = 0; r < resamples; r++) {
      counts.fill(0);
      for (let k = 0; k < n; k++) counts[rng.int(n)]!++;
      names.forEach((name, s) => { draws[s]![r] = stats[name]!(counts); });
    }
  }
  const out: Record<string, Estimate> = {};
  names.forEach((name, s) => {
    const point = stats[name]!(ones);
    const value = Number.isFinite(point) ? point : null;
    if (value === null || !doResample) {
      out[name] = { value, lo: null, hi: null };
      return;
    }
    const kept = draws[s]!.filter((v) => Number.isFinite(v)).sort();
    const tail = (1 - level) / 2;
    const lo = quantileSorted(kept, tail);
    const hi = quantileSorted(kept, 1 - tail);
    out[name] = { value, lo: Number.isFinite(lo) ? lo : null, hi: Number.isFinite(hi) ? hi : null };
  });
  return out;
}
