import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Table } from 'apache-arrow';
import { encodeTable, rowsToTable, scalarSchema, tableToRows, tensorsToTable, trialsToTable } from '../../src/arrow.js';
import { Rng } from '../../src/random.js';
import { checkParams, checkStageSchema } from '../../src/spec/params.js';
import type { StageContext } from '../../src/stage.js';
import { simulateRnn } from '../../bench/dsa.js';
import { metricStages } from '../../stages/metrics/index.js';
import { behaviour } from '../../stages/metrics/behaviour.js';
import { dsaNull } from '../../stages/metrics/dsa-null.js';
import { dsa } from '../../stages/metrics/dsa.js';
import { shape } from '../../stages/metrics/shape.js';
import { weights } from '../../stages/metrics/weights.js';
import { haarOrthogonal } from '../../stages/metrics/lib/pavf.js';
import { fakeContext, type FakeMember } from '../helpers/context.js';

const units = 12;

/** A collect/activity probe_activity table from [trials, T, n] hidden states. */
function activityTable(data: Float64Array, trials: number, time: number, n: number): Table {
  return trialsToTable({
    hidden: { shape: [trials, time, n], data: Float32Array.from(data) },
    output: { shape: [trials, time, 1], data: new Float32Array(trials * time) },
  });
}

const sim0 = simulateRnn(0, { units, trials: 12, time: 50 });
const sim1 = simulateRnn(1, { units, trials: 12, time: 50 });
const rng = new Rng(3);
const q = haarOrthogonal(units, rng, -1);
const rotated = new Float64Array(sim0.data.length);
for (let r = 0; r < sim0.data.length / units; r++) for (let j = 0; j < units; j++) {
  let s = 0;
  for (let k = 0; k < units; k++) s += Math.fround(sim0.data[r * units + k]!) * q[k * units + j]!;
  rotated[r * units + j] = s;
}
const net0: FakeMember = { coords: { seed: 0 }, outputs: { probe_activity: activityTable(sim0.data, 12, 50, units) } };
const net0rotated: FakeMember = { coords: { seed: 2 }, outputs: { probe_activity: activityTable(rotated, 12, 50, units) } };
const net1: FakeMember = { coords: { seed: 1 }, outputs: { probe_activity: activityTable(sim1.data, 12, 50, units) } };

const dsaDefaults = { n_delays: 3, delay_interval: 1, rank: 6, lamb: 0, reduced_rank_reg: false, steps_ahead: 1, score: 'angular' as const, restarts: 8, seed: 0 };

function row(table: Table | undefined): Record<string, unknown> {
  assert.ok(table, 'missing output');
  const rows = tableToRows(table);
  assert.equal(rows.length, 1);
  return rows[0]!;
}

test('every metric stage has a valid params schema and declares its outputs', () => {
  for (const stage of metricStages) {
    assert.equal(checkStageSchema(stage), undefined, stage.name);
    assert.ok('summary' in stage.outputs, stage.name);
  }
  assert.deepEqual(metricStages.map((s) => s.name).sort(), ['metric/behaviour', 'metric/dsa', 'metric/dsa-null', 'metric/shape', 'metric/weights']);
  // defaults and the one-rank-rule constraint
  const ok = checkParams(dsa as never, {});
  assert.ok('params' in ok);
  assert.equal(ok.params.n_delays, 5);
  assert.equal(ok.params.score, 'angular');
  // rank 20 is filled in when no other rank rule is given, so writing it out keeps the same params (and key).
  assert.equal(ok.params.rank, 20);
  const explicit = checkParams(dsa as never, { rank: 20 });
  assert.ok('params' in explicit);
  assert.deepEqual(explicit.params, ok.params);
  assert.ok('problems' in checkParams(dsa as never, { rank: 10, rank_thresh: 1 }));
  const byVariance = checkParams(dsaNull as never, { rank_explained_variance: 0.9 });
  assert.ok('params' in byVariance);
  assert.equal(byVariance.params.rank, undefined);
  const byThreshold = checkParams(dsa as never, { rank_thresh: 0.5 });
  assert.ok('params' in byThreshold);
  assert.equal(byThreshold.params.rank, undefined);
});

