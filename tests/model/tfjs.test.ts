// Our WASM gradients against tfjs autograd (float32), on tiny networks of both parameterizations with
// L1 and nuclear penalties; and the tfjs backend of train/rnn end to end.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tableToRows } from '../../src/arrow.js';
import { RnnKernels } from '../../stages/model/kernels.js';
import { TfjsTrainer } from '../../stages/model/tfjs.js';
import { flipflop } from '../../stages/tasks/flipflop.js';
import { train, type TrainParams } from '../../stages/train.js';
import { fakeContext } from '../helpers/context.js';
import { assertClose, randomTrials, randomWeights, tinyConfig } from './helpers.js';

for (const parameterization of ['standard', 'mup'] as const) {
  test(`WASM gradients match tfjs autograd to 1e-4 (${parameterization}, l1 and nuclear)`, async () => {
    const cfg = tinyConfig(parameterization, 5);
    const trials = randomTrials(cfg, 3, 7, 31);
    const w = randomWeights(cfg, 32);
    const pen = { l1: 0.01, nuclear: 0.02 };
    const ours = new RnnKernels(cfg, 3, 7);
    ours.setWeights(w);
    ours.load(trials);
    const a = ours.gradient(pen);
    const tf = await TfjsTrainer.create(cfg, 3, 7);
    try {
      tf.setWeights(w);
      tf.load(trials);
      const b = tf.gradient(pen);
      assert.ok(Math.abs(a.mse - b.mse) < 1e-5 * b.mse, `mse ${a.mse} vs ${b.mse}`);
      assert.ok(Math.abs(a.penalty - b.penalty) < 1e-4 * b.penalty, `penalty ${a.penalty} vs ${b.penalty}`);
      assertClose(ours.getGradient(), tf.getGradient(), 1e-4, 'wasm vs tfjs');
      // One Adam step each from the same state lands on the same weights.
      ours.adamStep(1e-2, 0.5);
      tf.adamStep(1e-2, 0.5);
      assertClose(ours.getWeights(), tf.getWeights(), 1e-5, 'after one clipped Adam step');
    } finally {
      tf.dispose();
    }
  });
}

test('train/rnn runs on the tfjs backend and records the same kind of outcome', async () => {
  const task = await flipflop.run(fakeContext({ seed: 1, trials: 64, probe_trials: 4, ood_trials: 4, T: 10, bits: 1, p_switch: 0.3 }, []));
  const params: TrainParams = {
    hidden: 6, parameterization: 'standard', gamma: 1, tau: 0.1, lr: 1e-2, batch: 16, steps_per_epoch: 4,
    max_epochs: 3, threshold: null, patience: 3, lr_patience: 40, l1: 0, nuclear: 0, clip: null, seed: 3,
  };
  const viaTfjs = await train.run(fakeContext(params, [{ outputs: task }], {}, 'tfjs'));
  const viaWasm = await train.run(fakeContext(params, [{ outputs: task }], {}, 'wasm'));
  const a = tableToRows(viaTfjs.curve!);
  const b = tableToRows(viaWasm.curve!);
  assert.equal(a.length, 3);
  // Same seed, same batches, float32 on both: the loss curves agree closely though not bitwise.
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs((a[i]!.loss as number) - (b[i]!.loss as number)) < 1e-3 * (b[i]!.loss as number), `epoch ${i + 1}: ${a[i]!.loss} vs ${b[i]!.loss}`);
});
