// Sine generation: a constant input per channel selects a frequency; the output is sin(omega t).
import { defineStage } from '../../src/stage.js';
import { taskOutputs, taskParamsSchema, taskTables, type FillTrial, type TaskParams } from './common.js';

export interface SineParams extends TaskParams {
  readonly channels: number;
  readonly n_freq: number;
}

const OMEGA_MIN = 0.1;
const OMEGA_MAX = 0.6;

/** The n_freq angular frequencies (rad/step) evenly spaced in [0.1, 0.6], both ends included. */
export function sineFrequencies(n_freq: number): Float64Array {
  return Float64Array.from({ length: n_freq }, (_, k) => OMEGA_MIN + (k * (OMEGA_MAX - OMEGA_MIN)) / (n_freq - 1));
}

/** Fills a trial: inputs [T, channels] = omega / 0.6 at every step; targets [T, channels] = sin(omega t). */
function sineTrial(channels: number, omegas: Float64Array): FillTrial {
  return (rng, T, inputs, targets) => {
    for (let c = 0; c < channels; c++) {
      // Channels draw their frequencies independently.
      const omega = omegas[rng.int(omegas.length)]!;
      const level = omega / OMEGA_MAX;
      for (let t = 0; t < T; t++) {
        inputs[t * channels + c] = level;
        targets[t * channels + c] = Math.sin(omega * t);
      }
    }
  };
}

export const sine = defineStage<SineParams>({
  name: 'task/sine',
  version: 1,
  module: import.meta.url,
  description: 'Sine generation: a constant input selects one of n_freq frequencies; output sin(omega t) from t = 0.',
  params: taskParamsSchema(100, 1, {
    channels: { type: 'integer', minimum: 1, maximum: 16, default: 1, description: 'Number of independent sine channels.' },
    n_freq: { type: 'integer', minimum: 2, maximum: 1000, default: 10, description: 'Number of frequencies, evenly spaced in [0.1, 0.6] rad/step.' },
  }),
  outputs: taskOutputs,
  async run(ctx) {
    const { channels, n_freq, T } = ctx.params;
    const fill = sineTrial(channels, sineFrequencies(n_freq));
    return taskTables(ctx.params, { task: 'sine', n_in: channels, n_out: channels, ood_T: 2 * T, threshold: 0.05 }, fill, fill);
  },
});
