// Crash-safe file writes: a temp file in the same folder, fsynced, then renamed over the target, so a
// reader sees either nothing or the whole file, whatever happens to the writer.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const HOST = hostname();

/** Temp files are named `.tmp-<host>-<pid>-<random>` so a later process can tell whose they were. */
export function tempPath(target: string): string {
  return join(dirname(target), `.tmp-${HOST}-${process.pid}-${randomBytes(6).toString('hex')}`);
}

export function parseTempName(name: string): { host: string; pid: number } | undefined {
  const m = /^\.tmp-(.+)-(\d+)-[0-9a-f]{12}$/.exec(basename(name));
  return m ? { host: m[1]!, pid: Number(m[2]) } : undefined;
}

const knownDirs = new Set<string>();

function ensureDir(dir: string): void {
  if (knownDirs.has(dir)) return;
  mkdirSync(dir, { recursive: true });
  knownDirs.add(dir);
}

/**
 * Writes `target` whole or not at all. With `durable`, the data reach the disk before the rename, so
 * even a power cut cannot leave a named file with missing bytes.
 */
export function writeFileAtomic(target: string, data: Uint8Array | string, durable = true): void {
  ensureDir(dirname(target));
  const tmp = tempPath(target);
  const fd = openSync(tmp, 'wx');
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let at = 0;
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    if (durable) fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, target);
}

/** Whether a process of this host is alive (EPERM means alive but not ours). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
