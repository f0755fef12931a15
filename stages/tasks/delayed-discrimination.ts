// Delayed discrimination: per channel two pulses f1 then f2 separated by a delay; after f2 the
// output reports which was larger, sign(f2 - f1), for a fixed response window.
import { defineStage } from '../../src/stage.js';
import { taskOutputs, taskParamsSchema, taskTables, type FillTrial, type TaskParams } from './common.js';

export interface DelayedDiscriminationParams extends Omit<TaskParams, 'T'> {
  /** null: just long enough for the longest delay (see `autoT`). */
  readonly T: number | null;
  readonly channels: number;
  readonly delay: readonly [number, number];
  readonly aux: boolean;
}

/** Step of the f1 pulse (5 steps after the trial starts). */
const F1_STEP = 5;
/** Steps of the response window, which starts the step after f2. */
const RESPONSE_WINDOW = 10;
const AMPLITUDE_MIN = 2;
const AMPLITUDE_MAX = 10;
/** Inputs carry amplitude / 10, so pulses lie in [0.2, 1]. */
const INPUT_SCALE = 1 / 10;
/** Smallest |f2 - f1|: closer pairs are redrawn. */
const MIN_DIFFERENCE = 1;
/** The auxiliary output (f2 - f1) / 8 lies in [-1, 1]. */
const AUX_SCALE = 1 / 8;

/** Shortest trial that holds f1, the longest delay, f2 and the whole response window. */
function shortestT(maxDelay: number): number {
  return F1_STEP + maxDelay + 1 + RESPONSE_WINDOW;
}

/** Trial length when T is not given: the shortest that fits plus a 4-step tail, 40 at the default delays. */
function autoT(maxDelay: number): number {
  return shortestT(maxDelay) + 4;
}

/**
 * Fills a trial: inputs [T, channels]; targets [T, channels] (sign) followed, with aux, by
 * [T, channels] of (f2 - f1) / 8, both nonzero only in the response window.
 */
function discriminationTrial(channels: number, minDelay: number, maxDelay: number, aux: boolean): FillTrial {
  const n_out = aux ? 2 * channels : channels;
  return (rng, _T, inputs, targets) => {
    for (let c = 0; c < channels; c++) {
      // Each channel is an independent copy of the task: its own f1, f2 and delay (f1 onset shared).
      const delay = minDelay + rng.int(maxDelay - minDelay + 1);
      const f2Step = F1_STEP + delay;
      let f1 = 0;
      let f2 = 0;
      do {
        f1 = rng.uniform(AMPLITUDE_MIN, AMPLITUDE_MAX);
        f2 = rng.uniform(AMPLITUDE_MIN, AMPLITUDE_MAX);
      } while (Math.abs(f2 - f1) < MIN_DIFFERENCE);
      inputs[F1_STEP * channels + c] = f1 * INPUT_SCALE;
      inputs[f2Step * channels + c] = f2 * INPUT_SCALE;
      const answer = Math.sign(f2 - f1);
      for (let t = f2Step + 1; t <= f2Step + RESPONSE_WINDOW; t++) {
        targets[t * n_out + c] = answer;
        if (aux) targets[t * n_out + channels + c] = (f2 - f1) * AUX_SCALE;
      }
    }
  };
}

export const delayedDiscrimination = defineStage<DelayedDiscriminationParams>({
  name: 'task/delayed-discrimination',
  version: 1,
  module: import.meta.url,
  description: 'Delayed discrimination: after two pulses f1, f2 separated by a delay, output sign(f2 - f1) for 10 steps.',
  params: taskParamsSchema(40, shortestT(1), {
    // Sweeping the delay needs longer trials: by default T follows the longest delay.
    T: { type: ['integer', 'null'], minimum: shortestT(1), maximum: 100_000, default: null, description: 'Time steps per training and probe trial; null (default): long enough for the longest delay plus a 4-step tail (40 at the default delays).' },
    channels: { type: 'integer', minimum: 1, maximum: 16, default: 1, description: 'Number of independent discrimination channels.' },
    delay: {
      type: 'array', items: { type: 'integer', minimum: 1, maximum: 1000 }, minItems: 2, maxItems: 2, default: [5, 20],
      description: 'Range [min, max] of the delay in steps from f1 to f2, both included; the ood set doubles it.',
    },
    aux: { type: 'boolean', default: false, description: 'Adds one auxiliary output per channel, (f2 - f1) / 8, in the response window.' },
  }),
  outputs: taskOutputs,
  async run(ctx) {
    const { channels, delay: [minDelay, maxDelay], aux } = ctx.params;
    const T = ctx.params.T ?? autoT(maxDelay);
    if (minDelay > maxDelay) throw new RangeError(`delay: min ${minDelay} is larger than max ${maxDelay}`);
    if (T < shortestT(maxDelay)) throw new RangeError(`T = ${T} is too short for delays up to ${maxDelay}: needs at least ${shortestT(maxDelay)}`);
    // OOD T: the extra maximum delay plus one more response window of quiet tail; 40 -> 70 at
    // defaults as in SCIENCE.md, and always long enough for the doubled delays.
    const ood_T = T + maxDelay + RESPONSE_WINDOW;
    const n_out = aux ? 2 * channels : channels;
    return taskTables(
      { ...ctx.params, T },
      { task: 'delayed-discrimination', n_in: channels, n_out, ood_T, threshold: 0.01 },
      discriminationTrial(channels, minDelay, maxDelay, aux),
      discriminationTrial(channels, 2 * minDelay, 2 * maxDelay, aux),
    );
  },
});
