// The Slurm executor: instances handed over by the scheduler are gathered for a moment, packed several
// to an array element, written to a shard file in the shared cache and submitted as `sbatch --array`
// jobs whose elements run `degen exec` on their part of the shard. Outcomes are read back from the
// cache records the elements write, and from squeue for elements that ended without writing them.
// The scheduler keeps doing what it does locally (keys, locks, waves): this is only another executor.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalStore } from '../cache/local-store.js';
import { DamagedObjectError, type Store } from '../cache/store.js';
import { cacheDir } from '../commands/common.js';
import type { ExecutorFactory } from '../commands/run.js';
import { coordsText } from '../graph/instances.js';
import { displayPath } from '../spec/source.js';
import type { EventStream, RunEvent } from './events.js';
import type { Executor } from './executor.js';
import type { InstanceJob, JobOutcome } from './job.js';
import { accountingStates, command, commandSync, ENDED, firstLine, parseArrayLimit, parseJobId, queryElements, transient, type ElementRow } from './slurm-commands.js';
import { resourceFlags, slurmSettings, type SlurmCliOptions, type SlurmSettings } from './slurm-options.js';
import { appendSubmissions, logPath, readSubmissions, slurmPaths, SHARD_FORMAT, writeShard, type SlurmPaths, type Submission } from './slurm-shards.js';

/** The CLI entry point each element runs. */
const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

/** An instance handed over by the scheduler, until its outcome is known. */
interface Handed {
  readonly job: InstanceJob;
  readonly progress: (fraction: number, message?: string) => void;
  readonly resolve: (outcome: JobOutcome) => void;
  /** Resubmissions so far. */
  attempts: number;
  element?: Element;
  settled: boolean;
}

interface ArrayJob {
  readonly id: string;
  readonly stage: string;
  /** Shard and script, removed once every element ended and none failed. */
  readonly files: readonly string[];
  readonly elements: Element[];
  failed: boolean;
  /** Whether the user was told that it waits for something that may never come. */
  warned: boolean;
}

interface Element {
  readonly array: ArrayJob;
  readonly task: number;
  /** `12_3`, as Slurm names it. */
  readonly id: string;
  readonly log: string;
  /** Instances of this element whose outcome is not known yet. */
  readonly waiting: Set<Handed>;
  /** When it was submitted or adopted. */
  readonly since: number;
  /** Last state and reason seen in squeue; '' before the first poll. */
  state: string;
  reason: string;
  node: string;
  seen: boolean;
  /** Gone from squeue without having been seen to end. */
  gone: boolean;
  /** First poll that saw it ended (or gone). */
  endedAt?: number;
  done: boolean;
}

export interface SlurmContext {
  readonly cacheDir: string;
  readonly study: string;
  readonly events: EventStream;
  /** Largest number of elements per array job. */
  readonly arrayLimit: number;
}

/** Pending reasons that do not clear by waiting, short of an administrator changing the cluster. */
const STUCK = new Set(['PartitionConfig', 'PartitionTimeLimit', 'PartitionNodeLimit', 'BadConstraints', 'DependencyNeverSatisfied', 'InvalidAccount', 'InvalidQOS']);

/** Polls an element gets after it ended for its records to show up (shared file systems cache directory lookups). */
const SETTLE_POLLS = 10;

export class SlurmExecutor implements Executor {
  readonly name = 'slurm';
  /** Every ready instance is handed over: packing and throttling happen in the arrays. */
  readonly slots = Number.POSITIVE_INFINITY;
  readonly #store: Store;
  readonly #paths: SlurmPaths;
  readonly #gatherMs: number;
  readonly #settleMs: number;
  #gathered: Handed[] = [];
  #gatherTimer: NodeJS.Timeout | undefined;
  #arrays: ArrayJob[] = [];
  #submissions: Map<string, Submission> | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #polling = false;
  #countsQueued = false;
  readonly #lastCounts = new Map<string, string>();
  #lastSqueueWarning = 0;
  /** After a failure without --keep-going: nothing more is submitted. */
  #stopped = false;
  /** After Ctrl-C or close: nothing more is followed. */
  #closed = false;

