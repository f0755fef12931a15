// Progress as plain lines, for logs and terminals that are not TTYs.
import type { RunEvent } from '../exec/events.js';
import { coordsText, type CoordMap } from '../graph/instances.js';
import { counts, seconds, summaryLine, Tally } from './tally.js';

const QUEUE_LINE_MS = 10_000;

export function plainView(write: (line: string) => void, writeError: (line: string) => void): (e: RunEvent) => void {
  let tally: Tally | undefined;
  /** Queue counts are printed when they change, at most once per QUEUE_LINE_MS per stage. */
  const queueLines = new Map<string, number>();
  const text = (stage: string, coords: CoordMap): string => tally?.coords(stage, coords) ?? coordsText(coords);
  return (e) => {
    const t = tally?.apply(e);
    switch (e.type) {
      case 'run-started':
        tally = new Tally(e.stages);
        write(`degen: study ${e.study}: ${e.instances} instances in ${e.stages.length} stages, ${e.executor} executor${Number.isFinite(e.slots) ? ` with ${e.slots} slots` : ''}`);
        break;
      case 'instance-done':
        write(`[${e.stage}] done ${text(e.stage, e.coords)} in ${seconds(e.seconds * 1000)} (${t ? counts(t) : ''})`);
        break;
      case 'instance-failed':
        writeError(`[${e.stage}] FAILED ${text(e.stage, e.coords)}: ${e.error.split('\n')[0]}${e.log ? ` (log: ${e.log})` : ''}`);
        break;
      case 'instance-elsewhere':
        write(`[${e.stage}] ${text(e.stage, e.coords)} is being computed by ${e.holder}; waiting for it`);
        break;
      case 'instance-queued':
        write(`[${e.stage}] ${text(e.stage, e.coords)} queued on ${e.where}`);
        break;
      case 'batch-submitted':
        write(`[${e.stage}] ${e.resumed ? 'following' : 'submitted'} ${e.instances} instance${e.instances === 1 ? '' : 's'} ${e.resumed ? 'in' : 'as'} ${e.batch} (${e.detail})${e.log ? `; logs: ${e.log}` : ''}`);
        break;
      case 'stage-queue': {
        const now = performance.now();
        if (!t || (e.queued === 0 && e.running === 0) || now - (queueLines.get(e.stage) ?? -Infinity) < QUEUE_LINE_MS) break;
        queueLines.set(e.stage, now);
        write(`[${e.stage}] ${e.where}: ${counts(t)}`);
        break;
      }
      case 'warning':
        writeError(`degen: warning: ${e.message}`);
        break;
      case 'run-finished': {
        if (tally) for (const s of tally.stages.values()) write(`[${s.stage}] ${counts(s)}`);
        write(summaryLine(e.summary));
        break;
      }
      default:
        break;
    }
  };
}
