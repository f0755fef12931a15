// Per-stage counts built from the event stream; shared by the views.
import type { RunEvent, RunSummary, StageTotal } from '../exec/events.js';
import { coordsText, type CoordMap } from '../graph/instances.js';

export interface StageTally {
  readonly stage: string;
  readonly kind: string;
  readonly total: number;
  done: number;
  cached: number;
  failed: number;
  skipped: number;
  elsewhere: number;
  /** Held by an executor that queues work (Slurm): waiting in its queue, and in running jobs. */
  queued: number;
  remote: number;
  running: Map<string, { coords: string; fraction: number; message?: string; since: number }>;
  started?: number;
  finished?: number;
}

export class Tally {
  readonly stages = new Map<string, StageTally>();
  readonly #paired = new Map<string, ReadonlySet<string>>();

  constructor(stages: readonly StageTotal[]) {
    for (const s of stages) {
      this.#paired.set(s.stage, new Set(s.paired));
      this.stages.set(s.stage, { stage: s.stage, kind: s.kind, total: s.total, done: 0, cached: 0, failed: 0, skipped: 0, elsewhere: 0, queued: 0, remote: 0, running: new Map() });
    }
  }

  /** An instance's coordinates as text, pairs as `a~b`. */
  coords(stage: string, coords: CoordMap): string {
    return coordsText(coords, this.#paired.get(stage));
  }

  settled(t: StageTally): number {
    return t.done + t.cached + t.failed + t.skipped;
  }

  apply(e: RunEvent): StageTally | undefined {
    if (!('stage' in e)) return undefined;
    const t = this.stages.get(e.stage);
    if (!t) return undefined;
    const now = performance.now();
    t.started ??= now;
    switch (e.type) {
      case 'instance-cached': t.cached++; if (t.running.delete(e.key)) t.elsewhere = Math.max(0, t.elsewhere - 1); break;
      case 'instance-started': t.running.set(e.key, { coords: this.coords(e.stage, e.coords), fraction: 0, since: now }); break;
      case 'instance-progress': {
        const r = t.running.get(e.key);
        if (r) { r.fraction = e.fraction; if (e.message !== undefined) r.message = e.message; }
        break;
      }
      case 'instance-done': t.done++; t.running.delete(e.key); leaveQueue(t); break;
      case 'instance-failed': t.failed++; t.running.delete(e.key); leaveQueue(t); break;
      case 'instance-skipped': t.skipped++; break;
      case 'instance-elsewhere': t.elsewhere++; break;
      case 'stage-queue': t.queued = e.queued; t.remote = e.running; break;
      default: break;
    }
    if (this.settled(t) >= t.total) t.finished ??= now;
    return t;
  }
}

/** A finished instance has left the executor's queue; its next count of the stage will say so too. */
function leaveQueue(t: StageTally): void {
  if (t.remote > 0) t.remote--;
  else if (t.queued > 0) t.queued--;
}

export function seconds(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The last line of a run: what ran, what was cached, what failed, out of how many, in how long. */
export function summaryLine(r: RunSummary): string {
  return `degen: ${r.ran} ran, ${r.cached} cached, ${r.failed} failed, ${r.skipped} skipped of ${r.instances} in ${seconds(r.seconds * 1000)}${r.interrupted ? ' (interrupted)' : ''}`;
}

export function counts(t: StageTally): string {
  const parts = [`${t.done} done`, `${t.cached} cached`];
  if (t.failed) parts.push(`${t.failed} failed`);
  if (t.skipped) parts.push(`${t.skipped} skipped`);
  if (t.queued) parts.push(`${t.queued} queued`);
  if (t.remote) parts.push(`${t.remote} running`);
  return `${parts.join(', ')} / ${t.total}`;
}
