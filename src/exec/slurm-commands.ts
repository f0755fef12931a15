// Talking to Slurm through its command-line clients (sbatch, squeue, scontrol, sinfo, scancel, sacct),
// which every site has, rather than through its REST API, which few enable.
import { execFile, spawnSync } from 'node:child_process';

export interface CommandResult {
  /** Exit code; -1 when the program could not be started (`missing` says whether it is absent). */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly missing: boolean;
}

const TIMEOUT_MS = 60_000;

export function commandSync(program: string, args: readonly string[]): CommandResult {
  const r = spawnSync(program, args, { encoding: 'utf8', timeout: TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error.message) : ''), missing };
}

export function command(program: string, args: readonly string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(program, args, { encoding: 'utf8', timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const e = error as (NodeJS.ErrnoException & { code?: number | string }) | null;
      const missing = e?.code === 'ENOENT';
      const code = e === null ? 0 : typeof e.code === 'number' ? e.code : -1;
      resolve({ code, stdout: stdout ?? '', stderr: stderr || (e && !missing && code === -1 ? e.message : ''), missing });
    });
  });
}

/** First line of a client's complaint, for messages. */
export function firstLine(r: CommandResult): string {
  return (r.stderr.trim() || r.stdout.trim()).split('\n')[0] ?? '';
}

/** The largest number of elements one array job may have here: MaxArraySize (largest index + 1) and max_array_tasks. */
export function parseArrayLimit(config: string): number | undefined {
  const max = /^MaxArraySize\s*=\s*(\d+)/m.exec(config);
  const tasks = /^SchedulerParameters\s*=.*\bmax_array_tasks=(\d+)/m.exec(config);
  const limits = [max?.[1], tasks?.[1]].filter((v): v is string => v !== undefined).map(Number);
  return limits.length ? Math.min(...limits) : undefined;
}

/** One array element as squeue shows it. */
export interface ElementRow {
  readonly array: string;
  readonly task: number;
  readonly state: string;
  readonly reason: string;
  readonly node: string;
  readonly name: string;
}

/** squeue format: array job id, task id, state, reason, node, job name (last: names may hold anything). */
export const SQUEUE_FORMAT = '%F|%K|%T|%r|%N|%j';

export function parseSqueue(text: string): ElementRow[] {
  const rows: ElementRow[] = [];
  for (const line of text.split('\n')) {
    const parts = line.split('|');
    if (parts.length < 6) continue;
    const [array, task, state, reason, node] = parts as [string, string, string, string, string];
    if (!/^\d+$/.test(task)) continue; // not an array element
    rows.push({ array: array.trim(), task: Number(task), state: state.trim(), reason: reason.trim(), node: node.trim(), name: parts.slice(5).join('|').trim() });
  }
  return rows;
}

/**
 * Every element of these array jobs still known to the controller, in any state (finished ones stay
 * listed for MinJobAge). An error when squeue itself failed, which says nothing about the jobs.
 */
export async function queryElements(arrays: readonly string[]): Promise<{ rows: ElementRow[] } | { error: string }> {
  const rows: ElementRow[] = [];
  for (let at = 0; at < arrays.length; at += 200) {
    const ids = arrays.slice(at, at + 200);
    const r = await command('squeue', ['-h', '-r', '-t', 'all', '-j', ids.join(','), '-o', SQUEUE_FORMAT]);
    // A single id the controller has forgotten is an error; several ids are filtered silently.
    if (r.code !== 0 && !/Invalid job id/i.test(r.stderr)) return { error: `squeue failed: ${firstLine(r)}` };
    rows.push(...parseSqueue(r.stdout));
  }
  return { rows };
}

/** Final states from accounting, where a site has it (`12_3` -> `TIMEOUT`); empty without slurmdbd. */
export async function accountingStates(elements: readonly string[]): Promise<Map<string, string>> {
  const states = new Map<string, string>();
  if (elements.length === 0) return states;
  const r = await command('sacct', ['-n', '-P', '-X', '-j', elements.join(','), '-o', 'JobID,State']);
  if (r.code !== 0) return states;
  for (const line of r.stdout.split('\n')) {
    const [id, state] = line.split('|');
    // `CANCELLED by 0` -> CANCELLED
    if (id && state) states.set(id.trim(), state.trim().split(' ')[0]!);
  }
  return states;
}

/** Slurm job states after which an element runs no more. Everything else (PENDING, RUNNING, COMPLETING, ...) may still write records. */
export const ENDED = new Set(['BOOT_FAIL', 'CANCELLED', 'COMPLETED', 'DEADLINE', 'FAILED', 'NODE_FAIL', 'OUT_OF_MEMORY', 'PREEMPTED', 'TIMEOUT', 'REVOKED', 'SPECIAL_EXIT']);

/** The job id sbatch --parsable printed (`12`, or `12;cluster` on multi-cluster sites). */
export function parseJobId(stdout: string): string | undefined {
  return /^\s*(\d+)/.exec(stdout)?.[1];
}

/** sbatch errors worth trying again: a busy or briefly unreachable controller. */
export function transient(message: string): boolean {
  return /temporarily unavailable|timed out|try again|connection refused|unable to contact|slurm_receive_msg/i.test(message);
}
