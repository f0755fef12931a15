// Running one stage instance: read its inputs from the cache, call the stage, check and store its
// outputs, then write its record. The same code runs in a local worker thread and in `degen exec` on a
// Slurm node; the lock on the instance is taken by whoever dispatched it.
import { hostname } from 'node:os';
import type { Table } from 'apache-arrow';
import { decodeTable, encodeTable, schemaMismatch } from '../arrow.js';
import { canonicalJson, KEY_ALGO, sha256, type CacheKey, type KeyComponents } from '../cache/key.js';
import { DamagedObjectError, type InstanceRecord, type Store } from '../cache/store.js';
import { Rng } from '../random.js';
import { isStage, type ContentHash, type Coords, type Member, type Stage, type StageContext, type Upstream } from '../stage.js';

export interface UpstreamRef {
  readonly need: string;
  readonly kind: string;
  readonly coords: Coords;
  readonly outputs: Readonly<Record<string, ContentHash>>;
}

/** Everything needed to run one instance, as plain data (it crosses threads and machines). */
export interface InstanceJob {
  readonly key: CacheKey;
  readonly components: KeyComponents;
  readonly id: string;
  readonly study: string;
  readonly stage: string;
  readonly kind: string;
  readonly module: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly coords: Coords;
  readonly backend: string;
  readonly upstream: readonly UpstreamRef[];
  readonly members: readonly { readonly coords: Coords; readonly upstream: readonly number[] }[];
}

export type JobOutcome =
  | { readonly status: 'ok'; readonly outputs: Readonly<Record<string, ContentHash>>; readonly seconds: number }
  | { readonly status: 'failed'; readonly error: string; readonly seconds: number }
  | { readonly status: 'damaged'; readonly hash: ContentHash; readonly error: string }
  | { readonly status: 'interrupted' };

export interface JobEnv {
  readonly store: Store;
  readonly executor: string;
  readonly facts?: Readonly<Record<string, unknown>>;
  readonly signal: AbortSignal;
  progress(fraction: number, message?: string): void;
}

const loaded = new Map<string, Promise<Stage>>();

/** Imports a stage module and finds the exported stage of that kind. */
export function loadStage(moduleUrl: string, kind: string): Promise<Stage> {
  const id = `${moduleUrl}#${kind}`;
  let p = loaded.get(id);
  if (!p) {
    p = import(moduleUrl).then((mod: Record<string, unknown>) => {
      const stage = Object.values(mod).find((v): v is Stage => isStage(v) && v.name === kind);
      if (!stage) throw new Error(`module ${moduleUrl} exports no stage named ${kind}`);
      return stage;
    });
    loaded.set(id, p);
  }
  return p;
}

function errorText(e: unknown): string {
  if (e instanceof Error) {
    const frames = (e.stack ?? '').split('\n').filter((l) => l.trimStart().startsWith('at ')).slice(0, 6);
    return [e.message, ...frames].join('\n');
  }
  return String(e);
}

function readTable(store: Store, hash: ContentHash, cache: Map<string, Table>): Table {
  let t = cache.get(hash);
  if (!t) {
    t = decodeTable(store.readObject(hash));
    cache.set(hash, t);
  }
  return t;
}

function uniqueWith<T extends { outputs: Readonly<Record<string, ContentHash>>; need: string }>(list: readonly T[], output: string, where: string): T {
  const found = list.filter((u) => output in u.outputs);
  if (found.length === 0) throw new Error(`${where}: no input has an output named ${output} (inputs: ${list.map((u) => `${u.need}: ${Object.keys(u.outputs).join(', ')}`).join('; ')})`);
  if (found.length > 1) throw new Error(`${where}: output ${output} is ambiguous, offered by ${found.map((u) => u.need).join(' and ')}`);
  return found[0]!;
}

/** Stores tables as objects and returns their hashes and sizes. */
function storeTables(store: Store, tables: Readonly<Record<string, Table>>): { outputs: Record<string, ContentHash>; sizes: Record<string, number> } {
  const outputs: Record<string, ContentHash> = {};
  const sizes: Record<string, number> = {};
  for (const [name, table] of Object.entries(tables)) {
    const { hash, size } = store.writeObject(encodeTable(table));
    outputs[name] = hash;
    sizes[name] = size;
  }
  return { outputs, sizes };
}

