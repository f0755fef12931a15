// metric/feature-learning: tangent-kernel rows against finite differences of the float64 reference,
// alignment 1 for an unchanged network, and lower alignment for a larger weight change.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rowsToTable, schemaMismatch, tableToRows, trialsToTable } from '../../src/arrow.js';
import { Rng } from '../../src/random.js';
import { featureLearning } from '../../stages/metrics/feature-learning.js';
import { toFloat64, weightNames, weightsToTable, type NetworkConfig, type Trials, type WeightName, type Weights } from '../../stages/model/network.js';
import { sampleTimes, tangentFeatures } from '../../stages/model/ntk.js';
import { forwardReference } from '../../stages/model/reference.js';
import { configSchema } from '../../stages/train.js';
import { fakeContext } from '../helpers/context.js';
import { randomTrials, randomWeights, tinyConfig } from './helpers.js';

test('sampled times are evenly spaced and end at the last step', () => {
  assert.deepEqual(sampleTimes(100, 10), [9, 19, 29, 39, 49, 59, 69, 79, 89, 99]);
  assert.deepEqual(sampleTimes(3, 10), [0, 1, 2]);
});

for (const parameterization of ['standard', 'mup'] as const) {
  test(`tangent-kernel rows match finite differences (${parameterization})`, () => {
    const cfg = tinyConfig(parameterization, 6);
    const trials = randomTrials(cfg, 3, 7, 21);
    const w = randomWeights(cfg, 22);
    const times = sampleTimes(trials.T, 3);
    const f = tangentFeatures(cfg, w, trials, 2, times);
    assert.equal(f.rows, 2 * 3 * cfg.n_out);
    const w64 = toFloat64(w);
    const fd = new Float64Array(f.rows * f.params);
    const h = 1e-6;
    let col = 0;
    const outputRow = (outputs: Float64Array, trial: number, j: number, q: number) => outputs[(trial * trials.T + times[j]!) * cfg.n_out + q]!;
    for (const name of weightNames) {
      const a = w64[name];
      for (let i = 0; i < a.length; i++, col++) {
        const keep = a[i]!;
        a[i] = keep + h;
        const up = forwardReference(cfg, w64, trials).outputs;
        a[i] = keep - h;
        const down = forwardReference(cfg, w64, trials).outputs;
        a[i] = keep;
        let row = 0;
        for (let trial = 0; trial < 2; trial++) for (let j = 0; j < times.length; j++) for (let q = 0; q < cfg.n_out; q++, row++) {
          fd[row * f.params + col] = (outputRow(up, trial, j, q) - outputRow(down, trial, j, q)) / (2 * h);
        }
      }
    }
    for (let row = 0; row < f.rows; row++) {
      let diff = 0;
      let scale = 0;
      for (let c = 0; c < f.params; c++) {
        diff = Math.max(diff, Math.abs(f.G[row * f.params + c]! - fd[row * f.params + c]!));
        scale = Math.max(scale, Math.abs(fd[row * f.params + c]!));
      }
      assert.ok(diff <= 1e-4 * scale, `row ${row}: max diff ${diff} vs max ${scale}`);
    }
  });
}

function stageInputs(cfg: NetworkConfig, init: Weights, final: Weights, probe: Trials) {
  return {
    init: weightsToTable(cfg, init),
    weights: weightsToTable(cfg, final),
    config: rowsToTable(configSchema, [{ ...cfg }]),
    probe: trialsToTable({
      inputs: { shape: [probe.B, probe.T, cfg.n_in], data: probe.inputs },
      targets: { shape: [probe.B, probe.T, cfg.n_out], data: probe.targets },
      mask: { shape: [probe.B, probe.T, cfg.n_out], data: probe.mask },
    }),
  };
}

async function summary(cfg: NetworkConfig, init: Weights, final: Weights, probe: Trials, kernelWeights: readonly WeightName[] = ['W', 'U', 'b', 'V']) {
  const out = await featureLearning.run(fakeContext({ ntk_trials: 4, ntk_times: 5, kernel_weights: kernelWeights }, [{ outputs: stageInputs(cfg, init, final, probe) }]));
  assert.equal(schemaMismatch(featureLearning.outputs.summary!, out.summary!.schema), undefined);
  return tableToRows(out.summary!)[0]! as { weight_change: number; weight_change_rel: number; kernel_alignment: number };
}

test('an unchanged network has weight change 0 and kernel alignment 1', async () => {
  const cfg = tinyConfig('standard', 16);
  const w = randomWeights(cfg, 3);
  const s = await summary(cfg, w, w, randomTrials(cfg, 6, 20, 4));
  assert.equal(s.weight_change, 0);
  assert.ok(Math.abs(s.kernel_alignment - 1) < 1e-12, `alignment ${s.kernel_alignment}`);
});

test('a larger weight change gives a lower kernel alignment', async () => {
  const cfg = tinyConfig('standard', 16);
  const init = randomWeights(cfg, 5);
  const probe = randomTrials(cfg, 6, 20, 6);
  const rng = new Rng(7);
  const direction = { W: init.W.map(() => rng.normal()), U: init.U.map(() => rng.normal()), b: init.b.map(() => rng.normal()), V: init.V.map(() => rng.normal()), c: init.c.map(() => rng.normal()) };
  const moved = (eps: number): Weights => {
    const out = {} as Record<(typeof weightNames)[number], Float32Array>;
    for (const name of weightNames) out[name] = init[name].map((v, i) => v + (eps * direction[name][i]!) / Math.sqrt(cfg.hidden));
    return out;
  };
  const results = [];
  for (const eps of [0.05, 0.5, 2]) results.push(await summary(cfg, init, moved(eps), probe));
  for (let i = 1; i < results.length; i++) {
    assert.ok(results[i]!.weight_change > results[i - 1]!.weight_change);
    assert.ok(results[i]!.kernel_alignment < results[i - 1]!.kernel_alignment, `alignments ${results.map((r) => r.kernel_alignment).join(', ')}`);
  }
  assert.ok(results[0]!.kernel_alignment > 0.99 && results[2]!.kernel_alignment < 0.95, `alignments ${results.map((r) => r.kernel_alignment).join(', ')}`);
});

test('the output bias, whose tangent features never change, is left out of the kernel by default: with it a mup network at large gamma looks lazy', async () => {
  const cfg = { ...tinyConfig('mup', 16), gamma: 10 };
  const init = randomWeights(cfg, 5);
  const probe = randomTrials(cfg, 6, 20, 6);
  const rng = new Rng(9);
  const final = { ...init, W: init.W.map((v) => v + 3 * rng.normal()), V: init.V.map((v) => v + 3 * rng.normal()) };
  const without = await summary(cfg, init, final, probe);
  const withBias = await summary(cfg, init, final, probe, weightNames);
  const schema = featureLearning.params as { properties: { kernel_weights: { default: readonly string[] } } };
  assert.deepEqual(schema.properties.kernel_weights.default, ['W', 'U', 'b', 'V']);
  assert.ok(without.kernel_alignment < 0.9 && withBias.kernel_alignment > 0.99, `without c: ${without.kernel_alignment}, with c: ${withBias.kernel_alignment}`);
});
