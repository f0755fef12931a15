// metric/feature-learning: how far training moved a network from its initialisation. The weight change
// ||W_T - W_0||_F (and relative to ||W_0||_F), and the alignment of the output's empirical tangent
// kernel before and after training, <K_0, K_T>_F / (||K_0||_F ||K_T||_F): 1 in the lazy regime, lower
// the more the features changed.
// The kernel leaves out the output bias c by default: d y / d c is 1 whatever the weights, so c adds the same
// block to K_0 and K_T and pulls the alignment toward 1; in mup networks the other features are scaled by
// 1 / (gamma n) while c's are not, so that pull grows with gamma and width and would hide the trend the
// metric exists to show (measured on 2-bit flip-flop, n 64: with c the alignment rose from 0.62 at gamma 0.3
// to 0.997 at gamma 10 while the weight change doubled).
import { rowsToTable, scalarSchema, type FloatArray } from '../../src/arrow.js';
import { defineStage, type StageContext } from '../../src/stage.js';
import { configFromTable } from '../collect.js';
import { tableToWeights, weightNames, type WeightName } from '../model/network.js';
import { gramMatrix, kernelAlignment, sampleTimes, tangentFeatures } from '../model/ntk.js';
import { readTrials } from '../train.js';

export interface FeatureLearningParams {
  readonly ntk_trials: number;
  readonly ntk_times: number;
  readonly kernel_weights: readonly WeightName[];
}

export const summarySchema = scalarSchema({ weight_change: 'float64', weight_change_rel: 'float64', kernel_alignment: 'float64' });

/** ||a - b||_F and ||b||_F. */
export function frobeniusChange(a: FloatArray, b: FloatArray): { change: number; norm: number } {
  let change = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    change += d * d;
    norm += b[i]! * b[i]!;
  }
  return { change: Math.sqrt(change), norm: Math.sqrt(norm) };
}

export const featureLearning = defineStage<FeatureLearningParams>({
  name: 'metric/feature-learning',
  version: 2,
  module: import.meta.url,
  description: 'Weight change ||W_T - W_0|| and tangent-kernel alignment before vs after training.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ntk_trials: { type: 'integer', minimum: 1, default: 8, description: 'Probe trials in the tangent-kernel batch (the first ones).' },
      ntk_times: { type: 'integer', minimum: 1, default: 10, description: 'Time steps per trial, evenly spaced and ending at the last.' },
      kernel_weights: {
        type: 'array', items: { enum: [...weightNames] }, minItems: 1, uniqueItems: true, default: ['W', 'U', 'b', 'V'],
        description: 'Weights whose gradients make up the tangent kernel (the output bias c is left out by default: its features never change).',
      },
    },
  },
  outputs: { summary: summarySchema },
  async run(ctx: StageContext<FeatureLearningParams>) {
    const cfg = configFromTable(await ctx.read('config'));
    const init = tableToWeights(await ctx.read('init'));
    const final = tableToWeights(await ctx.read('weights'));
    const probe = readTrials(await ctx.read('probe'));
    const { change, norm } = frobeniusChange(final.W, init.W);
    const times = sampleTimes(probe.T, ctx.params.ntk_times);
    const K0 = gramMatrix(tangentFeatures(cfg, init, probe, ctx.params.ntk_trials, times, ctx.params.kernel_weights));
    ctx.progress(0.5, 'initial kernel done');
    const KT = gramMatrix(tangentFeatures(cfg, final, probe, ctx.params.ntk_trials, times, ctx.params.kernel_weights));
    return {
      summary: rowsToTable(summarySchema, [{ weight_change: change, weight_change_rel: change / norm, kernel_alignment: kernelAlignment(K0, KT) }]),
    };
  },
});