test('metric/dsa: ~0 for a rotated and reflected copy, > 0 between networks; one DMD fit per network through memo', async () => {
  const memoCalls: unknown[] = [];
  const withMemo = (members: FakeMember[]): StageContext<typeof dsaDefaults> => {
    const ctx = fakeContext(dsaDefaults, members);
    return { ...ctx, memo: async (part, deps, compute) => { memoCalls.push([part, deps]); return compute(); } };
  };
  const same = row((await dsa.run(withMemo([net0, net0rotated]) as never)).summary);
  assert.ok((same.dsa as number) < 1e-6, `copy scores ${same.dsa}`);
  assert.equal(same.score, 'angular');
  assert.equal(same.rank_a, 6);
  const diff = row((await dsa.run(withMemo([net0, net1]) as never)).summary);
  assert.ok((diff.dsa as number) > 0.01);
  assert.ok(Math.abs((diff.euclidean as number) ** 2 - (2 - 2 * Math.cos(diff.angular as number))) < 1e-12);
  assert.ok((diff.wasserstein as number) > 0);
  // memo deps: the network's activity hash and DMD params only (not the score)
  assert.equal(memoCalls.length, 4);
  const deps = memoCalls[0] as [string, Record<string, unknown>];
  assert.equal(deps[0], 'dmd');
  assert.ok(typeof deps[1].activity === 'string');
  assert.equal(deps[1].score, undefined);
  assert.deepEqual(memoCalls[0], memoCalls[2], 'the same network gives the same memo key in every pair');
});

test('metric/dsa outputs are byte-identical across runs (seeded)', async () => {
  const a = (await dsa.run(fakeContext(dsaDefaults, [net0, net1]) as never)).summary!;
  const b = (await dsa.run(fakeContext(dsaDefaults, [net0, net1]) as never)).summary!;
  assert.deepEqual(encodeTable(a), encodeTable(b));
});

test('metric/dsa with the wasserstein score, and a clear error for unequal ranks', async () => {
  const w = row((await dsa.run(fakeContext({ ...dsaDefaults, score: 'wasserstein' as const }, [net0, net1]) as never)).summary);
  assert.equal(w.score, 'wasserstein');
  assert.equal(w.angular, null);
  assert.equal(w.dsa, w.wasserstein);
  await assert.rejects(dsa.run(fakeContext(dsaDefaults, [net0]) as never), /use it with pairs: seed/);
  const thresh = { ...dsaDefaults, rank: undefined, rank_thresh: 1e-9 };
  // an RNN with a dead (constant) unit has a smaller embedding than one without
  const dead = Float64Array.from(sim1.data, (v, i) => (i % units === 0 ? 0 : v));
  const netDead: FakeMember = { outputs: { probe_activity: activityTable(dead, 12, 50, units) } };
  await assert.rejects(dsa.run(fakeContext(thresh, [net0, netDead]) as never), /different sizes \(36 and 33\).*fixed rank or use score: wasserstein/);
});

test('metric/dsa-null: the two halves of one network are closer than two networks; too few trials is a clear error', async () => {
  const big = (seed: number): FakeMember => {
    const x = simulateRnn(seed, { units, trials: 40, time: 100 });
    return { outputs: { probe_activity: activityTable(x.data, 40, 100, units) } };
  };
  const [a, b] = [big(0), big(1)];
  const r = row((await dsaNull.run(fakeContext(dsaDefaults, [a]) as never)).summary);
  assert.ok((r.dsa_null as number) > 0, `null ${r.dsa_null}`);
  assert.equal(r.trials_a, 20);
  assert.equal(r.trials_b, 20);
  const cross = row((await dsa.run(fakeContext(dsaDefaults, [a, b]) as never)).summary);
  assert.ok((r.dsa_null as number) < (cross.dsa as number), `the within-network floor ${r.dsa_null} should be below the cross-network distance ${cross.dsa}`);
  const one: FakeMember = { outputs: { probe_activity: activityTable(sim0.data.subarray(0, 50 * units), 1, 50, units) } };
  await assert.rejects(dsaNull.run(fakeContext(dsaDefaults, [one]) as never), /needs at least 2 probe trials to split, got 1/);
  await assert.rejects(dsaNull.run(fakeContext({ ...dsaDefaults, n_delays: 60 }, [net0]) as never), /metric\/dsa-null, even half of the probe trials \(6 of 12\): too few time steps/);
});

