// What every command shares: where the cache is, how a study is loaded, how errors are shown.
import { Option } from 'commander';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { LocalStore } from '../cache/local-store.js';
import { loadStudy } from '../load.js';
import { formatConfigError } from '../spec/source.js';
import type { StageRegistry } from '../stage.js';
import type { InstancePlan } from '../graph/instances.js';
import type { Study } from '../spec/study.js';

export interface StudyOptions {
  readonly cache?: string;
  readonly set?: readonly string[];
  readonly maxInstances?: number;
  readonly backend?: string;
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** Streams whose reader went away (`degen run ... | head`): later writes are dropped, the work goes on. */
const closed = new Set<NodeJS.WriteStream>();
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    closed.add(stream);
  });
}

function writeLine(stream: NodeJS.WriteStream, text: string): void {
  if (!closed.has(stream)) stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

export const processIo: Io = {
  out: (t) => writeLine(process.stdout, t),
  err: (t) => writeLine(process.stderr, t),
};

/** Exit codes: 0 success, 1 some instances failed, 2 bad input, 130 interrupted. */
export const EXIT = { ok: 0, failed: 1, badInput: 2, interrupted: 130 } as const;

export class UsageError extends Error {}

export function cacheDir(opts: { cache?: string }): string {
  return resolve(opts.cache ?? process.env.DEGEN_CACHE ?? 'cache');
}

export function openStore(opts: { cache?: string }): LocalStore {
  return new LocalStore(cacheDir(opts));
}

export function defaultJobs(): number {
  return availableParallelism();
}

/** The backend when neither the command line nor the composition root names one. */
export const DEFAULT_BACKEND = 'wasm';

/** Backends of training stages, for --backend. */
export const BACKENDS = ['wasm', 'wasm-fma', 'tfjs'] as const;

/**
 * --backend, as every command that computes cache keys takes it. The default is chosen by the composition
 * root for this machine (wasm-fma where WebAssembly fuses multiply-adds, else wasm).
 */
export function backendOption(defaultBackend: string = DEFAULT_BACKEND): Option {
  return new Option('--backend <name>', 'compute backend for training stages: wasm-fma (WebAssembly SIMD with fused multiply-add, the default where the machine fuses), wasm (multiply then add: the same bits on every machine), tfjs (TensorFlow.js)')
    .choices([...BACKENDS]).default(defaultBackend);
}

/** Loads a study or prints its errors; returns undefined after printing. */
export async function loadOrReport(file: string, registry: StageRegistry, opts: StudyOptions, io: Io): Promise<{ plan: InstancePlan; study: Study } | undefined> {
  const loaded = await loadStudy(file, registry, { sets: opts.set ?? [], ...(opts.maxInstances ? { maxInstances: opts.maxInstances } : {}) });
  if ('errors' in loaded) {
    io.err(loaded.errors.map(formatConfigError).join('\n'));
    const n = loaded.errors.length;
    io.err(`degen: ${n} error${n === 1 ? '' : 's'} in ${file}`);
    return undefined;
  }
  return loaded;
}

export function parsePositiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} expects a whole number >= 1, got ${JSON.stringify(value)}`);
    return n;
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
