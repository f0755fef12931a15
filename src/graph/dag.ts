// The stage graph: needs resolved to stages, cycles found, each stage's sweep scope inferred and its
// params checked against the stage kind's schema.
import { Graph, alg } from '@dagrejs/graphlib';
import type { Stage, StageRegistry } from '../stage.js';
import { checkParams } from '../spec/params.js';
import type { ConfigError, KeyPath } from '../spec/source.js';
import { axisRef, isPlainObject, type Json, type Study, type StageSpec } from '../spec/study.js';

/** Sweep axes an instance is indexed by; a paired axis indexes by unordered pairs of its values. */
export interface Scope {
  readonly axes: readonly string[];
  readonly paired: ReadonlySet<string>;
}

export interface StageNode {
  readonly spec: StageSpec;
  readonly stage: Stage;
  readonly needs: readonly StageNode[];
  /** Axes the inputs are indexed by (the scope before `over` folds an axis). */
  readonly inputScope: Scope;
  /** Axes this stage's instances are indexed by. */
  readonly scope: Scope;
  /** Axes named by `$axis` in this stage's params. */
  readonly refs: ReadonlySet<string>;
  readonly instanceCount: number;
}

export interface StageGraph {
  readonly study: Study;
  /** In dependency order. */
  readonly nodes: readonly StageNode[];
  readonly byName: ReadonlyMap<string, StageNode>;
  readonly axisValues: ReadonlyMap<string, readonly Json[]>;
  readonly graph: Graph;
}

export const DEFAULT_MAX_INSTANCES = 100_000;

/** Collects `$axis` references in a params value with their paths. */
export function findRefs(value: Json, path: KeyPath, out: { axis: string; path: KeyPath }[]): void {
  const ref = axisRef(value);
  if (ref !== undefined) out.push({ axis: ref, path });
  else if (Array.isArray(value)) value.forEach((v, i) => findRefs(v, [...path, i], out));
  else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) findRefs(v as Json, [...path, k], out);
}

/** Replaces `$axis` references by coordinate values (and `$$x` by the literal `$x`). */
export function substitute(value: Json, coords: Readonly<Record<string, Json>>): Json {
  if (typeof value === 'string') {
    const ref = axisRef(value);
    if (ref !== undefined) return coords[ref] as Json;
    return value.startsWith('$$') ? value.slice(1) : value;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, coords));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v as Json, coords)]));
  return value;
}

function pairCount(n: number): number {
  return (n * (n - 1)) / 2;
}

