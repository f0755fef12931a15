// The empirical tangent kernel of a network's output on a fixed probe batch: one row per (trial,
// sampled time step, output unit), the gradient of that output with respect to every trainable
// parameter (W, U, b, V, c), and K = G G^T. Each row is its own backward pass, run by the WASM
// kernels with one batch row per (time, output) of a trial.
import type { FloatArray } from '../../src/arrow.js';
import { instantiateKernels, RnnKernels, TN_PANEL_ROWS } from './kernels.js';
import { weightNames, type NetworkConfig, type Trials, type WeightName, type Weights } from './network.js';

/** Gradient rows G [rows, params]; params in the order W, U, b, V, c, each row-major. */
export interface TangentFeatures {
  readonly rows: number;
  readonly params: number;
  readonly G: Float32Array;
}

/** `count` time steps evenly spaced over 0..T-1, ending at the last: round((j+1) T / count) - 1. */
export function sampleTimes(T: number, count: number): number[] {
  const k = Math.min(count, T);
  return Array.from({ length: k }, (_, j) => Math.round(((j + 1) * T) / k) - 1);
}

/**
 * Gradient rows of outputs y[trial, time, unit] for the first `ntkTrials` trials and `times`, with respect to
 * the weights named in `names` (all of them by default), in the order of weightNames.
 */
export function tangentFeatures(cfg: NetworkConfig, weights: Weights<FloatArray>, trials: Trials, ntkTrials: number, times: readonly number[], names: readonly WeightName[] = weightNames): TangentFeatures {
  const p = cfg.n_out;
  const T = trials.T;
  const nTrials = Math.min(ntkTrials, trials.B);
  const perTrial = times.length * p;
  const used = weightNames.filter((name) => names.includes(name));
  const params = used.reduce((sum, name) => sum + weights[name].length, 0);
  const rows = nTrials * perTrial;
  const G = new Float32Array(rows * params);
  const net = new RnnKernels(cfg, perTrial, T);
  net.setWeights(weights);
  const pick = new Int32Array(perTrial);
  // Batch row (j, q) asks for d y[time_j, q]: a one-hot output gradient.
  const dy = new Float32Array(perTrial * T * p);
  times.forEach((time, j) => {
    for (let q = 0; q < p; q++) {
      const b = j * p + q;
      dy[(b * T + time) * p + q] = 1;
    }
  });
  for (let trial = 0; trial < nTrials; trial++) {
    pick.fill(trial);
    net.load(trials, pick);
    net.forward();
    net.backwardFrom(dy);
    for (let b = 0; b < perTrial; b++) {
      const grad = net.trialGradient(b);
      let at = (trial * perTrial + b) * params;
      for (const name of used) {
        G.set(grad[name], at);
        at += grad[name].length;
      }
    }
  }
  return { rows, params, G };
}

/** K = G G^T [rows, rows] (float64), computed by the WASM matrix product on G^T. */
export function gramMatrix(f: TangentFeatures): Float64Array {
  const { rows, params, G } = f;
  const r4 = Math.ceil(rows / 4) * 4;
  const k = instantiateKernels();
  const base = 65536;
  const gt = base;
  const out = gt + params * r4 * 4;
  const panel = out + r4 * r4 * 4;
  const bytes = panel + TN_PANEL_ROWS * r4 * 4;
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
  const mem = new Float32Array(k.memory.buffer);
  // G^T [params, r4]; columns beyond `rows` stay zero.
  const t0 = gt / 4;
  for (let i = 0; i < rows; i++) {
    const row = i * params;
    for (let j = 0; j < params; j++) mem[t0 + j * r4 + i] = G[row + j]!;
  }
  k.gemm_tn(out, gt, gt, r4, r4, params, r4, r4, r4, 0, panel);
  const K = new Float64Array(rows * rows);
  for (let i = 0; i < rows; i++) for (let j = 0; j < rows; j++) K[i * rows + j] = mem[out / 4 + i * r4 + j]!;
  return K;
}

/** <K0, K1>_F / (||K0||_F ||K1||_F). */
export function kernelAlignment(K0: Float64Array, K1: Float64Array): number {
  let dot = 0;
  let n0 = 0;
  let n1 = 0;
  for (let i = 0; i < K0.length; i++) {
    dot += K0[i]! * K1[i]!;
    n0 += K0[i]! * K0[i]!;
    n1 += K1[i]! * K1[i]!;
  }
  return dot / Math.sqrt(n0 * n1);
}
