// One lock file per cache key, so runs sharing a cache never compute the same instance at once.
// A lock is stale when its holder's process is gone (same host) or its heartbeat stopped (any host).
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { HOST, pidAlive } from './fsutil.js';

/** A holder refreshes its locks' mtime this often... */
export const HEARTBEAT_MS = 5_000;
/** ...and a lock whose mtime is older than this is taken to be abandoned. */
export const LEASE_MS = 60_000;

export interface LockHolder {
  readonly host: string;
  readonly pid: number;
  readonly nonce: string;
  readonly since: string;
}

export interface Lock {
  readonly path: string;
  readonly nonce: string;
  release(): void;
  touch(): void;
}

function readHolder(path: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/** Whether a live process holds the lock at this path. */
export function lockIsHeld(path: string): boolean {
  return existsSync(path) && !isStale(path, readHolder(path));
}

export function isStale(path: string, holder: LockHolder | undefined, now = Date.now()): boolean {
  let mtime: number;
  try {
    mtime = statSync(path).mtimeMs;
  } catch {
    return false; // gone: not stale, simply free
  }
  if (holder === undefined) return now - mtime > 2_000; // unreadable for a while: a writer died mid-write
  if (holder.host === HOST && !pidAlive(holder.pid)) return true;
  return now - mtime > LEASE_MS;
}

/** Takes the lock, or returns who holds it. A stale lock is broken and taken. */
export function tryLock(path: string): Lock | { heldBy: LockHolder | undefined } {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    const nonce = randomBytes(8).toString('hex');
    const holder: LockHolder = { host: HOST, pid: process.pid, nonce, since: new Date().toISOString() };
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(holder));
      closeSync(fd);
      return {
        path, nonce,
        release: () => {
          if (readHolder(path)?.nonce === nonce) {
            try { unlinkSync(path); } catch { /* already gone */ }
          }
        },
        touch: () => {
          try { const t = new Date(); utimesSync(path, t, t); } catch { /* released meanwhile */ }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const current = readHolder(path);
    if (!isStale(path, current)) return { heldBy: current };
    // Break the stale lock by moving it aside: only one breaker's rename succeeds. Should two
    // breakers race, the worst case is one instance computed twice, which yields identical bytes.
    const moved = `${path}.stale-${randomBytes(4).toString('hex')}`;
    try {
      renameSync(path, moved);
    } catch {
      continue;
    }
    removeQuietly(moved);
  }
  return { heldBy: readHolder(path) };
}

export function removeQuietly(path: string): void {
  try { unlinkSync(path); } catch { /* gone */ }
}
