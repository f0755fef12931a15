import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flipflop } from '../../stages/tasks/flipflop.js';
import { at, runTask, type TrialSet } from './run-task.js';

/** Checks one set against its definition, by looking back from each step for the last pulse. */
function checkFlipflop(s: TrialSet, bits: number): void {
  for (let k = 0; k < s.trials; k++) {
    for (let c = 0; c < bits; c++) {
      assert.ok(Math.abs(at(s.inputs, k, 0, c)) === 1, `trial ${k} channel ${c}: no pulse at t = 0`);
      for (let t = 0; t < s.T; t++) {
        const x = at(s.inputs, k, t, c);
        assert.ok(x === 0 || x === 1 || x === -1, `input ${x} is not a pulse`);
        let last = t;
        while (at(s.inputs, k, last, c) === 0) last--;
        assert.equal(at(s.targets, k, t, c), at(s.inputs, k, last, c), `trial ${k} channel ${c} step ${t}`);
      }
    }
  }
}

test('flip-flop: each output holds its channel\'s last pulse, in train, probe and ood', async () => {
  const run = await runTask(flipflop, { trials: 64, probe_trials: 16, ood_trials: 16, bits: 4 });
  assert.equal(run.meta.n_in, 4);
  for (const set of [run.train, run.probe, run.ood]) checkFlipflop(set, 4);
  assert.equal(run.ood.T, 200);
});

test('flip-flop: pulses arrive at rate p_switch with balanced signs', async () => {
  const { train } = await runTask(flipflop, { trials: 512, p_switch: 0.3 });
  let pulses = 0;
  let positive = 0;
  let slots = 0;
  for (let k = 0; k < train.trials; k++) {
    for (let t = 1; t < train.T; t++) {
      for (let c = 0; c < 3; c++) {
        const x = at(train.inputs, k, t, c);
        slots++;
        if (x !== 0) pulses++;
        if (x > 0) positive++;
      }
    }
  }
  assert.ok(Math.abs(pulses / slots - 0.3) < 0.01, `pulse rate ${pulses / slots}`);
  assert.ok(Math.abs(positive / pulses - 0.5) < 0.01, `positive share ${positive / pulses}`);
});

test('flip-flop: p_switch 0 holds the first pulse all trial; p_switch 1 pulses every step', async () => {
  const still = await runTask(flipflop, { trials: 16, p_switch: 0, bits: 2 });
  for (let k = 0; k < 16; k++) {
    for (let c = 0; c < 2; c++) {
      for (let t = 1; t < 100; t++) {
        assert.equal(at(still.train.inputs, k, t, c), 0);
        assert.equal(at(still.train.targets, k, t, c), at(still.train.inputs, k, 0, c));
      }
    }
  }
  const busy = await runTask(flipflop, { trials: 16, p_switch: 1, bits: 2 });
  assert.ok(busy.train.inputs.data.every((x) => x === 1 || x === -1));
  assert.deepEqual(busy.train.targets.data, busy.train.inputs.data);
});