/** A train/rnn weights table. */
function weightsTable(w: Float64Array, n: number, nIn: number, nOut: number, r: Rng): Table {
  return tensorsToTable({
    W: { shape: [n, n], data: w },
    U: { shape: [n, nIn], data: Float64Array.from({ length: n * nIn }, () => r.normal()) },
    b: { shape: [n], data: Float64Array.from({ length: n }, () => r.normal()) },
    V: { shape: [nOut, n], data: Float64Array.from({ length: nOut * n }, () => r.normal()) },
    c: { shape: [nOut], data: new Float64Array(nOut) },
  }, 'float32');
}

test('metric/weights: 0 for a relabelled copy (with and without features), permutation table, unaligned baseline', async () => {
  const n = 16;
  const r = new Rng(8);
  const w = Float64Array.from({ length: n * n }, () => Math.fround(r.normal() / 4));
  const perm = Array.from({ length: n }, (_, i) => i);
  r.shuffle(perm);
  const w2 = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) w2[perm[i]! * n + perm[k]!] = w[i * n + k]!;
  const a: FakeMember = { outputs: { weights: weightsTable(w, n, 2, 3, new Rng(1)) } };
  const b: FakeMember = { outputs: { weights: weightsTable(w2, n, 2, 3, new Rng(2)) } };
  for (const features of [false, true]) {
    const out = await weights.run(fakeContext({ features, refine: false, faq_starts: 2, seed: 0 }, [a, b]) as never);
    const s = row(out.summary);
    assert.ok((s.distance_rms as number) < 1e-7 && (s.distance_scalefree as number) < 1e-7, JSON.stringify(s));
    assert.ok((s.distance_rms_unaligned as number) > 0.05);
    assert.equal(s.units, n);
    if (!features) assert.deepEqual(tableToRows(out.permutation!).map((x) => x.neuron_b), perm);
  }
});

test('metric/shape: a rotated copy has Procrustes angle ~0 and CKA ~1', async () => {
  const s = row((await shape.run(fakeContext({ alpha: 1, center: true }, [net0, net0rotated]) as never)).summary);
  assert.ok((s.procrustes_angular as number) < 1e-6);
  assert.ok(Math.abs((s.cka as number) - 1) < 1e-9);
  const d = row((await shape.run(fakeContext({ alpha: 1, center: true }, [net0, net1]) as never)).summary);
  assert.ok((d.procrustes_angular as number) > 0.1 && (d.cka as number) < 1);
});

test('metric/behaviour passes the OOD MSE through from collect/activity', async () => {
  const summary = rowsToTable(scalarSchema({ ood_mse: 'float64', probe_mse: 'float64' }), [{ ood_mse: 0.0123, probe_mse: 0.001 }]);
  const r = row((await behaviour.run(fakeContext({}, [{ outputs: { summary, probe_activity: net0.outputs.probe_activity! } }]) as never)).summary);
  assert.equal(r.ood_mse, 0.0123);
  await assert.rejects(behaviour.run(fakeContext({}, [{ outputs: { probe_activity: net0.outputs.probe_activity! } }]) as never), /needs collect\/activity/);
});

test('a diverged network (NaN activity or weights) gives null distances with a note, not a failed instance', async () => {
  const nan = Float64Array.from(sim1.data);
  nan[100] = NaN;
  const broken: FakeMember = { outputs: { probe_activity: activityTable(nan, 12, 50, units) } };
  const d = row((await dsa.run(fakeContext(dsaDefaults, [net0, broken]) as never)).summary);
  assert.equal(d.dsa, null);
  assert.match(String(d.note), /second network: probe activity contains NaN/);
  const n = row((await dsaNull.run(fakeContext(dsaDefaults, [broken]) as never)).summary);
  assert.equal(n.dsa_null, null);
  const s = row((await shape.run(fakeContext({ alpha: 1, center: true }, [broken, net0]) as never)).summary);
  assert.equal(s.procrustes_angular, null);
  assert.match(String(s.note), /first network/);
  const size = 4;
  const w = Float64Array.from({ length: size * size }, (_, i) => (i === 5 ? NaN : i));
  const a: FakeMember = { outputs: { weights: weightsTable(w, size, 1, 1, new Rng(1)) } };
  const b: FakeMember = { outputs: { weights: weightsTable(Float64Array.from({ length: size * size }, (_, i) => i), size, 1, 1, new Rng(2)) } };
  const out = await weights.run(fakeContext({ features: false, refine: false, faq_starts: 0, seed: 0 }, [a, b]) as never);
  const r = row(out.summary);
  assert.equal(r.distance_rms, null);
  assert.match(String(r.note), /first network: weights contain NaN/);
  assert.equal(out.permutation!.numRows, 0);
});
