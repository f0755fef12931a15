// metric/weights (pairs: seed): permutation-aligned distance between two networks' recurrent matrices,
// min over relabellings P of ||W1 - P W2 P^T||_F (METRICS.md section C), per weight and scale-free.
import type { Table } from 'apache-arrow';
import { getTensor, rowsToTable, scalarSchema, tableToTensors } from '../../src/arrow.js';
import { defineStage, type StageContext } from '../../src/stage.js';
import type { Mat } from './lib/dense.js';
import { firstNonFinite } from './lib/dmd.js';
import { check } from './lib/errors.js';
import { defaultFaqStarts, weightDistance } from './lib/weights.js';

export interface WeightsParams {
  /** Add input-weight rows, output-weight columns and the bias to the neuron signatures (C.2). */
  readonly features: boolean;
  readonly refine: boolean;
  readonly faq_starts: number;
  readonly seed: number;
}

export const weightsSummarySchema = scalarSchema({
  distance_raw: 'float64',
  distance_rms: 'float64',
  distance_scalefree: 'float64',
  angle: 'float64',
  distance_geometric: 'float64',
  distance_sum: 'float64',
  distance_relative: 'float64',
  distance_raw_unaligned: 'float64',
  distance_rms_unaligned: 'float64',
  distance_scalefree_unaligned: 'float64',
  units: 'int32',
  alignment: 'utf8',
  note: 'utf8',
});

export const permutationSchema = scalarSchema({ neuron_a: 'int32', neuron_b: 'int32' });

interface Network {
  readonly w: Mat;
  readonly features: Mat;
}

/** W and the per-neuron features [U rows, V columns, b] (n x (n_in + n_out + 1)) of a train/rnn weights table. */
export function networkOf(table: Table): Network {
  const t = tableToTensors(table);
  const w = getTensor(t, 'W');
  check(w.shape.length === 2 && w.shape[0] === w.shape[1], () => `weights tensor W should be [n, n], got [${w.shape.join(', ')}]`);
  const n = w.shape[0]!;
  const u = getTensor(t, 'U'); // [n, n_in]
  const v = getTensor(t, 'V'); // [n_out, n]
  const b = getTensor(t, 'b'); // [n]
  const nIn = u.shape[1]!;
  const nOut = v.shape[0]!;
  const f = nIn + nOut + 1;
  const features = new Float64Array(n * f);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < nIn; j++) features[i * f + j] = u.data[i * nIn + j]!;
    for (let o = 0; o < nOut; o++) features[i * f + nIn + o] = v.data[o * n + i]!;
    features[i * f + nIn + nOut] = b.data[i]!;
  }
  return { w: { rows: n, cols: n, data: Float64Array.from(w.data) }, features: { rows: n, cols: f, data: features } };
}

export const weights = defineStage<WeightsParams>({
  name: 'metric/weights',
  version: 1,
  module: import.meta.url,
  description: 'Permutation-aligned distance between two networks\' recurrent matrices (pairs: seed): signatures + LAP, then multi-start FAQ; raw, per-weight (/ n) and scale-free.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      features: { type: 'boolean', default: false, description: 'Also match neurons by their input-weight rows, output-weight columns and bias (raw values, not normalised).' },
      refine: { type: 'boolean', default: false, description: 'Greedy quadratic-assignment ascent on every candidate alignment (METRICS.md C.4).' },
      faq_starts: { type: 'integer', minimum: 0, default: defaultFaqStarts, description: 'Seeded random FAQ starts besides the signature and barycentre starts.' },
      seed: { type: 'integer', minimum: 0, default: 0, description: 'Seed of the random FAQ starts.' },
    },
  },
  outputs: { summary: weightsSummarySchema, permutation: permutationSchema },
  async run(ctx: StageContext<WeightsParams>) {
    check(ctx.members.length === 2, () => `metric/weights compares two networks; use it with pairs: seed (got ${ctx.members.length} member(s))`);
    const a = networkOf(await ctx.members[0]!.read('weights'));
    const b = networkOf(await ctx.members[1]!.read('weights'));
    check(a.w.rows === b.w.rows, () => `networks of different widths (${a.w.rows} and ${b.w.rows} units) cannot be aligned`);
    // A diverged network gets null distances (summaries leave non-converged networks out), not a failed run.
    const broken = [a, b].findIndex((net) => firstNonFinite(net.w.data) >= 0 || (ctx.params.features && firstNonFinite(net.features.data) >= 0));
    if (broken >= 0) {
      return {
        summary: rowsToTable(weightsSummarySchema, [{ units: a.w.rows, note: `${broken === 0 ? 'first' : 'second'} network: weights contain NaN or infinite values` }]),
        permutation: rowsToTable(permutationSchema, []),
      };
    }
    check(!ctx.params.features || a.features.cols === b.features.cols, () => `features: the networks have different input/output sizes (${a.features.cols - 1} and ${b.features.cols - 1})`);
    const r = weightDistance(a.w, b.w, {
      features1: ctx.params.features ? a.features : undefined,
      features2: ctx.params.features ? b.features : undefined,
      refine: ctx.params.refine,
      faqStarts: ctx.params.faq_starts,
      seed: ctx.params.seed,
    });
    return {
      summary: rowsToTable(weightsSummarySchema, [{
        distance_raw: r.raw,
        distance_rms: r.rms,
        distance_scalefree: r.scalefree,
        angle: r.angle,
        distance_geometric: r.geometric,
        distance_sum: r.sum,
        distance_relative: r.relative,
        distance_raw_unaligned: r.unaligned.raw,
        distance_rms_unaligned: r.unaligned.rms,
        distance_scalefree_unaligned: r.unaligned.scalefree,
        units: a.w.rows,
        alignment: r.source,
        note: null,
      }]),
      permutation: rowsToTable(permutationSchema, Array.from(r.permutation, (j, i) => ({ neuron_a: i, neuron_b: j }))),
    };
  },
});
