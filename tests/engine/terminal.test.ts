// The live (listr2) view, as a user sees it in a terminal: the run is driven through `script`, which gives
// the CLI a pseudo-terminal, so stdout.isTTY is true as in an interactive shell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { MAIN, pluginsLine, Workspace } from '../helpers/cli.js';

const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

/** Runs `degen run FILE` in a pseudo-terminal of 120 columns; returns its exit code and text, escapes removed. */
function runInTerminal(ws: Workspace, file: string): { code: number; text: string } {
  const command = `stty cols 120 rows 40; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN)} run ${JSON.stringify(file)}`;
  const r = spawnSync('script', ['-qefc', command, '/dev/null'], { cwd: ws.dir, env: ws.env(), encoding: 'utf8', timeout: 60_000 });
  const text = r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '\n');
  return { code: r.status ?? -1, text };
}

test('in a terminal the live view shows every stage, finishes, and ends with the run summary, also when all is cached', { skip: hasScript ? false : 'script (util-linux) is not installed' }, () => {
  const ws = new Workspace();
  try {
    const file = ws.write('study.yaml', `name: terminal
${pluginsLine()}
sweep:
  seed: [0, 1, 2]
stages:
  src: { uses: test/source, with: { x: $seed } }
  per: { uses: test/sum, needs: src }
`);
    const first = runInTerminal(ws, file);
    assert.equal(first.code, 0, first.text);
    assert.match(first.text, /src \(test\/source\)\s+3 done, 0 cached \/ 3/);
    assert.match(first.text, /per \(test\/sum\)\s+3 done, 0 cached \/ 3/);
    assert.match(first.text, /degen: 6 ran, 0 cached, 0 failed, 0 skipped of 6/);

    // Every instance cached: the run is over before the view has started its rows; it must still end.
    const cached = runInTerminal(ws, file);
    assert.equal(cached.code, 0, cached.text);
    assert.match(cached.text, /per \(test\/sum\)\s+0 done, 3 cached \/ 3/);
    assert.match(cached.text, /degen: 0 ran, 6 cached, 0 failed, 0 skipped of 6/);
  } finally {
    ws.cleanup();
  }
});
