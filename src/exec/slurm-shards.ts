// What the Slurm executor keeps under `<cache>/slurm/`: shards (the instances each array element runs),
// their batch scripts, the elements' logs, and a journal of submissions that a later driver reads to
// follow work that is still queued instead of submitting it again.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../cache/fsutil.js';
import type { CacheKey } from '../cache/key.js';
import type { InstanceJob } from './job.js';

export const SHARD_FORMAT = 'degen-shard/1';

/** One array job's work: element i runs `elements[i]`, one instance after another. */
export interface Shard {
  readonly format: typeof SHARD_FORMAT;
  readonly study: string;
  readonly stage: string;
  /** Where the elements' logs go, so that their records can name them. */
  readonly logs: string;
  readonly elements: readonly (readonly InstanceJob[])[];
}

/** One submitted array element. */
export interface Submission {
  /** Array job id. */
  readonly job: string;
  readonly task: number;
  /** The job name, checked before following a job id that may since have been reused. */
  readonly name: string;
  readonly stage: string;
  readonly keys: readonly CacheKey[];
  readonly log: string;
  readonly shard: string;
  readonly at: string;
}

export interface SlurmPaths {
  readonly shards: string;
  readonly logs: string;
  readonly journal: string;
}

export function slurmPaths(cacheDir: string): SlurmPaths {
  const root = join(cacheDir, 'slurm');
  return { shards: join(root, 'shards'), logs: join(root, 'logs'), journal: join(root, 'submitted.jsonl') };
}

export function logPath(logs: string, job: string, task: number): string {
  return join(logs, `${job}_${task}.out`);
}

/** Durable: compute nodes read it from the shared file system, possibly long after the driver died. */
export function writeShard(path: string, shard: Shard): void {
  writeFileAtomic(path, JSON.stringify(shard), true);
}

export function readShard(path: string): Shard {
  const shard = JSON.parse(readFileSync(path, 'utf8')) as Shard;
  if (shard.format !== SHARD_FORMAT) throw new Error(`${path} is not a degen shard (format ${JSON.stringify(shard.format)}, expected ${SHARD_FORMAT})`);
  return shard;
}

/** Whole lines with O_APPEND, as the study journal: concurrent drivers interleave lines, never bytes. */
export function appendSubmissions(path: string, entries: readonly Submission[]): void {
  if (entries.length === 0) return;
  mkdirSync(join(path, '..'), { recursive: true });
  appendFileSync(path, entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
}

/** Cache key -> its latest submission. */
export function readSubmissions(path: string): Map<CacheKey, Submission> {
  const latest = new Map<CacheKey, Submission>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return latest;
  }
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const s = JSON.parse(line) as Submission;
      for (const key of s.keys) latest.set(key, s);
    } catch { /* a torn last line from a killed driver */ }
  }
  return latest;
}
