// What every task stage promises: a complete params schema, declared outputs, shapes, meta, a mask,
// and bytes that depend on the seed and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schemaMismatch } from '../../src/arrow.js';
import type { Stage } from '../../src/stage.js';
import { delayedDiscrimination, flipflop, pathIntegration, sine, taskStages } from '../../stages/tasks/index.js';
import { runTask, validate } from './run-task.js';

const small = { trials: 32, probe_trials: 8, ood_trials: 8 };

interface Expected {
  readonly stage: Stage<any>;
  readonly task: string;
  readonly n_in: number;
  readonly n_out: number;
  readonly T: number;
  readonly ood_T: number;
  readonly threshold: number;
}

const defaults: readonly Expected[] = [
  { stage: flipflop, task: 'flipflop', n_in: 3, n_out: 3, T: 100, ood_T: 200, threshold: 0.001 },
  { stage: delayedDiscrimination, task: 'delayed-discrimination', n_in: 1, n_out: 1, T: 40, ood_T: 70, threshold: 0.01 },
  { stage: sine, task: 'sine', n_in: 1, n_out: 1, T: 100, ood_T: 200, threshold: 0.05 },
  { stage: pathIntegration, task: 'path-integration', n_in: 5, n_out: 2, T: 100, ood_T: 200, threshold: 0.05 },
];

test('the four task stages are named as users write them in uses:', () => {
  assert.deepEqual(taskStages.map((s) => s.name), ['task/flipflop', 'task/delayed-discrimination', 'task/sine', 'task/path-integration']);
});

for (const stage of taskStages) {
  test(`${stage.name}: every param has a default and a description, and {} is valid`, () => {
    const properties = (stage.params as { properties: Record<string, Record<string, unknown>> }).properties;
    assert.equal((stage.params as { additionalProperties?: unknown }).additionalProperties, false);
    for (const [name, p] of Object.entries(properties)) {
      assert.ok('default' in p, `${name} has no default`);
      assert.equal(typeof p.description, 'string', `${name} has no description`);
    }
    const { params, errors } = validate(stage, {});
    assert.equal(errors, undefined);
    assert.deepEqual(Object.keys(params).sort(), Object.keys(properties).sort());
  });

  test(`${stage.name}: the schema rejects unknown, negative and fractional params`, () => {
    assert.ok(validate(stage, { sed: 1 }).errors);
    assert.ok(validate(stage, { seed: -1 }).errors);
    assert.ok(validate(stage, { trials: 0 }).errors);
    assert.ok(validate(stage, { T: 10.5 }).errors);
    assert.ok(validate(stage, { probe_trials: '64' }).errors);
  });
}

for (const want of defaults) {
  test(`${want.stage.name}: outputs match the declared schemas; shapes, mask and meta at defaults`, async () => {
    const run = await runTask(want.stage, small);
    assert.deepEqual(Object.keys(run.tables).sort(), Object.keys(want.stage.outputs).sort());
    for (const [name, table] of Object.entries(run.tables)) {
      assert.equal(schemaMismatch(want.stage.outputs[name]!, table.schema), undefined, name);
    }
    assert.deepEqual(run.meta, { task: want.task, n_in: want.n_in, n_out: want.n_out, T: want.T, ood_T: want.ood_T, threshold: want.threshold });
    for (const [set, trials, T] of [['train', 32, want.T], ['probe', 8, want.T], ['ood', 8, want.ood_T]] as const) {
      const s = run[set];
      assert.deepEqual(s.inputs.shape, [trials, T, want.n_in], `${set} inputs`);
      assert.deepEqual(s.targets.shape, [trials, T, want.n_out], `${set} targets`);
      assert.deepEqual(s.mask.shape, [trials, T, want.n_out], `${set} mask`);
      // The paper's loss counts every step and output.
      assert.ok(s.mask.data.every((m) => m === 1), `${set} mask is all ones`);
      assert.ok(s.inputs.data.every(Number.isFinite) && s.targets.data.every(Number.isFinite), `${set} finite`);
      assert.equal(run.tables[set]!.getChild('trial')!.get(trials - 1), trials - 1);
    }
  });

  test(`${want.stage.name}: same seed gives the same bytes, another seed other bytes`, async () => {
    const a = await runTask(want.stage, { ...small, seed: 7 });
    const b = await runTask(want.stage, { ...small, seed: 7 });
    const c = await runTask(want.stage, { ...small, seed: 8 });
    for (const name of ['train', 'probe', 'ood', 'meta']) assert.deepEqual(a.bytes[name], b.bytes[name], name);
    for (const name of ['train', 'probe', 'ood']) assert.notDeepEqual(a.bytes[name], c.bytes[name], name);
  });

  test(`${want.stage.name}: train, probe and ood are independent streams`, async () => {
    const a = await runTask(want.stage, { ...small, seed: 3 });
    // Probe trials are not a copy of the first training trials.
    const per = a.probe.inputs.data.length;
    assert.notDeepEqual(a.probe.inputs.data, a.train.inputs.data.subarray(0, per));
    // A bigger training set leaves the probe and ood sets as they were.
    const bigger = await runTask(want.stage, { ...small, seed: 3, trials: 48 });
    assert.deepEqual(bigger.bytes.probe, a.bytes.probe);
    assert.deepEqual(bigger.bytes.ood, a.bytes.ood);
    // ...and its first trials are the smaller set's trials.
    assert.deepEqual(bigger.train.inputs.data.subarray(0, a.train.inputs.data.length), a.train.inputs.data);
  });

  test(`${want.stage.name}: T is a param and the ood set follows it`, async () => {
    const run = await runTask(want.stage, { ...small, T: want.T + 10 });
    assert.equal(run.train.T, want.T + 10);
    assert.equal(run.probe.T, want.T + 10);
    assert.equal(run.meta.T, want.T + 10);
    assert.ok(run.ood.T > run.train.T);
    assert.equal(run.meta.ood_T, run.ood.T);
  });
}