  constructor(private readonly settings: SlurmSettings, private readonly context: SlurmContext) {
    this.#store = new LocalStore(context.cacheDir);
    this.#paths = slurmPaths(context.cacheDir);
    this.#gatherMs = Math.min(1000, settings.pollMs);
    this.#settleMs = SETTLE_POLLS * settings.pollMs;
  }

  run(job: InstanceJob, progress: (fraction: number, message?: string) => void): Promise<JobOutcome> {
    if (this.#closed || this.#stopped) return Promise.resolve({ status: 'interrupted' });
    return new Promise((resolve) => this.#gather({ job, progress, resolve, attempts: 0, settled: false }));
  }

  /** Ctrl-C: stop following; submitted jobs keep running and a rerun picks them up. */
  abort(): void {
    if (this.#closed) return;
    const live = this.#arrays.filter((a) => a.elements.some((e) => !e.done && e.waiting.size > 0)).map((a) => a.id);
    const left = this.#arrays.reduce((n, a) => n + a.elements.reduce((m, e) => m + (e.done ? 0 : e.waiting.size), 0), 0);
    this.#shutDown();
    if (live.length) {
      const jobs = live.join(' ');
      this.context.events.emit({
        type: 'warning',
        message: `${left} instance${left === 1 ? '' : 's'} stay queued or running on Slurm in job${live.length === 1 ? '' : 's'} ${live.join(', ')}. ` +
          `Run the same command again to follow them (nothing finished or still queued is submitted twice), or cancel them with: scancel ${jobs}`,
      });
    }
  }

  async close(): Promise<void> {
    this.#shutDown();
  }

  #shutDown(): void {
    this.#closed = true;
    clearTimeout(this.#gatherTimer);
    clearInterval(this.#pollTimer);
    for (const h of this.#gathered.splice(0)) this.#settle(h, { status: 'interrupted' });
    for (const a of this.#arrays) for (const e of a.elements) for (const h of e.waiting) this.#settle(h, { status: 'interrupted' });
  }

  // ---- submitting ----

  #gather(h: Handed): void {
    this.#gathered.push(h);
    this.#tell(h, 'waiting to be submitted to Slurm');
    if (this.#gathered.length >= this.settings.pack * this.context.arrayLimit) void this.#flush();
    else this.#gatherTimer ??= setTimeout(() => void this.#flush(), this.#gatherMs);
    this.#countsChanged();
  }

  /** Submits what was gathered: one array job per stage (split below the array limit). */
  async #flush(): Promise<void> {
    clearTimeout(this.#gatherTimer);
    this.#gatherTimer = undefined;
    const batch = this.#gathered.splice(0);
    if (batch.length === 0) return;
    try {
      const fresh = await this.#adopt(batch);
      const byStage = new Map<string, Handed[]>();
      for (const h of fresh) {
        const list = byStage.get(h.job.stage);
        if (list) list.push(h);
        else byStage.set(h.job.stage, [h]);
      }
      for (const [stage, list] of byStage) {
        const elements = chunks(list, this.settings.pack);
        for (const part of chunks(elements, this.context.arrayLimit)) await this.#submit(stage, part);
      }
    } catch (e) {
      // e.g. the cache folder is not writable: the shard cannot be written.
      for (const h of batch) if (!h.element) this.#settle(h, { status: 'failed', error: `cannot submit to Slurm: ${(e as Error).message}`, seconds: 0 });
    }
    this.#countsChanged();
  }

  /** Instances an earlier driver submitted whose element is still queued or running are followed, not submitted again. */
  async #adopt(batch: Handed[]): Promise<Handed[]> {
    this.#submissions ??= readSubmissions(this.#paths.journal);
    const journal = this.#submissions;
    const known = batch.filter((h) => journal.has(h.job.key) && !this.#owns(journal.get(h.job.key)!));
    if (known.length === 0) return batch;
    const found = await queryElements([...new Set(known.map((h) => journal.get(h.job.key)!.job))]);
    // squeue failing says nothing about those jobs: submit anew (an element skips what is cached by then).
    if ('error' in found) return batch;
    const live = new Map(found.rows.filter((r) => !ENDED.has(r.state)).map((r) => [`${r.array}_${r.task}`, r]));
    const fresh: Handed[] = [];
    const adopted = new Map<ArrayJob, number>();
    for (const h of batch) {
      const s = journal.get(h.job.key);
      const row = s && live.get(`${s.job}_${s.task}`);
      if (!s || !row || row.name !== s.name || this.#closed || this.#stopped) {
        fresh.push(h);
        continue;
      }
      const element = this.#elementOf(s, row);
      this.#attach(h, element);
      adopted.set(element.array, (adopted.get(element.array) ?? 0) + 1);
    }
    for (const [array, n] of adopted) {
      this.#emit({
        type: 'batch-submitted', stage: array.stage, instances: n, batch: `slurm job ${array.id}`, resumed: true,
        detail: 'queued or running from an earlier run; following it instead of submitting again', log: displayPath(join(this.#paths.logs, `${array.id}_*.out`)),
      });
    }
    if (adopted.size) this.#startPolling();
    return fresh;
  }

  #owns(s: Submission): boolean {
    return this.#arrays.some((a) => a.id === s.job);
  }

  #elementOf(s: Submission, row: ElementRow): Element {
    let array = this.#arrays.find((a) => a.id === s.job);
    if (!array) {
      // Its shard stays: elements still queued will read it.
      array = { id: s.job, stage: s.stage, files: [], elements: [], failed: false, warned: false };
      this.#arrays.push(array);
    }
    let element = array.elements.find((e) => e.task === s.task);
    if (!element) {
      element = newElement(array, s.task, s.log);
      element.state = row.state;
      element.reason = row.reason;
      element.node = row.node;
      element.seen = true;
      array.elements.push(element);
    }
    return element;
  }

  async #submit(stage: string, elements: readonly (readonly Handed[])[]): Promise<void> {
    const all = elements.flat();
    if (this.#closed || this.#stopped) {
      for (const h of all) this.#settle(h, { status: 'interrupted' });
      return;
    }
    const { study } = this.context;
    const n = elements.length;
    const throttle = Math.min(this.settings.throttle, n);
    const name = jobName(study, stage);
    mkdirSync(this.#paths.logs, { recursive: true });
    const base = join(this.#paths.shards, `${safe(study)}-${safe(stage)}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`);
    const shard = `${base}.json`;
    const script = `${base}.sh`;
    writeShard(shard, { format: SHARD_FORMAT, study, stage, logs: this.#paths.logs, elements: elements.map((e) => e.map((h) => h.job)) });
    writeFileSync(script, batchScript(study, stage, this.context.cacheDir, shard), { mode: 0o755 });
    const args = [
      '--parsable', `--array=0-${n - 1}%${throttle}`, `--job-name=${name}`, `--output=${join(this.#paths.logs, '%A_%a.out')}`,
      // A requeued element (node failure) appends to its log rather than erasing the first attempt's.
      '--open-mode=append', ...resourceFlags(this.settings), script,
    ];
    let result = await command('sbatch', args);
    for (let attempt = 1; attempt < 3 && result.code !== 0 && transient(firstLine(result)); attempt++) {
      await new Promise((r) => setTimeout(r, this.settings.pollMs * attempt));
      result = await command('sbatch', args);
    }
    const id = result.code === 0 ? parseJobId(result.stdout) : undefined;
    if (!id) {
      rmSync(shard, { force: true });
      rmSync(script, { force: true });
      const why = result.missing ? 'sbatch is not on PATH' : `sbatch refused the job: ${firstLine(result) || `exit code ${result.code}, no job id`}`;
      for (const h of all) this.#settle(h, { status: 'failed', error: why, seconds: 0 });
      return;
    }
    const array: ArrayJob = { id, stage, files: [shard, script], elements: [], failed: false, warned: false };
    const at = new Date().toISOString();
    const entries = elements.map((e, task): Submission => ({ job: id, task, name, stage, keys: e.map((h) => h.job.key), log: logPath(this.#paths.logs, id, task), shard, at }));
    appendSubmissions(this.#paths.journal, entries);
    for (const s of entries) for (const key of s.keys) this.#submissions?.set(key, s);
    this.#arrays.push(array);
    elements.forEach((e, task) => {
      const element = newElement(array, task, logPath(this.#paths.logs, id, task));
      array.elements.push(element);
      for (const h of e) this.#attach(h, element);
    });
    this.#emit({
      type: 'batch-submitted', stage, instances: all.length, batch: `slurm job ${id}`,
      detail: `${n} array element${n === 1 ? '' : 's'} of up to ${this.settings.pack} instance${this.settings.pack === 1 ? '' : 's'}, at most ${throttle} at once`,
      log: displayPath(join(this.#paths.logs, `${id}_*.out`)),
    });
    // Ctrl-C while sbatch ran: the job is in the journal, so the next run follows it.
    if (this.#closed) for (const h of all) this.#settle(h, { status: 'interrupted' });
    else this.#startPolling();
  }

  #attach(h: Handed, element: Element): void {
    h.element = element;
    element.waiting.add(h);
    this.#tell(h, this.#where(element));
  }

  // ---- following ----

  #startPolling(): void {
    this.#pollTimer ??= setInterval(() => void this.#poll(), this.settings.pollMs);
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#closed || this.#arrays.length === 0) return;
    this.#polling = true;
    try {
      await this.#follow();
    } catch (e) {
      this.#emit({ type: 'warning', message: `following the Slurm jobs failed: ${(e as Error).message}; trying again` });
    } finally {
      this.#polling = false;
      this.#countsChanged();
    }
  }

  /** One look at squeue and the cache: outcomes of what ended, Slurm's reasons for what did not record. */
  async #follow(): Promise<void> {
    const found = await queryElements(this.#arrays.map((a) => a.id));
    if (this.#closed) return;
    if ('error' in found) {
      // The controller may be busy or restarting: keep the elements and ask again next time.
      if (Date.now() - this.#lastSqueueWarning > 60_000) {
        this.#lastSqueueWarning = Date.now();
        this.#emit({ type: 'warning', message: `${found.error}; trying again` });
      }
      return;
    }
    const rows = new Map(found.rows.map((r) => [`${r.array}_${r.task}`, r]));
    const now = Date.now();
    const vanished: Element[] = [];
    for (const array of this.#arrays) {
      for (const el of array.elements) {
        if (el.done) continue;
        const row = rows.get(el.id);
        if (row) this.#update(el, row);
        // An element not listed yet right after sbatch is young, not gone.
        const ended = row ? ENDED.has(row.state) : el.seen || now - el.since > this.#settleMs;
        if (!row && ended) el.gone = true;
        if (ended || (el.state !== '' && el.state !== 'PENDING')) this.#collect(el);
        if (!ended) continue;
        el.endedAt ??= now;
        if (el.waiting.size > 0 && now - el.endedAt >= this.#settleMs) {
          if (el.gone && !ENDED.has(el.state)) vanished.push(el);
          else this.#lost(el);
        }
        if (el.waiting.size === 0) el.done = true;
      }
    }
    if (vanished.length) {
      // Gone from squeue (purged after MinJobAge, or cancelled while pending): accounting may still know.
      const states = await accountingStates(vanished.map((e) => e.id));
      for (const el of vanished) {
        const state = states.get(el.id);
        if (state) el.state = state;
        this.#lost(el);
        el.done = true;
      }
    }
    this.#arrays = this.#arrays.filter((a) => {
      if (a.elements.some((e) => !e.done)) return true;
      if (!a.failed) for (const f of a.files) rmSync(f, { force: true });
      return false;
    });
  }

  #update(el: Element, row: ElementRow): void {
    el.seen = true;
    if (row.state === el.state && row.reason === el.reason) return;
    el.state = row.state;
    el.reason = row.reason;
    el.node = row.node;
    for (const h of el.waiting) this.#tell(h, this.#where(el));
    if (row.state === 'PENDING' && STUCK.has(row.reason) && !el.array.warned) {
      el.array.warned = true;
      this.#emit({ type: 'warning', message: `slurm job ${el.id} waits with reason ${row.reason}, which usually means the cluster cannot run it as asked (partition, time, CPUs, memory, account, dependency); check the options, and cancel it with: scancel ${el.array.id}` });
    }
  }

  /** Outcomes the element recorded in the cache. */
  #collect(el: Element): void {
    for (const h of [...el.waiting]) {
      const done = this.#store.completeRecord(h.job.key);
      if (done) {
        this.#settle(h, { status: 'ok', outputs: done.outputs, seconds: done.seconds });
        continue;
      }
      // A failed record counts only if this element wrote it (not an earlier run's failure of the same key).
      const record = this.#store.readRecord(h.job.key);
      if (record?.status === 'failed' && record.facts?.slurm_job === el.id) {
        const [first = '', ...rest] = (record.error ?? 'failed').split('\n');
        this.#settle(h, { status: 'failed', error: [`${first} [slurm job ${el.id}; log: ${displayPath(el.log)}]`, ...rest].join('\n'), seconds: record.seconds });
      }
    }
  }

  /** The element ended without recording these instances: Slurm's reason is theirs; retry if allowed. */
  #lost(el: Element): void {
    el.array.failed = true;
    const reason = el.reason && el.reason !== 'None' ? ` (${el.reason})` : '';
    const why = el.state === 'COMPLETED'
      ? `slurm job ${el.id} COMPLETED without recording this instance`
      : el.gone && !ENDED.has(el.state)
        ? `slurm job ${el.id} left the queue without finishing this instance (last seen ${el.state || 'never'}${reason}; cancelled?)`
        : `slurm job ${el.id} ${el.state}${reason}`;
    const message = `${why}; log: ${displayPath(el.log)}`;
    for (const h of [...el.waiting]) {
      el.waiting.delete(h);
      h.element = undefined;
      const damaged = damagedInput(this.#store, h.job);
      if (damaged) {
        this.#settle(h, damaged);
      } else if (h.attempts < this.settings.retries && !this.#stopped && !this.#closed) {
        h.attempts++;
        this.#emit({ type: 'warning', message: `[${h.job.stage}] ${coordsText(h.job.coords)}: ${message}; submitting it again (retry ${h.attempts} of ${this.settings.retries})` });
        this.#gather(h);
      } else {
        this.#settle(h, { status: 'failed', error: message, seconds: 0 });
      }
    }
  }

  #settle(h: Handed, outcome: JobOutcome): void {
    if (h.settled) return;
    h.settled = true;
    h.element?.waiting.delete(h);
    h.resolve(outcome);
    if (outcome.status === 'failed' && !this.settings.keepGoing) this.#stopAfterFailure();
  }

  /**
   * Without --keep-going a failure stops the run, as locally: elements that have not started are
   * cancelled and their instances handed back unrun; running elements finish.
   */
  #stopAfterFailure(): void {
    if (this.#stopped || this.#closed) return;
    this.#stopped = true;
    clearTimeout(this.#gatherTimer);
    for (const h of this.#gathered.splice(0)) this.#settle(h, { status: 'interrupted' });
    const cancel: string[] = [];
    for (const a of this.#arrays) {
      for (const el of a.elements) {
        if (el.done || el.waiting.size === 0 || (el.state !== '' && el.state !== 'PENDING')) continue;
        cancel.push(el.id);
        el.done = true;
        for (const h of el.waiting) this.#settle(h, { status: 'interrupted' });
      }
    }
    if (cancel.length === 0) return;
    void command('scancel', cancel);
    this.#emit({ type: 'warning', message: `a failure stops the run: cancelled ${cancel.length} array element${cancel.length === 1 ? '' : 's'} that had not started (${cancel.join(' ')}); use --keep-going to let them run` });
  }

  // ---- reporting ----

  /** The run's event stream ends when the executor is closed; a late sbatch or poll must not write to it. */
  #emit(event: RunEvent): void {
    if (!this.#closed) this.context.events.emit(event);
  }

  #tell(h: Handed, message: string): void {
    if (!h.settled && !this.#closed) h.progress(0, message);
  }

  #where(el: Element): string {
    if (el.state === '' || el.state === 'PENDING') return `queued as slurm job ${el.id}${el.reason && el.reason !== 'None' ? ` (${el.reason})` : ''}`;
    if (el.state === 'RUNNING') return `running as slurm job ${el.id}${el.node ? ` on ${el.node}` : ''}`;
    return `slurm job ${el.id} ${el.state}`;
  }

  /** Queued and running counts per stage, sent once per turn of the event loop when they changed. */
  #countsChanged(): void {
    if (this.#countsQueued) return;
    this.#countsQueued = true;
    setImmediate(() => {
      this.#countsQueued = false;
      // After close the run is over, and so is its event stream.
      if (this.#closed) return;
      const counts = new Map<string, { queued: number; running: number }>();
      const at = (stage: string): { queued: number; running: number } => {
        let c = counts.get(stage);
        if (!c) counts.set(stage, (c = { queued: 0, running: 0 }));
        return c;
      };
      for (const h of this.#gathered) at(h.job.stage).queued++;
      for (const a of this.#arrays) {
        for (const el of a.elements) {
          for (const h of el.waiting) {
            if (el.state === '' || el.state === 'PENDING') at(h.job.stage).queued++;
            else at(h.job.stage).running++;
          }
        }
      }
      for (const stage of this.#lastCounts.keys()) at(stage);
      for (const [stage, c] of counts) {
        const text = `${c.queued}/${c.running}`;
        if (this.#lastCounts.get(stage) === text) continue;
        this.#lastCounts.set(stage, text);
        this.#emit({ type: 'stage-queue', stage, where: 'slurm', queued: c.queued, running: c.running });
      }
    });
  }
}

function newElement(array: ArrayJob, task: number, log: string): Element {
  return { array, task, id: `${array.id}_${task}`, log, waiting: new Set(), since: Date.now(), state: '', reason: '', node: '', seen: false, gone: false, done: false };
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let at = 0; at < list.length; at += size) out.push(list.slice(at, at + size));
  return out;
}

/** A damaged input explains an element's failure better than Slurm's state: the scheduler then recomputes it. */
function damagedInput(store: Store, job: InstanceJob): JobOutcome | undefined {
  for (const u of job.upstream) {
    for (const hash of Object.values(u.outputs)) {
      try {
        store.readObject(hash);
      } catch (e) {
        if (e instanceof DamagedObjectError) return { status: 'damaged', hash, error: e.message };
        throw e;
      }
    }
  }
  return undefined;
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

export function jobName(study: string, stage: string): string {
  return `degen-${safe(study)}-${safe(stage)}`;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Compute nodes share the file system, so absolute paths to node, degen, the cache and the shard hold there too. */
function batchScript(study: string, stage: string, cache: string, shard: string): string {
  return [
    '#!/bin/sh',
    `# degen: one array element of study ${study}, stage ${stage}: runs its instances of the shard below.`,
    `exec ${shellQuote(process.execPath)} ${shellQuote(MAIN)} exec --cache ${shellQuote(cache)} --shard ${shellQuote(shard)} --index "$SLURM_ARRAY_TASK_ID"`,
    '',
  ].join('\n');
}

/** `--executor slurm`: checks the settings and that the cluster answers before anything runs. */
export const slurmExecutor: ExecutorFactory = (opts, study, events) => {
  const settings = slurmSettings(opts as SlurmCliOptions, study);
  if (typeof settings === 'string') return settings;
  const sinfo = commandSync('sinfo', ['-h', '-o', '%P']);
  if (sinfo.missing) return 'the slurm executor needs Slurm\'s commands (sinfo, sbatch, squeue), which are not on PATH; run degen on a login node of the cluster (perhaps after `module load slurm`)';
  if (sinfo.code !== 0) return `sinfo failed, so the Slurm controller cannot be reached: ${firstLine(sinfo) || `exit code ${sinfo.code}`} (is SLURM_CONF right and slurmctld up?)`;
  const config = commandSync('scontrol', ['show', 'config']);
  const clusterLimit = config.code === 0 ? parseArrayLimit(config.stdout) : undefined;
  if (clusterLimit === 0) return 'this cluster does not allow job arrays (MaxArraySize = 0), which the slurm executor submits';
  // sbatch checks partition, account, time and memory against the cluster without submitting anything.
  const flags = resourceFlags(settings);
  const test = commandSync('sbatch', ['--test-only', '--array=0-0', `--job-name=${jobName(study.name, 'check')}`, '--output=/dev/null', ...flags, '--wrap', 'true']);
  if (test.missing) return 'the slurm executor needs sbatch, which is not on PATH';
  if (test.code !== 0) return `sbatch rejects these options${flags.length ? ` (${flags.join(' ')})` : ''}: ${firstLine(test)}`;
  return new SlurmExecutor(settings, {
    cacheDir: cacheDir(opts), study: study.name, events,
    arrayLimit: Math.min(settings.maxArraySize ?? Number.POSITIVE_INFINITY, clusterLimit ?? 1000),
  });
};
