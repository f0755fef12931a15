import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tableFromIPC } from 'apache-arrow';
import { FIXTURE_STAGES, MAIN, pluginsLine, Workspace } from '../helpers/cli.js';

/** A one-stage plugin module whose code the test can edit. */
function tinyPlugin(note: string): string {
  const arrow = pathToFileURL(join(MAIN, '..', 'arrow.js')).href;
  return `import { rowsToTable, scalarSchema } from ${JSON.stringify(arrow)};
const schema = scalarSchema({ value: 'float64' });
// ${note}
export const tiny = {
  name: 'test/tiny', version: 1, module: import.meta.url, description: 'x * scale',
  params: { type: 'object', additionalProperties: false, properties: { x: { type: 'number', default: 0 }, scale: { type: 'number', default: 1 } } },
  outputs: { value: schema },
  async run(ctx) { return { value: rowsToTable(schema, [{ value: ctx.params.x * ctx.params.scale }]) }; },
};
`;
}

const study = (scale: number, seeds = '[0, 1]', plugin = pluginsLine()): string => `name: commands
${plugin}
sweep:
  seed: ${seeds}
stages:
  src:  { uses: test/source, with: { x: $seed, scale: ${scale} } }
  per:  { uses: test/sum, needs: src }
  pair: { uses: test/diff, needs: per, pairs: seed }
`;

test('plan --explain names the key component that changed, old -> new', () => {
  const ws = new Workspace();
  try {
    const plugin = ws.write('tiny.js', tinyPlugin('first version'));
    const plugins = `plugins: [./tiny.js, ${JSON.stringify(FIXTURE_STAGES)}]`;
    const file = ws.write('study.yaml', study(2, '[0, 1]', plugins).replace('test/source', 'test/tiny'));
    let plan = JSON.parse(ws.degen(['plan', file, '--json', '--explain']).stdout) as { stage: string; status: string; reasons: string[]; key: string | null }[];
    assert.equal(plan.length, 5);
    assert.deepEqual(plan.filter((p) => p.stage === 'src').map((p) => p.reasons), [['new instance'], ['new instance']]);
    assert.deepEqual(plan.find((p) => p.stage === 'per')!.reasons, ['inputs.src: upstream will run first']);
    assert.equal(plan.find((p) => p.stage === 'per')!.key, null);
    ws.runJson(file);

    ws.write('study.yaml', study(3, '[0, 1, 2]', plugins).replace('test/source', 'test/tiny'));
    const text = ws.degen(['plan', file, '--explain']);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /run +[0-9a-f]{12}  src  seed=0\n +params\.scale: 2 -> 3/);
    assert.match(text.stdout, /src  seed=2\n +new instance/);
    assert.match(text.stdout, /9 instances: 0 cached, 9 to run/);
    ws.runJson(file);

    ws.takeRuns();
    writeFileSync(plugin, tinyPlugin('second version'));
    plan = JSON.parse(ws.degen(['plan', file, '--json', '--explain']).stdout);
    const src = plan.filter((p) => p.stage === 'src');
    assert.equal(src.length, 3);
    for (const p of src) assert.deepEqual(p.reasons, [`code: ${plugin} changed`]);
    // The new code gives the same bytes, so nothing downstream reruns.
    const r = ws.runJson(file);
    assert.equal(r.ran, 3);
    assert.equal(r.cached, 9 - 3);
    assert.deepEqual(ws.takeRuns(), {});
  } finally {
    ws.cleanup();
  }
});

test('results prints coordinates and scalar outputs as a table, CSV, JSON and Arrow', () => {
  const ws = new Workspace();
  try {
    const file = ws.write('study.yaml', study(10));
    ws.runJson(file);
    const table = ws.degen(['results', file, '--stage', 'pair']);
    assert.equal(table.code, 0);
    assert.match(table.stdout, /seed_a +seed_b +value\n[- ]+\n0 +1 +10/);
    const csv = ws.degen(['results', file, '--stage', 'per', '--format', 'csv']);
    assert.equal(csv.stdout.trim(), 'seed,value\n0,0\n1,10');
    const json = JSON.parse(ws.degen(['results', file, '--stage', 'per', '--format', 'json']).stdout) as unknown[];
    assert.deepEqual(json, [{ seed: 0, value: 0 }, { seed: 1, value: 10 }]);
    const out = join(ws.dir, 'per.arrow');
    assert.equal(ws.degen(['results', file, '--stage', 'per', '--format', 'arrow', '-o', out]).code, 0);
    const t = tableFromIPC(readFileSync(out));
    assert.equal(t.numRows, 2);
    assert.deepEqual(t.schema.fields.map((f) => f.name), ['seed', 'value']);
    const missing = ws.degen(['results', file, '--stage', 'pair', '--set', 'sweep.seed=[0, 1, 5]']);
    assert.match(missing.stderr, /2 of 3 instances of pair are not computed yet/);
    const picked = ws.degen(['results', file, '--stage', 'pair', '--columns', 'value,seed_b', '--format', 'csv']);
    assert.equal(picked.stdout.trim(), 'value,seed_b\n10,1');
    const unknownColumn = ws.degen(['results', file, '--stage', 'pair', '--columns', 'valeu']);
    assert.equal(unknownColumn.code, 2);
    assert.match(unknownColumn.stderr, /no column "valeu" in pair; columns: seed_a, seed_b, value/);
    const bad = ws.degen(['results', file, '--stage', 'nope']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /no stage named "nope".*stages: src, per, pair/);
  } finally {
    ws.cleanup();
  }
});

