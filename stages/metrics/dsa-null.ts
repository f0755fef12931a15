// metric/dsa-null (one network): the within-network DSA baseline. The probe trials are split into two
// disjoint halves (even and odd trials), a DMD is fitted to each with the metric/dsa settings, and the two
// are scored. Cross-network DSA distances mean something only above this floor.
import { rowsToTable, scalarSchema } from '../../src/arrow.js';
import { defineStage, type StageContext } from '../../src/stage.js';
import { dmdOptionsOf, dsaParamsSchema, probeTrajectories, type DsaParams } from './dmd-params.js';
import { firstNonFinite, fitDmd } from './lib/dmd.js';
import { check, MetricInputError } from './lib/errors.js';
import type { Trajectories } from './lib/hankel.js';
import { compareOperators } from './lib/simdist.js';

export const dsaNullSchema = scalarSchema({ dsa_null: 'float64', score: 'utf8', rank_a: 'int32', rank_b: 'int32', trials_a: 'int32', trials_b: 'int32', note: 'utf8' });

/** Trials k with k % 2 === parity. */
export function everyOtherTrial(x: Trajectories, parity: 0 | 1): Trajectories {
  const per = x.time * x.units;
  const picked: number[] = [];
  for (let k = parity; k < x.trials; k += 2) picked.push(k);
  const data = new Float64Array(picked.length * per);
  picked.forEach((k, i) => data.set(x.data.subarray(k * per, (k + 1) * per), i * per));
  return { trials: picked.length, time: x.time, units: x.units, data };
}

export const dsaNull = defineStage<DsaParams>({
  name: 'metric/dsa-null',
  version: 1,
  module: import.meta.url,
  description: 'Within-network DSA baseline: distance between the DMD operators of the even and odd probe trials of one network (same settings as metric/dsa).',
  params: dsaParamsSchema,
  outputs: { summary: dsaNullSchema },
  async run(ctx: StageContext<DsaParams>) {
    check(ctx.members.length === 1, () => `metric/dsa-null scores one network against itself; use it without pairs (got ${ctx.members.length} members)`);
    const x = probeTrajectories(await ctx.read('probe_activity'));
    check(x.trials >= 2, () => `metric/dsa-null needs at least 2 probe trials to split, got ${x.trials}`);
    // A diverged network gets a null baseline (summaries leave non-converged networks out), not a failed run.
    if (firstNonFinite(x.data) >= 0) return { summary: rowsToTable(dsaNullSchema, [{ score: ctx.params.score, note: 'probe activity contains NaN or infinite values' }]) };
    const options = dmdOptionsOf(ctx.params);
    const halves = [everyOtherTrial(x, 0), everyOtherTrial(x, 1)] as const;
    const fits = halves.map((half, i) => {
      ctx.progress(0.4 * i, `DMD of the ${i === 0 ? 'even' : 'odd'} trials`);
      try {
        return fitDmd(half, options);
      } catch (e) {
        if (e instanceof MetricInputError) throw new MetricInputError(`metric/dsa-null, ${i === 0 ? 'even' : 'odd'} half of the probe trials (${half.trials} of ${x.trials}): ${e.message}`);
        throw e;
      }
    });
    const [a, b] = fits as [typeof fits[0], typeof fits[0]];
    const { score } = ctx.params;
    check(score === 'wasserstein' || a.aV.rows === b.aV.rows, () => `the two halves' DMD operators have different sizes (${a.aV.rows} and ${b.aV.rows}); give a fixed rank or use score: wasserstein`);
    ctx.progress(0.8, `${score} score`);
    const r = compareOperators(a.aV, b.aV, score, { restarts: ctx.params.restarts, seed: ctx.params.seed });
    return { summary: rowsToTable(dsaNullSchema, [{ dsa_null: r.score, score, rank_a: a.rank, rank_b: b.rank, trials_a: halves[0].trials, trials_b: halves[1].trials, note: null }]) };
  },
});
