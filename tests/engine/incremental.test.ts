import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pluginsLine, Workspace } from '../helpers/cli.js';

function study(opts: { a?: string; seeds?: string; scale?: string; offset?: string } = {}): string {
  return `name: incremental
${pluginsLine()}
sweep:
  a: ${opts.a ?? '[100, 200]'}
  seed: ${opts.seeds ?? '{ range: [0, 3] }'}
stages:
  src:  { uses: test/source, with: { x: $a, scale: ${opts.scale ?? '1'} } }
  per:  { uses: test/sum, needs: src, with: { offset: $seed } }
  pair: { uses: test/diff, needs: per, pairs: seed }
  fold: { uses: test/sum, needs: [pair, per], with: { offset: ${opts.offset ?? '0'} }, over: seed }
`;
}

test('a second run computes nothing; changing one param reruns only that stage and what depends on it', () => {
  const ws = new Workspace();
  try {
    const file = ws.write('study.yaml', study());
    const first = ws.runJson(file);
    assert.equal(first.instances, 2 + 6 + 6 + 2);
    assert.equal(first.ran + first.cached, first.instances);
    assert.deepEqual(ws.takeRuns(), { 'test/source': 2, 'test/sum': 8, 'test/diff': 6 });

    const again = ws.runJson(file);
    assert.equal(again.ran, 0);
    assert.equal(again.cached, again.instances);
    assert.deepEqual(ws.takeRuns(), {});

    // Only the fold stage's own param: 2 fold instances, nothing upstream.
    ws.write('study.yaml', study({ offset: '5' }));
    const folded = ws.runJson(file);
    assert.equal(folded.ran, 2);
    assert.deepEqual(ws.takeRuns(), { 'test/sum': 2 });

    // A source param: the source, everything downstream of it.
    ws.write('study.yaml', study({ offset: '5', scale: '3' }));
    ws.runJson(file);
    assert.deepEqual(ws.takeRuns(), { 'test/source': 2, 'test/sum': 6 + 2, 'test/diff': 6 });
  } finally {
    ws.cleanup();
  }
});

test('adding a sweep value runs only the new instances; adding seeds computes only the new pairs', () => {
  const ws = new Workspace();
  try {
    const file = ws.write('study.yaml', study());
    ws.runJson(file);
    ws.takeRuns();

    ws.write('study.yaml', study({ a: '[100, 200, 700]' }));
    ws.runJson(file);
    // a=7: one source, 3 per-seed sums, 3 pairs, 1 fold.
    assert.deepEqual(ws.takeRuns(), { 'test/source': 1, 'test/sum': 3 + 1, 'test/diff': 3 });

    ws.write('study.yaml', study({ a: '[100, 200, 700]', seeds: '{ range: [0, 5] }' }));
    ws.runJson(file);
    // Seeds 3 and 4 for each a: 2 new per-seed sums; pairs among 5 seeds = 10, of which 3 existed: 7 new; every fold changes.
    assert.deepEqual(ws.takeRuns(), { 'test/sum': 3 * 2 + 3, 'test/diff': 3 * 7 });
  } finally {
    ws.cleanup();
  }
});

test('--set overrides a param and a sweep axis from the command line', () => {
  const ws = new Workspace();
  try {
    const file = ws.write('study.yaml', study());
    ws.runJson(file);
    ws.takeRuns();
    const r = ws.runJson(file, ['--set', 'fold.offset=9', '--set', 'sweep.a=[100]']);
    assert.equal(r.instances, 1 + 3 + 3 + 1);
    assert.deepEqual(ws.takeRuns(), { 'test/sum': 1 });
  } finally {
    ws.cleanup();
  }
});

test('keys do not change when the YAML is reordered, commented or writes numbers differently', () => {
  const ws = new Workspace();
  try {
    const file = ws.write('study.yaml', `name: stable
${pluginsLine()}
sweep:
  a: [0.001, 2]
stages:
  src: { uses: test/source, with: { x: $a, scale: 1e-3, label: "x" } }
  per: { uses: test/sum, needs: src, with: { offset: 0.5 } }
`);
    ws.runJson(file);
    const before = JSON.parse(ws.degen(['plan', file, '--json']).stdout) as { key: string }[];
    ws.takeRuns();
    ws.write('study.yaml', `# the same study, written differently
stages:
  per:
    with:
      offset: 5e-1   # a comment
    needs: [src]
    uses: test/sum
  src:
    with: { label: x, scale: 0.001, x: $a }
    uses: test/source
sweep:
  a: [1e-3, 2.0]
${pluginsLine()}
name: stable
`);
    const after = JSON.parse(ws.degen(['plan', file, '--json']).stdout) as { key: string; status: string }[];
    assert.deepEqual(after.map((p) => p.key).sort(), before.map((p) => p.key).sort());
    assert.ok(after.every((p) => p.status === 'cached'));
    assert.equal(ws.runJson(file).ran, 0);
  } finally {
    ws.cleanup();
  }
});

test('an upstream rerun that yields identical bytes does not invalidate its dependents', () => {
  const ws = new Workspace();
  try {
    // The label param changes the source's key but not its output.
    const make = (label: string): string => `name: same-bytes
${pluginsLine()}
stages:
  src: { uses: test/source, with: { x: 3, label: ${label} } }
  per: { uses: test/sum, needs: src }
`;
    const file = ws.write('study.yaml', make('one'));
    ws.runJson(file);
    ws.takeRuns();
    ws.write('study.yaml', make('two'));
    const r = ws.runJson(file);
    assert.equal(r.ran, 1);
    assert.equal(r.cached, 1);
    assert.deepEqual(ws.takeRuns(), { 'test/source': 1 });
  } finally {
    ws.cleanup();
  }
});
