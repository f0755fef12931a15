// The local executor: a pool of worker threads (one per core by default), one instance per thread at a time.
import { Worker } from 'node:worker_threads';
import type { Executor } from './executor.js';
import type { InstanceJob, JobOutcome } from './job.js';
import type { FromWorker, ToWorker } from './worker.js';

interface Slot {
  worker: Worker;
  busy: boolean;
  finish?: (outcome: JobOutcome) => void;
  progress?: (fraction: number, message?: string) => void;
}

export class LocalExecutor implements Executor {
  readonly name = 'local';
  readonly #slots: Slot[] = [];
  readonly #waiting: ((slot: Slot) => void)[] = [];
  #closed = false;

  constructor(readonly slots: number, private readonly cacheDir: string, private readonly durable = true) {}

  #spawn(): Slot {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: { cacheDir: this.cacheDir, durable: this.durable } });
    const slot: Slot = { worker, busy: false };
    worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'progress') slot.progress?.(msg.fraction, msg.message);
      else this.#done(slot, msg.outcome);
    });
    const crash = (why: string): void => {
      const i = this.#slots.indexOf(slot);
      if (i >= 0) this.#slots.splice(i, 1);
      if (slot.busy) this.#done(slot, { status: 'failed', error: `worker thread ${why}`, seconds: 0 }, false);
    };
    worker.on('error', (e) => crash(`crashed: ${e.stack ?? e.message}`));
    worker.on('exit', (code) => crash(`exited with code ${code}`));
    this.#slots.push(slot);
    return slot;
  }

  #done(slot: Slot, outcome: JobOutcome, reuse = true): void {
    const finish = slot.finish;
    slot.busy = false;
    slot.finish = undefined;
    slot.progress = undefined;
    finish?.(outcome);
    const next = this.#waiting.shift();
    if (next && reuse) next(slot);
    else if (next) next(this.#spawn());
  }

  /** A slot marked busy before anyone else can see it idle. */
  async #acquire(): Promise<Slot> {
    const slot = this.#slots.find((s) => !s.busy) ?? (this.#slots.length < this.slots ? this.#spawn() : undefined);
    if (slot) {
      slot.busy = true;
      return slot;
    }
    return new Promise((resolve) => this.#waiting.push((s) => { s.busy = true; resolve(s); }));
  }

  async run(job: InstanceJob, progress: (fraction: number, message?: string) => void): Promise<JobOutcome> {
    if (this.#closed) return { status: 'interrupted' };
    const slot = await this.#acquire();
    return new Promise<JobOutcome>((resolve) => {
      slot.finish = resolve;
      slot.progress = progress;
      slot.worker.postMessage({ type: 'job', job } satisfies ToWorker);
    });
  }

  abort(): void {
    for (const s of this.#slots) if (s.busy) s.worker.postMessage({ type: 'abort' } satisfies ToWorker);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const slots = this.#slots.splice(0);
    for (const s of slots) {
      s.worker.removeAllListeners('exit');
      s.worker.removeAllListeners('error');
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
    for (const s of slots) if (s.busy) this.#done(s, { status: 'interrupted' }, false);
    for (const waiter of this.#waiting.splice(0)) void waiter;
  }
}
