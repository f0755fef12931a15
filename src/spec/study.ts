// Reading a study file into a checked Study: top-level shape, sweep axes, stages and their keys.
// Graph-level checks (needs, cycles, scopes) live in graph/; param checks against stage schemas in params.ts.
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { pathText, type ConfigError, type KeyPath, type SourceFile } from './source.js';

import type { Json } from '../stage.js';

export type { Json };

export interface Axis {
  readonly name: string;
  readonly values: readonly Json[];
}

export interface StageSpec {
  readonly name: string;
  readonly uses: string;
  readonly needs: readonly string[];
  readonly with: Readonly<Record<string, Json>>;
  readonly pairs?: string;
  readonly over?: string;
}

export interface Study {
  readonly source: SourceFile;
  readonly name: string;
  readonly description?: string;
  readonly sweep: readonly Axis[];
  readonly stages: readonly StageSpec[];
  /** Absolute paths of extra stage modules named by `plugins:`. */
  readonly plugins: readonly string[];
  /** The `slurm:` block, checked by the Slurm executor. */
  readonly slurm: Readonly<Record<string, Json>>;
}

const TOP_KEYS = ['name', 'description', 'sweep', 'stages', 'plugins', 'slurm'] as const;
const STAGE_KEYS = ['uses', 'needs', 'with', 'pairs', 'over', 'description'] as const;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const STAGE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `$axis` in a param value refers to a sweep axis; `$$` escapes a literal dollar. */
export function axisRef(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.startsWith('$') || value.startsWith('$$')) return undefined;
  return value.slice(1);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Applies `--set stage.param=value` and `--set sweep.axis=value` to the document before it is read. */
export function applyOverrides(source: SourceFile, sets: readonly string[]): ConfigError[] {
  const errors: ConfigError[] = [];
  const bad = (set: string, message: string): ConfigError => ({ reason: 'bad-override', file: source.path, line: 0, column: 0, path: '', message, override: set });
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) {
      errors.push(bad(set, 'expected --set stage.param=value or --set sweep.axis=[values]'));
      continue;
    }
    const dotted = set.slice(0, eq).split('.');
    let value: unknown;
    try {
      value = parseYaml(set.slice(eq + 1));
    } catch (e) {
      errors.push(bad(set, `value is not valid YAML: ${(e as Error).message.split('\n')[0]}`));
      continue;
    }
    const [head, ...rest] = dotted;
    if (!head || rest.length === 0 || rest.some((p) => p === '')) {
      errors.push(bad(set, 'expected --set stage.param=value or --set sweep.axis=[values]'));
      continue;
    }
    const path: KeyPath = head === 'sweep' ? ['sweep', ...rest] : ['stages', head, 'with', ...rest];
    if (head !== 'sweep' && source.nodeAt(['stages', head]) === undefined) {
      const stages = source.doc.getIn(['stages']);
      const known = isPlainObject((stages as { toJSON?: () => unknown })?.toJSON?.()) ? Object.keys((stages as { toJSON: () => Record<string, unknown> }).toJSON()) : [];
      errors.push(bad(set, `no stage named ${head} (stages: ${known.join(', ') || 'none'})`));
      continue;
    }
    source.doc.setIn(path, source.doc.createNode(value));
    source.overrides.set(pathText(path), set);
  }
  return errors;
}

