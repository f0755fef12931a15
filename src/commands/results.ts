// `degen results`: one row per instance of a stage, its sweep coordinates and the scalar columns of its
// one-row outputs, as a table, CSV, JSON or Arrow.
import { writeFileSync } from 'node:fs';
import { Table } from 'apache-arrow';
import { decodeTable, encodeTable, rowsToTable, scalarSchema, type Scalar } from '../arrow.js';
import { DamagedObjectError, type Store } from '../cache/store.js';
import { planStatus } from '../exec/status.js';
import type { Instance } from '../graph/instances.js';
import type { Json, ResultColumn, StageRegistry } from '../stage.js';
import { DEFAULT_BACKEND, EXIT, loadOrReport, openStore, type Io, type StudyOptions } from './common.js';

export interface ResultsOptions extends StudyOptions {
  readonly stage: string;
  readonly format?: string;
  readonly output?: string;
  /** Comma-separated columns to keep, in this order. */
  readonly columns?: string;
}

export interface ResultTable {
  readonly columns: readonly string[];
  readonly rows: readonly Record<string, Scalar | null>[];
  readonly missing: number;
}

function isScalarType(typeId: string): 'float64' | 'int32' | 'utf8' | 'bool' | undefined {
  if (/^Float/.test(typeId)) return 'float64';
  if (/^U?Int/.test(typeId)) return 'int32';
  if (typeId === 'Utf8' || typeId === 'LargeUtf8') return 'utf8';
  if (typeId === 'Bool') return 'bool';
  return undefined;
}

function coordColumns(inst: Instance): Record<string, Scalar | null> {
  const out: Record<string, Scalar | null> = {};
  for (const [axis, value] of Object.entries(inst.coords)) {
    if (inst.node.scope.paired.has(axis) && Array.isArray(value)) {
      out[`${axis}_a`] = scalar(value[0] as Json);
      out[`${axis}_b`] = scalar(value[1] as Json);
    } else out[axis] = scalar(value);
  }
  return out;
}

function scalar(v: Json | undefined): Scalar | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'object' ? JSON.stringify(v) : v;
}

/** The rows of one stage's cached instances; `missing` counts instances not computed yet. */
export function collectResults(instances: readonly Instance[], outputsOf: (inst: Instance) => Readonly<Record<string, string>> | undefined, store: Store, withStage = false): ResultTable {
  const rows: Record<string, Scalar | null>[] = [];
  const columns: string[] = [];
  const add = (c: string): void => { if (!columns.includes(c)) columns.push(c); };
  let missing = 0;
  for (const inst of instances) {
    const outputs = outputsOf(inst);
    if (!outputs) {
      missing++;
      continue;
    }
    const row: Record<string, Scalar | null> = { ...(withStage ? { stage: inst.node.spec.name } : {}), ...coordColumns(inst) };
    Object.keys(row).forEach(add);
    const tables = Object.entries(outputs).map(([name, hash]) => [name, decodeTable(store.readObject(hash as never))] as const);
    const seen = new Map<string, number>();
    for (const [, t] of tables) if (t.numRows === 1) for (const f of t.schema.fields) seen.set(f.name, (seen.get(f.name) ?? 0) + 1);
    for (const [name, t] of tables) {
      if (t.numRows !== 1) continue;
      for (const f of t.schema.fields) {
        if (!isScalarType(String(f.type))) continue;
        const col = (seen.get(f.name) ?? 0) > 1 || f.name in row ? `${name}.${f.name}` : f.name;
        const v = t.getChild(f.name)?.get(0) as unknown;
        row[col] = typeof v === 'bigint' ? Number(v) : (v as Scalar | null) ?? null;
        add(col);
      }
    }
    rows.push(row);
  }
  return { columns, rows, missing };
}

function formatCell(v: Scalar | null): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? v.toPrecision(4).replace(/\.?0+$/, '') : v.toExponential(3);
  return String(v);
}

