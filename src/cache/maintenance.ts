// Walking the whole cache: for `verify` (rehash everything, find damage and orphans) and `gc` (delete
// what no named study reaches).
import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { HOST, parseTempName, pidAlive } from './fsutil.js';
import { sha256 } from './key.js';
import type { LocalStore } from './local-store.js';
import type { InstanceRecord, MemoRecord } from './store.js';

export interface CacheFile {
  readonly path: string;
  readonly name: string;
  readonly size: number;
}

function walk(dir: string): CacheFile[] {
  const out: CacheFile[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const path = join(dir, name);
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) out.push(...walk(path));
    else out.push({ path, name, size: st.size });
  }
  return out;
}

export interface CacheContents {
  readonly objects: CacheFile[];
  readonly records: { file: CacheFile; record: InstanceRecord | undefined }[];
  readonly memos: { file: CacheFile; record: MemoRecord | undefined }[];
  /** Temp files whose writer is gone (a process killed mid-write), and ones still being written. */
  readonly staleTemps: CacheFile[];
  readonly liveTemps: CacheFile[];
  readonly locks: CacheFile[];
  /** Records moved aside after damage. */
  readonly dropped: CacheFile[];
}

function parseJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function scanCache(store: LocalStore): CacheContents {
  const contents: CacheContents = { objects: [], records: [], memos: [], staleTemps: [], liveTemps: [], locks: [], dropped: [] };
  const sortTemp = (f: CacheFile): boolean => {
    const t = parseTempName(f.name);
    if (!t) return false;
    const stale = t.host === HOST ? !pidAlive(t.pid) : Date.now() - (statSync(f.path, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 24 * 3600_000;
    (stale ? contents.staleTemps : contents.liveTemps).push(f);
    return true;
  };
  for (const f of walk(join(store.root, 'objects'))) if (!sortTemp(f)) contents.objects.push(f);
  for (const f of walk(join(store.root, 'records'))) {
    if (sortTemp(f)) continue;
    if (f.name.endsWith('.dropped')) contents.dropped.push(f);
    else contents.records.push({ file: f, record: parseJson<InstanceRecord>(f.path) });
  }
  for (const f of walk(join(store.root, 'memo'))) if (!sortTemp(f)) contents.memos.push({ file: f, record: parseJson<MemoRecord>(f.path) });
  contents.locks.push(...walk(join(store.root, 'locks')));
  return contents;
}

export interface VerifyReport {
  readonly objects: number;
  readonly bytes: number;
  readonly damaged: { path: string; detail: string }[];
  readonly orphaned: string[];
  readonly brokenRecords: { path: string; detail: string }[];
  readonly staleTemps: string[];
}

export function verifyCache(store: LocalStore): VerifyReport {
  const c = scanCache(store);
  const referenced = new Set<string>();
  const brokenRecords: { path: string; detail: string }[] = [];
  const objectNames = new Set(c.objects.map((o) => o.name.replace(/\.arrow$/, '')));
  const check = (path: string, outputs: Readonly<Record<string, string>> | undefined): void => {
    for (const [name, hash] of Object.entries(outputs ?? {})) {
      referenced.add(hash);
      if (!objectNames.has(hash)) brokenRecords.push({ path, detail: `output ${name} (${hash.slice(0, 12)}…) is missing` });
    }
  };
  for (const { file, record } of c.records) {
    if (!record) brokenRecords.push({ path: file.path, detail: 'not valid JSON' });
    else if (record.status === 'ok') check(file.path, record.outputs);
  }
  for (const { file, record } of c.memos) {
    if (!record) brokenRecords.push({ path: file.path, detail: 'not valid JSON' });
    else check(file.path, record.outputs);
  }
  const damaged: { path: string; detail: string }[] = [];
  let bytes = 0;
  for (const o of c.objects) {
    bytes += o.size;
    const expected = o.name.replace(/\.arrow$/, '');
    const actual = sha256(readFileSync(o.path));
    if (actual !== expected) damaged.push({ path: o.path, detail: `content hashes to ${actual.slice(0, 12)}…` });
  }
  return {
    objects: c.objects.length, bytes, damaged,
    orphaned: c.objects.filter((o) => !referenced.has(o.name.replace(/\.arrow$/, ''))).map((o) => o.path),
    brokenRecords, staleTemps: c.staleTemps.map((t) => t.path),
  };
}

export function removeFiles(files: readonly CacheFile[]): number {
  let freed = 0;
  for (const f of files) {
    try {
      unlinkSync(f.path);
      freed += f.size;
    } catch { /* gone already */ }
  }
  return freed;
}