/** Checks the study's shape and returns it, or every problem found. */
export function readStudy(source: SourceFile): Study | ConfigError[] {
  const errors: ConfigError[] = [];
  const raw = source.doc.toJS({ maxAliasCount: 1000 }) as unknown;
  if (!isPlainObject(raw)) return [source.error('not-a-map', [], `a study file is a map with keys ${TOP_KEYS.join(', ')}; found ${describe(raw)}`)];

  for (const key of Object.keys(raw)) {
    // `x-` keys hold shared YAML anchors (as in compose files) and are otherwise ignored.
    if (!(TOP_KEYS as readonly string[]).includes(key) && !key.startsWith('x-')) errors.push(source.error('unknown-key', [key], `unknown top-level key ${JSON.stringify(key)}; expected one of ${TOP_KEYS.join(', ')} (or an x- key for shared anchors)`, true));
  }
  if (typeof raw.name !== 'string' || raw.name.trim() === '') {
    errors.push(raw.name === undefined
      ? source.error('missing-key', [], 'missing key "name": expected the study\'s name, a non-empty string')
      : source.error('bad-value', ['name'], `expected a non-empty string, found ${describe(raw.name)}`));
  }
  if (raw.description !== undefined && typeof raw.description !== 'string') errors.push(source.error('bad-value', ['description'], `expected a string, found ${describe(raw.description)}`));

  const sweep = readSweep(source, raw.sweep, errors);
  const stages = readStages(source, raw.stages, errors);

  const plugins: string[] = [];
  if (raw.plugins !== undefined) {
    if (!Array.isArray(raw.plugins)) errors.push(source.error('bad-value', ['plugins'], `expected a list of module paths, found ${describe(raw.plugins)}`));
    else raw.plugins.forEach((p, i) => {
      if (typeof p !== 'string' || p === '') errors.push(source.error('bad-value', ['plugins', i], `expected a module path, found ${describe(p)}`));
      else plugins.push(resolve(dirname(resolve(source.path)), p));
    });
  }
  if (raw.slurm !== undefined && !isPlainObject(raw.slurm)) errors.push(source.error('bad-value', ['slurm'], `expected a map of Slurm options, found ${describe(raw.slurm)}`));

  if (errors.length) return errors;
  return {
    source, name: raw.name as string, description: raw.description as string | undefined, sweep, stages, plugins,
    slurm: (raw.slurm ?? {}) as Record<string, Json>,
  };
}

function readSweep(source: SourceFile, raw: unknown, errors: ConfigError[]): Axis[] {
  if (raw === undefined || raw === null) return [];
  if (!isPlainObject(raw)) {
    errors.push(source.error('bad-value', ['sweep'], `expected a map of axis name to values, found ${describe(raw)}`));
    return [];
  }
  const axes: Axis[] = [];
  for (const [name, spec] of Object.entries(raw)) {
    const path = ['sweep', name];
    if (!IDENT.test(name)) {
      errors.push(source.error('bad-value', path, `axis name ${JSON.stringify(name)} must be a letter or _ followed by letters, digits or _`, true));
      continue;
    }
    const values = axisValues(source, path, spec, errors);
    if (!values) continue;
    if (values.length === 0) {
      errors.push(source.error('empty-axis', path, 'sweep axis has no values: expected a non-empty list or {range: [start, stop]} with start < stop'));
      continue;
    }
    const seen = new Set<string>();
    for (const [i, v] of values.entries()) {
      const k = JSON.stringify(v);
      if (seen.has(k)) errors.push(source.error('bad-value', Array.isArray(spec) ? [...path, i] : path, `value ${k} appears twice in axis ${name}`));
      seen.add(k);
    }
    axes.push({ name, values });
  }
  return axes;
}

function axisValues(source: SourceFile, path: KeyPath, spec: unknown, errors: ConfigError[]): Json[] | undefined {
  if (Array.isArray(spec)) {
    for (const [i, v] of spec.entries()) {
      if (typeof v === 'number' && !Number.isFinite(v)) {
        errors.push(source.error('bad-value', [...path, i], `expected a finite number, found ${v}`));
        return undefined;
      }
      if (v === null || isPlainObject(v)) {
        errors.push(source.error('bad-value', [...path, i], `expected a number, string, boolean or list, found ${describe(v)}`));
        return undefined;
      }
    }
    return spec as Json[];
  }
  if (isPlainObject(spec) && 'range' in spec) {
    const extra = Object.keys(spec).filter((k) => k !== 'range');
    const r = spec.range;
    if (extra.length || !Array.isArray(r) || r.length < 2 || r.length > 3 || !r.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      errors.push(source.error('bad-value', path, 'expected {range: [start, stop]} or {range: [start, stop, step]} with numbers (stop excluded)'));
      return undefined;
    }
    const [start, stop, step = 1] = r as number[];
    if (step === 0 || !Number.isFinite(step!)) {
      errors.push(source.error('bad-value', [...path, 'range'], 'range step must be a non-zero number'));
      return undefined;
    }
    const count = Math.max(0, Math.ceil((stop! - start!) / step!));
    if (count > 10_000_000) {
      errors.push(source.error('too-many-instances', path, `range has ${count} values`));
      return undefined;
    }
    // Integer-looking ranges stay exact; fractional steps are rounded to 12 significant digits.
    return Array.from({ length: count }, (_, i) => Number((start! + i * step!).toPrecision(12)));
  }
  if (spec === null || isPlainObject(spec)) {
    errors.push(source.error('bad-value', path, `expected a list of values or {range: [start, stop]}, found ${describe(spec)}`));
    return undefined;
  }
  return [spec as Json];
}

