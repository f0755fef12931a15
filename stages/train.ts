// train/rnn: trains one RNN on a task's training set with Adam, the plateau schedule and the stopping
// rule of SCIENCE.md, and stores its initial and final weights, loss curve and outcome.
import type { Table } from 'apache-arrow';
import { rowsToTable, scalarSchema, tableToRows, tensorSchema, trialsTensor, type Scalar } from '../src/arrow.js';
import { Rng } from '../src/random.js';
import { defineStage, type StageContext } from '../src/stage.js';
import { RnnKernels } from './model/kernels.js';
import { initWeights, weightsToTable, type NetworkConfig, type Parameterization, type Penalties, type Trials } from './model/network.js';
import type { Trainer } from './model/trainer.js';

export interface TrainParams {
  readonly hidden: number;
  readonly parameterization: Parameterization;
  readonly gamma: number;
  readonly tau: number;
  readonly lr: number;
  readonly batch: number;
  readonly steps_per_epoch: number;
  readonly max_epochs: number;
  readonly threshold: number | null;
  readonly patience: number;
  readonly lr_patience: number;
  readonly l1: number;
  readonly nuclear: number;
  readonly clip: number | null;
  readonly seed: number;
}

/** A step whose training MSE exceeds this has diverged (targets of every task are O(1)). */
export const DIVERGENCE_BOUND = 1e6;

export const configSchema = scalarSchema({ hidden: 'int32', parameterization: 'utf8', gamma: 'float64', tau: 'float64', n_in: 'int32', n_out: 'int32' });
export const curveSchema = scalarSchema({ epoch: 'int32', loss: 'float64', lr: 'float64' });
export const summarySchema = scalarSchema({ converged: 'bool', epochs: 'int32', final_loss: 'float64', reason: 'utf8' });

export interface CurvePoint {
  readonly epoch: number;
  readonly loss: number;
  readonly lr: number;
}

export interface TrainOutcome {
  readonly converged: boolean;
  readonly epochs: number;
  readonly final_loss: number;
  /** Why training stopped without converging; null when it converged. */
  readonly reason: string | null;
  readonly curve: readonly CurvePoint[];
}

export interface TrainHooks {
  progress?(fraction: number, message: string): void;
  signal?: AbortSignal;
}

/** The training schedule, as the stage's params give it (threshold resolved). */
export type Schedule = Pick<TrainParams, 'lr' | 'batch' | 'steps_per_epoch' | 'max_epochs' | 'patience' | 'lr_patience' | 'clip' | 'parameterization' | 'gamma'> & {
  readonly threshold: number;
  readonly penalties: Penalties;
};

/**
 * Trains `trainer` (weights already set) on `trials`. An epoch is `steps_per_epoch` steps of `batch`
 * trials taken in order from a permutation of the training set that `batchRng` reshuffles whenever
 * fewer than `batch` remain. Adam's rate is lr (gamma lr for mup), halved after `lr_patience`
 * epochs without a new best epoch loss. Converged once the epoch loss (mean training MSE over the
 * epoch's steps, penalties excluded) has been below `threshold` for `patience` consecutive epochs.
 * A non-finite or exploding loss stops training early; it is an outcome, not an exception.
 */