export async function executeJob(job: InstanceJob, env: JobEnv): Promise<JobOutcome> {
  const { store } = env;
  const started = new Date();
  const t0 = performance.now();
  const tables = new Map<string, Table>();
  const memoUsed: string[] = [];
  const seconds = (): number => (performance.now() - t0) / 1000;

  const upstream: Upstream[] = job.upstream.map((u) => ({
    ...u,
    read: async (output: string) => {
      const hash = u.outputs[output];
      if (!hash) throw new Error(`input ${u.need} has no output named ${output} (it has: ${Object.keys(u.outputs).join(', ')})`);
      return readTable(store, hash, tables);
    },
  }));
  const members: Member[] = job.members.map((m) => {
    const ups = m.upstream.map((i) => upstream[i]!);
    return {
      coords: m.coords,
      upstream: ups,
      has: (output) => ups.some((u) => output in u.outputs),
      read: async (output) => uniqueWith(ups, output, job.stage).read(output),
      hash: (output) => uniqueWith(ups, output, job.stage).outputs[output]!,
    };
  });

  let stage: Stage;
  try {
    stage = await loadStage(job.module, job.kind);
  } catch (e) {
    return fail(job, env, started, seconds(), `cannot load stage ${job.kind}: ${errorText(e)}`);
  }
  const seed = job.params.seed;
  const ctx: StageContext = {
    params: job.params,
    coords: job.coords,
    members,
    upstream,
    read: (output) => {
      if (members.length !== 1) throw new Error(`${job.stage}: read(${output}) needs exactly one member; this instance has ${members.length} (use ctx.members)`);
      return members[0]!.read(output);
    },
    rng: new Rng(typeof seed === 'number' && Number.isInteger(seed) ? seed : `${job.kind}:${canonicalJson(job.params)}`),
    backend: job.backend,
    progress: (f, m) => env.progress(f, m),
    signal: env.signal,
    memo: async (part, deps, compute) => {
      const key = sha256(canonicalJson({ algo: KEY_ALGO, stage: job.kind, version: job.components.version, code: job.components.code, part, deps }));
      memoUsed.push(key);
      const cached = store.readMemo(key);
      if (cached) {
        try {
          return Object.fromEntries(Object.entries(cached.outputs).map(([n, h]) => [n, readTable(store, h, tables)]));
        } catch (e) {
          if (!(e instanceof DamagedObjectError)) throw e;
        }
      }
      const result = await compute();
      store.writeMemo({ key, ...storeTables(store, result) });
      return result;
    },
  };

  let result: Readonly<Record<string, Table>>;
  try {
    result = await stage.run(ctx);
  } catch (e) {
    if (e instanceof DamagedObjectError) return { status: 'damaged', hash: e.hash, error: e.message };
    if (env.signal.aborted) return { status: 'interrupted' };
    return fail(job, env, started, seconds(), errorText(e));
  }
  if (env.signal.aborted) return { status: 'interrupted' };

  const declared = Object.keys(stage.outputs).sort();
  const given = Object.keys(result ?? {}).sort();
  if (declared.join() !== given.join()) return fail(job, env, started, seconds(), `stage ${job.kind} returned outputs {${given.join(', ')}} but declares {${declared.join(', ')}}`);
  for (const name of declared) {
    const mismatch = schemaMismatch(stage.outputs[name]!, result[name]!.schema);
    if (mismatch) return fail(job, env, started, seconds(), `stage ${job.kind} output ${name} does not match its declared schema: ${mismatch}`);
  }
  const stored = storeTables(store, result);
  const took = seconds();
  store.writeRecord(record(job, env, started, took, { status: 'ok', ...stored, memo: memoUsed }));
  return { status: 'ok', outputs: stored.outputs, seconds: took };
}

function record(job: InstanceJob, env: JobEnv, started: Date, seconds: number, result: Pick<InstanceRecord, 'status' | 'outputs' | 'sizes' | 'memo'> & { error?: string }): InstanceRecord {
  return {
    key: job.key, ...result, components: job.components, study: job.study, stage: job.stage, kind: job.kind, coords: job.coords,
    started: started.toISOString(), finished: new Date().toISOString(), seconds, host: hostname(), pid: process.pid, executor: env.executor,
    ...(env.facts ? { facts: env.facts } : {}),
  };
}

function fail(job: InstanceJob, env: JobEnv, started: Date, seconds: number, error: string): JobOutcome {
  env.store.writeRecord(record(job, env, started, seconds, { status: 'failed', outputs: {}, sizes: {}, memo: [], error }));
  return { status: 'failed', error, seconds };
}
