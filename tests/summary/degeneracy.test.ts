import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeTable, rowsToTable, scalarSchema, tableToRows } from '../../src/arrow.js';
import { Rng } from '../../src/random.js';
import { bootstrap, meanOf, pairMeanOf, quantileSorted, stdOf } from '../../stages/summary/bootstrap.js';
import { degeneracy } from '../../stages/summary/degeneracy.js';
import { oneRow, overSeedContext, type NetworkInput, type PairInput } from './context.js';

interface Net { seed: number; converged: boolean; ood: number; px: number; py: number; nullDsa: number; change: number }

// Seed 2 did not converge and is an outlier everywhere: including it would change every number.
const NETS: Net[] = [
  { seed: 0, converged: true, ood: 0.010, px: 0.0, py: 0.0, nullDsa: 0.01, change: 3.0 },
  { seed: 1, converged: true, ood: 0.013, px: 1.0, py: 0.5, nullDsa: 0.02, change: 3.5 },
  { seed: 2, converged: false, ood: 5.000, px: 40, py: -30, nullDsa: 0.90, change: 99 },
  { seed: 3, converged: true, ood: 0.011, px: -0.5, py: 1.5, nullDsa: 0.015, change: 2.5 },
  { seed: 4, converged: true, ood: 0.017, px: 0.3, py: -1.0, nullDsa: 0.012, change: 4.0 },
  { seed: 5, converged: true, ood: 0.012, px: 2.0, py: 2.0, nullDsa: 0.018, change: 3.2 },
];

const dsaOf = (a: Net, b: Net): number => Math.hypot(a.px - b.px, a.py - b.py);
const rmsOf = (a: Net, b: Net): number => Math.abs(a.px - b.px) + 0.25 * Math.abs(a.py - b.py);

function inputs(nets: readonly Net[], opts: { nullDsa?: boolean; weights?: boolean; dynamics?: boolean } = {}): { networks: NetworkInput[]; pairs: PairInput[] } {
  const networks = nets.map((n) => ({
    seed: n.seed,
    upstream: {
      train: {
        summary: oneRow({ converged: n.converged, epochs: 10, final_loss: 0.001, reason: n.converged ? null : 'threshold not reached' }),
        // A many-row table with a column named like an input must be ignored, not read as a duplicate.
        curve: rowsToTable(scalarSchema({ epoch: 'int32', ood_mse: 'float64' }), [{ epoch: 1, ood_mse: 9 }, { epoch: 2, ood_mse: 8 }]),
      },
      behaviour: { summary: oneRow({ ood_mse: n.ood }) },
      ...(opts.nullDsa === false ? {} : { dsa_null: { summary: oneRow({ dsa_null: n.nullDsa }) } }),
      features: { summary: oneRow({ weight_change: n.change }) },
    },
  }));
  const pairs: PairInput[] = [];
  for (let i = 0; i < nets.length; i++) {
    for (let j = i + 1; j < nets.length; j++) {
      const a = nets[i]!;
      const b = nets[j]!;
      pairs.push({
        seeds: [a.seed, b.seed],
        upstream: {
          ...(opts.dynamics === false ? {} : { dsa: { summary: oneRow({ dsa: dsaOf(a, b) }) } }),
          ...(opts.weights === false ? {} : { weights: { summary: oneRow({ distance_rms: rmsOf(a, b), distance_scalefree: rmsOf(a, b) / 10 }) } }),
        },
      });
    }
  }
  return { networks, pairs };
}

