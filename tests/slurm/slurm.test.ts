// `degen run --executor slurm` against a real single-node Slurm cluster (tests/slurm/cluster.sh), compared
// with local runs. The fixture stages count their runs in $DEGEN_TEST_COUNTER, which the array elements
// inherit from the driver's environment, so "ran exactly once" is counted across processes.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pluginsLine, Workspace } from '../helpers/cli.js';
import { degenAsync, elementState, ensureCluster, stopCluster, submissions, until } from './cluster.js';

const cluster = ensureCluster();
after(() => stopCluster(cluster));
const skip = cluster.skip;

/** Fast polling keeps the tests short; a real cluster wants the default 2 s. */
const FAST = ['--executor', 'slurm', '--poll-ms', '300'];

function objects(cache: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const root = join(cache, 'objects');
  for (const d of readdirSync(root)) for (const f of readdirSync(join(root, d))) out.set(f, readFileSync(join(root, d, f)));
  return out;
}

/** Some file two levels down (the cache fans records and objects out by their first two characters). */
function anyFile(dir: string): string {
  const sub = join(dir, readdirSync(dir)[0]!);
  return join(sub, readdirSync(sub)[0]!);
}

function planKeys(ws: Workspace, file: string, cache: string): { id: string; key: string; status: string }[] {
  const r = ws.degen(['plan', file, '--json', '--cache', cache]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { stage: string; coords: unknown; key: string; status: string }[])
    .map((p) => ({ id: `${p.stage} ${JSON.stringify(p.coords)}`, key: p.key, status: p.status }));
}

