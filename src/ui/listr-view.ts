// The interactive view: one listr2 row per stage with done/cached/failed/total, the instance running
// and elapsed time. Fed only by run events.
import { Listr, type ListrTaskWrapper } from 'listr2';
import type { RunEvent } from '../exec/events.js';
import { counts, seconds, Tally, type StageTally } from './tally.js';

interface Row {
  task?: ListrTaskWrapper<unknown, never, never>;
  settle?: (error?: Error) => void;
  closed?: boolean;
  /** Set when the run finished before listr started this row's task (e.g. everything was cached). */
  finished?: { error?: Error };
}

export function listrView(): { listener: (e: RunEvent) => void; finished: () => Promise<void> } {
  let tally: Tally | undefined;
  let listr: Promise<unknown> = Promise.resolve();
  const rows = new Map<string, Row>();
  let timer: NodeJS.Timeout | undefined;

  const render = (t: StageTally): void => {
    const row = rows.get(t.stage);
    // listr2 drops a task's output buffer once it settles: a closed row takes no more updates.
    if (!row?.task || row.closed) return;
    const elapsed = t.started !== undefined ? seconds((t.finished ?? performance.now()) - t.started) : '';
    row.task.title = `${t.stage} (${t.kind})  ${counts(t)}${elapsed ? `  ${elapsed}` : ''}`;
    const running = [...t.running.values()].slice(0, 4).map((r) => `${r.coords}${r.fraction > 0 ? ` ${(r.fraction * 100).toFixed(0)}%` : ''}${r.message ? ` ${r.message}` : ''} (${seconds(performance.now() - r.since)})`);
    if (t.elsewhere > 0) running.push(`${t.elsewhere} computed by another process`);
    row.task.output = running.join('\n');
    if (tally && tally.settled(t) >= t.total && row.settle) {
      const settle = row.settle;
      row.settle = undefined;
      row.task.output = '';
      row.closed = true;
      settle(t.failed > 0 ? new Error(`${row.task.title}`) : undefined);
    }
  };

  const close = (row: Row, error?: Error): void => {
    row.closed = true;
    row.settle?.(error);
    row.settle = undefined;
  };

  const listener = (e: RunEvent): void => {
    if (e.type === 'run-started') {
      tally = new Tally(e.stages);
      const tasks = e.stages.map((s) => {
        const row: Row = {};
        rows.set(s.stage, row);
        return {
          title: `${s.stage} (${s.kind})  0 / ${s.total}`,
          rendererOptions: { outputBar: 5, persistentOutput: false },
          task: (_: unknown, task: ListrTaskWrapper<unknown, never, never>) => new Promise<void>((resolve, reject) => {
            row.task = task;
            row.settle = (error) => (error ? reject(error) : resolve());
            render(tally!.stages.get(s.stage)!);
            if (row.finished) close(row, row.finished.error);
          }),
        };
      });
      listr = new Listr(tasks as never, { concurrent: true, exitOnError: false, rendererOptions: { collapseSubtasks: false, showErrorMessage: false } as never }).run().catch(() => undefined);
      timer = setInterval(() => { for (const t of tally?.stages.values() ?? []) render(t); }, 500);
      return;
    }
    if (e.type === 'run-finished') {
      if (timer) clearInterval(timer);
      // Whatever did not settle (interrupted runs) closes now; a row whose task listr has not started
      // yet closes when it starts.
      const error = e.summary.interrupted ? new Error('interrupted') : undefined;
      for (const [name, row] of rows) {
        const t = tally?.stages.get(name);
        if (t) render(t);
        if (row.task) close(row, error);
        else row.finished = { error };
      }
      return;
    }
    const t = tally?.apply(e);
    if (t) render(t);
  };
  return { listener, finished: () => listr.then(() => undefined) };
}
