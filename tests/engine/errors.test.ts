import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pluginsLine, Workspace } from '../helpers/cli.js';

interface Case {
  readonly name: string;
  readonly body: string;
  /** file:line:col prefix, the key path and words the message must hold. */
  readonly at: string;
  readonly path: string;
  readonly says: readonly string[];
}

const P = pluginsLine();
const cases: readonly Case[] = [
  { name: 'YAML syntax', body: `name: x\n${P}\nstages:\n  a: { uses: test/source, with: [1, 2 }\n`, at: ':4:', path: '', says: ['yaml-syntax'] },
  { name: 'unknown top-level key', body: `name: x\n${P}\nstagez: {}\nstages:\n  a: { uses: test/source }\n`, at: ':3:1:', path: 'stagez', says: ['unknown top-level key', 'expected one of'] },
  { name: 'unknown stage key', body: `name: x\n${P}\nstages:\n  a:\n    uses: test/source\n    neds: [b]\n`, at: ':6:5:', path: 'stages.a.neds', says: ['unknown stage key "neds"', 'needs'] },
  { name: 'unknown stage kind', body: `name: x\n${P}\nstages:\n  a: { uses: test/sorce }\n`, at: ':4:14:', path: 'stages.a.uses', says: ['unknown stage kind "test/sorce"', 'test/source', 'task/flipflop'] },
  { name: 'needs naming a missing stage', body: `name: x\n${P}\nstages:\n  a: { uses: test/source }\n  b: { uses: test/sum, needs: [a, c] }\n`, at: ':5:35:', path: 'stages.b.needs[1]', says: ['"c"', 'no stage of that name'] },
  { name: 'dependency cycle', body: `name: x\n${P}\nstages:\n  a: { uses: test/sum, needs: c }\n  b: { uses: test/sum, needs: a }\n  c: { uses: test/sum, needs: b }\n`, at: ':4:', path: 'stages.a.needs', says: ['cycle', 'a -> b -> c -> a'] },
  { name: '$axis not in sweep', body: `name: x\n${P}\nsweep:\n  seed: [1, 2]\nstages:\n  a: { uses: test/source, with: { x: $sed } }\n`, at: ':6:38:', path: 'stages.a.with.x', says: ['$sed is not a sweep axis', 'seed'] },
  { name: 'wrong param type', body: `name: x\n${P}\nstages:\n  a:\n    uses: test/source\n    with:\n      scale: "big"\n`, at: ':7:14:', path: 'stages.a.with.scale', says: ['expected number', 'string "big"'] },
  { name: 'out-of-range value', body: `name: x\n${P}\nstages:\n  a:\n    uses: test/source\n    with:\n      sleep_ms: -3\n`, at: ':7:17:', path: 'stages.a.with.sleep_ms', says: ['>= 0', '-3'] },
  { name: 'unknown param', body: `name: x\n${P}\nstages:\n  a:\n    uses: test/source\n    with:\n      sclae: 2\n`, at: ':7:7:', path: 'stages.a.with.sclae', says: ['unknown param "sclae"', 'scale'] },
  { name: 'wrong type arriving through a sweep axis', body: `name: x\n${P}\nsweep:\n  s: [1, "two"]\nstages:\n  a: { uses: test/source, with: { scale: $s } }\n`, at: ':4:10:', path: 'stages.a.with.scale', says: ['$s', 'expected number'] },
  { name: 'empty sweep axis', body: `name: x\n${P}\nsweep:\n  seed: []\nstages:\n  a: { uses: test/source, with: { x: $seed } }\n`, at: ':4:9:', path: 'sweep.seed', says: ['no values'] },
  { name: 'a bad slurm: block', body: `name: x\n${P}\nslurm:\n  pack: many\nstages:\n  a: { uses: test/source }\n`, at: ':4:9:', path: 'slurm.pack', says: ['expected a whole number', '"many"'] },
  { name: 'sweep past the instance limit', body: `name: x\n${P}\nsweep:\n  a: { range: [0, 100000] }\n  b: { range: [0, 100000] }\nstages:\n  s: { uses: test/source, with: { x: $a, scale: $b } }\n`, at: ':', path: 'sweep', says: ['10,000,000,000 instances', 'limit of 100,000'] },
];

for (const c of cases) {
  test(`validate reports ${c.name} with file, line, key and expectation; exit 2, no stack trace`, () => {
    const ws = new Workspace();
    try {
      ws.write('bad.yaml', c.body);
      const r = ws.degen(['validate', 'bad.yaml']);
      assert.equal(r.code, 2, r.stderr);
      assert.ok(r.stderr.includes(`bad.yaml${c.at}`), `location ${c.at} in:\n${r.stderr}`);
      if (c.path) assert.ok(r.stderr.includes(` ${c.path}:`), `key path ${c.path} in:\n${r.stderr}`);
      for (const s of c.says) assert.ok(r.stderr.includes(s), `"${s}" in:\n${r.stderr}`);
      assert.ok(/\n \d+ \| .*\n\s+\| *\^+/.test(r.stderr), `offending line underlined in:\n${r.stderr}`);
      assert.ok(!/\n\s+at /.test(r.stderr), `no stack trace in:\n${r.stderr}`);
      // run refuses the same file the same way, before doing anything.
      const run = ws.degen(['run', 'bad.yaml']);
      assert.equal(run.code, 2);
      assert.equal(ws.takeRuns()['test/source'], undefined);
    } finally {
      ws.cleanup();
    }
  });
}

test('a --set naming no stage, and a bad --set value, are errors that name the override', () => {
  const ws = new Workspace();
  try {
    ws.write('ok.yaml', `name: x\n${P}\nstages:\n  a: { uses: test/source }\n`);
    let r = ws.degen(['validate', 'ok.yaml', '--set', 'b.x=1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--set b\.x=1/);
    assert.match(r.stderr, /no stage named b/);
    r = ws.degen(['validate', 'ok.yaml', '--set', 'a.scale=-1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /stages\.a\.with\.scale: expected a value >= 0/);
    assert.match(r.stderr, /--set a\.scale=-1/);
  } finally {
    ws.cleanup();
  }
});

test('a missing study file and bad options exit 2 with a message', () => {
  const ws = new Workspace();
  try {
    let r = ws.degen(['run', 'nope.yaml']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nope\.yaml: error \[io\] cannot read study file: no such file/);
    ws.write('ok.yaml', `name: x\n${P}\nstages:\n  a: { uses: test/source }\n`);
    r = ws.degen(['run', 'ok.yaml', '--jobs', 'zero']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--jobs expects a whole number/);
  } finally {
    ws.cleanup();
  }
});
