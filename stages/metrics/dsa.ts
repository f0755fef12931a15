// metric/dsa (pairs: seed): Dynamical Similarity Analysis between two networks' probe-set hidden states.
// Each network's DMD operator is fitted once (memoised on its activity and the DMD params) and reused by
// every pair it is in; only the comparison runs per pair.
import { rowsToTable, scalarSchema } from '../../src/arrow.js';
import { defineStage, type StageContext } from '../../src/stage.js';
import { dsaParamsSchema, networkDmd, type DsaParams } from './dmd-params.js';
import { check } from './lib/errors.js';
import { compareOperators } from './lib/simdist.js';
import { spectralWasserstein } from './lib/wasserstein.js';

export const dsaSummarySchema = scalarSchema({
  dsa: 'float64',
  score: 'utf8',
  angular: 'float64',
  euclidean: 'float64',
  wasserstein: 'float64',
  rank_a: 'int32',
  rank_b: 'int32',
  note: 'utf8',
});

export const dsa = defineStage<DsaParams>({
  name: 'metric/dsa',
  version: 1,
  module: import.meta.url,
  description: 'DSA distance between two networks (pairs: seed): delay-embedded DMD per network, then Procrustes over vector fields (angular by default) or the spectral Wasserstein score.',
  params: dsaParamsSchema,
  outputs: { summary: dsaSummarySchema },
  async run(ctx: StageContext<DsaParams>) {
    check(ctx.members.length === 2, () => `metric/dsa compares two networks; use it with pairs: seed (got ${ctx.members.length} member(s))`);
    const [first, second] = ctx.members as [typeof ctx.members[0], typeof ctx.members[0]];
    ctx.progress(0, 'DMD of the first network');
    const a = await networkDmd(ctx, first!);
    ctx.progress(0.3, 'DMD of the second network');
    const b = await networkDmd(ctx, second!);
    const { score } = ctx.params;
    if ('problem' in a || 'problem' in b) {
      const note = 'problem' in a ? `first network: ${a.problem}` : `second network: ${(b as { problem: string }).problem}`;
      return { summary: rowsToTable(dsaSummarySchema, [{ score, note }]) };
    }
    check(score === 'wasserstein' || a.aV.rows === b.aV.rows, () => `the two DMD operators have different sizes (${a.aV.rows} and ${b.aV.rows}): the ${score} score needs equal ranks; give a fixed rank or use score: wasserstein`);
    ctx.progress(0.6, `${score} score`);
    const r = compareOperators(a.aV, b.aV, score, { restarts: ctx.params.restarts, seed: ctx.params.seed });
    return {
      summary: rowsToTable(dsaSummarySchema, [{
        dsa: r.score,
        score,
        angular: r.angular ?? null,
        euclidean: r.euclidean ?? null,
        wasserstein: score === 'wasserstein' ? r.score : spectralWasserstein(a.aV, b.aV),
        rank_a: a.rank,
        rank_b: b.rank,
        note: null,
      }]),
    };
  },
});
