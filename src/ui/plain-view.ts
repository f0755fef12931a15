// Progress as plain lines, for logs and terminals that are not TTYs.
import type { RunEvent } from '../exec/events.js';
import { coordsText } from '../graph/instances.js';
import { counts, seconds, Tally } from './tally.js';

export function plainView(write: (line: string) => void, writeError: (line: string) => void): (e: RunEvent) => void {
  let tally: Tally | undefined;
  return (e) => {
    const t = tally?.apply(e);
    switch (e.type) {
      case 'run-started':
        tally = new Tally(e.stages);
        write(`degen: study ${e.study}: ${e.instances} instances in ${e.stages.length} stages, ${e.executor} executor with ${e.slots} slots`);
        break;
      case 'instance-done':
        write(`[${e.stage}] done ${coordsText(e.coords)} in ${seconds(e.seconds * 1000)} (${t ? counts(t) : ''})`);
        break;
      case 'instance-failed':
        writeError(`[${e.stage}] FAILED ${coordsText(e.coords)}: ${e.error.split('\n')[0]}${e.log ? ` (log: ${e.log})` : ''}`);
        break;
      case 'instance-elsewhere':
        write(`[${e.stage}] ${coordsText(e.coords)} is being computed by ${e.holder}; waiting for it`);
        break;
      case 'instance-queued':
        write(`[${e.stage}] ${coordsText(e.coords)} queued on ${e.where}`);
        break;
      case 'warning':
        writeError(`degen: warning: ${e.message}`);
        break;
      case 'run-finished': {
        if (tally) for (const s of tally.stages.values()) write(`[${s.stage}] ${counts(s)}`);
        const r = e.summary;
        write(`degen: ${r.ran} ran, ${r.cached} cached, ${r.failed} failed, ${r.skipped} skipped of ${r.instances} in ${seconds(r.seconds * 1000)}${r.interrupted ? ' (interrupted)' : ''}`);
        break;
      }
      default:
        break;
    }
  };
}
