// `degen exec`: what one Slurm array element runs. Reads its part of a shard and runs those instances one
// after another against the shared cache, exactly as a local worker would; each writes its own record
// (failed ones too), which is how the driver learns the outcome. Exit 0 when every instance succeeded.
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { LocalStore } from '../cache/local-store.js';
import { executeJob } from '../exec/job.js';
import { logPath, readShard } from '../exec/slurm-shards.js';
import { coordsText } from '../graph/instances.js';
import { nonNegativeInt } from '../exec/slurm-options.js';
import { EXIT, type Io } from './common.js';

export interface ExecOptions {
  readonly cache: string;
  readonly shard: string;
  readonly index: number;
}

/** Progress lines in the element's log at most this often, so a long training run shows signs of life. */
const PROGRESS_EVERY_MS = 30_000;

export const parseIndex = nonNegativeInt('--index');

export async function execCommand(opts: ExecOptions, io: Io): Promise<number> {
  let shard;
  try {
    shard = readShard(opts.shard);
  } catch (e) {
    io.err(`degen exec: cannot read shard ${opts.shard}: ${(e as Error).message}`);
    return EXIT.badInput;
  }
  const jobs = shard.elements[opts.index];
  if (!jobs) {
    io.err(`degen exec: shard ${opts.shard} has elements 0 to ${shard.elements.length - 1}, not ${opts.index}`);
    return EXIT.badInput;
  }
  const store = new LocalStore(resolve(opts.cache));
  const { SLURM_ARRAY_JOB_ID: job, SLURM_ARRAY_TASK_ID: task, SLURM_JOB_ID: raw } = process.env;
  const facts = job !== undefined && task !== undefined
    ? { slurm_job: `${job}_${task}`, slurm_job_id: raw ?? '', log: logPath(shard.logs, job, Number(task)) }
    : { shard: resolve(opts.shard), index: opts.index };

  // Slurm sends SIGTERM at the time limit or on scancel, and SIGKILL a little later: stop cleanly meanwhile.
  const controller = new AbortController();
  const stop = (signal: string): void => {
    io.out(`degen exec: ${signal}; stopping`);
    controller.abort();
  };
  const onTerm = (): void => stop('SIGTERM');
  const onInt = (): void => stop('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);

  io.out(`degen exec: ${jobs.length} instance${jobs.length === 1 ? '' : 's'} of ${shard.study}/${shard.stage} on ${hostname()}${'slurm_job' in facts ? ` as slurm job ${facts.slurm_job}` : ''}`);
  let failed = 0;
  try {
    for (const [i, j] of jobs.entries()) {
      const label = `[${j.stage}] ${coordsText(j.coords)} (${i + 1}/${jobs.length})`;
      if (controller.signal.aborted) {
        io.out(`${label}: not started`);
        failed++;
        continue;
      }
      if (store.completeRecord(j.key)) {
        io.out(`${label}: cached already`);
        continue;
      }
      let shown = Date.now();
      const outcome = await executeJob(j, {
        store, executor: 'slurm', facts, signal: controller.signal,
        progress: (fraction, message) => {
          if (Date.now() - shown < PROGRESS_EVERY_MS) return;
          shown = Date.now();
          io.out(`${label}: ${(fraction * 100).toFixed(0)}%${message ? ` ${message}` : ''}`);
        },
      });
      switch (outcome.status) {
        case 'ok':
          io.out(`${label}: done in ${outcome.seconds.toFixed(1)}s`);
          break;
        case 'failed':
          failed++;
          io.out(`${label}: FAILED: ${outcome.error}`);
          break;
        case 'damaged':
          failed++;
          io.out(`${label}: an input is damaged: ${outcome.error}`);
          break;
        case 'interrupted':
          failed++;
          io.out(`${label}: interrupted`);
          break;
      }
    }
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
  }
  return failed > 0 ? EXIT.failed : EXIT.ok;
}