async function summarise(params: Parameters<typeof overSeedContext>[0], nets: readonly Net[], opts: Parameters<typeof inputs>[1] = {}) {
  const { networks, pairs } = inputs(nets, opts);
  const out = await degeneracy.run(overSeedContext(params, networks, pairs));
  return { out, summary: tableToRows(out.summary!)[0]!, networks: tableToRows(out.networks!), pairs: tableToRows(out.pairs!) };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('summary/degeneracy', () => {
  it('computes each level over converged networks only, as an independent computation does', async () => {
    const { summary } = await summarise({ bootstrap: 200 }, NETS);
    const ok = NETS.filter((n) => n.converged);
    const ood = ok.map((n) => n.ood);
    const m = mean(ood);
    const std = Math.sqrt(mean(ood.map((v) => (v - m) ** 2)));
    const pairsOk: [Net, Net][] = [];
    for (let i = 0; i < ok.length; i++) for (let j = i + 1; j < ok.length; j++) pairsOk.push([ok[i]!, ok[j]!]);
    assert.equal(summary.n_networks, 6);
    assert.equal(summary.n_converged, 5);
    assert.ok(Math.abs((summary.behaviour_degeneracy as number) - std) < 1e-15);
    assert.ok(Math.abs((summary.mean_ood_mse as number) - m) < 1e-15);
    assert.ok(Math.abs((summary.dynamics_degeneracy as number) - mean(pairsOk.map(([a, b]) => dsaOf(a, b)))) < 1e-12);
    assert.ok(Math.abs((summary.weight_degeneracy as number) - mean(pairsOk.map(([a, b]) => rmsOf(a, b)))) < 1e-12);
    assert.ok(Math.abs((summary.weight_degeneracy_scalefree as number) - mean(pairsOk.map(([a, b]) => rmsOf(a, b) / 10))) < 1e-12);
    assert.ok(Math.abs((summary.dsa_null_mean as number) - mean(ok.map((n) => n.nullDsa))) < 1e-15);
    assert.ok(Math.abs((summary.mean_weight_change as number) - mean(ok.map((n) => n.change))) < 1e-12);
    assert.equal(summary.mean_kernel_alignment, null);
    assert.equal(summary.mean_cka, null);
    for (const [v, lo, hi] of [['behaviour_degeneracy', 'behaviour_ci_lo', 'behaviour_ci_hi'], ['dynamics_degeneracy', 'dynamics_ci_lo', 'dynamics_ci_hi'], ['weight_degeneracy', 'weight_ci_lo', 'weight_ci_hi'], ['mean_ood_mse', 'mean_ood_mse_ci_lo', 'mean_ood_mse_ci_hi']] as const) {
      const [x, l, h] = [summary[v] as number, summary[lo] as number, summary[hi] as number];
      assert.ok(l < h, `${v}: interval [${l}, ${h}] is not an interval`);
      assert.ok(l <= x * 1.0001 && x <= h * 1.2, `${v} = ${x} far outside its interval [${l}, ${h}]`);
    }
  });

  it('keeps every network and pair in the record, marked', async () => {
    const { networks, pairs } = await summarise({ bootstrap: 0 }, NETS);
    assert.deepEqual(networks.map((r) => r.seed), ['0', '1', '2', '3', '4', '5']);
    assert.deepEqual(networks.map((r) => r.converged), NETS.map((n) => n.converged));
    assert.equal(networks[2]!.ood_mse, 5);
    assert.equal(networks[0]!.kernel_alignment, null);
    assert.equal(pairs.length, 15);
    const p13 = pairs.find((r) => r.seed_a === '1' && r.seed_b === '3')!;
    assert.equal(p13.both_converged, true);
    assert.ok(Math.abs((p13.dsa as number) - dsaOf(NETS[1]!, NETS[3]!)) < 1e-15);
    assert.deepEqual(pairs.filter((r) => !r.both_converged).map((r) => `${r.seed_a}~${r.seed_b}`), ['0~2', '1~2', '2~3', '2~4', '2~5']);
  });

  it('is reproducible: same seed gives the same bytes, another seed other intervals', async () => {
    const a = await summarise({ bootstrap: 300, seed: 7 }, NETS);
    const b = await summarise({ bootstrap: 300, seed: 7 }, NETS);
    const c = await summarise({ bootstrap: 300, seed: 8 }, NETS);
    for (const name of ['summary', 'networks', 'pairs'] as const) assert.deepEqual(encodeTable(a.out[name]!), encodeTable(b.out[name]!));
    assert.equal(c.summary.dynamics_degeneracy, a.summary.dynamics_degeneracy);
    assert.notEqual(c.summary.dynamics_ci_lo, a.summary.dynamics_ci_lo);
  });

  it('gives null statistics, not errors, when fewer than two networks converged', async () => {
    const nets = NETS.map((n, i) => ({ ...n, converged: i === 4 }));
    const { summary } = await summarise({}, nets);
    assert.equal(summary.n_converged, 1);
    assert.equal(summary.behaviour_degeneracy, null);
    assert.equal(summary.dynamics_degeneracy, null);
    assert.equal(summary.weight_degeneracy, null);
    assert.equal(summary.mean_ood_mse, NETS[4]!.ood);
    assert.equal(summary.mean_ood_mse_ci_lo, null);
    const none = await summarise({}, NETS.map((n) => ({ ...n, converged: false })));
    assert.equal(none.summary.n_converged, 0);
    assert.equal(none.summary.mean_ood_mse, null);
  });

  it('gives null columns for missing optional inputs and errors for missing required ones', async () => {
    const noNull = await summarise({ bootstrap: 10 }, NETS, { nullDsa: false });
    assert.equal(noNull.summary.dsa_null_mean, null);
    assert.equal(noNull.networks[0]!.dsa_null, null);
    await assert.rejects(summarise({}, NETS, { weights: false }), /weights degeneracy needs column distance_rms.*add a stage that outputs distance_rms/);
    await assert.rejects(summarise({}, NETS, { dynamics: false }), /dynamics degeneracy needs column dsa/);
    const relaxed = await summarise({ require: ['behaviour', 'dynamics'] }, NETS, { weights: false });
    assert.equal(relaxed.summary.weight_degeneracy, null);
    assert.equal(relaxed.pairs[0]!.distance_rms, null);
    assert.notEqual(relaxed.summary.dynamics_degeneracy, null);
  });

  it('refuses a column offered by two inputs, naming both', async () => {
    const { networks, pairs } = inputs(NETS);
    const doubled = networks.map((n) => ({ ...n, upstream: { ...n.upstream, activity: { summary: oneRow({ ood_mse: 1, probe_mse: 1 }) } } }));
    await assert.rejects(degeneracy.run(overSeedContext({}, doubled, pairs)), /ood_mse .*offered by both behaviour\.summary and activity\.summary/);
    const noTrain = networks.map((n) => ({ ...n, upstream: { behaviour: n.upstream.behaviour! } }));
    await assert.rejects(degeneracy.run(overSeedContext({}, noTrain, pairs)), /converged.*train\/rnn/);
  });

  it('accepts string seeds and reads shape metrics when present', async () => {
    const nets = NETS.slice(0, 3).map((n) => ({ ...n, converged: true }));
    const { networks, pairs } = inputs(nets);
    const named = networks.map((n, i) => ({ ...n, seed: `s${i}` }));
    const shaped = pairs.map((p) => ({ seeds: [`s${p.seeds[0]}`, `s${p.seeds[1]}`] as const, upstream: { ...p.upstream, shape: { summary: oneRow({ procrustes_angular: 0.5, cka: 0.8 }) } } }));
    const out = await degeneracy.run(overSeedContext({ bootstrap: 0 }, named, shaped));
    const s = tableToRows(out.summary!)[0]!;
    assert.ok(Math.abs((s.mean_cka as number) - 0.8) < 1e-15);
    assert.equal(s.mean_procrustes_angular, 0.5);
    assert.equal(s.dynamics_ci_lo, null);
    assert.deepEqual(tableToRows(out.pairs!).map((r) => [r.seed_a, r.seed_b]), [['s0', 's1'], ['s0', 's2'], ['s1', 's2']]);
  });
});

describe('bootstrap statistics', () => {
  it('pairwise mean of a resample equals the mean over pairs of distinct drawn networks', () => {
    const n = 4;
    const d = new Float64Array(n * n);
    const rng = new Rng(3);
    for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) d[a * n + b] = d[b * n + a] = rng.uniform(0, 1);
    const counts = Int32Array.from([2, 0, 1, 3]);
    const drawn = [0, 0, 2, 3, 3, 3];
    let sum = 0;
    let pairs = 0;
    for (let k = 0; k < drawn.length; k++) {
      for (let l = k + 1; l < drawn.length; l++) {
        if (drawn[k] === drawn[l]) continue;
        sum += d[drawn[k]! * n + drawn[l]!]!;
        pairs++;
      }
    }
    assert.ok(Math.abs(pairMeanOf(d, n)(counts) - sum / pairs) < 1e-15);
    assert.ok(Number.isNaN(pairMeanOf(d, n)(Int32Array.from([0, 4, 0, 0]))));
  });

  it('weighted std and mean equal the plain ones on the expanded sample', () => {
    const v = Float64Array.from([1, 4, 2, 8]);
    const counts = Int32Array.from([3, 1, 0, 2]);
    const xs = [1, 1, 1, 4, 8, 8];
    const m = mean(xs);
    assert.ok(Math.abs(meanOf(v)(counts) - m) < 1e-15);
    assert.ok(Math.abs(stdOf(v)(counts) - Math.sqrt(mean(xs.map((x) => (x - m) ** 2)))) < 1e-15);
    assert.equal(stdOf(v)(Int32Array.from([0, 4, 0, 0])), 0);
    assert.ok(Number.isNaN(stdOf(Float64Array.from([1, NaN]))(Int32Array.from([1, 1]))));
  });

  it('interpolates quantiles as numpy does', () => {
    assert.equal(quantileSorted(Float64Array.from([1, 2, 3, 4]), 0.25), 1.75);
    assert.equal(quantileSorted(Float64Array.from([1, 2, 3, 4]), 0.975), 3.925);
    assert.equal(quantileSorted(Float64Array.from([5]), 0.5), 5);
  });

  it('gives an interval for a mean close to the normal approximation', () => {
    const rng = new Rng(11);
    const values = Float64Array.from({ length: 60 }, () => 2 + 0.5 * rng.normal());
    const m = mean([...values]);
    const sd = Math.sqrt(mean([...values].map((x) => (x - m) ** 2)));
    const { mean: e } = bootstrap({ mean: meanOf(values) }, values.length, 4000, new Rng(1));
    const half = 1.96 * sd / Math.sqrt(values.length);
    assert.ok(Math.abs(e!.lo! - (m - half)) < 0.15 * half, `lo ${e!.lo} vs ${m - half}`);
    assert.ok(Math.abs(e!.hi! - (m + half)) < 0.15 * half, `hi ${e!.hi} vs ${m + half}`);
  });

  it('collapses to the value when every network agrees', () => {
    const { s } = bootstrap({ s: meanOf(Float64Array.from([3, 3, 3])) }, 3, 50, new Rng(0));
    assert.deepEqual(s, { value: 3, lo: 3, hi: 3 });
  });
});
