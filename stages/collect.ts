// collect/activity: runs a trained network on the task's probe and OOD sets and stores its hidden
// states and outputs, with the masked MSE on each set.
import type { Table } from 'apache-arrow';
import { rowsToTable, scalarSchema, trialsSchema, trialsToTable } from '../src/arrow.js';
import { defineStage, type StageContext } from '../src/stage.js';
import { RnnKernels } from './model/kernels.js';
import { tableToWeights, type NetworkConfig, type Parameterization, type Trials, type Weights } from './model/network.js';
import { readRow, readTrials } from './train.js';

export interface CollectParams {
  readonly chunk: number;
}

export interface Activity {
  /** h_t after step t: [trials, T, n] (pre-tanh state for mup). */
  readonly hidden: Float32Array;
  /** y_t: [trials, T, n_out]. */
  readonly outputs: Float32Array;
  /** Masked MSE over the whole set. */
  readonly mse: number;
}

/** Runs `weights` forward on every trial, `chunk` trials at a time (bounds the kernel memory). */
export function runNetwork(cfg: NetworkConfig, weights: Weights, trials: Trials, chunk: number): Activity {
  const { B, T } = trials;
  const n = cfg.hidden;
  const p = cfg.n_out;
  const size = Math.max(1, Math.min(chunk, B));
  const net = new RnnKernels(cfg, size, T);
  net.setWeights(weights);
  const hidden = new Float32Array(B * T * n);
  const outputs = new Float32Array(B * T * p);
  const pick = new Int32Array(size);
  for (let start = 0; start < B; start += size) {
    const count = Math.min(size, B - start);
    for (let k = 0; k < count; k++) pick[k] = start + k;
    net.load(trials, pick.subarray(0, count));
    net.forward();
    hidden.set(net.hidden(), start * T * n);
    outputs.set(net.outputs(), start * T * p);
  }
  let sum = 0;
  let weight = 0;
  for (let i = 0; i < outputs.length; i++) {
    const d = outputs[i]! - trials.targets[i]!;
    sum += trials.mask[i]! * d * d;
    weight += trials.mask[i]!;
  }
  return { hidden, outputs, mse: sum / weight };
}

/** The network a train/rnn instance stored in its `config` output. */
export function configFromTable(table: Table): NetworkConfig {
  const row = readRow(table);
  return {
    hidden: Number(row.hidden),
    n_in: Number(row.n_in),
    n_out: Number(row.n_out),
    parameterization: String(row.parameterization) as Parameterization,
    gamma: Number(row.gamma),
    tau: Number(row.tau),
  };
}

function activityTable(cfg: NetworkConfig, trials: Trials, activity: Activity): Table {
  return trialsToTable({
    hidden: { shape: [trials.B, trials.T, cfg.hidden], data: activity.hidden },
    output: { shape: [trials.B, trials.T, cfg.n_out], data: activity.outputs },
  });
}

export const summarySchema = scalarSchema({ ood_mse: 'float64', probe_mse: 'float64' });

export const collect = defineStage<CollectParams>({
  name: 'collect/activity',
  version: 1,
  module: import.meta.url,
  description: "Runs a trained network on the task's probe and OOD sets: hidden states, outputs and MSE.",
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      chunk: { type: 'integer', minimum: 1, default: 64, description: 'Trials run at once (memory only; the results do not depend on it).' },
    },
  },
  outputs: {
    probe_activity: trialsSchema(['hidden', 'output']),
    ood_activity: trialsSchema(['hidden', 'output']),
    summary: summarySchema,
  },
  async run(ctx: StageContext<CollectParams>) {
    const cfg = configFromTable(await ctx.read('config'));
    const weights = tableToWeights(await ctx.read('weights'));
    const probe = readTrials(await ctx.read('probe'));
    const ood = readTrials(await ctx.read('ood'));
    const probeActivity = runNetwork(cfg, weights, probe, ctx.params.chunk);
    ctx.progress(0.5, 'probe set done');
    const oodActivity = runNetwork(cfg, weights, ood, ctx.params.chunk);
    return {
      probe_activity: activityTable(cfg, probe, probeActivity),
      ood_activity: activityTable(cfg, ood, oodActivity),
      summary: rowsToTable(summarySchema, [{ ood_mse: oodActivity.mse, probe_mse: probeActivity.mse }]),
    };
  },
});
