// Expanding the stage graph into stage instances: one per combination of the axes in a stage's scope,
// wired to the upstream instances each reads (per member for `pairs:` and `over:` stages).
import { checkParams } from '../spec/params.js';
import type { Json } from '../spec/study.js';
import { substitute, type StageGraph, type StageNode } from './dag.js';

export type CoordMap = Readonly<Record<string, Json>>;

export interface Member {
  readonly coords: CoordMap;
  /** Indices into the instance's `upstream`. */
  readonly upstream: readonly number[];
}

export interface Instance {
  /** Position in the plan; instances are in dependency order. */
  readonly index: number;
  readonly node: StageNode;
  readonly coords: CoordMap;
  /** Stable identity of this instance within its study: stage name and coordinates. */
  readonly id: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** Distinct upstream instances, grouped by need in `needs` order and ordered by member within a need. */
  readonly upstream: readonly Instance[];
  /** For each upstream instance, the need (stage name) it satisfies. */
  readonly upstreamNeed: readonly string[];
  readonly members: readonly Member[];
  readonly dependents: Instance[];
}

export interface InstancePlan {
  readonly graph: StageGraph;
  readonly instances: readonly Instance[];
  readonly byStage: ReadonlyMap<string, readonly Instance[]>;
}

function scopeKey(axes: readonly string[], coords: CoordMap): string {
  return JSON.stringify(axes.map((a) => coords[a] ?? null));
}

/** `bits=2 seed=0~3`: a paired axis shows its two values joined by ~, list values show as JSON. */
export function coordsText(coords: CoordMap, paired: ReadonlySet<string> = new Set()): string {
  const show = (v: Json | undefined): string => (typeof v === 'string' ? v : JSON.stringify(v));
  return Object.entries(coords).map(([k, v]) => `${k}=${paired.has(k) && Array.isArray(v) ? v.map(show).join('~') : show(v)}`).join(' ');
}

function* product(axes: readonly string[], node: StageNode, values: ReadonlyMap<string, readonly Json[]>): Generator<Record<string, Json>> {
  const lists = axes.map((a) => {
    const vs = values.get(a)!;
    if (!node.scope.paired.has(a)) return vs;
    const pairs: Json[] = [];
    for (let i = 0; i < vs.length; i++) for (let j = i + 1; j < vs.length; j++) pairs.push([vs[i]!, vs[j]!]);
    return pairs;
  });
  const idx = new Array<number>(axes.length).fill(0);
  if (lists.some((l) => l.length === 0)) return;
  for (;;) {
    const coords: Record<string, Json> = {};
    axes.forEach((a, i) => (coords[a] = lists[i]![idx[i]!]!));
    yield coords;
    let k = axes.length - 1;
    while (k >= 0 && ++idx[k]! === lists[k]!.length) idx[k--] = 0;
    if (k < 0) return;
  }
}

export function expandInstances(graph: StageGraph): InstancePlan {
  const instances: Instance[] = [];
  const byStage = new Map<string, Instance[]>();
  const index = new Map<string, Map<string, Instance>>();

  for (const node of graph.nodes) {
    const name = node.spec.name;
    const list: Instance[] = [];
    const lookup = new Map<string, Instance>();
    const paramsCache = new Map<string, Record<string, unknown>>();
    const special = node.spec.pairs ?? node.spec.over;
    const values = special === undefined ? [] : graph.axisValues.get(special)!;

    for (const coords of product(node.scope.axes, node, graph.axisValues)) {
      const raw = substitute(node.spec.with as Json, coords);
      const rawKey = JSON.stringify(raw);
      let params = paramsCache.get(rawKey);
      if (!params) {
        const checked = checkParams(node.stage, raw as Record<string, unknown>);
        if (!('params' in checked)) throw new Error(`params of ${name} were validated but fail now: ${JSON.stringify(checked.problems)}`);
        params = checked.params;
        paramsCache.set(rawKey, params);
      }

      const upstream: Instance[] = [];
      const upstreamNeed: string[] = [];
      const position = new Map<Instance, number>();
      const add = (need: string, inst: Instance): number => {
        let at = position.get(inst);
        if (at === undefined) {
          at = upstream.length;
          upstream.push(inst);
          upstreamNeed.push(need);
          position.set(inst, at);
        }
        return at;
      };
      const find = (need: StageNode, at: CoordMap): Instance => {
        const inst = index.get(need.spec.name)!.get(scopeKey(need.scope.axes, at));
        if (!inst) throw new Error(`no instance of ${need.spec.name} at ${coordsText(at)}`);
        return inst;
      };

      // Member k's coordinates; for a plain stage the single member is the instance itself.
      const memberCoords: CoordMap[] = special === undefined
        ? [coords]
        : node.spec.pairs !== undefined
          ? (coords[special] as Json[]).map((v) => ({ ...coords, [special]: v }))
          : values.map((v) => ({ ...coords, [special]: v }));
      const memberUpstream: number[][] = memberCoords.map(() => []);

      for (const need of node.needs) {
        const hasSpecial = special !== undefined && need.scope.axes.includes(special);
        if (!hasSpecial) {
          const at = add(need.spec.name, find(need, coords));
          memberUpstream.forEach((m) => m.push(at));
        } else if (need.scope.paired.has(special)) {
          // over: a paired need contributes every pair of the folded axis, outside the members.
          for (const pair of product([special], need, graph.axisValues)) add(need.spec.name, find(need, { ...coords, ...pair }));
        } else {
          memberCoords.forEach((mc, k) => memberUpstream[k]!.push(add(need.spec.name, find(need, mc))));
        }
      }

      const inst: Instance = {
        index: instances.length, node, coords, id: `${name} ${scopeKey(node.scope.axes, coords)}`, params,
        upstream, upstreamNeed, members: memberCoords.map((c, k) => ({ coords: c, upstream: memberUpstream[k]! })), dependents: [],
      };
      for (const u of upstream) u.dependents.push(inst);
      instances.push(inst);
      list.push(inst);
      lookup.set(scopeKey(node.scope.axes, coords), inst);
    }
    byStage.set(name, list);
    index.set(name, lookup);
  }
  return { graph, instances, byStage };
}