export function trainLoop(trainer: Trainer, trials: Trials, schedule: Schedule, batchRng: Rng, hooks: TrainHooks = {}): TrainOutcome {
  const { batch, steps_per_epoch, max_epochs, patience, lr_patience, clip, threshold, penalties } = schedule;
  if (trials.B < batch) throw new RangeError(`train/rnn: batch ${batch} is larger than the training set (${trials.B} trials)`);
  const order = Int32Array.from({ length: trials.B }, (_, i) => i);
  batchRng.shuffle(order);
  let cursor = 0;
  let lr = schedule.parameterization === 'mup' ? schedule.gamma * schedule.lr : schedule.lr;
  let best = Infinity;
  let sinceBest = 0;
  let below = 0;
  const curve: CurvePoint[] = [];
  for (let epoch = 1; epoch <= max_epochs; epoch++) {
    if (hooks.signal?.aborted) throw hooks.signal.reason ?? new Error('aborted');
    const epochLr = lr;
    let sum = 0;
    for (let step = 1; step <= steps_per_epoch; step++) {
      if (cursor + batch > order.length) {
        batchRng.shuffle(order);
        cursor = 0;
      }
      trainer.load(trials, order.subarray(cursor, cursor + batch));
      cursor += batch;
      const { mse, penalty } = trainer.gradient(penalties);
      sum += mse;
      const broken = !Number.isFinite(mse) ? `loss became ${mse} at epoch ${epoch}, step ${step}`
        : mse > DIVERGENCE_BOUND ? `loss diverged (${mse.toExponential(2)} > ${DIVERGENCE_BOUND.toExponential(0)}) at epoch ${epoch}, step ${step}`
        : !Number.isFinite(penalty) ? `penalty became ${penalty} at epoch ${epoch}, step ${step}`
        : null;
      if (broken) {
        const loss = sum / step;
        curve.push({ epoch, loss, lr: epochLr });
        return { converged: false, epochs: epoch, final_loss: loss, reason: broken, curve };
      }
      trainer.adamStep(lr, clip);
    }
    const loss = sum / steps_per_epoch;
    curve.push({ epoch, loss, lr: epochLr });
    hooks.progress?.(epoch / max_epochs, `epoch ${epoch} loss ${loss.toExponential(3)}`);
    below = loss < threshold ? below + 1 : 0;
    if (below >= patience) return { converged: true, epochs: epoch, final_loss: loss, reason: null, curve };
    if (loss < best) {
      best = loss;
      sinceBest = 0;
    } else if (++sinceBest >= lr_patience) {
      lr /= 2;
      sinceBest = 0;
    }
  }
  const last = curve[curve.length - 1]?.loss ?? NaN;
  return { converged: false, epochs: max_epochs, final_loss: last, reason: `threshold ${threshold} not reached in ${max_epochs} epochs`, curve };
}

/** Reads a task's trials table as the [B, T, *] tensors the trainers take. */
export function readTrials(table: Table): Trials {
  const inputs = trialsTensor(table, 'inputs');
  const targets = trialsTensor(table, 'targets');
  const mask = trialsTensor(table, 'mask');
  return { B: inputs.shape[0]!, T: inputs.shape[1]!, inputs: inputs.data, targets: targets.data, mask: mask.data };
}

/** Reads a one-row scalar table as an object. */
export function readRow(table: Table): Record<string, unknown> {
  const row = tableToRows(table)[0];
  if (!row) throw new Error('expected a one-row table');
  return row;
}

/** The network a train/rnn instance builds for a task. */
export function networkConfig(params: Pick<TrainParams, 'hidden' | 'parameterization' | 'gamma' | 'tau'>, meta: Record<string, unknown>): NetworkConfig {
  return { hidden: params.hidden, n_in: Number(meta.n_in), n_out: Number(meta.n_out), parameterization: params.parameterization, gamma: params.gamma, tau: params.tau };
}

/**
 * The trainer for a backend: the WASM kernels (`wasm`; `wasm-fma` for their fused multiply-add build),
 * or tfjs autograd (`tfjs`, loaded only when asked for).
 */
export async function makeTrainer(backend: string, cfg: NetworkConfig, batch: number, T: number): Promise<Trainer> {
  switch (backend) {
    case 'wasm':
      return new RnnKernels(cfg, batch, T);
    case 'wasm-fma':
      return new RnnKernels(cfg, batch, T, 'fma');
    case 'tfjs': {
      const { TfjsTrainer } = await import('./model/tfjs.js');
      return TfjsTrainer.create(cfg, batch, T);
    }
    default:
      throw new Error(`train/rnn: unknown backend ${backend} (wasm, wasm-fma or tfjs)`);
  }
}

