// What an RNN is in degen: its configuration, its five weight tensors, their initialisation and their
// Arrow form. Shared by the WASM kernels' wrapper, the float64 reference, the tfjs path and the stages.
//
//   standard: h_t = tanh(W h_{t-1} + U x_t + b),                          y_t = V h_t + c
//   mup:      h_t = h_{t-1} + tau (-h_{t-1} + W tanh(h_{t-1})/sqrt(n) + U x_t + b),
//                                                                         y_t = V tanh(h_t)/(gamma n) + c
// with h_0 = 0. Both read as one recurrence on the "rate" r_t (standard r = h, mup r = tanh h):
//   a_t = s W r_{t-1} + U x_t + b,   y_t = o V r_t + c,
// s = 1, o = 1 for standard and s = 1/sqrt(n), o = 1/(gamma n) for mup. (In mup, W is the paper's J.)
import type { Table } from 'apache-arrow';
import { getTensor, tableToTensors, tensorsToTable, type FloatArray, type Tensor } from '../../src/arrow.js';
import type { Rng } from '../../src/random.js';

export type Parameterization = 'standard' | 'mup';

export interface NetworkConfig {
  readonly hidden: number;
  readonly n_in: number;
  readonly n_out: number;
  readonly parameterization: Parameterization;
  /** Feature-learning strength (mup only; its readout is divided by gamma n). */
  readonly gamma: number;
  /** Leak rate of the mup network. */
  readonly tau: number;
}

/** The trainable tensors, row-major: W [n, n], U [n, n_in], b [n], V [n_out, n], c [n_out]. */
export interface Weights<A extends FloatArray = Float32Array> {
  readonly W: A;
  readonly U: A;
  readonly b: A;
  readonly V: A;
  readonly c: A;
}

export const weightNames = ['W', 'U', 'b', 'V', 'c'] as const;
export type WeightName = (typeof weightNames)[number];

export function weightShapes(cfg: NetworkConfig): Readonly<Record<WeightName, readonly number[]>> {
  const { hidden: n, n_in, n_out } = cfg;
  return { W: [n, n], U: [n, n_in], b: [n], V: [n_out, n], c: [n_out] };
}

/** Scale s of the recurrent product (1/sqrt(n) for mup). */
export function recurrentScale(cfg: NetworkConfig): number {
  return cfg.parameterization === 'mup' ? 1 / Math.sqrt(cfg.hidden) : 1;
}

/** Scale o of the readout (1/(gamma n) for mup). */
export function readoutScale(cfg: NetworkConfig): number {
  return cfg.parameterization === 'mup' ? 1 / (cfg.gamma * cfg.hidden) : 1;
}

/** The regularisers on W added to the loss: l1 sum|W| + nuclear sum_i sigma_i(W). */
export interface Penalties {
  readonly l1: number;
  readonly nuclear: number;
}

/**
 * A batch of trials as the task tables store them: inputs [B, T, n_in], targets and mask
 * [B, T, n_out], row-major. The loss is sum(mask (y - target)^2) / sum(mask).
 */
export interface Trials {
  readonly B: number;
  readonly T: number;
  readonly inputs: FloatArray;
  readonly targets: FloatArray;
  readonly mask: FloatArray;
}

/**
 * Initial weights drawn from `rng` in the order W, U, b, V, c, each row-major.
 * standard: every weight and bias ~ U(-1/sqrt(n), 1/sqrt(n)) (SCIENCE.md).
 * mup: W (= J), U, V ~ N(0, 1). The biases b and c start at 0: mup's scalings 1/sqrt(n) and
 * 1/(gamma n) act on the weights only, so a random c would put an O(1) offset on an output that
 * mup deliberately starts at O(1/(gamma sqrt n)), and a random b would shift every unit's drive.
 */
export function initWeights(cfg: NetworkConfig, rng: Rng): Weights {
  const shapes = weightShapes(cfg);
  const make = (name: WeightName): Float32Array => new Float32Array(shapes[name].reduce((a, d) => a * d, 1));
  const w = { W: make('W'), U: make('U'), b: make('b'), V: make('V'), c: make('c') };
  if (cfg.parameterization === 'standard') {
    const bound = 1 / Math.sqrt(cfg.hidden);
    for (const name of weightNames) {
      const a = w[name];
      for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-bound, bound);
    }
  } else {
    for (const name of ['W', 'U', 'V'] as const) {
      const a = w[name];
      for (let i = 0; i < a.length; i++) a[i] = rng.normal();
    }
  }
  return w;
}

/** The weights as a float32 tensor table (rows W, U, b, V, c; docs/outputs.md). */
export function weightsToTable(cfg: NetworkConfig, w: Weights<FloatArray>): Table {
  const shapes = weightShapes(cfg);
  const tensors: Record<string, Tensor> = {};
  for (const name of weightNames) tensors[name] = { shape: shapes[name], data: w[name] };
  return tensorsToTable(tensors, 'float32');
}

/** Reads a weights table back (float32 copies, independent of the table's memory). */
export function tableToWeights(table: Table): Weights {
  const tensors = tableToTensors(table);
  const get = (name: WeightName): Float32Array => Float32Array.from(getTensor(tensors, name).data);
  return { W: get('W'), U: get('U'), b: get('b'), V: get('V'), c: get('c') };
}

/** Copies the weights into float64 arrays (for the reference and finite differences). */
export function toFloat64(w: Weights<FloatArray>): Weights<Float64Array> {
  return { W: Float64Array.from(w.W), U: Float64Array.from(w.U), b: Float64Array.from(w.b), V: Float64Array.from(w.V), c: Float64Array.from(w.c) };
}
