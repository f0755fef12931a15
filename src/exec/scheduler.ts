// The scheduler: walks the instance DAG, takes cached results as they are, and sends the rest to an
// executor in dependency order, one lock per key so that concurrent runs on one cache never compute the
// same instance twice.
import type { CacheKey } from '../cache/key.js';
import type { Lock } from '../cache/lock.js';
import { HEARTBEAT_MS } from '../cache/lock.js';
import type { Store } from '../cache/store.js';
import type { Instance, InstancePlan } from '../graph/instances.js';
import type { ContentHash } from '../stage.js';
import type { EventStream, RunSummary } from './events.js';
import type { Executor } from './executor.js';
import type { JobOutcome } from './job.js';
import { keyComponents, keyOf, makeJob, type Outputs } from './keys.js';

export interface RunOptions {
  readonly keepGoing: boolean;
  readonly backend: string;
  /** How often to look again at instances another process is computing. */
  readonly pollMs?: number;
}

type State = 'waiting' | 'queued' | 'running' | 'elsewhere' | 'done' | 'failed' | 'skipped';

export class Scheduler {
  readonly #state: State[];
  readonly #pending: number[];
  readonly #outputs: (Outputs | undefined)[];
  readonly #keys: (CacheKey | undefined)[];
  readonly #queue: Instance[] = [];
  readonly #elsewhere = new Set<Instance>();
  readonly #locks = new Map<Instance, Lock>();
  /** Instances waiting for an upstream instance to be recomputed after a damaged output. */
  readonly #repairs = new Map<Instance, Instance[]>();
  readonly #journal: { id: string; key: CacheKey }[] = [];
  readonly #journalLatest: Map<string, CacheKey>;
  #running = 0;
  #seeding = true;
  #stopping = false;
  #interrupted = false;
  #counts = { ran: 0, cached: 0, failed: 0, skipped: 0 };
  #finish?: () => void;

  constructor(
    private readonly plan: InstancePlan,
    private readonly store: Store,
    private readonly executor: Executor,
    private readonly events: EventStream,
    private readonly options: RunOptions,
  ) {
    const n = plan.instances.length;
    this.#state = new Array<State>(n).fill('waiting');
    this.#pending = plan.instances.map((i) => i.upstream.length);
    this.#outputs = new Array(n);
    this.#keys = new Array(n);
    this.#journalLatest = store.readJournal(plan.graph.study.name);
  }

