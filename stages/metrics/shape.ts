// metric/shape (pairs: seed): representational similarity of two networks' probe-set hidden states,
// flattened condition-major to [trials * T, units]: orthogonal Procrustes / angular shape distance
// (netrep LinearMetric with alpha) and linear CKA.
import { rowsToTable, scalarSchema } from '../../src/arrow.js';
import { defineStage, type StageContext } from '../../src/stage.js';
import { probeTrajectories } from './dmd-params.js';
import type { Mat } from './lib/dense.js';
import { firstNonFinite } from './lib/dmd.js';
import { check } from './lib/errors.js';
import { linearCka, shapeDistance } from './lib/shape.js';

export interface ShapeParams {
  readonly alpha: number;
  readonly center: boolean;
}

export const shapeSummarySchema = scalarSchema({ procrustes_angular: 'float64', procrustes_euclidean: 'float64', cka: 'float64', alpha: 'float64', note: 'utf8' });

export const shape = defineStage<ShapeParams>({
  name: 'metric/shape',
  version: 1,
  module: import.meta.url,
  description: 'Shape distance (orthogonal Procrustes / angular shape distance at alpha = 1) and linear CKA between two networks\' probe activity (pairs: seed).',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      alpha: { type: 'number', minimum: 0, maximum: 1, default: 1, description: 'Partial whitening: 1 = orthogonal Procrustes, 0 = CCA-like.' },
      center: { type: 'boolean', default: true, description: 'Subtract each unit\'s mean activity first.' },
    },
  },
  outputs: { summary: shapeSummarySchema },
  async run(ctx: StageContext<ShapeParams>) {
    check(ctx.members.length === 2, () => `metric/shape compares two networks; use it with pairs: seed (got ${ctx.members.length} member(s))`);
    const [x, y] = await Promise.all(ctx.members.map(async (m): Promise<Mat> => {
      const t = probeTrajectories(await m.read('probe_activity'));
      return { rows: t.trials * t.time, cols: t.units, data: t.data };
    }));
    check(x!.rows === y!.rows, () => `the networks' probe activity has different numbers of samples (${x!.rows} and ${y!.rows}); both must come from the same probe set`);
    // A diverged network gets null distances (summaries leave non-converged networks out), not a failed run.
    const broken = [x!, y!].findIndex((m) => firstNonFinite(m.data) >= 0);
    if (broken >= 0) return { summary: rowsToTable(shapeSummarySchema, [{ alpha: ctx.params.alpha, note: `${broken === 0 ? 'first' : 'second'} network: probe activity contains NaN or infinite values` }]) };
    const d = shapeDistance(x!, y!, { alpha: ctx.params.alpha, centre: ctx.params.center });
    const cka = linearCka(x!, y!, ctx.params.center);
    return { summary: rowsToTable(shapeSummarySchema, [{ procrustes_angular: d.angular, procrustes_euclidean: d.euclidean, cka, alpha: ctx.params.alpha, note: null }]) };
  },
});