function events(file: string): { type: string; stage?: string; batch?: string; resumed?: boolean }[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** Runs recorded by the fixture stages, as one line per run: kind and params. */
function runs(ws: Workspace): string[] {
  if (!existsSync(ws.counter)) return [];
  return readFileSync(ws.counter, 'utf8').split('\n').filter(Boolean).map((l) => {
    const r = JSON.parse(l) as { kind: string; params: unknown };
    return `${r.kind} ${JSON.stringify(r.params)}`;
  });
}

function chain(n: number, sleepMs = 0): string {
  return `name: chain
${pluginsLine()}
sweep:
  i: { range: [0, ${n}] }
stages:
  src: { uses: test/source, with: { x: $i, scale: 1.5, sleep_ms: ${sleepMs} } }
  sum: { uses: test/sum, needs: src, with: { offset: 0.25 } }
  top: { uses: test/sum, needs: sum, over: i }
`;
}

const SLOW = `name: slow
${pluginsLine()}
stages:
  src: { uses: test/source, with: { sleep_ms: 600000 } }
`;

const FAILING = `name: failing
${pluginsLine()}
sweep:
  i: [1, 2, 3]
stages:
  src: { uses: test/source, with: { x: $i } }
  sum: { uses: test/sum, needs: src, with: { fail_if: 2 } }
  top: { uses: test/sum, needs: sum }
`;

const RETRIED = `name: retried
${pluginsLine()}
stages:
  src: { uses: test/source, with: { sleep_ms: 4000 } }
`;

// The TIMEOUT case waits a minute and a half for Slurm's time limit, on one of the cluster's two CPUs:
// it runs beside the other cases, which take turns on the other CPU.
describe('degen run --executor slurm', { concurrency: 2, skip }, () => {
  test('an element past its --time limit fails its instances with TIMEOUT and the log path', async () => {
    const ws = new Workspace();
    try {
      const file = ws.write('study.yaml', SLOW);
      // Slurm rounds the limit up to a minute and checks it about every 30 s: this takes 60 to 100 s.
      const r = await degenAsync(ws, ['run', file, ...FAST, '--time', '0:01', '--json'], 200_000);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const s = JSON.parse(r.stdout) as { failures: { error: string }[] };
      const [, log] = /^slurm job \d+_0 TIMEOUT \(TimeLimit\); log: (\S+)$/.exec(s.failures[0]!.error) ?? [];
      assert.ok(log, s.failures[0]!.error);
      assert.match(readFileSync(join(ws.dir, log), 'utf8'), /DUE TO TIME LIMIT/);
    } finally {
      ws.cleanup();
    }
  });

  test('a study run on Slurm gives the keys and output bytes of a local run; later stages go out as their inputs land; arrays split below the size limit', async () => {
    const ws = new Workspace();
    try {
      const file = ws.write('study.yaml', chain(12));
      const slurmCache = join(ws.dir, 'slurm-cache');
      const localCache = join(ws.dir, 'local-cache');
      const log = join(ws.dir, 'events.jsonl');
      const r = await degenAsync(ws, ['run', file, ...FAST, '--cache', slurmCache, '--pack', '2', '--max-array-size', '4', '--log', log]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /25 ran, 0 cached, 0 failed/);
      assert.equal(runs(ws).length, 25, 'every instance ran exactly once');
      ws.takeRuns();

      const local = ws.degen(['run', file, '--cache', localCache, '--jobs', '2', '--json']);
      assert.equal(local.code, 0, local.stderr);

      const onSlurm = planKeys(ws, file, slurmCache);
      const onLocal = planKeys(ws, file, localCache);
      assert.equal(onSlurm.length, 25);
      assert.deepEqual(onSlurm, onLocal, 'same instances, same keys, all cached in both caches');
      assert.ok(onSlurm.every((p) => p.status === 'cached'));
      const a = objects(slurmCache);
      const b = objects(localCache);
      assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), 'same object hashes');
      for (const [hash, bytes] of a) assert.ok(bytes.equals(b.get(hash)!), `object ${hash} has the same bytes`);
      assert.equal(ws.degen(['verify', '--cache', slurmCache]).code, 0);

      // Records name the array element and its log.
      const record = JSON.parse(readFileSync(anyFile(join(slurmCache, 'records')), 'utf8')) as { executor: string; facts: { slurm_job: string; log: string } };
      assert.equal(record.executor, 'slurm');
      assert.match(record.facts.slurm_job, /^\d+_\d+$/);
      assert.ok(existsSync(record.facts.log), `log ${record.facts.log} exists`);

      // 12 sources packed 2 per element are 6 elements: with at most 4 per array, two array jobs.
      const seen = events(log);
      const submitted = (stage: string): string[] => seen.filter((e) => e.type === 'batch-submitted' && e.stage === stage).map((e) => e.batch!);
      assert.equal(submitted('src').length, 2, `src split into two arrays: ${submitted('src').join(', ')}`);
      assert.equal(new Set(submitted('src')).size, 2);
      // A stage is submitted only once some of its inputs are done, never up front.
      const index = (pred: (e: { type: string; stage?: string }) => boolean): number => seen.findIndex(pred);
      assert.ok(index((e) => e.type === 'batch-submitted' && e.stage === 'sum') > index((e) => e.type === 'instance-done' && e.stage === 'src'));
      assert.ok(index((e) => e.type === 'batch-submitted' && e.stage === 'top') > seen.map((e) => e.type === 'instance-done' && e.stage === 'sum').lastIndexOf(true));
      assert.ok(seen.some((e) => e.type === 'stage-queue'), 'queue counts are reported');
    } finally {
      ws.cleanup();
    }
  });

  test('the study\'s slurm: block reaches sbatch, the command line overrides it, and sbatch\'s refusal exits 2 before anything runs', async () => {
    const ws = new Workspace();
    try {
      const file = ws.write('study.yaml', `name: opts
${pluginsLine()}
slurm:
  partition: nowhere
  sbatch_args: ["--comment=from-the-study"]
  pack: 3
stages:
  src: { uses: test/source }
`);
      let r = ws.degen(['run', file, '--executor', 'slurm']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^degen: sbatch rejects these options \(--partition=nowhere --comment=from-the-study\): .*invalid partition/);
      assert.deepEqual(runs(ws), []);
      r = await degenAsync(ws, ['run', file, ...FAST, '--partition', 'debug']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /up to 3 instances/);
      const job = submissions(ws)[0]!.job;
      const shown = spawnSync('squeue', ['-h', '-t', 'all', '-j', job, '-o', '%P %k'], { encoding: 'utf8' }).stdout.trim();
      assert.equal(shown, 'debug from-the-study');
    } finally {
      ws.cleanup();
    }
  });

  test('a failing instance on Slurm exits 1 naming its error and log; --keep-going runs the rest', async () => {
    const ws = new Workspace();
    try {
      const file = ws.write('study.yaml', FAILING);
      let r = await degenAsync(ws, ['run', file, ...FAST, '--pack', '2', '--json']);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const s = JSON.parse(r.stdout) as { failed: number; failures: { stage: string; error: string }[] };
      assert.equal(s.failed, 1);
      assert.equal(s.failures[0]!.stage, 'sum');
      const [, log] = /sum reached 2, which this test stage refuses \[slurm job \d+_\d+; log: (\S+)\]/.exec(s.failures[0]!.error) ?? [];
      assert.ok(log, s.failures[0]!.error);
      assert.match(readFileSync(join(ws.dir, log), 'utf8'), /FAILED: sum reached 2/);

      r = await degenAsync(ws, ['run', file, ...FAST, '--pack', '2', '--keep-going', '--json']);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const k = JSON.parse(r.stdout) as { ran: number; cached: number; failed: number; skipped: number };
      assert.equal(k.failed, 1);
      assert.equal(k.skipped, 1, 'top needs the failed sum');
      assert.equal(k.ran + k.cached + k.failed + k.skipped, 9);
    } finally {
      ws.cleanup();
    }
  });

  test('an element cancelled while running is submitted again with --retries, and the study completes', async () => {
    const ws = new Workspace();
    try {
      const file = ws.write('study.yaml', RETRIED);
      const driver = degenAsync(ws, ['run', file, ...FAST, '--pack', '1', '--retries', '1']);
      // The stage counts its run once it has started (squeue says RUNNING a little before).
      await until('the instance to start', () => runs(ws).length === 1);
      const victim = submissions(ws)[0]!;
      spawnSync('scancel', [`${victim.job}_${victim.task}`]);
      const r = await driver;
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`slurm job ${victim.job}_${victim.task} CANCELLED; log: \\S+; submitting it again \\(retry 1 of 1\\)`));
      assert.equal(runs(ws).length, 2, 'the cancelled instance ran again');
      const again = await degenAsync(ws, ['run', file, ...FAST, '--json']);
      assert.equal((JSON.parse(again.stdout) as { cached: number }).cached, 1);
    } finally {
      ws.cleanup();
    }
  });

  test('Ctrl-C stops the driver at once, leaves its jobs queued and says how to follow or cancel them; a rerun follows them', async () => {
    const ws = new Workspace();
    try {
      const file = ws.write('study.yaml', RETRIED.replace('name: retried', 'name: interrupted').replace('stages:', 'sweep:\n  i: [1, 2]\nstages:').replace('sleep_ms: 4000', 'x: $i, sleep_ms: 3000'));
      const driver = ws.spawn(['run', file, ...FAST, '--pack', '1', '--throttle', '1']);
      let stderr = '';
      driver.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      await until('an element to run', () => submissions(ws).some((s) => elementState(`${s.job}_${s.task}`) === 'RUNNING'));
      const t0 = Date.now();
      driver.kill('SIGINT');
      const [code] = (await once(driver, 'exit')) as [number];
      assert.equal(code, 130);
      assert.ok(Date.now() - t0 < 5000, `stopped in ${Date.now() - t0} ms`);
      const job = submissions(ws)[0]!.job;
      assert.match(stderr, new RegExp(`2 instances stay queued or running on Slurm in job ${job}\\. Run the same command again to follow them .* scancel ${job}`));
      assert.ok(['PENDING', 'RUNNING'].includes(elementState(`${job}_1`)), 'the jobs were left to run');

      const again = await degenAsync(ws, ['run', file, ...FAST, '--json']);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.equal(runs(ws).length, 2, 'each instance ran once');
      assert.equal(new Set(submissions(ws).map((s) => s.job)).size, 1, 'nothing was submitted again');
    } finally {
      ws.cleanup();
    }
  });

  test('a driver killed with SIGKILL and run again follows the queued and running elements: nothing runs twice', async () => {
    const ws = new Workspace();
    try {
      const file = ws.write('study.yaml', chain(6, 1500));
      // One element at a time, so that at the kill some elements run and others wait.
      const first = ws.spawn(['run', file, ...FAST, '--pack', '2', '--throttle', '1']);
      await until('the first wave to be queued and running', () => {
        const s = submissions(ws);
        return s.length === 3 && s.some((e) => elementState(`${e.job}_${e.task}`) === 'RUNNING');
      });
      first.kill('SIGKILL');
      await once(first, 'exit');
      const queued = submissions(ws).filter((e) => ['PENDING', 'RUNNING'].includes(elementState(`${e.job}_${e.task}`)));
      assert.ok(queued.length >= 2, `elements left queued or running: ${queued.length}`);

      const log = join(ws.dir, 'events.jsonl');
      const second = await degenAsync(ws, ['run', file, ...FAST, '--pack', '2', '--log', log]);
      assert.equal(second.code, 0, second.stdout + second.stderr);
      assert.match(second.stdout, /\[src\] following \d+ instances? in slurm job \d+/);
      const all = runs(ws);
      assert.equal(all.length, 13, `each of the 13 instances ran exactly once:\n${all.join('\n')}`);
      assert.equal(new Set(all.filter((l) => l.startsWith('test/source'))).size, 6, 'each source once');
      const srcJobs = new Set(submissions(ws).filter((s) => s.stage === 'src').map((s) => s.job));
      assert.equal(srcJobs.size, 1, 'the sources were submitted once, by the first driver');
      assert.ok(planKeys(ws, file, join(ws.dir, 'cache')).every((p) => p.status === 'cached'));
    } finally {
      ws.cleanup();
    }
  });
});
