// A local worker thread: runs one instance at a time with executeJob against the shared cache.
import { parentPort, workerData } from 'node:worker_threads';
import { LocalStore } from '../cache/local-store.js';
import { executeJob, type InstanceJob } from './job.js';

export type ToWorker = { readonly type: 'job'; readonly job: InstanceJob } | { readonly type: 'abort' };
export type FromWorker =
  | { readonly type: 'progress'; readonly fraction: number; readonly message?: string }
  | { readonly type: 'outcome'; readonly outcome: import('./job.js').JobOutcome };

const port = parentPort!;
const { cacheDir, durable } = workerData as { cacheDir: string; durable: boolean };
const store = new LocalStore(cacheDir, durable);
let controller = new AbortController();

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'abort') {
    controller.abort();
    return;
  }
  controller = new AbortController();
  let lastProgress = 0;
  executeJob(msg.job, {
    store,
    executor: 'local',
    signal: controller.signal,
    progress: (fraction, message) => {
      const now = Date.now();
      if (now - lastProgress < 200 && fraction < 1) return;
      lastProgress = now;
      port.postMessage({ type: 'progress', fraction, message } satisfies FromWorker);
    },
  }).then(
    (outcome) => port.postMessage({ type: 'outcome', outcome } satisfies FromWorker),
    (e: unknown) => port.postMessage({ type: 'outcome', outcome: { status: 'failed', error: `internal error: ${String((e as Error)?.stack ?? e)}`, seconds: 0 } } satisfies FromWorker),
  );
});