export function formatTable(t: ResultTable): string {
  const cells = [t.columns.slice(), ...t.rows.map((r) => t.columns.map((c) => formatCell(r[c] ?? null)))];
  const widths = t.columns.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

function csvCell(v: Scalar | null): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toArrow(t: ResultTable): Table {
  const types: Record<string, 'float64' | 'int32' | 'utf8' | 'bool'> = {};
  for (const c of t.columns) {
    const vs = t.rows.map((r) => r[c]).filter((v) => v !== null && v !== undefined);
    types[c] = vs.every((v) => typeof v === 'boolean') && vs.length ? 'bool' : vs.every((v) => typeof v === 'number') ? 'float64' : 'utf8';
  }
  const rows = t.rows.map((r) => Object.fromEntries(t.columns.map((c) => [c, types[c] === 'utf8' && r[c] !== null && r[c] !== undefined ? String(r[c]) : r[c] ?? null])));
  return rowsToTable(scalarSchema(types), rows);
}

/** The table a stage asks for (coordinates first, then its result columns, intervals as `x [lo, hi]`). */
export function presentTable(t: ResultTable, columns: readonly ResultColumn[], coords: readonly string[]): ResultTable {
  const cell = (v: Scalar | null | undefined): string => formatCell(v ?? null);
  // A column no instance has a value for (e.g. a metric the study did not run) is left out.
  const present = columns.filter((c) => t.columns.includes(c.value) && t.rows.some((r) => r[c.value] !== null && r[c.value] !== undefined));
  const rows = t.rows.map((r) => {
    const row: Record<string, Scalar | null> = {};
    for (const c of coords) row[c] = r[c] ?? null;
    for (const c of present) {
      const v = r[c.value];
      if (v === null || v === undefined) row[c.label] = null;
      else if (c.of) row[c.label] = `${cell(v)}/${cell(r[c.of])}`;
      else if (c.lo && c.hi && r[c.lo] !== null && r[c.lo] !== undefined) row[c.label] = `${cell(v)} [${cell(r[c.lo])}, ${cell(r[c.hi])}]`;
      else row[c.label] = cell(v);
    }
    return row;
  });
  return { columns: [...coords, ...present.map((c) => c.label)], rows, missing: t.missing };
}

export async function resultsCommand(file: string, opts: ResultsOptions, registry: StageRegistry, io: Io): Promise<number> {
  const loaded = await loadOrReport(file, registry, opts, io);
  if (!loaded) return EXIT.badInput;
  // --stage names a stage of the study, or a stage kind: then every stage of that kind, one after another.
  const stages = loaded.plan.byStage.has(opts.stage) ? [opts.stage] : loaded.plan.graph.nodes.filter((n) => n.stage.name === opts.stage).map((n) => n.spec.name);
  if (stages.length === 0) {
    io.err(`degen results: no stage named ${JSON.stringify(opts.stage)} in ${file}; stages: ${[...loaded.plan.byStage.keys()].join(', ')}`);
    return EXIT.badInput;
  }
  const instances = stages.flatMap((s) => loaded.plan.byStage.get(s)!);
  const format = opts.format ?? 'table';
  if (!['table', 'csv', 'json', 'arrow'].includes(format)) {
    io.err(`degen results: unknown --format ${JSON.stringify(format)}; expected table, csv, json or arrow`);
    return EXIT.badInput;
  }
  const store = openStore(opts);
  const statuses = planStatus(loaded.plan, store, opts.backend ?? DEFAULT_BACKEND);
  let table: ResultTable;
  try {
    table = collectResults(instances, (inst) => statuses[inst.index]?.record?.outputs, store, stages.length > 1);

  } catch (e) {
    if (e instanceof DamagedObjectError) {
      io.err(`degen results: ${e.message}; run \`degen run ${file}\` to recompute it`);
      return EXIT.failed;
    }
    throw e;
  }
  if (opts.columns) {
    const wanted = opts.columns.split(',').map((c) => c.trim()).filter(Boolean);
    const unknown = wanted.filter((c) => !table.columns.includes(c));
    if (unknown.length && table.rows.length) {
      io.err(`degen results: no column ${unknown.map((c) => JSON.stringify(c)).join(', ')} in ${opts.stage}; columns: ${table.columns.join(', ')}`);
      return EXIT.badInput;
    }
    table = { ...table, columns: wanted };
  } else if (format === 'table') {
    const wanted = loaded.plan.graph.byName.get(stages[0]!)!.stage.resultColumns;
    if (wanted) {
      const coords = table.columns.filter((c) => c === 'stage' || stages.some((s) => loaded.plan.graph.byName.get(s)!.scope.axes.some((a) => c === a || c === `${a}_a` || c === `${a}_b`)));
      table = presentTable(table, wanted, coords);
    }
  }
  if (table.missing > 0) io.err(`degen results: ${table.missing} of ${instances.length} instances of ${opts.stage} are not computed yet; run \`degen run ${file}\``);
  let text: string | Uint8Array;
  switch (format) {
    case 'json': text = JSON.stringify(table.rows); break;
    case 'csv': text = [table.columns.map(csvCell).join(','), ...table.rows.map((r) => table.columns.map((c) => csvCell(r[c] ?? null)).join(','))].join('\n'); break;
    case 'arrow': text = encodeTable(toArrow(table)); break;
    default: text = formatTable(table);
  }
  if (opts.output) writeFileSync(opts.output, text);
  else if (typeof text === 'string') io.out(text);
  else process.stdout.write(text);
  return EXIT.ok;
}