const params = {
  type: 'object',
  additionalProperties: false,
  properties: {
    hidden: { type: 'integer', minimum: 1, maximum: 4096, default: 128, description: 'Number of hidden units n.' },
    parameterization: { enum: ['standard', 'mup'], default: 'standard', description: 'standard: tanh RNN with uniform init; mup: leaky RNN with N(0,1) weights and a 1/(gamma n) readout.' },
    gamma: { type: 'number', exclusiveMinimum: 0, default: 1, description: 'Feature-learning strength (mup): readout divided by gamma n, Adam rate gamma lr.' },
    tau: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.1, description: 'Leak rate of the mup network.' },
    lr: { type: 'number', exclusiveMinimum: 0, default: 1e-3, description: 'Adam learning rate (multiplied by gamma for mup).' },
    batch: { type: 'integer', minimum: 1, default: 64, description: 'Trials per step.' },
    steps_per_epoch: { type: 'integer', minimum: 1, default: 128, description: 'Steps per epoch.' },
    max_epochs: { type: 'integer', minimum: 1, default: 1000, description: 'Training stops unconverged after this many epochs.' },
    threshold: { type: ['number', 'null'], exclusiveMinimum: 0, default: null, description: "Convergence threshold on the epoch's training MSE; null takes the task's (meta.threshold)." },
    patience: { type: 'integer', minimum: 1, default: 3, description: 'Consecutive epochs below the threshold that count as converged.' },
    lr_patience: { type: 'integer', minimum: 1, default: 40, description: 'Epochs without a new best loss after which the learning rate is halved.' },
    l1: { type: 'number', minimum: 0, default: 0, description: 'Weight of the L1 penalty l1 sum|W|.' },
    nuclear: { type: 'number', minimum: 0, default: 0, description: 'Weight of the nuclear-norm penalty nuclear sum_i sigma_i(W).' },
    // Off by default: SCIENCE.md's recipe has no clipping, and Adam already normalises the gradient's scale.
    clip: { type: ['number', 'null'], exclusiveMinimum: 0, default: null, description: 'Clip the global gradient norm to this value; null (default) does not clip.' },
    seed: { type: 'integer', minimum: 0, maximum: 0xffffffff, default: 0, description: 'Fixes the initial weights and the order of training batches.' },
  },
} as const;

export const train = defineStage<TrainParams>({
  name: 'train/rnn',
  version: 1,
  module: import.meta.url,
  description: 'Trains an RNN on a task with Adam until its training MSE stays below the threshold.',
  params,
  usesBackend: true,
  outputs: {
    init: tensorSchema('float32'),
    weights: tensorSchema('float32'),
    config: configSchema,
    curve: curveSchema,
    summary: summarySchema,
  },
  async run(ctx: StageContext<TrainParams>) {
    const p = ctx.params;
    const meta = readRow(await ctx.read('meta'));
    const trials = readTrials(await ctx.read('train'));
    const cfg = networkConfig(p, meta);
    const threshold = p.threshold ?? Number(meta.threshold);
    if (!(threshold > 0)) throw new Error(`train/rnn: no threshold (params.threshold is null and the task's meta.threshold is ${String(meta.threshold)})`);
    const rng = new Rng(p.seed);
    const init = initWeights(cfg, rng.fork('init'));
    const trainer = await makeTrainer(ctx.backend, cfg, p.batch, trials.T);
    try {
      trainer.setWeights(init);
      const outcome = trainLoop(trainer, trials, { ...p, threshold, penalties: { l1: p.l1, nuclear: p.nuclear } }, rng.fork('batches'), {
        progress: (f, m) => ctx.progress(f, m),
        signal: ctx.signal,
      });
      const summary: Record<string, Scalar | null> = { converged: outcome.converged, epochs: outcome.epochs, final_loss: outcome.final_loss, reason: outcome.reason };
      return {
        init: weightsToTable(cfg, init),
        weights: weightsToTable(cfg, trainer.getWeights()),
        config: rowsToTable(configSchema, [{ hidden: cfg.hidden, parameterization: cfg.parameterization, gamma: cfg.gamma, tau: cfg.tau, n_in: cfg.n_in, n_out: cfg.n_out }]),
        curve: rowsToTable(curveSchema, outcome.curve.map((c) => ({ ...c }))),
        summary: rowsToTable(summarySchema, [summary]),
      };
    } finally {
      trainer.dispose?.();
    }
  },
});
