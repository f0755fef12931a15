// Executors and the scheduler report what happens as typed events; the terminal view, the plain log and
// the JSON-lines log are consumers of the same stream. Nothing else writes progress to the terminal.
import type { CoordMap } from '../graph/instances.js';

export interface StageTotal {
  readonly stage: string;
  readonly kind: string;
  readonly total: number;
  /** Axes whose coordinate is a pair of values (`pairs:` here or upstream). */
  readonly paired: readonly string[];
}

export interface RunSummary {
  readonly ran: number;
  readonly cached: number;
  readonly failed: number;
  readonly skipped: number;
  readonly instances: number;
  readonly seconds: number;
  readonly interrupted: boolean;
}

export type RunEvent =
  | { readonly type: 'run-started'; readonly study: string; readonly stages: readonly StageTotal[]; readonly instances: number; readonly executor: string; readonly slots: number }
  | { readonly type: 'instance-cached'; readonly stage: string; readonly key: string; readonly coords: CoordMap }
  | { readonly type: 'instance-queued'; readonly stage: string; readonly key: string; readonly coords: CoordMap; readonly where: string }
  | { readonly type: 'instance-started'; readonly stage: string; readonly key: string; readonly coords: CoordMap }
  | { readonly type: 'instance-progress'; readonly stage: string; readonly key: string; readonly coords: CoordMap; readonly fraction: number; readonly message?: string }
  | { readonly type: 'instance-done'; readonly stage: string; readonly key: string; readonly coords: CoordMap; readonly seconds: number }
  | { readonly type: 'instance-failed'; readonly stage: string; readonly key: string; readonly coords: CoordMap; readonly error: string; readonly log?: string }
  | { readonly type: 'instance-skipped'; readonly stage: string; readonly coords: CoordMap; readonly because: string }
  | { readonly type: 'instance-elsewhere'; readonly stage: string; readonly key: string; readonly coords: CoordMap; readonly holder: string }
  /** An executor that queues work (Slurm) handed a batch of instances to its queue, or found them there from an earlier run. */
  | { readonly type: 'batch-submitted'; readonly stage: string; readonly instances: number; readonly batch: string; readonly detail: string; readonly log?: string; readonly resumed?: boolean }
  /** Instances of a stage an executor holds: waiting in its queue, and in running jobs. Sent when the counts change. */
  | { readonly type: 'stage-queue'; readonly stage: string; readonly where: string; readonly queued: number; readonly running: number }
  | { readonly type: 'warning'; readonly message: string }
  | { readonly type: 'run-finished'; readonly summary: RunSummary };

export type EventListener = (event: RunEvent) => void;

export class EventStream {
  readonly #listeners: EventListener[] = [];

  on(listener: EventListener): void {
    this.#listeners.push(listener);
  }

  emit(event: RunEvent): void {
    for (const l of this.#listeners) l(event);
  }
}
