import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { degen, expectedSummary, FAILING, KS, SEEDS, studyDir, VARIANTS } from './study.js';

function close(actual: unknown, expected: number, what: string): void {
  assert.equal(typeof actual, 'number', `${what}: ${String(actual)} is not a number`);
  assert.ok(Math.abs((actual as number) - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `${what}: ${String(actual)} != ${expected}`);
}

describe('summary/degeneracy through the CLI', () => {
  const dirs: string[] = [];
  let rows: Record<string, unknown>[] = [];

  before(async () => {
    const dir = studyDir();
    dirs.push(dir);
    const run = await degen(dir, 'run', 'study.yaml', '--json');
    assert.equal(run.code, 0, run.stderr);
    const res = await degen(dir, 'results', 'study.yaml', '--stage', 'degeneracy', '--format', 'json');
    assert.equal(res.code, 0, res.stderr);
    rows = JSON.parse(res.stdout) as Record<string, unknown>[];
  });

  after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  it('reports each condition as an independent computation from the fixtures does, without the non-converged seed', () => {
    assert.equal(rows.length, KS.length * VARIANTS.length);
    for (const k of KS) {
      for (const variant of VARIANTS) {
        const row = rows.find((r) => r.k === k && r.variant === variant);
        assert.ok(row, `no row for k=${k} variant=${variant}`);
        const want = expectedSummary(k, variant);
        assert.equal(row.n_networks, SEEDS.length);
        assert.equal(row.n_converged, SEEDS.length - FAILING.length);
        for (const [col, v] of Object.entries(want)) close(row[col], v, `k=${k} ${variant} ${col}`);
        for (const level of ['behaviour', 'dynamics', 'weight']) {
          const lo = row[`${level}_ci_lo`] as number;
          const hi = row[`${level}_ci_hi`] as number;
          assert.ok(lo < hi, `${level} interval [${lo}, ${hi}]`);
        }
      }
    }
  });

  it('gives the same numbers, intervals included, when run again from an empty cache', async () => {
    const dir = studyDir();
    dirs.push(dir);
    assert.equal((await degen(dir, 'run', 'study.yaml', '--json')).code, 0);
    const again = await degen(dir, 'results', 'study.yaml', '--stage', 'degeneracy', '--format', 'json');
    assert.deepEqual(JSON.parse(again.stdout), rows);
  });
});
