// The cache as the engine sees it: content-addressed objects, one record per instance, memo records
// for intermediate results shared across instances, per-key locks and a journal per study.
import type { ContentHash, Coords } from '../stage.js';
import type { CacheKey, KeyComponents } from './key.js';
import type { Lock, LockHolder } from './lock.js';

export interface InstanceRecord {
  readonly key: CacheKey;
  readonly status: 'ok' | 'failed';
  readonly components: KeyComponents;
  /** Output name -> content hash, and the byte size of each (a cheap check for truncation). */
  readonly outputs: Readonly<Record<string, ContentHash>>;
  readonly sizes: Readonly<Record<string, number>>;
  /** Memo records this instance used (kept alive by gc with it). */
  readonly memo: readonly string[];
  readonly study: string;
  readonly stage: string;
  readonly kind: string;
  readonly coords: Coords;
  /** Run facts: never part of an output. */
  readonly started: string;
  readonly finished: string;
  readonly seconds: number;
  readonly host: string;
  readonly pid: number;
  readonly executor: string;
  readonly error?: string;
  /** e.g. Slurm job id and log path. */
  readonly facts?: Readonly<Record<string, unknown>>;
}

export interface MemoRecord {
  readonly key: string;
  readonly outputs: Readonly<Record<string, ContentHash>>;
  readonly sizes: Readonly<Record<string, number>>;
}

export interface JournalEntry {
  readonly id: string;
  readonly key: CacheKey;
}

export class DamagedObjectError extends Error {
  constructor(readonly hash: ContentHash, readonly path: string, detail: string) {
    super(`cache object ${path} is damaged (${detail})`);
  }
}

export interface Store {
  readonly root: string;
  objectPath(hash: ContentHash): string;
  /** Stores bytes under their SHA-256 and returns it; a no-op when the object is already there. */
  writeObject(bytes: Uint8Array): { hash: ContentHash; size: number };
  /** Reads an object and checks it against its hash; throws DamagedObjectError. */
  readObject(hash: ContentHash): Uint8Array;
  readRecord(key: CacheKey): InstanceRecord | undefined;
  /** A record that is `ok` and whose objects are all present with the right sizes. */
  completeRecord(key: CacheKey): InstanceRecord | undefined;
  writeRecord(record: InstanceRecord): void;
  /** Deletes a damaged object so that it is written anew. */
  dropObject(hash: ContentHash): void;
  /** Moves a record aside so its instance is recomputed (e.g. after a damaged output). */
  dropRecord(key: CacheKey): void;
  readMemo(key: string): MemoRecord | undefined;
  writeMemo(record: MemoRecord): void;
  lock(name: string): Lock | { heldBy: LockHolder | undefined };
  lockState(name: string): 'free' | 'held' | 'stale';
  appendJournal(study: string, entries: readonly JournalEntry[]): void;
  readJournal(study: string): Map<string, CacheKey>;
}