export function buildStageGraph(study: Study, registry: StageRegistry, maxInstances = DEFAULT_MAX_INSTANCES): StageGraph | ConfigError[] {
  const { source } = study;
  const errors: ConfigError[] = [];
  const axisValues = new Map(study.sweep.map((a) => [a.name, a.values]));
  const axisOrder = study.sweep.map((a) => a.name);
  const specs = new Map(study.stages.map((s) => [s.name, s]));

  const kinds = new Map<string, Stage>();
  for (const spec of study.stages) {
    const stage = registry.get(spec.uses);
    if (stage) kinds.set(spec.name, stage);
    else errors.push(source.error('unknown-stage', ['stages', spec.name, 'uses'], `unknown stage kind ${JSON.stringify(spec.uses)}; known kinds: ${registry.names().join(', ')}`));
    spec.needs.forEach((need, i) => {
      const path = ['stages', spec.name, 'needs', ...(source.nodeAt(['stages', spec.name, 'needs', 0]) ? [i] : [])];
      if (!specs.has(need)) errors.push(source.error('missing-need', path, `needs ${JSON.stringify(need)}, but there is no stage of that name; stages: ${[...specs.keys()].join(', ')}`));
      else if (need === spec.name) errors.push(source.error('cycle', path, `stage ${spec.name} needs itself`));
    });
    const refs: { axis: string; path: KeyPath }[] = [];
    for (const [k, v] of Object.entries(spec.with)) findRefs(v, ['stages', spec.name, 'with', k], refs);
    for (const r of refs) {
      if (!axisValues.has(r.axis)) errors.push(source.error('unknown-axis', r.path, `$${r.axis} is not a sweep axis; sweep axes: ${axisOrder.join(', ') || 'none (add a sweep: block)'}`));
    }
    for (const key of ['pairs', 'over'] as const) {
      const axis = spec[key];
      if (axis !== undefined && !axisValues.has(axis)) errors.push(source.error('unknown-axis', ['stages', spec.name, key], `${key}: ${axis} names no sweep axis; sweep axes: ${axisOrder.join(', ') || 'none'}`));
    }
  }
  if (errors.length) return errors;

  const graph = new Graph({ directed: true });
  for (const spec of study.stages) graph.setNode(spec.name);
  for (const spec of study.stages) for (const need of spec.needs) graph.setEdge(need, spec.name);
  const cycle = findCycle(study.stages, specs);
  if (cycle) {
    return [source.error('cycle', ['stages', cycle[0]!, 'needs'], `dependency cycle: ${cycle.join(' -> ')}`)];
  }

  const nodes: StageNode[] = [];
  const byName = new Map<string, StageNode>();
  for (const name of alg.topsort(graph) as string[]) {
    const spec = specs.get(name)!;
    const stage = kinds.get(name)!;
    const needs = spec.needs.map((n) => byName.get(n)!);
    const refList: { axis: string; path: KeyPath }[] = [];
    for (const [k, v] of Object.entries(spec.with)) findRefs(v, ['stages', name, 'with', k], refList);
    const refs = new Set(refList.map((r) => r.axis));

    const inAxes = new Set<string>(refs);
    const paired = new Set<string>();
    const plainIn = new Set<string>(refs);
    for (const need of needs) {
      for (const a of need.scope.axes) {
        inAxes.add(a);
        if (need.scope.paired.has(a)) paired.add(a);
        else plainIn.add(a);
      }
    }
    let scopeError = false;
    for (const a of paired) {
      if (plainIn.has(a) && spec.over !== a) {
        errors.push(source.error('scope', ['stages', name, 'needs'], `axis ${a} is paired in some needs and per-value in others; fold it with over: ${a}, or depend on one kind only`));
        scopeError = true;
      }
    }
    if (spec.pairs !== undefined) {
      if (paired.has(spec.pairs)) {
        errors.push(source.error('scope', ['stages', name, 'pairs'], `axis ${spec.pairs} is already paired upstream`));
        scopeError = true;
      }
      inAxes.add(spec.pairs);
    }
    for (const r of refList) {
      if (r.axis === spec.pairs || r.axis === spec.over || paired.has(r.axis)) {
        errors.push(source.error('scope', r.path, `$${r.axis} cannot be used here: this stage takes axis ${r.axis} as ${r.axis === spec.over ? 'a fold (over:)' : 'pairs'}, so it has no single value`));
        scopeError = true;
      }
    }
    if (spec.over !== undefined && !inAxes.has(spec.over)) {
      errors.push(source.error('scope', ['stages', name, 'over'], `over: ${spec.over}, but neither this stage nor its needs vary over ${spec.over}`));
      scopeError = true;
    }
    if (scopeError) continue;

    const inputScope: Scope = { axes: axisOrder.filter((a) => inAxes.has(a)), paired };
    const outPaired = new Set(paired);
    if (spec.pairs !== undefined) outPaired.add(spec.pairs);
    if (spec.over !== undefined) outPaired.delete(spec.over);
    const scope: Scope = { axes: inputScope.axes.filter((a) => a !== spec.over), paired: outPaired };
    const instanceCount = scope.axes.reduce((n, a) => n * (outPaired.has(a) ? pairCount(axisValues.get(a)!.length) : axisValues.get(a)!.length), 1);
    const node: StageNode = { spec, stage, needs, inputScope, scope, refs, instanceCount };
    nodes.push(node);
    byName.set(name, node);
  }
  if (errors.length) return errors;

  const total = nodes.reduce((n, s) => n + s.instanceCount, 0);
  if (total > maxInstances) {
    const worst = [...nodes].sort((a, b) => b.instanceCount - a.instanceCount).slice(0, 3).map((n) => `${n.spec.name}: ${n.instanceCount.toLocaleString('en-US')}`);
    return [source.error('too-many-instances', ['sweep'], `the sweep expands to ${total.toLocaleString('en-US')} instances (${worst.join(', ')}), over the limit of ${maxInstances.toLocaleString('en-US')}; shrink the sweep or raise --max-instances`)];
  }

  errors.push(...checkStageParams(study, nodes, axisValues));
  if (errors.length) return errors;
  return { study, nodes, byName, axisValues, graph };
}

