// train/rnn through its real run(): convergence on a small flip-flop, NaN and divergence handling,
// determinism, and the declared output schemas.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Table } from 'apache-arrow';
import { encodeTable, schemaMismatch, tableToRows, trialsToTable } from '../../src/arrow.js';
import { flipflop } from '../../stages/tasks/flipflop.js';
import { train, type TrainParams } from '../../stages/train.js';
import { fakeContext } from '../helpers/context.js';

const defaults: TrainParams = {
  hidden: 32, parameterization: 'standard', gamma: 1, tau: 0.1, lr: 1e-3, batch: 64, steps_per_epoch: 128,
  max_epochs: 1000, threshold: null, patience: 3, lr_patience: 40, l1: 0, nuclear: 0, clip: null, seed: 0,
};

async function flipflopTask(bits: number, trials: number, T: number): Promise<Readonly<Record<string, Table>>> {
  const ctx = fakeContext({ seed: 5, trials, probe_trials: 16, ood_trials: 16, T, bits, p_switch: 0.3 }, []);
  return flipflop.run(ctx);
}

async function runTrain(params: Partial<TrainParams>, task: Readonly<Record<string, Table>>): Promise<Readonly<Record<string, Table>>> {
  return train.run(fakeContext({ ...defaults, ...params }, [{ outputs: task }]));
}

function summaryOf(out: Readonly<Record<string, Table>>): Record<string, unknown> {
  return tableToRows(out.summary!)[0]!;
}

test('a 2-bit flip-flop network with 32 units reaches the task threshold', async () => {
  // The paper's recipe (lr 1e-3, batch 64, 128 steps per epoch, T = 100) on a smaller training set;
  // this takes about 20 epochs (10 s on one free core).
  const task = await flipflopTask(2, 2048, 100);
  const out = await runTrain({ hidden: 32, max_epochs: 100 }, task);
  const summary = summaryOf(out);
  const curve = tableToRows(out.curve!);
  assert.equal(summary.converged, true, `not converged: ${String(summary.reason)}; last losses ${curve.slice(-3).map((c) => c.loss).join(', ')}`);
  assert.ok((summary.final_loss as number) < 0.001);
  assert.equal(summary.reason, null);
  assert.equal(curve.length, summary.epochs);
  for (const [name, schema] of Object.entries(train.outputs)) assert.equal(schemaMismatch(schema, out[name]!.schema), undefined, name);
});

test('NaN inputs stop training with a reason instead of throwing', async () => {
  const task = await flipflopTask(1, 128, 20);
  const broken = { ...task };
  const inputs = new Float32Array(128 * 20).fill(NaN);
  broken.train = trialsToTable({
    inputs: { shape: [128, 20, 1], data: inputs },
    targets: { shape: [128, 20, 1], data: new Float32Array(128 * 20) },
    mask: { shape: [128, 20, 1], data: new Float32Array(128 * 20).fill(1) },
  });
  const summary = summaryOf(await runTrain({ hidden: 8, max_epochs: 5, steps_per_epoch: 4 }, broken));
  assert.equal(summary.converged, false);
  assert.match(String(summary.reason), /loss became NaN at epoch 1, step 1/);
});

test('a huge learning rate is recorded as divergence, not a crash', async () => {
  const task = await flipflopTask(1, 128, 20);
  const out = await runTrain({ hidden: 16, lr: 1e4, max_epochs: 50, steps_per_epoch: 8, batch: 16 }, task);
  const summary = summaryOf(out);
  assert.equal(summary.converged, false);
  assert.match(String(summary.reason), /(diverged|became (NaN|Infinity|-Infinity))/);
});

test('the same seed gives bitwise-identical weights; another seed does not', async () => {
  const task = await flipflopTask(2, 256, 30);
  for (const parameterization of ['standard', 'mup'] as const) {
    const params = { hidden: 12, parameterization, max_epochs: 2, steps_per_epoch: 5, batch: 16, l1: 1e-4, nuclear: 1e-4 };
    const a = await runTrain({ ...params, seed: 7 }, task);
    const b = await runTrain({ ...params, seed: 7 }, task);
    const c = await runTrain({ ...params, seed: 8 }, task);
    assert.deepEqual(encodeTable(a.weights!), encodeTable(b.weights!));
    assert.deepEqual(encodeTable(a.curve!), encodeTable(b.curve!));
    assert.notDeepEqual(encodeTable(a.weights!), encodeTable(c.weights!));
    assert.notDeepEqual(encodeTable(a.init!), encodeTable(a.weights!));
  }
});
