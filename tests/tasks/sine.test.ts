import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sine } from '../../stages/tasks/sine.js';
import { at, runTask, type TrialSet } from './run-task.js';

/** Recovers omega from the input of each trial and channel, checks it is on the grid and the target is sin(omega t). */
function checkSine(s: TrialSet, channels: number, grid: readonly number[]): Set<number> {
  const seen = new Set<number>();
  for (let k = 0; k < s.trials; k++) {
    for (let c = 0; c < channels; c++) {
      const level = at(s.inputs, k, 0, c);
      const omega = level * 0.6;
      const index = grid.findIndex((w) => Math.abs(w - omega) < 1e-6);
      assert.ok(index >= 0, `omega ${omega} not among the frequencies`);
      seen.add(index);
      for (let t = 0; t < s.T; t++) {
        assert.equal(at(s.inputs, k, t, c), level, 'the input is constant');
        assert.ok(Math.abs(at(s.targets, k, t, c) - Math.sin(grid[index]! * t)) < 1e-6, `trial ${k} channel ${c} step ${t}`);
      }
    }
  }
  return seen;
}

test('sine: the output is sin(omega t) with omega = 0.6 x input, one of n_freq evenly spaced in [0.1, 0.6]', async () => {
  const grid = Array.from({ length: 10 }, (_, k) => 0.1 + (0.5 * k) / 9);
  const run = await runTask(sine, { trials: 200, probe_trials: 16, ood_trials: 16 });
  assert.equal(checkSine(run.train, 1, grid).size, 10, 'every frequency occurs');
  checkSine(run.probe, 1, grid);
  checkSine(run.ood, 1, grid);
  assert.equal(run.ood.T, 200);
  assert.equal(at(run.train.targets, 0, 0, 0), 0, 'every sine starts at 0');
});

test('sine: channels pick their frequencies independently; n_freq sets the grid', async () => {
  const grid = [0.1, 0.35, 0.6];
  const run = await runTask(sine, { trials: 64, probe_trials: 8, ood_trials: 8, channels: 2, n_freq: 3 });
  assert.equal(run.meta.n_in, 2);
  assert.equal(run.meta.n_out, 2);
  checkSine(run.train, 2, grid);
  let differ = 0;
  for (let k = 0; k < 64; k++) if (at(run.train.inputs, k, 0, 0) !== at(run.train.inputs, k, 0, 1)) differ++;
  assert.ok(differ > 20 && differ < 64, `channels differ in ${differ} of 64 trials`);
});
