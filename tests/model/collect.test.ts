// collect/activity: hidden states and outputs agree with the float64 reference forward pass, the MSE
// is the masked MSE, and the chunk size changes nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeTable, rowsToTable, schemaMismatch, tableToRows, trialsTensor, trialsToTable } from '../../src/arrow.js';
import { collect } from '../../stages/collect.js';
import { toFloat64, weightsToTable, type NetworkConfig, type Trials } from '../../stages/model/network.js';
import { forwardReference, maskedMse } from '../../stages/model/reference.js';
import { configSchema } from '../../stages/train.js';
import { fakeContext } from '../helpers/context.js';
import { randomTrials, randomWeights, tinyConfig } from './helpers.js';

function trialsTable(cfg: NetworkConfig, t: Trials) {
  return trialsToTable({
    inputs: { shape: [t.B, t.T, cfg.n_in], data: t.inputs },
    targets: { shape: [t.B, t.T, cfg.n_out], data: t.targets },
    mask: { shape: [t.B, t.T, cfg.n_out], data: t.mask },
  });
}

for (const parameterization of ['standard', 'mup'] as const) {
  test(`collect/activity matches the reference forward pass (${parameterization})`, async () => {
    const cfg = tinyConfig(parameterization, 9);
    const w = randomWeights(cfg, 4);
    // Store and reread the float32 trials, so the reference sees exactly what the stage sees.
    const probe = trialsTable(cfg, randomTrials(cfg, 5, 6, 1));
    const ood = trialsTable(cfg, randomTrials(cfg, 7, 12, 2));
    const task = { probe, ood };
    const trained = {
      weights: weightsToTable(cfg, w),
      config: rowsToTable(configSchema, [{ ...cfg }]),
    };
    const run = (chunk: number) => collect.run(fakeContext({ chunk }, [{ outputs: { ...task, ...trained } }]));
    const out = await run(64);
    for (const [name, schema] of Object.entries(collect.outputs)) assert.equal(schemaMismatch(schema, out[name]!.schema), undefined, name);
    const summary = tableToRows(out.summary!)[0]!;
    for (const [set, table, activity] of [['probe', probe, out.probe_activity!], ['ood', ood, out.ood_activity!]] as const) {
      const trials: Trials = {
        B: table.numRows, T: trialsTensor(table, 'inputs').shape[1]!,
        inputs: trialsTensor(table, 'inputs').data, targets: trialsTensor(table, 'targets').data, mask: trialsTensor(table, 'mask').data,
      };
      const ref = forwardReference(cfg, toFloat64(w), trials);
      const hidden = trialsTensor(activity, 'hidden');
      const output = trialsTensor(activity, 'output');
      assert.deepEqual(hidden.shape, [trials.B, trials.T, cfg.hidden]);
      assert.deepEqual(output.shape, [trials.B, trials.T, cfg.n_out]);
      for (let i = 0; i < ref.hidden.length; i++) assert.ok(Math.abs(hidden.data[i]! - ref.hidden[i]!) < 1e-5 * (1 + Math.abs(ref.hidden[i]!)), `${set} hidden ${i}`);
      for (let i = 0; i < ref.outputs.length; i++) assert.ok(Math.abs(output.data[i]! - ref.outputs[i]!) < 1e-5 * (1 + Math.abs(ref.outputs[i]!)), `${set} output ${i}`);
      const mse = maskedMse(ref.outputs, trials);
      assert.ok(Math.abs((summary[`${set}_mse`] as number) - mse) < 1e-5 * mse, `${set} mse`);
    }
    const chunked = await run(2);
    for (const name of Object.keys(out)) assert.deepEqual(encodeTable(chunked[name]!), encodeTable(out[name]!), `${name} depends on the chunk size`);
  });
}
