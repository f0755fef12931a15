import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { simulateRnn } from '../../bench/dsa.js';
import { Rng } from '../../src/random.js';
import { runMetricCommand } from '../../stages/metrics/cli.js';
import { encodeNpy } from '../../stages/metrics/lib/arrays.js';
import { haarOrthogonal } from '../../stages/metrics/lib/pavf.js';

const dir = mkdtempSync(join(tmpdir(), 'degen-metric-cli-'));
const path = (name: string): string => join(dir, name);
function save(name: string, shape: number[], data: ArrayLike<number>, dtype: 'float32' | 'float64' = 'float64'): string {
  writeFileSync(path(name), encodeNpy(shape, data, dtype));
  return path(name);
}

// Trajectories of a small simulated RNN, a rotated and rescaled copy (same dynamics), and another network.
const rng = new Rng(1);
const sim = simulateRnn(0, { units: 12, trials: 10, time: 50 });
const other = simulateRnn(1, { units: 12, trials: 10, time: 50 });
const q = haarOrthogonal(12, rng, -1);
const rotated = new Float64Array(sim.data.length);
for (let r = 0; r < sim.data.length / 12; r++) for (let j = 0; j < 12; j++) {
  let s = 0;
  for (let k = 0; k < 12; k++) s += sim.data[r * 12 + k]! * q[k * 12 + j]!;
  rotated[r * 12 + j] = 2.5 * s;
}
const shape3 = [10, 50, 12];
const a = save('a.npy', shape3, sim.data);
const b = save('b.npy', shape3, rotated, 'float32');
const c = save('c.npy', shape3, other.data);

async function run(...argv: string[]): Promise<{ exitCode: number; json: Record<string, unknown>; stderr: string }> {
  const r = await runMetricCommand(argv);
  return { exitCode: r.exitCode, json: r.exitCode === 0 ? JSON.parse(r.stdout) : {}, stderr: r.stderr };
}

test('degen metric dmd prints rank, singular values, eigenvalues as [re, im] and A_v', async () => {
  const r = await run('dmd', a, '--n-delays', '2', '--rank', '6');
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.json.rank, 6);
  assert.equal((r.json.singular_values as number[]).length, 24);
  const ev = r.json.eigenvalues as number[][];
  assert.equal(ev.length, 6);
  assert.ok(ev.every((p) => p.length === 2));
  assert.equal((r.json.A_v as number[][]).length, 6);
  const rrr = await run('dmd', a, '--n-delays', '2', '--rank-explained-variance', '0.9', '--reduced-rank-reg');
  assert.equal(rrr.exitCode, 0, rrr.stderr);
  assert.ok(Array.isArray(rrr.json.projector_eigenvalues));
});

test('degen metric dsa: a rotated, reflected, rescaled float32 copy scores ~0; another network does not', async () => {
  const same = await run('dsa', a, b, '--n-delays', '3', '--rank', '8');
  assert.equal(same.exitCode, 0, same.stderr);
  // float32 storage of the copy limits this one to ~1e-6
  assert.ok((same.json.score as number) < 1e-4, `score ${same.json.score}`);
  assert.equal(same.json.score_method, 'angular');
  const diff = await run('dsa', a, c, '--n-delays', '3', '--rank', '8');
  assert.ok((diff.json.score as number) > 0.01);
  const w = await run('dsa', a, c, '--n-delays', '3', '--rank', '8', '--score', 'wasserstein');
  assert.equal(w.json.score_method, 'wasserstein');
  assert.ok((w.json.score as number) > 0);
});

test('degen metric simdist on two operators: exact copies score below 1e-6 rad', async () => {
  const n = 6;
  const op = Float64Array.from({ length: n * n }, () => rng.normal());
  const qq = haarOrthogonal(n, rng, -1);
  const copy = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) for (let l = 0; l < n; l++) s += qq[i * n + k]! * op[k * n + l]! * qq[j * n + l]!;
    copy[i * n + j] = 3 * s;
  }
  writeFileSync(path('op.json'), JSON.stringify(Array.from({ length: n }, (_, i) => Array.from(op.subarray(i * n, (i + 1) * n)))));
  const r = await run('simdist', path('op.json'), save('copy.npy', [n, n], copy));
  assert.equal(r.exitCode, 0, r.stderr);
  assert.ok((r.json.score as number) < 1e-6);
  const e = await run('simdist', path('op.json'), save('copy.npy', [n, n], copy), '--score', 'euclidean');
  assert.ok((e.json.score as number) < 1e-6);
});

