// N-bit flip-flop: each channel receives sparse +1/-1 pulses and its output holds the last pulse.
import { defineStage } from '../../src/stage.js';
import { randomSign, taskOutputs, taskParamsSchema, taskTables, type FillTrial, type TaskParams } from './common.js';

export interface FlipflopParams extends TaskParams {
  readonly bits: number;
  readonly p_switch: number;
}

/** Fills a trial: inputs and targets both [T, bits]. */
function flipflopTrial(bits: number, p_switch: number): FillTrial {
  return (rng, T, inputs, targets) => {
    for (let c = 0; c < bits; c++) {
      // A pulse at t = 0 gives every output a defined value from the first step on.
      let held = randomSign(rng);
      inputs[c] = held;
      targets[c] = held;
      for (let t = 1; t < T; t++) {
        const i = t * bits + c;
        if (rng.next() < p_switch) {
          held = randomSign(rng);
          inputs[i] = held;
        }
        targets[i] = held;
      }
    }
  };
}

export const flipflop = defineStage<FlipflopParams>({
  name: 'task/flipflop',
  version: 1,
  module: import.meta.url,
  description: 'N-bit flip-flop: each output holds the sign of the last pulse on its input channel.',
  params: taskParamsSchema(100, 1, {
    bits: { type: 'integer', minimum: 1, maximum: 16, default: 3, description: 'Number of independent channels (bits).' },
    p_switch: { type: 'number', minimum: 0, maximum: 1, default: 0.3, description: 'Probability that a channel emits a pulse at a step after t = 0.' },
  }),
  outputs: taskOutputs,
  async run(ctx) {
    const { bits, p_switch, T } = ctx.params;
    const fill = flipflopTrial(bits, p_switch);
    return taskTables(ctx.params, { task: 'flipflop', n_in: bits, n_out: bits, ood_T: 2 * T, threshold: 0.001 }, fill, fill);
  },
});
