// metric/behaviour: the out-of-distribution MSE of one network, passed through from collect/activity's
// summary so that a study names its behaviour level explicitly; the spread over seeds is summary/degeneracy's job.
import { rowsToTable, scalarSchema, tableToRows } from '../../src/arrow.js';
import { defineStage, type StageContext } from '../../src/stage.js';
import { check } from './lib/errors.js';

export const behaviourSchema = scalarSchema({ ood_mse: 'float64' });

export const behaviour = defineStage<Record<string, never>>({
  name: 'metric/behaviour',
  version: 1,
  module: import.meta.url,
  description: 'OOD MSE per network (from collect/activity).',
  params: { type: 'object', additionalProperties: false, properties: {} },
  outputs: { summary: behaviourSchema },
  async run(ctx: StageContext<Record<string, never>>) {
    check(ctx.members.length === 1, () => `metric/behaviour reads one network; use it without pairs (got ${ctx.members.length} members)`);
    // The upstream whose one-row summary has ood_mse (collect/activity); other upstreams may also have a summary.
    const offered: number[] = [];
    for (const u of ctx.members[0]!.upstream) {
      if (!('summary' in u.outputs)) continue;
      const rows = tableToRows(await u.read('summary'));
      const v = rows[0]?.ood_mse;
      if (rows.length === 1 && typeof v === 'number') offered.push(v);
    }
    check(offered.length === 1, () => offered.length === 0
      ? 'metric/behaviour needs collect/activity (a summary with ood_mse) in needs'
      : `metric/behaviour found ood_mse in ${offered.length} upstream summaries; keep one collect/activity in needs`);
    return { summary: rowsToTable(behaviourSchema, [{ ood_mse: offered[0]! }]) };
  },
});