test('dag prints the stage graph as Mermaid and as DOT', () => {
  const ws = new Workspace();
  try {
    const file = ws.write('study.yaml', study(1));
    const mermaid = ws.degen(['dag', file]);
    assert.match(mermaid.stdout, /^flowchart LR/);
    assert.match(mermaid.stdout, /per --> pair/);
    assert.match(mermaid.stdout, /pair\["pair<br\/>test\/diff pairs seed<br\/>1 instance"\]/);
    const dot = ws.degen(['dag', file, '--format', 'dot']);
    assert.match(dot.stdout, /digraph "commands" \{/);
    assert.match(dot.stdout, /"src" -> "per";/);
  } finally {
    ws.cleanup();
  }
});

test('gc deletes what none of the named studies reaches and reports the bytes freed', () => {
  const ws = new Workspace();
  try {
    const file = ws.write('study.yaml', study(1, '[0, 1, 2]'));
    ws.runJson(file);
    ws.write('study.yaml', study(1, '[0, 1]'));
    const dry = JSON.parse(ws.degen(['gc', file, '--dry-run', '--json']).stdout) as { records: number; bytes: number };
    // seed=2: src, per and the pairs (0,2) and (1,2).
    assert.equal(dry.records, 4);
    assert.ok(dry.bytes > 0);
    const real = ws.degen(['gc', file]);
    assert.equal(real.code, 0);
    assert.match(real.stdout, /removed 4 records and \d+ objects, [\d.]+ KiB freed/);
    const after = ws.runJson(file);
    assert.equal(after.ran, 0);
    ws.write('study.yaml', study(1, '[0, 1, 2]'));
    assert.equal(ws.runJson(file).ran, 4);
    assert.equal(ws.degen(['verify']).code, 0);
    assert.ok(existsSync(join(ws.dir, 'cache', 'objects')));
  } finally {
    ws.cleanup();
  }
});

test('--cache and $DEGEN_CACHE choose where results go', () => {
  const ws = new Workspace();
  try {
    const file = ws.write('study.yaml', study(1));
    const other = join(ws.dir, 'elsewhere');
    assert.equal(ws.runJson(file, ['--cache', other]).ran, 5);
    assert.ok(existsSync(join(other, 'records')));
    assert.equal(ws.runJson(file).ran, 5, 'the default cache ($DEGEN_CACHE here) is separate');
    assert.equal(ws.runJson(file, ['--cache', other]).ran, 0);
  } finally {
    ws.cleanup();
  }
});

test('studies can share stage settings through x- anchors and merge keys', () => {
  const ws = new Workspace();
  try {
    const file = ws.write('study.yaml', `name: anchors
${pluginsLine()}
x-source: &source { uses: test/source, with: { scale: 2 } }
sweep:
  a: [1, 2]
stages:
  one: { <<: *source }
  two: { <<: *source, with: { x: $a, scale: 3 } }
`);
    const plan = JSON.parse(ws.degen(['plan', file, '--json']).stdout) as { stage: string }[];
    assert.deepEqual(plan.map((p) => p.stage), ['one', 'two', 'two']);
    const values = JSON.parse(ws.degen(['run', file, '--json']).stdout) as { ran: number };
    assert.equal(values.ran, 3);
    const two = JSON.parse(ws.degen(['results', file, '--stage', 'two', '--format', 'json']).stdout) as { value: number }[];
    assert.deepEqual(two.map((r) => r.value), [3, 6]);
  } finally {
    ws.cleanup();
  }
});

test('results shows a stage\'s own table with intervals and counts, and takes a stage kind for every stage of it', () => {
  const ws = new Workspace();
  try {
    const file = ws.write('study.yaml', `name: presented
${pluginsLine()}
sweep:
  c: [1.5, 10]
stages:
  first:  { uses: test/interval, with: { centre: $c } }
  second: { uses: test/interval, with: { centre: 7 } }
`);
    ws.runJson(file);
    const one = ws.degen(['results', file, '--stage', 'first']);
    assert.match(one.stdout, /c +ok +estimate \(95% CI\)\n[- ]+\n1\.5 +3\/4 +1\.5 \[1, 2\]\n10 +3\/4 +10 \[9\.5, 10\.5\]/);
    const all = ws.degen(['results', file, '--stage', 'test/interval', '--format', 'csv']);
    assert.equal(all.stdout.trim().split('\n')[0], 'stage,c,estimate,lo,hi,good,total');
    assert.equal(all.stdout.trim().split('\n').length, 4);
    assert.match(all.stdout, /\nsecond,,7,6\.5,7\.5,3,4/);
  } finally {
    ws.cleanup();
  }
});