  /** Stops starting new instances and asks running ones to stop. */
  interrupt(): void {
    if (this.#interrupted) return;
    this.#interrupted = true;
    this.#stopping = true;
    this.executor.abort();
    this.#check();
  }

  async run(): Promise<RunSummary> {
    const t0 = performance.now();
    const study = this.plan.graph.study;
    this.events.emit({
      type: 'run-started', study: study.name, instances: this.plan.instances.length, executor: this.executor.name, slots: this.executor.slots,
      stages: this.plan.graph.nodes.map((n) => ({ stage: n.spec.name, kind: n.stage.name, total: this.plan.byStage.get(n.spec.name)!.length, paired: [...n.scope.paired] })),
    });
    const heartbeat = setInterval(() => {
      for (const lock of this.#locks.values()) lock.touch();
      this.#flushJournal();
    }, HEARTBEAT_MS);
    const poll = setInterval(() => this.#pollElsewhere(), this.options.pollMs ?? 250);
    const done = new Promise<void>((resolve) => (this.#finish = resolve));
    try {
      // Resolve roots in slices so that the event loop (and the view) keep moving on large studies.
      const roots = this.plan.instances.filter((i) => i.upstream.length === 0);
      for (let at = 0; at < roots.length; at += 500) {
        for (const inst of roots.slice(at, at + 500)) this.#resolve(inst);
        this.#pump();
        await new Promise((r) => setImmediate(r));
      }
      this.#seeding = false;
      this.#check();
      await done;
    } finally {
      clearInterval(heartbeat);
      clearInterval(poll);
      for (const lock of this.#locks.values()) lock.release();
      this.#locks.clear();
      this.#flushJournal();
    }
    const summary: RunSummary = { ...this.#counts, instances: this.plan.instances.length, seconds: (performance.now() - t0) / 1000, interrupted: this.#interrupted };
    this.events.emit({ type: 'run-finished', summary });
    return summary;
  }

  #upstreamOutputs = (u: Instance): Outputs => this.#outputs[u.index]!;

  /** All upstream outputs are known: compute the key and take the cached result, or queue the instance. */
  #resolve(inst: Instance): void {
    if (this.#stopping && !this.#interrupted && !this.options.keepGoing) {
      this.#skip(inst, 'the run stopped after a failure (use --keep-going to run the rest)');
      return;
    }
    const components = keyComponents(inst, this.#upstreamOutputs, this.options.backend);
    const key = keyOf(components);
    this.#keys[inst.index] = key;
    const record = this.store.completeRecord(key);
    if (record) {
      this.events.emit({ type: 'instance-cached', stage: inst.node.spec.name, key, coords: inst.coords });
      this.#counts.cached++;
      if (this.#journalLatest.get(inst.id) !== key) this.#journal.push({ id: inst.id, key });
      this.#complete(inst, record.outputs);
      return;
    }
    this.#state[inst.index] = 'queued';
    this.#queue.push(inst);
  }

  #complete(inst: Instance, outputs: Outputs): void {
    this.#state[inst.index] = 'done';
    this.#outputs[inst.index] = outputs;
    const repaired = this.#repairs.get(inst);
    if (repaired) {
      this.#repairs.delete(inst);
      for (const d of repaired) this.#resolve(d);
      return;
    }
    for (const d of inst.dependents) {
      if (--this.#pending[d.index]! === 0 && this.#state[d.index] === 'waiting') this.#resolve(d);
    }
  }

  #pump(): void {
    while (!this.#stopping && this.#running < this.executor.slots && this.#queue.length > 0) {
      this.#dispatch(this.#queue.shift()!);
    }
    this.#check();
  }

  #dispatch(inst: Instance): void {
    const key = this.#keys[inst.index]!;
    const lock = this.store.lock(key);
    if ('heldBy' in lock) {
      this.#state[inst.index] = 'elsewhere';
      this.#elsewhere.add(inst);
      const h = lock.heldBy;
      this.events.emit({ type: 'instance-elsewhere', stage: inst.node.spec.name, key, coords: inst.coords, holder: h ? `pid ${h.pid} on ${h.host}` : 'another process' });
      return;
    }
    // Another process may have finished it between our cache check and the lock.
    const record = this.store.completeRecord(key);
    if (record) {
      lock.release();
      this.events.emit({ type: 'instance-cached', stage: inst.node.spec.name, key, coords: inst.coords });
      this.#counts.cached++;
      this.#complete(inst, record.outputs);
      return;
    }
    this.#locks.set(inst, lock);
    this.#state[inst.index] = 'running';
    this.#running++;
    const components = keyComponents(inst, this.#upstreamOutputs, this.options.backend);
    const job = makeJob(inst, key, components, this.#upstreamOutputs, this.plan.graph.study.name, this.options.backend);
    this.events.emit({ type: 'instance-started', stage: inst.node.spec.name, key, coords: inst.coords });
    this.executor
      .run(job, (fraction, message) => this.events.emit({ type: 'instance-progress', stage: inst.node.spec.name, key, coords: inst.coords, fraction, ...(message ? { message } : {}) }))
      .then((outcome) => this.#finished(inst, outcome), (e: unknown) => this.#finished(inst, { status: 'failed', error: String(e), seconds: 0 }));
  }

  #finished(inst: Instance, outcome: JobOutcome): void {
    this.#running--;
    this.#locks.get(inst)?.release();
    this.#locks.delete(inst);
    const key = this.#keys[inst.index]!;
    const stage = inst.node.spec.name;
    switch (outcome.status) {
      case 'ok':
        this.#counts.ran++;
        this.#journal.push({ id: inst.id, key });
        this.events.emit({ type: 'instance-done', stage, key, coords: inst.coords, seconds: outcome.seconds });
        this.#complete(inst, outcome.outputs);
        break;
      case 'failed': {
        this.#counts.failed++;
        this.#state[inst.index] = 'failed';
        this.events.emit({ type: 'instance-failed', stage, key, coords: inst.coords, error: outcome.error });
        this.#skipDependents(inst, `${stage} ${describeCoords(inst)} failed`);
        if (!this.options.keepGoing) this.#stopping = true;
        break;
      }
      case 'damaged':
        this.#repair(inst, outcome.hash, outcome.error);
        break;
      case 'interrupted':
        this.#state[inst.index] = 'queued';
        break;
    }
    this.#pump();
  }

  /** A cached input was damaged: drop the producing record and object, recompute it, then rerun `inst`. */
  #repair(inst: Instance, hash: ContentHash, error: string): void {
    const producer = inst.upstream.find((u) => Object.values(this.#outputs[u.index] ?? {}).includes(hash));
    this.events.emit({ type: 'warning', message: `${error}; treating it as a cache miss and recomputing${producer ? ` ${producer.node.spec.name} ${describeCoords(producer)}` : ''}` });
    this.store.dropObject(hash);
    if (!producer || this.#repairs.has(producer)) {
      if (producer) this.#repairs.get(producer)!.push(inst);
      else this.#fail(inst, error);
      this.#state[inst.index] = 'waiting';
      return;
    }
    this.store.dropRecord(this.#keys[producer.index]!);
    this.#repairs.set(producer, [inst]);
    this.#state[inst.index] = 'waiting';
    this.#state[producer.index] = 'queued';
    this.#queue.unshift(producer);
  }

  #fail(inst: Instance, error: string): void {
    this.#counts.failed++;
    this.#state[inst.index] = 'failed';
    this.events.emit({ type: 'instance-failed', stage: inst.node.spec.name, key: this.#keys[inst.index] ?? '', coords: inst.coords, error });
    this.#skipDependents(inst, `${inst.node.spec.name} ${describeCoords(inst)} failed`);
  }

  #skip(inst: Instance, because: string): void {
    if (this.#state[inst.index] === 'skipped') return;
    this.#state[inst.index] = 'skipped';
    this.#counts.skipped++;
    this.events.emit({ type: 'instance-skipped', stage: inst.node.spec.name, coords: inst.coords, because });
    this.#skipDependents(inst, because);
  }

  #skipDependents(inst: Instance, because: string): void {
    const stack = [...inst.dependents];
    while (stack.length) {
      const d = stack.pop()!;
      if (this.#state[d.index] !== 'waiting') continue;
      this.#state[d.index] = 'skipped';
      this.#counts.skipped++;
      this.events.emit({ type: 'instance-skipped', stage: d.node.spec.name, coords: d.coords, because });
      stack.push(...d.dependents);
    }
  }

  #pollElsewhere(): void {
    if (this.#elsewhere.size === 0) return;
    for (const inst of [...this.#elsewhere]) {
      const key = this.#keys[inst.index]!;
      const record = this.store.completeRecord(key);
      if (record) {
        this.#elsewhere.delete(inst);
        this.events.emit({ type: 'instance-cached', stage: inst.node.spec.name, key, coords: inst.coords });
        this.#counts.cached++;
        this.#complete(inst, record.outputs);
      } else if (this.store.lockState(key) !== 'held') {
        // The other process gave it up (failed, interrupted or died): take it over.
        this.#elsewhere.delete(inst);
        this.#state[inst.index] = 'queued';
        this.#queue.unshift(inst);
      }
    }
    this.#pump();
  }

  #check(): void {
    if (this.#seeding || this.#running > 0) return;
    if (!this.#stopping) {
      if (this.#queue.length > 0 || this.#elsewhere.size > 0) return;
    } else if (!this.#interrupted) {
      for (const inst of this.plan.instances) {
        const s = this.#state[inst.index];
        if (s === 'queued' || s === 'waiting' || s === 'elsewhere') this.#skip(inst, 'the run stopped after a failure (use --keep-going to run the rest)');
      }
    }
    this.#finish?.();
  }

  #flushJournal(): void {
    if (this.#journal.length === 0) return;
    const entries = this.#journal.splice(0);
    this.store.appendJournal(this.plan.graph.study.name, entries);
    for (const e of entries) this.#journalLatest.set(e.id, e.key);
  }
}

function describeCoords(inst: Instance): string {
  return Object.entries(inst.coords).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
}
