// `degen run`: execute what is not cached, with a live view, and report how it went.
import { createWriteStream } from 'node:fs';
import { EventStream, type RunEvent } from '../exec/events.js';
import type { Executor } from '../exec/executor.js';
import { LocalExecutor } from '../exec/local.js';
import { Scheduler } from '../exec/scheduler.js';
import { coordsText } from '../graph/instances.js';
import type { StageRegistry } from '../stage.js';
import { plainView } from '../ui/plain-view.js';
import { summaryLine } from '../ui/tally.js';
import { cacheDir, DEFAULT_BACKEND, defaultJobs, EXIT, loadOrReport, openStore, type Io, type StudyOptions } from './common.js';

export interface RunOptions extends StudyOptions {
  readonly jobs?: number;
  readonly keepGoing?: boolean;
  readonly json?: boolean;
  readonly log?: string;
  readonly executor?: string;
}

/** Builds the executor named by --executor; the Slurm one is supplied by the composition root. */
export type ExecutorFactory = (opts: RunOptions, study: import('../spec/study.js').Study, events: EventStream) => Executor | string;

export async function runCommand(file: string, opts: RunOptions, registry: StageRegistry, io: Io, executors: Readonly<Record<string, ExecutorFactory>> = {}): Promise<number> {
  const loaded = await loadOrReport(file, registry, opts, io);
  if (!loaded) return EXIT.badInput;
  const store = openStore(opts);
  const events = new EventStream();
  const name = opts.executor ?? 'local';
  let executor: Executor;
  if (name === 'local') executor = new LocalExecutor(opts.jobs ?? defaultJobs(), cacheDir(opts));
  else {
    const make = executors[name];
    if (!make) {
      io.err(`degen: unknown executor ${JSON.stringify(name)}; expected one of local, ${Object.keys(executors).join(', ')}`);
      return EXIT.badInput;
    }
    const made = make(opts, loaded.study, events);
    if (typeof made === 'string') {
      io.err(`degen: ${made}`);
      return EXIT.badInput;
    }
    executor = made;
  }

  const failures: RunEvent[] = [];
  let finished: () => Promise<void> = async () => undefined;
  const interactive = !opts.json && process.stdout.isTTY && !process.env.CI;
  if (opts.json) {
    events.on((e) => { if (e.type === 'instance-failed') failures.push(e); });
  } else if (interactive) {
    // listr2 is loaded only for a terminal: it is a good part of start-up time otherwise.
    const { listrView } = await import('../ui/listr-view.js');
    const view = listrView();
    events.on(view.listener);
    events.on((e) => { if (e.type === 'instance-failed' || e.type === 'warning') failures.push(e); });
    finished = view.finished;
  } else {
    events.on(plainView((l) => io.out(l), (l) => io.err(l)));
  }
  if (opts.log) {
    const log = createWriteStream(opts.log, { flags: 'a' });
    events.on((e) => log.write(`${JSON.stringify({ at: new Date().toISOString(), ...e })}\n`));
    const prev = finished;
    finished = async () => { await prev(); await new Promise((r) => log.end(r)); };
  }

  const scheduler = new Scheduler(loaded.plan, store, executor, events, { keepGoing: opts.keepGoing ?? false, backend: opts.backend ?? DEFAULT_BACKEND });
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts++;
    if (interrupts === 1) {
      io.err('degen: interrupted; stopping running instances (Ctrl-C again to quit at once)');
      scheduler.interrupt();
      // Stages that do not watch their abort signal are stopped by terminating their workers.
      setTimeout(() => void executor.close(), 2000).unref();
    } else {
      process.exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let summary;
  try {
    summary = await scheduler.run();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await executor.close();
    await finished();
  }

  if (!opts.json) {
    // The plain view ends with this line itself; after the live view it is printed here.
    if (interactive) io.out(summaryLine(summary));
    for (const e of failures) {
      if (e.type === 'instance-failed') io.err(`[${e.stage}] FAILED ${coordsText(e.coords, loaded.plan.graph.byName.get(e.stage)?.scope.paired)}:\n  ${e.error.split('\n').join('\n  ')}`);
      else if (e.type === 'warning') io.err(`degen: warning: ${e.message}`);
    }
  } else {
    io.out(JSON.stringify({
      ran: summary.ran, cached: summary.cached, failed: summary.failed, skipped: summary.skipped, instances: summary.instances,
      seconds: Number(summary.seconds.toFixed(3)), interrupted: summary.interrupted,
      ...(failures.length ? { failures: failures.map((e) => e.type === 'instance-failed' ? { stage: e.stage, coords: e.coords, error: e.error.split('\n')[0] } : e) } : {}),
    }));
  }
  if (summary.interrupted) return EXIT.interrupted;
  return summary.failed > 0 || summary.skipped > 0 ? EXIT.failed : EXIT.ok;
}
