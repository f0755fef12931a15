// What a run would do, without running anything: each instance's key where it can be known, whether it
// is cached, and why not (a diff of key components against the key it last completed under).
import { explainChange, type CacheKey } from '../cache/key.js';
import type { InstanceRecord, Store } from '../cache/store.js';
import type { Instance, InstancePlan } from '../graph/instances.js';
import { keyComponents, keyOf, type Outputs } from './keys.js';

export interface InstanceStatus {
  readonly inst: Instance;
  /** Unknown until upstream instances that must run have run. */
  readonly key: CacheKey | undefined;
  readonly status: 'cached' | 'run';
  readonly reasons: readonly string[];
  readonly record: InstanceRecord | undefined;
}

export function planStatus(plan: InstancePlan, store: Store, backend: string, explain = false): InstanceStatus[] {
  const journal = explain ? store.readJournal(plan.graph.study.name) : new Map<string, CacheKey>();
  const outputs: (Outputs | undefined)[] = new Array(plan.instances.length);
  const result: InstanceStatus[] = [];
  for (const inst of plan.instances) {
    const blocked = inst.upstream.filter((u) => outputs[u.index] === undefined);
    if (blocked.length > 0) {
      const needs = [...new Set(blocked.map((u) => inst.upstreamNeed[inst.upstream.indexOf(u)]!))];
      result.push({ inst, key: undefined, status: 'run', record: undefined, reasons: explain ? needs.map((n) => `inputs.${n}: upstream will run first`) : [] });
      continue;
    }
    const components = keyComponents(inst, (u) => outputs[u.index]!, backend);
    const key = keyOf(components);
    const record = store.completeRecord(key);
    if (record) {
      outputs[inst.index] = record.outputs;
      result.push({ inst, key, status: 'cached', record, reasons: [] });
      continue;
    }
    result.push({ inst, key, status: 'run', record: undefined, reasons: explain ? whyRun(store, journal, inst, key, components) : [] });
  }
  return result;
}

function whyRun(store: Store, journal: ReadonlyMap<string, CacheKey>, inst: Instance, key: CacheKey, components: ReturnType<typeof keyComponents>): string[] {
  const own = store.readRecord(key);
  if (own?.status === 'failed') return [`failed last time: ${(own.error ?? '').split('\n')[0]}`];
  if (own) return ['outputs missing or damaged in the cache'];
  const last = journal.get(inst.id);
  if (last === undefined) return ['new instance'];
  if (last === key) return ['outputs missing from the cache (removed by gc, or damaged)'];
  const previous = store.readRecord(last);
  if (!previous) return ['changed since the last run (its record is gone, so the change cannot be shown)'];
  const reasons = explainChange(previous.components, components);
  return reasons.length ? reasons : ['key changed'];
}
