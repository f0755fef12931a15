// The Slurm executor's settings and its refusals, none of which needs a running cluster: bad options are
// reported before anything is asked of Slurm, and a machine without Slurm gets a sentence, not a stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pluginsLine, Workspace } from '../helpers/cli.js';
import { parseArrayLimit, parseSqueue } from '../../src/exec/slurm-commands.js';

const P = pluginsLine();
const STAGES = 'stages:\n  src: { uses: test/source }\n';

test('a bad slurm: block is reported at its lines with the key and what was expected; exit 2', () => {
  const ws = new Workspace();
  try {
    ws.write('study.yaml', `name: x\n${P}\nslurm:\n  pack: 0\n  tme: 10\n  time: ten minutes\n  sbatch_args: --qos=long\n  mem: 4G\n${STAGES}`);
    const r = ws.degen(['run', 'study.yaml', '--executor', 'slurm']);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(r.stderr.includes('study.yaml:4:9: error [bad-value] slurm.pack: expected a whole number >= 1, found number 0'), r.stderr);
    assert.ok(r.stderr.includes('study.yaml:5:3: error [unknown-key] slurm.tme: unknown Slurm option "tme"'), r.stderr);
    assert.ok(r.stderr.includes('study.yaml:6:9: error [bad-value] slurm.time: expected a Slurm time limit'), r.stderr);
    assert.ok(r.stderr.includes('study.yaml:7:16: error [bad-value] slurm.sbatch_args: expected a list of sbatch flags'), r.stderr);
    assert.ok(!r.stderr.includes('slurm.mem'), 'a good key is not reported');
    assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
  } finally {
    ws.cleanup();
  }
});

test('bad Slurm options on the command line exit 2 with what was expected', () => {
  const ws = new Workspace();
  try {
    ws.write('study.yaml', `name: x\n${P}\n${STAGES}`);
    for (const [args, says] of [
      [['--pack', '0'], '--pack expects a whole number >= 1, got "0"'],
      [['--time', '5 minutes'], '--time expects a Slurm time limit'],
      [['--mem', 'lots'], '--mem expects memory per node'],
      [['--retries', '-1'], '--retries expects a whole number >= 0'],
    ] as const) {
      const r = ws.degen(['run', 'study.yaml', '--executor', 'slurm', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.includes(says), `${args.join(' ')}: ${r.stderr}`);
    }
    const local = ws.degen(['run', 'study.yaml', '--pack', '4', '--partition', 'short']);
    assert.equal(local.code, 2);
    assert.match(local.stderr, /--partition, --pack apply only to --executor slurm/);
  } finally {
    ws.cleanup();
  }
});

test('without Slurm on PATH, --executor slurm exits 2 and says what is missing', () => {
  const ws = new Workspace();
  try {
    ws.write('study.yaml', `name: x\n${P}\n${STAGES}`);
    const r = ws.degen(['run', 'study.yaml', '--executor', 'slurm'], { PATH: '/nonexistent' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^degen: the slurm executor needs Slurm's commands \(sinfo, sbatch, squeue\), which are not on PATH/);
    assert.equal(r.stdout, '');
  } finally {
    ws.cleanup();
  }
});

const hasSinfo = spawnSync('sinfo', ['--version']).error === undefined;

test('when sinfo cannot read the cluster configuration, --executor slurm exits 2 with its complaint', { skip: hasSinfo ? undefined : 'sinfo is not installed' }, () => {
  const ws = new Workspace();
  try {
    ws.write('study.yaml', `name: x\n${P}\n${STAGES}`);
    const conf = ws.write('slurm.conf', 'not a slurm configuration\n');
    const r = ws.degen(['run', 'study.yaml', '--executor', 'slurm'], { SLURM_CONF: conf });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^degen: sinfo failed, so the Slurm controller cannot be reached: .*Parse error/);
  } finally {
    ws.cleanup();
  }
});

test('degen exec refuses a missing shard or an index past its elements with exit 2', () => {
  const ws = new Workspace();
  try {
    let r = ws.degen(['exec', '--cache', 'cache', '--shard', 'nope.json', '--index', '0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read shard nope\.json/);
    ws.write('shard.json', JSON.stringify({ format: 'degen-shard/1', study: 'x', stage: 's', logs: ws.dir, elements: [[]] }));
    r = ws.degen(['exec', '--cache', 'cache', '--shard', 'shard.json', '--index', '3']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /has elements 0 to 0, not 3/);
  } finally {
    ws.cleanup();
  }
});

test('the array limit is the smaller of MaxArraySize and max_array_tasks; squeue rows of array elements are read', () => {
  assert.equal(parseArrayLimit('MaxArraySize            = 1001\nMaxJobCount = 10000\nSchedulerParameters     = batch_sched_delay=0,bf_interval=5\n'), 1001);
  assert.equal(parseArrayLimit('MaxArraySize = 40001\nSchedulerParameters = bf_continue,max_array_tasks=1000,bf_window=4320\n'), 1000);
  assert.equal(parseArrayLimit('nothing here'), undefined);
  assert.deepEqual(parseSqueue('26|0|COMPLETED|None|vm|degen-x-train\n26|3|PENDING|JobArrayTaskLimit||degen-x-train\n27|N/A|RUNNING|None|vm|other\n'), [
    { array: '26', task: 0, state: 'COMPLETED', reason: 'None', node: 'vm', name: 'degen-x-train' },
    { array: '26', task: 3, state: 'PENDING', reason: 'JobArrayTaskLimit', node: '', name: 'degen-x-train' },
  ]);
});
