import { test } from 'node:test';
import assert from 'node:assert/strict';
import { delayedDiscrimination } from '../../stages/tasks/delayed-discrimination.js';
import { at, runTask, type TrialSet } from './run-task.js';

const TOL = 1e-5;

/** Recovers f1, f2 and the delay of each trial and channel from the inputs and checks the targets. */
function checkDiscrimination(s: TrialSet, channels: number, aux: boolean, minDelay: number, maxDelay: number): Set<number> {
  const delays = new Set<number>();
  for (let k = 0; k < s.trials; k++) {
    for (let c = 0; c < channels; c++) {
      const pulses: number[] = [];
      for (let t = 0; t < s.T; t++) if (at(s.inputs, k, t, c) !== 0) pulses.push(t);
      assert.equal(pulses.length, 2, `trial ${k} channel ${c}: pulses at ${pulses.join(', ')}`);
      const [t1, t2] = pulses as [number, number];
      assert.equal(t1, 5, 'f1 comes 5 steps after the trial starts');
      const delay = t2 - t1;
      assert.ok(delay >= minDelay && delay <= maxDelay, `delay ${delay} outside [${minDelay}, ${maxDelay}]`);
      delays.add(delay);
      const f1 = 10 * at(s.inputs, k, t1, c);
      const f2 = 10 * at(s.inputs, k, t2, c);
      for (const f of [f1, f2]) assert.ok(f >= 2 - TOL && f <= 10 + TOL, `amplitude ${f}`);
      assert.ok(Math.abs(f2 - f1) >= 1 - TOL, `|f2 - f1| = ${Math.abs(f2 - f1)}`);
      for (let t = 0; t < s.T; t++) {
        const inWindow = t > t2 && t <= t2 + 10;
        assert.equal(at(s.targets, k, t, c), inWindow ? Math.sign(f2 - f1) : 0, `trial ${k} channel ${c} step ${t}`);
        if (aux) {
          const want = inWindow ? (f2 - f1) / 8 : 0;
          assert.ok(Math.abs(at(s.targets, k, t, channels + c) - want) < TOL, `aux at trial ${k} step ${t}`);
        }
      }
    }
  }
  return delays;
}

test('delayed discrimination: the target is sign(f2 - f1) in the 10 steps after f2, 0 elsewhere', async () => {
  const run = await runTask(delayedDiscrimination, { trials: 512, probe_trials: 32, ood_trials: 256 });
  const delays = checkDiscrimination(run.train, 1, false, 5, 20);
  assert.deepEqual([...delays].sort((a, b) => a - b), Array.from({ length: 16 }, (_, i) => 5 + i), 'every delay 5..20 occurs');
  checkDiscrimination(run.probe, 1, false, 5, 20);
  // The ood set doubles the delay range and lengthens the trial to fit it.
  const oodDelays = checkDiscrimination(run.ood, 1, false, 10, 40);
  assert.equal(Math.min(...oodDelays), 10);
  assert.equal(Math.max(...oodDelays), 40);
  assert.equal(run.ood.T, 70);
  // Both answers occur about equally often.
  let up = 0;
  for (let k = 0; k < run.train.trials; k++) for (let t = 0; t < 40; t++) if (at(run.train.targets, k, t, 0) > 0) up++;
  assert.ok(Math.abs(up / (10 * run.train.trials) - 0.5) < 0.07, `share of f2 > f1: ${up / (10 * run.train.trials)}`);
});

test('delayed discrimination: channels are independent copies; aux adds (f2 - f1) / 8 per channel', async () => {
  const run = await runTask(delayedDiscrimination, { trials: 64, probe_trials: 8, ood_trials: 16, channels: 3, aux: true, delay: [4, 12], T: 30 });
  assert.equal(run.meta.n_in, 3);
  assert.equal(run.meta.n_out, 6);
  checkDiscrimination(run.train, 3, true, 4, 12);
  checkDiscrimination(run.ood, 3, true, 8, 24);
  assert.ok(run.ood.T >= 5 + 24 + 11);
  let differ = 0;
  for (let k = 0; k < 64; k++) if (at(run.train.inputs, k, 5, 0) !== at(run.train.inputs, k, 5, 1)) differ++;
  assert.equal(differ, 64, 'channels draw their own amplitudes');
});

test('delayed discrimination: inconsistent timing params fail with a message', async () => {
  await assert.rejects(runTask(delayedDiscrimination, { delay: [20, 5] }), /min 20 is larger than max 5/);
  await assert.rejects(runTask(delayedDiscrimination, { T: 30 }), /too short for delays up to 20: needs at least 36/);
  await assert.rejects(runTask(delayedDiscrimination, { delay: [5] }), /invalid params/);
});

test('delayed discrimination: without T, trials are as long as the longest delay needs (40 at the defaults)', async () => {
  const standard = await runTask(delayedDiscrimination, { trials: 16, probe_trials: 4, ood_trials: 4 });
  assert.equal(standard.train.T, 40);
  assert.equal(standard.meta.T, 40);
  const longer = await runTask(delayedDiscrimination, { trials: 64, probe_trials: 4, ood_trials: 16, delay: [20, 60] });
  assert.equal(longer.train.T, 5 + 60 + 11 + 4);
  checkDiscrimination(longer.train, 1, false, 20, 60);
  checkDiscrimination(longer.ood, 1, false, 40, 120);
});
