// `degen bench engine`: the engine's own overhead on a study of trivial instances, measured through the
// real CLI (so process start-up counts, as a user sees it): time to plan, to run from an empty cache,
// and to find that nothing needs running.
//   node dist/bench/engine.js [--instances 10000] [--json]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const MAIN = resolve(here, '..', 'src', 'main.js');
const FIXTURES = resolve(here, '..', 'tests', 'fixtures', 'stages.js');

export interface EngineBenchResult {
  instances: number;
  plan_seconds: number;
  first_run_seconds: number;
  first_run_instances_per_second: number;
  cached_run_seconds: number;
}

function timed(args: string[], cwd: string): number {
  const t0 = performance.now();
  // Standard output (a JSON line per instance for plan) is discarded: writing it is part of the time.
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DEGEN_CACHE: join(cwd, 'cache') } });
  if (r.status !== 0) throw new Error(`degen ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr.slice(-2000)}`);
  return (performance.now() - t0) / 1000;
}

export async function benchEngine(options: { instances?: number } = {}): Promise<EngineBenchResult> {
  const n = options.instances ?? 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'degen-bench-'));
  try {
    writeFileSync(join(dir, 'study.yaml'), `name: engine-bench
plugins: [${JSON.stringify(FIXTURES)}]
sweep:
  i: { range: [0, ${n}] }
stages:
  trivial: { uses: test/source, with: { x: $i } }
`);
    const plan = timed(['plan', 'study.yaml', '--json'], dir);
    const first = timed(['run', 'study.yaml', '--json'], dir);
    const cached = timed(['run', 'study.yaml', '--json'], dir);
    const round = (x: number): number => Math.round(x * 1000) / 1000;
    return { instances: n, plan_seconds: round(plan), first_run_seconds: round(first), first_run_instances_per_second: Math.round(n / first), cached_run_seconds: round(cached) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--instances');
  const result = await benchEngine(i > 0 ? { instances: Number(process.argv[i + 1]) } : {});
  console.log(JSON.stringify(result));
}
