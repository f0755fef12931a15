// The training backend a user gets without asking, and that it is part of the training stages' keys only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fusedMaddAvailable } from '../../stages/model/kernels.js';
import { Workspace } from '../helpers/cli.js';

const STUDY = `name: backend
stages:
  task:  { uses: task/flipflop, with: { bits: 1, trials: 64, probe_trials: 4, ood_trials: 4 } }
  train: { uses: train/rnn, needs: task, with: { hidden: 8, steps_per_epoch: 2, max_epochs: 1 } }
`;

test('training uses wasm-fma by default where the machine fuses multiply-adds; --backend wasm reruns training only', () => {
  const ws = new Workspace();
  try {
    const file = ws.write('study.yaml', STUDY);
    const first = ws.runJson(file);
    assert.equal(first.ran, 2);
    const expected = fusedMaddAvailable() ? 'wasm-fma' : 'wasm';
    const other = expected === 'wasm' ? 'wasm-fma' : 'wasm';
    assert.equal(ws.runJson(file, ['--backend', expected]).ran, 0, `the default is ${expected}`);

    if (!fusedMaddAvailable()) return;
    const plan = ws.degen(['plan', file, '--explain', '--backend', other]);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /cached\s+\S+\s+task/);
    assert.match(plan.stdout, /run\s+\S+\s+train[^\n]*\n\s+env: "wasm-fma" -> "wasm"/);
    const again = ws.runJson(file, ['--backend', other]);
    assert.equal(again.ran, 1);
    assert.equal(again.cached, 1);
  } finally {
    ws.cleanup();
  }
});
