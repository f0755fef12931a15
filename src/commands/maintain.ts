// `degen verify` and `degen gc`.
import { removeFiles, scanCache, verifyCache, type CacheFile } from '../cache/maintenance.js';
import { lockIsHeld } from '../cache/lock.js';
import { planStatus } from '../exec/status.js';
import type { StageRegistry } from '../stage.js';
import { DEFAULT_BACKEND, EXIT, loadOrReport, openStore, type Io, type StudyOptions } from './common.js';

function mib(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

export function verifyCommand(opts: { cache?: string; json?: boolean }, io: Io): number {
  const store = openStore(opts);
  const report = verifyCache(store);
  const ok = report.damaged.length === 0 && report.brokenRecords.length === 0;
  if (opts.json) {
    io.out(JSON.stringify({ ok, ...report }));
    return ok ? EXIT.ok : EXIT.failed;
  }
  const lines = [`degen verify: ${report.objects} objects (${mib(report.bytes)}) in ${store.root}`];
  for (const d of report.damaged) lines.push(`  damaged: ${d.path}: ${d.detail}`);
  for (const b of report.brokenRecords) lines.push(`  broken record: ${b.path}: ${b.detail}`);
  if (report.orphaned.length) lines.push(`  ${report.orphaned.length} orphaned objects (no record refers to them; \`degen gc\` removes them)`);
  if (report.staleTemps.length) lines.push(`  ${report.staleTemps.length} temp files left by killed runs (\`degen gc\` removes them)`);
  lines.push(ok ? 'ok: every object matches its hash and every record has its objects' : `FAILED: ${report.damaged.length} damaged objects, ${report.brokenRecords.length} broken records (the next \`degen run\` recomputes what they affect)`);
  io.out(lines.join('\n'));
  return ok ? EXIT.ok : EXIT.failed;
}

export async function gcCommand(files: readonly string[], opts: StudyOptions & { dryRun?: boolean; json?: boolean }, registry: StageRegistry, io: Io): Promise<number> {
  const store = openStore(opts);
  const keepRecords = new Set<string>();
  const keepMemo = new Set<string>();
  for (const file of files) {
    const loaded = await loadOrReport(file, registry, opts, io);
    if (!loaded) return EXIT.badInput;
    for (const s of planStatus(loaded.plan, store, opts.backend ?? DEFAULT_BACKEND)) {
      if (!s.record) continue;
      keepRecords.add(s.record.key);
      for (const m of s.record.memo) keepMemo.add(m);
    }
  }
  const c = scanCache(store);
  const held = c.locks.filter((l) => lockIsHeld(l.path));
  if (held.length > 0) {
    io.err(`degen gc: a run is in progress on this cache (${held.length} held lock${held.length === 1 ? '' : 's'}, e.g. ${held[0]!.path}); try again when it has finished`);
    return EXIT.failed;
  }
  const keepObjects = new Set<string>();
  const remove: CacheFile[] = [];
  for (const { file, record } of c.records) {
    if (record && keepRecords.has(record.key)) Object.values(record.outputs).forEach((h) => keepObjects.add(h));
    else remove.push(file);
  }
  for (const { file, record } of c.memos) {
    if (record && keepMemo.has(record.key)) Object.values(record.outputs).forEach((h) => keepObjects.add(h));
    else remove.push(file);
  }
  const objects = c.objects.filter((o) => !keepObjects.has(o.name.replace(/\.arrow$/, '')));
  remove.push(...objects, ...c.staleTemps, ...c.dropped, ...c.locks);
  const bytes = remove.reduce((n, f) => n + f.size, 0);
  const freed = opts.dryRun ? bytes : removeFiles(remove);
  const summary = { records: c.records.length - [...c.records].filter((r) => r.record && keepRecords.has(r.record.key)).length, objects: objects.length, bytes: freed, dryRun: opts.dryRun ?? false };
  if (opts.json) io.out(JSON.stringify(summary));
  else io.out(`degen gc: ${opts.dryRun ? 'would remove' : 'removed'} ${summary.records} records and ${summary.objects} objects, ${mib(freed)} ${opts.dryRun ? 'to free' : 'freed'}; kept ${keepRecords.size} records reached by ${files.join(', ')}`);
  return EXIT.ok;
}