function readStages(source: SourceFile, raw: unknown, errors: ConfigError[]): StageSpec[] {
  if (raw === undefined) {
    errors.push(source.error('missing-key', [], 'missing key "stages": expected a map of stage name to {uses, needs, with}'));
    return [];
  }
  if (!isPlainObject(raw)) {
    errors.push(source.error('bad-value', ['stages'], `expected a map of stage name to {uses, needs, with}, found ${describe(raw)}`));
    return [];
  }
  const stages: StageSpec[] = [];
  for (const [name, spec] of Object.entries(raw)) {
    const path = ['stages', name];
    if (!STAGE_NAME.test(name)) errors.push(source.error('bad-value', path, `stage name ${JSON.stringify(name)} must start with a letter or _ and hold only letters, digits, _ or -`, true));
    if (!isPlainObject(spec)) {
      errors.push(source.error('bad-value', path, `expected a map with keys ${STAGE_KEYS.join(', ')}, found ${describe(spec)}`));
      continue;
    }
    let ok = true;
    for (const key of Object.keys(spec)) {
      if (!(STAGE_KEYS as readonly string[]).includes(key)) {
        errors.push(source.error('unknown-key', [...path, key], `unknown stage key ${JSON.stringify(key)}; expected one of ${STAGE_KEYS.join(', ')}`, true));
        ok = false;
      }
    }
    if (typeof spec.uses !== 'string' || spec.uses === '') {
      errors.push(spec.uses === undefined
        ? source.error('missing-key', path, 'missing key "uses": expected the stage kind, e.g. train/rnn')
        : source.error('bad-value', [...path, 'uses'], `expected a stage kind such as train/rnn, found ${describe(spec.uses)}`));
      ok = false;
    }
    const needs = spec.needs === undefined ? [] : typeof spec.needs === 'string' ? [spec.needs] : spec.needs;
    if (!Array.isArray(needs) || !needs.every((n) => typeof n === 'string')) {
      errors.push(source.error('bad-value', [...path, 'needs'], `expected a stage name or a list of stage names, found ${describe(spec.needs)}`));
      ok = false;
    }
    if (spec.with !== undefined && spec.with !== null && !isPlainObject(spec.with)) {
      errors.push(source.error('bad-value', [...path, 'with'], `expected a map of params, found ${describe(spec.with)}`));
      ok = false;
    }
    for (const key of ['pairs', 'over'] as const) {
      if (spec[key] !== undefined && (typeof spec[key] !== 'string' || !IDENT.test(spec[key] as string))) {
        errors.push(source.error('bad-value', [...path, key], `expected the name of a sweep axis, found ${describe(spec[key])}`));
        ok = false;
      }
    }
    if (spec.pairs !== undefined && spec.over !== undefined) {
      errors.push(source.error('bad-value', [...path, 'over'], 'a stage takes either pairs: or over:, not both', true));
      ok = false;
    }
    if (!ok) continue;
    stages.push({
      name, uses: spec.uses as string, needs: needs as string[], with: (spec.with ?? {}) as Record<string, Json>,
      ...(spec.pairs !== undefined ? { pairs: spec.pairs as string } : {}),
      ...(spec.over !== undefined ? { over: spec.over as string } : {}),
    });
  }
  if (stages.length === 0 && errors.length === 0) errors.push(source.error('bad-value', ['stages'], 'a study needs at least one stage'));
  return stages;
}
