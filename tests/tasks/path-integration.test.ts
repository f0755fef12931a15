import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathIntegration } from '../../stages/tasks/path-integration.js';
import { at, runTask, type TrialSet } from './run-task.js';

/**
 * Re-integrates every trial from its inputs alone (start at t = 0, then speed x heading, mirrored
 * at the walls +-5) and compares with the targets. Returns how many wall bounces it saw.
 */
function checkPath(s: TrialSet, dims: 2 | 3, scale = 0.2): number {
  const n_in = dims + (dims === 2 ? 2 : 4) + 1;
  let bounces = 0;
  for (let k = 0; k < s.trials; k++) {
    // Positions are reported times `scale`; integrate in box units.
    const p = Array.from({ length: dims }, (_, d) => at(s.inputs, k, 0, d) / scale);
    for (let j = dims; j < n_in; j++) assert.equal(at(s.inputs, k, 0, j), 0, 'no movement at t = 0');
    for (let t = 0; t < s.T; t++) {
      if (t > 0) {
        for (let d = 0; d < dims; d++) assert.equal(at(s.inputs, k, t, d), 0, 'the start position is given only at t = 0');
        const cosAz = at(s.inputs, k, t, dims);
        const sinAz = at(s.inputs, k, t, dims + 1);
        assert.ok(Math.abs(cosAz * cosAz + sinAz * sinAz - 1) < 1e-6);
        let direction = [cosAz, sinAz];
        if (dims === 3) {
          const cosEl = at(s.inputs, k, t, dims + 2);
          const sinEl = at(s.inputs, k, t, dims + 3);
          assert.ok(Math.abs(cosEl * cosEl + sinEl * sinEl - 1) < 1e-6);
          direction = [cosEl * cosAz, cosEl * sinAz, sinEl];
        }
        const speed = at(s.inputs, k, t, n_in - 1);
        assert.ok(speed >= 0 && speed <= 0.3, `speed ${speed}`);
        for (let d = 0; d < dims; d++) {
          p[d]! += speed * direction[d]!;
          if (Math.abs(p[d]!) > 5) {
            p[d] = Math.sign(p[d]!) * 10 - p[d]!;
            bounces++;
          }
        }
      }
      for (let d = 0; d < dims; d++) {
        const y = at(s.targets, k, t, d) / scale;
        assert.ok(Math.abs(y) <= 5 + 1e-5, `position ${y} outside the box`);
        assert.ok(Math.abs(y - p[d]!) < 1e-4 / scale, `trial ${k} step ${t} dim ${d}: target ${y}, integrated ${p[d]}`);
      }
    }
  }
  return bounces;
}

test('path integration 2-D: targets are the integrated path with reflecting walls', async () => {
  const run = await runTask(pathIntegration, { trials: 128, probe_trials: 16, ood_trials: 32 });
  assert.deepEqual([run.meta.n_in, run.meta.n_out], [5, 2]);
  assert.ok(checkPath(run.train, 2) > 0, 'some paths hit a wall');
  checkPath(run.probe, 2);
  assert.equal(run.ood.T, 200);
  assert.ok(checkPath(run.ood, 2) > 0);
});

test('path integration 3-D: heading by azimuth and elevation, same integration', async () => {
  const run = await runTask(pathIntegration, { trials: 128, probe_trials: 16, ood_trials: 16, dims: 3 });
  assert.deepEqual([run.meta.n_in, run.meta.n_out], [8, 3]);
  assert.ok(checkPath(run.train, 3) > 0);
  checkPath(run.ood, 3);
});

test('path integration: starts spread over the box, speed is uniform in [0, 0.3], heading turns ~0.2 rad/step', async () => {
  const { train } = await runTask(pathIntegration, { trials: 512 });
  let startSq = 0;
  let speedSum = 0;
  let turnSq = 0;
  let turns = 0;
  for (let k = 0; k < train.trials; k++) {
    for (let d = 0; d < 2; d++) startSq += (at(train.inputs, k, 0, d) / 0.2) ** 2;
    for (let t = 1; t < train.T; t++) {
      speedSum += at(train.inputs, k, t, 4);
      if (t === 1) continue;
      const turn = Math.atan2(at(train.inputs, k, t, 3), at(train.inputs, k, t, 2)) - Math.atan2(at(train.inputs, k, t - 1, 3), at(train.inputs, k, t - 1, 2));
      const wrapped = Math.atan2(Math.sin(turn), Math.cos(turn));
      // Bounces flip the heading; ordinary turns are small.
      if (Math.abs(wrapped) < 1) {
        turnSq += wrapped * wrapped;
        turns++;
      }
    }
  }
  assert.ok(Math.abs(startSq / (2 * train.trials) - 25 / 3) < 0.5, `start variance ${startSq / (2 * train.trials)}`);
  assert.ok(Math.abs(speedSum / (train.trials * (train.T - 1)) - 0.15) < 0.002, 'mean speed');
  assert.ok(Math.abs(Math.sqrt(turnSq / turns) - 0.2) < 0.005, `turn std ${Math.sqrt(turnSq / turns)}`);
});

test('path integration: position_scale 1 reports raw box coordinates', async () => {
  const run = await runTask(pathIntegration, { trials: 64, probe_trials: 8, ood_trials: 8, position_scale: 1 });
  assert.ok(checkPath(run.train, 2, 1) > 0);
  let largest = 0;
  for (let k = 0; k < 64; k++) largest = Math.max(largest, Math.abs(at(run.train.inputs, k, 0, 0)));
  assert.ok(largest > 3, `raw start coordinates reach beyond 3 (largest ${largest})`);
});
