import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pluginsLine, Workspace } from '../helpers/cli.js';

function slowStudy(n: number, ms: number): string {
  return `name: slow
${pluginsLine()}
sweep:
  i: { range: [0, ${n}] }
stages:
  src: { uses: test/source, with: { x: $i, sleep_ms: ${ms} } }
  sum: { uses: test/sum, needs: src, with: { sleep_ms: ${ms} } }
`;
}

async function waitForRuns(ws: Workspace, atLeast: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    try {
      if (readFileSync(ws.counter, 'utf8').split('\n').filter(Boolean).length >= atLeast) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the run did not start');
}

test('a run killed with SIGKILL mid-way leaves a cache that verify accepts, and the next run finishes the study', async () => {
  const ws = new Workspace();
  try {
    const file = ws.write('study.yaml', slowStudy(30, 60));
    const child = ws.spawn(['run', file, '--jobs', '2']);
    await waitForRuns(ws, 12);
    child.kill('SIGKILL');
    await once(child, 'exit');

    const verify = ws.degen(['verify', '--json']);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const report = JSON.parse(verify.stdout) as { ok: boolean; damaged: unknown[]; brokenRecords: unknown[] };
    assert.equal(report.ok, true);

    const done = ws.runJson(file);
    assert.equal(done.ran + done.cached, 60);
    assert.ok(done.cached >= 5, `work recorded before the kill is kept (cached ${done.cached})`);
    assert.equal(ws.runJson(file).ran, 0);
    assert.equal(ws.degen(['verify']).code, 0);
  } finally {
    ws.cleanup();
  }
});

test('Ctrl-C (SIGINT) stops a run within a few seconds and the next run completes it', async () => {
  const ws = new Workspace();
  try {
    const file = ws.write('study.yaml', slowStudy(40, 200));
    const child = ws.spawn(['run', file, '--jobs', '2']);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitForRuns(ws, 2);
    const t0 = Date.now();
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number];
    assert.ok(Date.now() - t0 < 5000, `stopped in ${Date.now() - t0} ms`);
    assert.equal(code, 130);
    assert.match(stderr, /interrupted/);
    const rest = ws.runJson(file);
    assert.equal(rest.ran + rest.cached, 80);
    assert.equal(ws.degen(['verify']).code, 0);
  } finally {
    ws.cleanup();
  }
});

test('two runs on one study and cache at once never compute the same instance twice', async () => {
  const ws = new Workspace();
  try {
    const file = ws.write('study.yaml', slowStudy(16, 80));
    const a = ws.spawn(['run', file, '--jobs', '2', '--json']);
    const b = ws.spawn(['run', file, '--jobs', '2', '--json']);
    let outA = '';
    let outB = '';
    a.stdout!.on('data', (d: Buffer) => (outA += d.toString()));
    b.stdout!.on('data', (d: Buffer) => (outB += d.toString()));
    const [[codeA], [codeB]] = (await Promise.all([once(a, 'exit'), once(b, 'exit')])) as [[number], [number]];
    assert.equal(codeA, 0);
    assert.equal(codeB, 0);
    const runs = readFileSync(ws.counter, 'utf8').split('\n').filter(Boolean).map((l) => JSON.stringify(JSON.parse(l).params) + JSON.parse(l).kind);
    assert.equal(runs.length, 32, 'each of the 32 instances ran exactly once across both runs');
    assert.equal(new Set(runs.filter((r) => r.includes('source'))).size, 16);
    const ra = JSON.parse(outA) as { ran: number; cached: number };
    const rb = JSON.parse(outB) as { ran: number; cached: number };
    assert.equal(ra.ran + rb.ran, 32);
    assert.equal(ra.ran + ra.cached, 32);
    assert.equal(rb.ran + rb.cached, 32);
    assert.ok(ra.ran > 0 && rb.ran > 0, `both runs shared the work (${ra.ran} / ${rb.ran})`);
    assert.equal(ws.degen(['verify']).code, 0);
  } finally {
    ws.cleanup();
  }
});

test('a damaged cached object is caught on read, recomputed with a warning, and verify reports it before that', () => {
  const ws = new Workspace();
  try {
    const file = ws.write('study.yaml', slowStudy(2, 0));
    ws.runJson(file);
    ws.takeRuns();
    // Flip one byte of every object (same size, so only the hash check can notice).
    const objects = join(ws.dir, 'cache', 'objects');
    for (const d of readdirSync(objects)) {
      for (const f of readdirSync(join(objects, d))) {
        const p = join(objects, d, f);
        const bytes = readFileSync(p);
        bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 0xff;
        writeFileSync(p, bytes);
      }
    }
    const verify = ws.degen(['verify']);
    assert.equal(verify.code, 1);
    assert.match(verify.stdout, /damaged: .*\.arrow/);
    // The study is cached by record, but its dependents read the sources' damaged outputs.
    const r = ws.degen(['run', file, '--set', 'sum.sleep_ms=1']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /damaged.*recomputing src/);
    // Each sum first found its input damaged, then ran again once the source was recomputed.
    assert.deepEqual(ws.takeRuns(), { 'test/source': 2, 'test/sum': 4 });
    const values = JSON.parse(ws.degen(['results', file, '--stage', 'sum', '--format', 'json', '--set', 'sum.sleep_ms=1']).stdout) as { i: number; value: number }[];
    assert.deepEqual(values.map((v) => [v.i, v.value]), [[0, 0], [1, 1]]);
    assert.equal(ws.degen(['verify']).code, 0);
  } finally {
    ws.cleanup();
  }
});

test('a failing instance exits 1, skips its dependents, and --keep-going runs the rest', () => {
  const ws = new Workspace();
  try {
    const file = ws.write('study.yaml', `name: failing
${pluginsLine()}
sweep:
  i: [1, 2, 3]
stages:
  src: { uses: test/source, with: { x: $i } }
  sum: { uses: test/sum, needs: src, with: { fail_if: 2 } }
  top: { uses: test/sum, needs: sum }
`);
    let r = ws.degen(['run', file, '--jobs', '1', '--json']);
    assert.equal(r.code, 1);
    const s = JSON.parse(r.stdout) as { failed: number; skipped: number; failures: { error: string }[] };
    assert.equal(s.failed, 1);
    assert.match(s.failures[0]!.error, /sum reached 2/);
    r = ws.degen(['run', file, '--keep-going', '--json']);
    assert.equal(r.code, 1);
    const k = JSON.parse(r.stdout) as { ran: number; failed: number; skipped: number; cached: number };
    assert.equal(k.failed, 1);
    assert.equal(k.skipped, 1);
    assert.equal(k.ran + k.cached + k.failed + k.skipped, 9);
    const plan = ws.degen(['plan', file, '--explain']);
    assert.match(plan.stdout, /failed last time: sum reached 2/);
  } finally {
    ws.cleanup();
  }
});
