// What a training backend provides: the WASM kernels (kernels.ts) and the tfjs reference path
// (tfjs.ts) both implement it, so the training loop in stages/train.ts is written once.
import type { FloatArray } from '../../src/arrow.js';
import type { Penalties, Trials, Weights } from './network.js';

export interface Trainer {
  /** Sets the weights and resets the optimiser state. */
  setWeights(w: Weights<FloatArray>): void;
  getWeights(): Weights;
  /** Selects the trials of the next step: `pick` lists indices into `trials` (batch order). */
  load(trials: Trials, pick?: ArrayLike<number>): void;
  /** Loss and gradient on the loaded trials: masked MSE and the penalty value. */
  gradient(pen: Penalties): { mse: number; penalty: number };
  /** One Adam step on the last gradient, clipped to global norm `clip` when not null. */
  adamStep(lr: number, clip: number | null): void;
  /** Frees what the backend holds outside the JS heap. */
  dispose?(): void;
}
