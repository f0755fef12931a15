// The Store on a local (or shared network) file system.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { ContentHash } from '../stage.js';
import { writeFileAtomic } from './fsutil.js';
import { sha256, type CacheKey } from './key.js';
import { lockIsHeld, tryLock } from './lock.js';
import { DamagedObjectError, type InstanceRecord, type JournalEntry, type MemoRecord, type Store } from './store.js';

function fanout(dir: string, name: string, ext: string): string {
  return join(dir, name.slice(0, 2), `${name}${ext}`);
}

export class LocalStore implements Store {
  constructor(readonly root: string, private readonly durable = true) {
    mkdirSync(root, { recursive: true });
  }

  objectPath(hash: ContentHash): string {
    return fanout(join(this.root, 'objects'), hash, '.arrow');
  }

  recordPath(key: CacheKey): string {
    return fanout(join(this.root, 'records'), key, '.json');
  }

  memoPath(key: string): string {
    return fanout(join(this.root, 'memo'), key, '.json');
  }

  writeObject(bytes: Uint8Array): { hash: ContentHash; size: number } {
    const hash = sha256(bytes) as ContentHash;
    const path = this.objectPath(hash);
    // An object already there is trusted only after its bytes hash right: a damaged copy is replaced.
    let present = false;
    try {
      present = statSync(path).size === bytes.length && sha256(readFileSync(path)) === hash;
    } catch { /* absent */ }
    if (!present) writeFileAtomic(path, bytes, this.durable);
    return { hash, size: bytes.length };
  }

  readObject(hash: ContentHash): Uint8Array {
    const path = this.objectPath(hash);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      throw new DamagedObjectError(hash, path, 'missing');
    }
    const actual = sha256(bytes);
    if (actual !== hash) throw new DamagedObjectError(hash, path, `content hashes to ${actual.slice(0, 12)}…`);
    return bytes;
  }

  readRecord(key: CacheKey): InstanceRecord | undefined {
    try {
      const record = JSON.parse(readFileSync(this.recordPath(key), 'utf8')) as InstanceRecord;
      return record.key === key ? record : undefined;
    } catch {
      return undefined;
    }
  }

  completeRecord(key: CacheKey): InstanceRecord | undefined {
    const record = this.readRecord(key);
    if (!record || record.status !== 'ok') return undefined;
    for (const [name, hash] of Object.entries(record.outputs)) {
      try {
        if (statSync(this.objectPath(hash)).size !== record.sizes[name]) return undefined;
      } catch {
        return undefined;
      }
    }
    return record;
  }

  /**
   * Records are written after their objects and are not fsynced: a record lost or torn by a power cut
   * reads as a miss (its instance is recomputed), never as a hit without its objects, which were.
   */
  writeRecord(record: InstanceRecord): void {
    writeFileAtomic(this.recordPath(record.key), JSON.stringify(record), false);
  }

  dropObject(hash: ContentHash): void {
    try {
      unlinkSync(this.objectPath(hash));
    } catch { /* already gone */ }
  }

  dropRecord(key: CacheKey): void {
    const path = this.recordPath(key);
    try {
      renameSync(path, `${path}.dropped`);
    } catch { /* already gone */ }
  }

  readMemo(key: string): MemoRecord | undefined {
    try {
      const record = JSON.parse(readFileSync(this.memoPath(key), 'utf8')) as MemoRecord;
      for (const [name, hash] of Object.entries(record.outputs)) {
        if (statSync(this.objectPath(hash)).size !== record.sizes[name]) return undefined;
      }
      return record;
    } catch {
      return undefined;
    }
  }

  writeMemo(record: MemoRecord): void {
    writeFileAtomic(this.memoPath(record.key), JSON.stringify(record), false);
  }

  lockPath(name: string): string {
    return join(this.root, 'locks', `${name}.lock`);
  }

  lock(name: string): ReturnType<Store['lock']> {
    return tryLock(this.lockPath(name));
  }

  lockState(name: string): 'free' | 'held' | 'stale' {
    const path = this.lockPath(name);
    if (!existsSync(path)) return 'free';
    return lockIsHeld(path) ? 'held' : existsSync(path) ? 'stale' : 'free';
  }

  journalPath(study: string): string {
    return join(this.root, 'journal', `${encodeURIComponent(study)}.jsonl`);
  }

  /** Appends whole lines with O_APPEND: concurrent writers interleave lines, never bytes within one. */
  appendJournal(study: string, entries: readonly JournalEntry[]): void {
    if (entries.length === 0) return;
    mkdirSync(join(this.root, 'journal'), { recursive: true });
    appendFileSync(this.journalPath(study), entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }

  /** Instance id -> the key it last completed under. */
  readJournal(study: string): Map<string, CacheKey> {
    const latest = new Map<string, CacheKey>();
    let text: string;
    try {
      text = readFileSync(this.journalPath(study), 'utf8');
    } catch {
      return latest;
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const e = JSON.parse(line) as JournalEntry;
        latest.set(e.id, e.key);
      } catch { /* a torn last line from a killed writer */ }
    }
    return latest;
  }
}
