// The single-node test cluster (tests/slurm/cluster.sh) as the Slurm tests use it: started when it is
// not running (and then stopped again by whoever started it), found through SLURM_CONF.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliResult, Workspace } from '../helpers/cli.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The script lives in the source tree, not in dist/. */
export const CLUSTER_SH = resolve(here, '..', '..', '..', 'tests', 'slurm', 'cluster.sh');

function has(program: string): boolean {
  return (spawnSync(program, ['--version'], { stdio: 'ignore' }).error as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT';
}

export interface Cluster {
  /** Why the tests cannot run here (outside CI only); undefined when the cluster is up. */
  readonly skip?: string;
  /** Whether these tests started it, and so must stop it. */
  readonly started: boolean;
}

/**
 * Makes sure the cluster runs and exports its SLURM_CONF. Outside CI a machine without Slurm, or a
 * user who cannot start it, skips the tests with the reason; in CI every problem is a failure.
 */
export function ensureCluster(): Cluster {
  const ci = process.env.CI === 'true';
  if (!ci && !(has('slurmctld') && has('sbatch'))) return { skip: 'Slurm is not installed (Debian: apt-get install slurm-wlm munge; CI installs it)', started: false };
  const status = spawnSync('bash', [CLUSTER_SH, 'status'], { encoding: 'utf8' });
  let started = false;
  if (status.status !== 0) {
    const start = spawnSync('bash', [CLUSTER_SH, 'start'], { encoding: 'utf8', timeout: 180_000 });
    if (start.status !== 0) {
      const why = `tests/slurm/cluster.sh start failed:\n${start.stderr}`;
      if (ci) throw new Error(why);
      return { skip: why, started: false };
    }
    started = true;
  }
  const env = spawnSync('bash', [CLUSTER_SH, 'env'], { encoding: 'utf8' });
  const conf = /SLURM_CONF=(\S+)/.exec(env.stdout)?.[1];
  if (!conf) throw new Error(`cluster.sh env printed no SLURM_CONF: ${env.stdout}${env.stderr}`);
  process.env.SLURM_CONF = conf;
  return { started };
}

export function stopCluster(cluster: Cluster): void {
  if (cluster.started) spawnSync('bash', [CLUSTER_SH, 'stop'], { stdio: 'ignore', timeout: 60_000 });
}

/** Runs degen without blocking the test's event loop (runs on Slurm take a while). */
export function degenAsync(ws: Workspace, args: readonly string[], timeoutMs = 150_000): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = ws.spawn(args);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`degen ${args.join(' ')} ran longer than ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Lines of the submission journal a driver keeps in the cache. */
export function submissions(ws: Workspace): { job: string; task: number; stage: string; keys: string[]; log: string }[] {
  const file = join(ws.dir, 'cache', 'slurm', 'submitted.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** State of one element (`12_3`) as squeue shows it, or '' once it left the queue. */
export function elementState(id: string): string {
  const r = spawnSync('squeue', ['-h', '-r', '-t', 'all', '-j', id.split('_')[0]!, '-o', '%i %T'], { encoding: 'utf8' });
  const line = r.stdout.split('\n').find((l) => l.startsWith(`${id} `));
  return line ? line.split(' ')[1]! : '';
}

export async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

