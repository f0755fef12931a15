// Stand-ins for train/rnn, metric/behaviour and the pairwise metrics, loaded through a study's `plugins:`.
// Each network is a point in the plane whose place depends on its seed and the knob `k`; every number
// the summary reads is a closed-form function of those points, so tests can recompute it independently.
import { rowsToTable, scalarSchema, tableToRows } from '../../src/arrow.js';
import { defineStage } from '../../src/stage.js';

/** Where network `seed` sits for knob `k`: a spread proportional to k. */
export function pointOf(k: number, seed: number): { px: number; py: number } {
  return { px: k * Math.cos(2.1 * seed + 0.3), py: k * Math.sin(2.1 * seed + 0.3) + 0.05 * seed };
}

/** The string knob `variant` stretches the spread: 1 for 'plain', 1.5 for anything else. */
export function variantScale(variant: string): number {
  return variant === 'plain' ? 1 : 1.5;
}

export function oodMseOf(p: { px: number; py: number }): number {
  return 0.001 * (1 + (p.px + p.py) ** 2);
}

export function dsaNullOf(p: { px: number; py: number }): number {
  return 0.01 * (1 + Math.abs(p.px));
}

export function pairValuesOf(a: { px: number; py: number }, b: { px: number; py: number }): { dsa: number; distance_rms: number; distance_scalefree: number } {
  const dsa = Math.hypot(a.px - b.px, a.py - b.py);
  const distance_rms = Math.abs(a.px - b.px) + 0.5 * Math.abs(a.py - b.py);
  return { dsa, distance_rms, distance_scalefree: distance_rms / (1 + distance_rms) };
}

export function lossAt(seed: number, epoch: number): number {
  return (1 + 0.1 * seed) * Math.exp(-epoch / 5);
}

const pointSchema = scalarSchema({ px: 'float64', py: 'float64' });
const summarySchema = scalarSchema({ converged: 'bool', epochs: 'int32', final_loss: 'float64', reason: 'utf8' });
const curveSchema = scalarSchema({ epoch: 'int32', loss: 'float64', lr: 'float64' });

/** Like train/rnn: `summary` (converged unless the seed is in `fail`), `curve`, and its `point`. */
export const net = defineStage<{ k: number; seed: number; fail: number[]; epochs: number; variant: string }>({
  name: 'test/net',
  version: 1,
  module: import.meta.url,
  description: 'a network that is a point in the plane',
  params: {
    type: 'object', additionalProperties: false,
    properties: {
      k: { type: 'number', default: 1 },
      seed: { type: 'integer', default: 0 },
      fail: { type: 'array', items: { type: 'integer' }, default: [] },
      epochs: { type: 'integer', minimum: 1, default: 12 },
      variant: { type: 'string', default: 'plain' },
    },
  },
  outputs: { summary: summarySchema, curve: curveSchema, point: pointSchema },
  async run(ctx) {
    const { k, seed, fail, epochs, variant } = ctx.params;
    const converged = !fail.includes(seed);
    const curve = Array.from({ length: epochs }, (_, e) => ({ epoch: e + 1, loss: lossAt(seed, e + 1), lr: 1e-3 }));
    return {
      summary: rowsToTable(summarySchema, [{ converged, epochs, final_loss: curve.at(-1)!.loss, reason: converged ? null : 'threshold not reached' }]),
      curve: rowsToTable(curveSchema, curve),
      point: rowsToTable(pointSchema, [pointOf(k * variantScale(variant), seed)]),
    };
  },
});

const behaviourSchema = scalarSchema({ ood_mse: 'float64', dsa_null: 'float64' });

/** Like metric/behaviour plus metric/dsa-null: `ood_mse` and `dsa_null` from the network's point. */
export const behaviour = defineStage<Record<string, never>>({
  name: 'test/behaviour',
  version: 1,
  module: import.meta.url,
  description: 'OOD MSE and DSA null of a point network',
  params: { type: 'object', additionalProperties: false, properties: {} },
  outputs: { summary: behaviourSchema },
  async run(ctx) {
    const p = tableToRows(await ctx.read('point'))[0] as { px: number; py: number };
    return { summary: rowsToTable(behaviourSchema, [{ ood_mse: oodMseOf(p), dsa_null: dsaNullOf(p) }]) };
  },
});

const pairSchema = scalarSchema({ dsa: 'float64', distance_rms: 'float64', distance_scalefree: 'float64' });

/** Like metric/dsa and metric/weights together, for `pairs: seed`. */
export const pair = defineStage<Record<string, never>>({
  name: 'test/pair',
  version: 1,
  module: import.meta.url,
  description: 'distances between two point networks',
  params: { type: 'object', additionalProperties: false, properties: {} },
  outputs: { summary: pairSchema },
  async run(ctx) {
    const [a, b] = await Promise.all(ctx.members.map(async (m) => tableToRows(await m.read('point'))[0] as { px: number; py: number }));
    return { summary: rowsToTable(pairSchema, [pairValuesOf(a!, b!)]) };
  },
});