test('degen metric shape and cka', async () => {
  const s = await run('shape', a, b);
  assert.equal(s.exitCode, 0, s.stderr);
  assert.ok((s.json.score as number) < 1e-6);
  const s2 = await run('shape', a, c, '--alpha', '0.5', '--score', 'euclidean', '--no-center');
  assert.equal(s2.json.score_method, 'euclidean');
  assert.equal(s2.json.centered, false);
  const k = await run('cka', a, b);
  assert.ok(Math.abs((k.json.cka as number) - 1) < 1e-6);
  const k2 = await run('cka', a, c);
  assert.ok((k2.json.cka as number) > 0 && (k2.json.cka as number) < 1);
});

test('degen metric weights recovers a relabelling and reports the distances', async () => {
  const n = 10;
  const w = Float64Array.from({ length: n * n }, () => rng.normal());
  const perm = Array.from({ length: n }, (_, i) => i);
  rng.shuffle(perm);
  const w2 = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) w2[perm[i]! * n + perm[k]!] = w[i * n + k]!;
  const r = await run('weights', save('w1.npy', [n, n], w), save('w2.npy', [n, n], w2), '--refine');
  assert.equal(r.exitCode, 0, r.stderr);
  for (const key of ['distance_raw', 'distance_rms', 'distance_scalefree']) assert.ok((r.json[key] as number) < 1e-12, key);
  assert.deepEqual(r.json.permutation, perm);
  assert.ok((r.json.unaligned as Record<string, number>).distance_rms! > 0.1);
});

test('bad input: exit 2 and a message naming the file and what was expected, no stack trace', async () => {
  const cases: [string[], RegExp][] = [
    [['dmd', save('4d.npy', [2, 2, 2, 2], new Array(16).fill(1))], /4d\.npy: trajectories must be \[time, units\] or \[conditions, time, units\], got shape \(2, 2, 2, 2\)/],
    [['dmd', save('short.npy', [3, 4, 5], new Array(60).fill(1)), '--n-delays', '5'], /short\.npy: too few time steps for the delays/],
    [['dmd', save('few.npy', [2, 12, 5], Array.from({ length: 120 }, (_, i) => Math.sin(i))), '--n-delays', '5'], /few\.npy: too few samples for the delays: 2 trials x 8 embedded steps = 16 rows < 5 units x 5 delays = 25 columns; reduce n_delays/],
    [['dmd', save('nan.npy', [5, 2], [1, 2, 3, NaN, 5, 6, 7, 8, 9, 10])], /nan\.npy: contains NaN at flat index 3/],
    [['simdist', save('rect.npy', [2, 3], [1, 2, 3, 4, 5, 6]), a], /rect\.npy: expected an operator as a square matrix \[n, n\], got shape \(2, 3\)/],
    [['simdist', save('s2.npy', [2, 2], [1, 2, 3, 4]), save('s3.npy', [3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9])], /s2\.npy and s3\.npy: operators of different sizes \(2 and 3\)/],
    [['shape', a, save('fewer.npy', [5, 12], new Array(60).fill(0).map(Math.random))], /a\.npy and fewer\.npy: shape metrics need the same samples in both, got 500 and 5 rows/],
    [['weights', save('w3.npy', [3, 3], new Array(9).fill(1)), save('w4.npy', [4, 4], new Array(16).fill(1))], /w3\.npy and w4\.npy: networks of different widths \(3 and 4 units\)/],
    [['dsa', a, path('missing.npy')], /missing\.npy: no such file/],
    [['dsa', a, c, '--rank', '3', '--rank-thresh', '1'], /give at most one of --rank, --rank-thresh, --rank-explained-variance/],
    [['dsa', a, c, '--score', 'cosine'], /argument 'cosine' is invalid/],
    [['dmd'], /missing required argument 'A'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ];
  for (const [argv, message] of cases) {
    const r = await runMetricCommand(argv);
    assert.equal(r.exitCode, 2, `${argv.join(' ')}: exit ${r.exitCode}, stderr ${r.stderr}`);
    assert.match(r.stderr, message, argv.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(r.stdout, '');
  }
});

test('--help exits 0 and lists the commands', async () => {
  const r = await runMetricCommand(['--help']);
  assert.equal(r.exitCode, 0);
  for (const cmd of ['dmd', 'dsa', 'simdist', 'shape', 'cka', 'weights']) assert.match(r.stdout, new RegExp(`\\b${cmd}\\b`));
  const sub = await runMetricCommand(['dsa', '--help']);
  assert.equal(sub.exitCode, 0);
  assert.match(sub.stdout, /--rank-explained-variance/);
});
