// Drives the real CLI (dist/src/main.js) in temporary folders.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const MAIN = resolve(here, '..', '..', 'src', 'main.js');
export const FIXTURE_STAGES = resolve(here, '..', 'fixtures', 'stages.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class Workspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'degen-test-'));
  readonly counter = join(this.dir, 'runs.jsonl');

  write(name: string, text: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    return path;
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, DEGEN_TEST_COUNTER: this.counter, DEGEN_CACHE: join(this.dir, 'cache'), ...extra };
    delete env.CI;
    return env;
  }

  degen(args: readonly string[], extra: Record<string, string> = {}): CliResult {
    const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: this.dir, env: this.env(extra), encoding: 'utf8', timeout: 120_000 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  spawn(args: readonly string[], extra: Record<string, string> = {}): ChildProcess {
    return spawn(process.execPath, [MAIN, ...args], { cwd: this.dir, env: this.env(extra), stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Runs recorded by the fixture stages since the last call, as kind -> count. */
  takeRuns(): Record<string, number> {
    if (!existsSync(this.counter)) return {};
    const lines = readFileSync(this.counter, 'utf8').split('\n').filter(Boolean);
    rmSync(this.counter);
    const counts: Record<string, number> = {};
    for (const l of lines) {
      const kind = (JSON.parse(l) as { kind: string }).kind;
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
    return counts;
  }

  runJson(study: string, args: readonly string[] = []): { ran: number; cached: number; failed: number; skipped: number; instances: number } {
    const r = this.degen(['run', study, '--json', ...args]);
    if (r.code !== 0) throw new Error(`degen run failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function pluginsLine(): string {
  return `plugins: [${JSON.stringify(FIXTURE_STAGES)}]`;
}
