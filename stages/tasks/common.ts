// What the four task stages share: the params every task takes, the output schemas, and the loop
// that fills the train / probe / ood trials tables from a per-trial generator.
import type { Schema, Table } from 'apache-arrow';
import { rowsToTable, scalarSchema, trialsSchema, trialsToTable } from '../../src/arrow.js';
import { Rng } from '../../src/random.js';
import type { JsonSchema } from '../../src/stage.js';

/** Params every task stage takes. */
export interface TaskParams {
  readonly seed: number;
  readonly trials: number;
  readonly probe_trials: number;
  readonly ood_trials: number;
  readonly T: number;
}

const MAX_TRIALS = 1_000_000;
const MAX_T = 100_000;

/**
 * The params schema of a task: the common params (`seed`, set sizes, `T` with the task's default)
 * plus the task's own properties. Every property has a default, so `{}` is a valid `with:`.
 */
export function taskParamsSchema(defaultT: number, minT: number, own: Readonly<Record<string, JsonSchema>>): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      seed: { type: 'integer', minimum: 0, maximum: 0xffffffff, default: 0, description: 'Seed of the trial generator; the train, probe and ood sets use independent streams of it.' },
      trials: { type: 'integer', minimum: 1, maximum: MAX_TRIALS, default: 8192, description: 'Number of training trials.' },
      probe_trials: { type: 'integer', minimum: 1, maximum: MAX_TRIALS, default: 64, description: 'Number of probe trials (hidden activity for DSA).' },
      ood_trials: { type: 'integer', minimum: 1, maximum: MAX_TRIALS, default: 64, description: 'Number of out-of-distribution trials (behavioural degeneracy).' },
      T: { type: 'integer', minimum: minT, maximum: MAX_T, default: defaultT, description: 'Time steps per training and probe trial.' },
      ...own,
    },
  };
}

export const metaSchema: Schema = scalarSchema({ task: 'utf8', n_in: 'int32', n_out: 'int32', T: 'int32', ood_T: 'int32', threshold: 'float64' });

/** Declared outputs of every task stage. */
export const taskOutputs: Readonly<Record<string, Schema>> = {
  train: trialsSchema(['inputs', 'targets', 'mask']),
  probe: trialsSchema(['inputs', 'targets', 'mask']),
  ood: trialsSchema(['inputs', 'targets', 'mask']),
  meta: metaSchema,
};

/**
 * Writes one trial. `inputs` is [T, n_in] and `targets` [T, n_out], row-major, all zeros on entry;
 * row t is time step t, and targets[t] is the answer expected after seeing inputs[0..t].
 */
export type FillTrial = (rng: Rng, T: number, inputs: Float32Array, targets: Float32Array) => void;

/** What a task tells the shared builder about itself. */
export interface TaskShape {
  readonly task: string;
  readonly n_in: number;
  readonly n_out: number;
  readonly ood_T: number;
  /** Default convergence threshold on the training MSE (SCIENCE.md). */
  readonly threshold: number;
}

/** Generates `trials` trials of length T into one trials table (mask all ones). */
export function makeTrials(rng: Rng, trials: number, T: number, n_in: number, n_out: number, fill: FillTrial): Table {
  const inputs = new Float32Array(trials * T * n_in); // [trials, T, n_in]
  const targets = new Float32Array(trials * T * n_out); // [trials, T, n_out]
  // The paper's loss is MSE over all time steps and outputs, so every entry counts.
  const mask = new Float32Array(trials * T * n_out).fill(1); // [trials, T, n_out]
  for (let k = 0; k < trials; k++) {
    // Two views per trial, outside the per-step loops; the per-step work allocates nothing.
    fill(rng, T, inputs.subarray(k * T * n_in, (k + 1) * T * n_in), targets.subarray(k * T * n_out, (k + 1) * T * n_out));
  }
  return trialsToTable({
    inputs: { shape: [trials, T, n_in], data: inputs },
    targets: { shape: [trials, T, n_out], data: targets },
    mask: { shape: [trials, T, n_out], data: mask },
  });
}

/**
 * The four outputs of a task stage. The train, probe and ood sets come from independent forks of
 * `new Rng(seed)`, so each is reproducible on its own and resizing one leaves the others unchanged.
 */
export function taskTables(params: TaskParams, shape: TaskShape, fillTrain: FillTrial, fillOod: FillTrial): Record<string, Table> {
  const rng = new Rng(params.seed);
  const { n_in, n_out } = shape;
  return {
    train: makeTrials(rng.fork('train'), params.trials, params.T, n_in, n_out, fillTrain),
    probe: makeTrials(rng.fork('probe'), params.probe_trials, params.T, n_in, n_out, fillTrain),
    ood: makeTrials(rng.fork('ood'), params.ood_trials, shape.ood_T, n_in, n_out, fillOod),
    meta: rowsToTable(metaSchema, [{ task: shape.task, n_in, n_out, T: params.T, ood_T: shape.ood_T, threshold: shape.threshold }]),
  };
}

/** A random sign, -1 or +1 with equal probability. */
export function randomSign(rng: Rng): number {
  return rng.next() < 0.5 ? -1 : 1;
}
