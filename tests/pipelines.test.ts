import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Workspace } from './helpers/cli.js';
import { MAIN } from './helpers/cli.js';

const PIPELINES = resolve(MAIN, '..', '..', '..', 'pipelines');

for (const file of readdirSync(PIPELINES).filter((f) => f.endsWith('.yaml'))) {
  test(`pipelines/${file} is a valid study whose header says what it reproduces, its time and its paper-scale --set`, () => {
    const ws = new Workspace();
    try {
      const path = join(PIPELINES, file);
      const r = ws.degen(['validate', path]);
      assert.equal(r.code, 0, r.stderr);
      const header = readFileSync(path, 'utf8').split('\n').filter((l) => l.startsWith('#')).join('\n');
      assert.match(header, /Reproduces/);
      assert.match(header, /Time on a 2-core machine|minutes/);
      assert.match(header, /--set 'sweep\.seed=\{range: \[0, 50\]\}'/);
      assert.doesNotMatch(header, /TIME_/, 'the time placeholder was filled in');
    } finally {
      ws.cleanup();
    }
  });
}