/** A cycle as a path of stage names that returns to its start, or undefined. */
function findCycle(stages: readonly StageSpec[], specs: ReadonlyMap<string, StageSpec>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    state.set(name, 'open');
    stack.push(name);
    for (const need of specs.get(name)?.needs ?? []) {
      if (need === name || !specs.has(need)) continue;
      if (state.get(need) === 'open') return [...stack.slice(stack.indexOf(need)), need].reverse();
      if (!state.has(need)) {
        const found = visit(need);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const s of stages) {
    if (!state.has(s.name)) {
      const found = visit(s.name);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Validates each distinct combination of a stage's params (after `$axis` substitution) once, and
 * points an error at the literal in the stage or at the sweep value it came from.
 */
function checkStageParams(study: Study, nodes: readonly StageNode[], axisValues: ReadonlyMap<string, readonly Json[]>): ConfigError[] {
  const { source } = study;
  const errors: ConfigError[] = [];
  const reported = new Set<string>();
  for (const node of nodes) {
    const refs = [...node.refs];
    const combos = refs.reduce<Record<string, Json>[]>((acc, a) => acc.flatMap((c) => axisValues.get(a)!.map((v) => ({ ...c, [a]: v }))), [{}]);
    for (const coords of combos) {
      const params = substitute(node.spec.with as Json, coords) as Record<string, unknown>;
      const result = checkParams(node.stage, params);
      if ('params' in result) continue;
      for (const problem of result.problems) {
        const withPath: KeyPath = ['stages', node.spec.name, 'with', ...problem.path];
        const origin = refOrigin(node.spec.with as Json, problem.path);
        let error: ConfigError;
        if (origin !== undefined) {
          const values = axisValues.get(origin)!;
          const index = values.findIndex((v) => JSON.stringify(v) === JSON.stringify(coords[origin]));
          const list = source.nodeAt(['sweep', origin, 0]) ? ['sweep', origin, index] : ['sweep', origin];
          error = source.error('param-type', list, `${node.spec.name}.${problem.path.join('.')} = $${origin} = ${JSON.stringify(coords[origin])}: ${problem.message}`);
          error = { ...error, path: withPath.join('.') };
        } else {
          const onKey = problem.message.startsWith('unknown param');
          error = source.error('param-type', withPath.length > 4 && !source.nodeAt(withPath) && !onKey ? withPath.slice(0, -1) : withPath, problem.message, onKey);
        }
        const k = `${error.line}:${error.column}:${error.message}`;
        if (!reported.has(k)) {
          reported.add(k);
          errors.push(error);
        }
      }
    }
  }
  return errors;
}

/** The axis whose `$ref` sits at (or above) this path in the params, if any. */
function refOrigin(value: Json, path: readonly (string | number)[]): string | undefined {
  let v: Json | undefined = value;
  for (const p of path) {
    const ref = axisRef(v);
    if (ref !== undefined) return ref;
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, Json>)[p as string];
  }
  return axisRef(v);
}
