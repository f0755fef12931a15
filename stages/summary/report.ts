// `degen report study.yaml [-o report.html]`: one self-contained HTML page of what the cache holds for a
// study: each degeneracy level against each knob, MDS scatters of DSA distances per condition, training
// curves, and a table of every condition. Charts are Vega-Lite specs rendered to SVG here, so the page
// needs no script and no network to view.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Table } from 'apache-arrow';
import { decodeTable, tableToRows } from '../../src/arrow.js';
import { DamagedObjectError, type Store } from '../../src/cache/store.js';
import { DEFAULT_BACKEND, EXIT, loadOrReport, openStore, type Io, type StudyOptions } from '../../src/commands/common.js';
import { planStatus, type InstanceStatus } from '../../src/exec/status.js';
import type { StageNode } from '../../src/graph/dag.js';
import type { Instance, InstancePlan } from '../../src/graph/instances.js';
import type { ContentHash, Json, StageRegistry } from '../../src/stage.js';
import type { Study } from '../../src/spec/study.js';
import { curvesSpec, knobSpec, mdsSpec, renderSvg, type CurvePoint, type LevelRow, type MdsPoint } from './charts.js';
import { degeneracy } from './degeneracy.js';
import { formatNumber, pageHtml, tableHtml, type Figure, type Section } from './html.js';
import { classicalMds } from './mds.js';

export interface ReportOptions extends StudyOptions {
  readonly output?: string;
}

/** At most this many seeds per training-curve panel, and this many panels: beyond that lines blur. */
export const MAX_CURVES_PER_PANEL = 10;
export const MAX_CURVE_PANELS = 24;
/** Points kept per training curve (evenly strided, last epoch always kept). */
export const MAX_CURVE_POINTS = 250;

type Row = Record<string, unknown>;

/** A sweep value as text: strings as they are, the rest as JSON. */
function valueText(v: Json | undefined): string {
  return typeof v === 'string' ? v : JSON.stringify(v ?? null);
}

function labelOf(axes: readonly string[], coords: Readonly<Record<string, Json>>): string {
  return axes.map((a) => `${a}=${valueText(coords[a])}`).join(', ');
}

/** A file name from a study name: letters, digits, dot, dash and underscore only. */
export function sanitiseName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+|_+$/g, '').slice(0, 80);
  return s || 'report';
}

function shellWord(word: string): string {
  return /^[A-Za-z0-9_./=:@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function num(v: unknown): number | null {
  if (typeof v === 'bigint') return Number(v);
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

class Reader {
  readonly #tables = new Map<string, Table>();
  constructor(private readonly store: Store) {}

  table(hash: ContentHash): Table {
    let t = this.#tables.get(hash);
    if (!t) {
      t = decodeTable(this.store.readObject(hash));
      this.#tables.set(hash, t);
    }
    return t;
  }

  rows(status: InstanceStatus | undefined, output: string): Row[] | undefined {
    const hash = status?.record?.outputs[output];
    return hash ? tableToRows(this.table(hash)) : undefined;
  }
}

interface Condition {
  readonly inst: Instance;
  readonly label: string;
  readonly summary: Row | undefined;
  readonly networks: Row[];
  readonly pairs: Row[];
}

interface DegeneracyStage {
  readonly node: StageNode;
  readonly knobs: readonly string[];
  readonly conditions: readonly Condition[];
}

function degeneracyStages(plan: InstancePlan, statuses: readonly InstanceStatus[], reader: Reader): DegeneracyStage[] {
  return plan.graph.nodes.filter((n) => n.stage.name === degeneracy.name).map((node) => {
    const knobs = node.scope.axes;
    const conditions = (plan.byStage.get(node.spec.name) ?? []).map((inst) => {
      const status = statuses[inst.index];
      return {
        inst,
        label: knobs.length ? labelOf(knobs, inst.coords) : 'all networks',
        summary: reader.rows(status, 'summary')?.[0],
        networks: reader.rows(status, 'networks') ?? [],
        pairs: reader.rows(status, 'pairs') ?? [],
      };
    });
    return { node, knobs, conditions };
  });
}

function levelRow(c: Condition, x: string, group: string): LevelRow {
  const s = c.summary ?? {};
  return {
    x, group,
    behaviour: num(s.behaviour_degeneracy), behaviour_lo: num(s.behaviour_ci_lo), behaviour_hi: num(s.behaviour_ci_hi),
    dynamics: num(s.dynamics_degeneracy), dynamics_lo: num(s.dynamics_ci_lo), dynamics_hi: num(s.dynamics_ci_hi),
    dsa_null: num(s.dsa_null_mean), dsa_null_lo: num(s.dsa_null_ci_lo), dsa_null_hi: num(s.dsa_null_ci_hi),
    weights: num(s.weight_degeneracy), weights_lo: num(s.weight_ci_lo), weights_hi: num(s.weight_ci_hi),
    n_converged: num(s.n_converged) ?? 0, n_networks: num(s.n_networks) ?? 0,
    weight_change: num(s.mean_weight_change), kernel_alignment: num(s.mean_kernel_alignment),
  };
}

async function knobFigures(stage: DegeneracyStage, axisValues: ReadonlyMap<string, readonly Json[]>): Promise<Figure[]> {
  const done = stage.conditions.filter((c) => c.summary);
  if (done.length === 0) return [];
  const name = stage.node.spec.name;
  const knobs = stage.knobs.length ? stage.knobs : [];
  if (knobs.length === 0) {
    const spec = knobSpec('condition', ['all networks'], '', done.map((c) => levelRow(c, 'all networks', '')));
    return [{ id: `knob-${name}`, svg: await renderSvg(spec, `knob-${name}`), caption: `${name}: degeneracy of the single condition, with bootstrap 95% intervals.` }];
  }
  const figures: Figure[] = [];
  for (const knob of knobs) {
    const others = knobs.filter((k) => k !== knob);
    // With one other knob its values alone label the colours (the legend title names it).
    const group = (c: Condition): string => (others.length === 1 ? valueText(c.inst.coords[others[0]!]) : labelOf(others, c.inst.coords));
    const rows = done.map((c) => levelRow(c, valueText(c.inst.coords[knob]), group(c)));
    const order = (axisValues.get(knob) ?? []).map(valueText);
    const id = `knob-${name}-${knob}`;
    const spec = knobSpec(knob, order, others.join(', '), rows);
    figures.push({
      id, svg: await renderSvg(spec, id),
      caption: `${name}: degeneracy against ${knob}${others.length ? `, one colour per value of ${others.join(', ')}` : ''}. Points are estimates over converged networks, bars bootstrap 95% intervals${rows.some((r) => r.weight_change != null || r.kernel_alignment != null) ? ' (weight change and kernel alignment: means, without intervals)' : ''}; 'converged networks' shows converged (solid) of all networks (pale).`,
    });
  }
  return figures;
}

async function mdsFigure(stage: DegeneracyStage): Promise<{ figure?: Figure; notes: string[] }> {
  const points: MdsPoint[] = [];
  const labels: string[] = [];
  const notes: string[] = [];
  for (const c of stage.conditions) {
    if (!c.summary) continue;
    const seeds = c.networks.filter((r) => r.converged === true).map((r) => String(r.seed));
    const at = new Map(seeds.map((s, i) => [s, i]));
    const n = seeds.length;
    const d = new Float64Array(n * n);
    let known = 0;
    for (const p of c.pairs) {
      const a = at.get(String(p.seed_a));
      const b = at.get(String(p.seed_b));
      const v = num(p.dsa);
      if (a === undefined || b === undefined || v === null) continue;
      d[a * n + b] = v;
      d[b * n + a] = v;
      known++;
    }
    if (n === 0) continue;
    if (known < (n * (n - 1)) / 2) {
      if (c.pairs.some((p) => num(p.dsa) !== null)) notes.push(`${c.label}: some DSA distances between converged networks are missing, so no MDS scatter.`);
      continue;
    }
    classicalMds(d, n).forEach(([mx, my], i) => points.push({ condition: c.label, seed: seeds[i]!, mx: mx!, my: my! }));
    labels.push(c.label);
  }
  if (labels.length === 0) return { notes };
  const id = `mds-${stage.node.spec.name}`;
  return {
    figure: { id, svg: await renderSvg(mdsSpec(labels, points), id), caption: `${stage.node.spec.name}: classical MDS of the DSA distances between converged networks, one panel per condition, on shared axes (distances in DSA units); labels are seeds.` },
    notes,
  };
}

function conditionTable(stage: DegeneracyStage): string {
  const has = (col: string): boolean => stage.conditions.some((c) => num(c.summary?.[col]) !== null);
  const ci = (s: Row, lo: string, hi: string): string => (num(s[lo]) === null ? '–' : `[${formatNumber(num(s[lo]))}, ${formatNumber(num(s[hi]))}]`);
  const cols: { title: string; cell: (s: Row) => string; when: boolean }[] = [
    { title: 'converged', cell: (s) => `${formatNumber(num(s.n_converged))} / ${formatNumber(num(s.n_networks))}`, when: true },
    { title: 'behaviour (std OOD MSE)', cell: (s) => formatNumber(num(s.behaviour_degeneracy)), when: true },
    { title: '95% CI', cell: (s) => ci(s, 'behaviour_ci_lo', 'behaviour_ci_hi'), when: true },
    { title: 'mean OOD MSE', cell: (s) => formatNumber(num(s.mean_ood_mse)), when: true },
    { title: 'dynamics (mean DSA)', cell: (s) => formatNumber(num(s.dynamics_degeneracy)), when: true },
    { title: '95% CI', cell: (s) => ci(s, 'dynamics_ci_lo', 'dynamics_ci_hi'), when: true },
    { title: 'DSA null', cell: (s) => formatNumber(num(s.dsa_null_mean)), when: has('dsa_null_mean') },
    { title: 'weights (RMS distance)', cell: (s) => formatNumber(num(s.weight_degeneracy)), when: true },
    { title: '95% CI', cell: (s) => ci(s, 'weight_ci_lo', 'weight_ci_hi'), when: true },
    { title: 'weights (scale-free)', cell: (s) => formatNumber(num(s.weight_degeneracy_scalefree)), when: has('weight_degeneracy_scalefree') },
    { title: 'weight change', cell: (s) => formatNumber(num(s.mean_weight_change)), when: has('mean_weight_change') },
    { title: 'kernel alignment', cell: (s) => formatNumber(num(s.mean_kernel_alignment)), when: has('mean_kernel_alignment') },
    { title: 'Procrustes angle', cell: (s) => formatNumber(num(s.mean_procrustes_angular)), when: has('mean_procrustes_angular') },
    { title: 'CKA', cell: (s) => formatNumber(num(s.mean_cka)), when: has('mean_cka') },
  ];
  const shown = cols.filter((c) => c.when);
  const knobCols = stage.knobs.length ? [...stage.knobs] : ['condition'];
  const rows = stage.conditions.map((c) => {
    const knobCells = stage.knobs.length ? stage.knobs.map((k) => valueText(c.inst.coords[k])) : [c.label];
    if (!c.summary) return [...knobCells, 'not computed', ...shown.slice(1).map(() => '')];
    return [...knobCells, ...shown.map((col) => col.cell(c.summary!))];
  });
  const numeric = new Set(shown.map((_, i) => knobCols.length + i));
  return tableHtml({ columns: [...knobCols, ...shown.map((c) => c.title)], rows, numeric });
}

/** Every instance with a `curve` output holding epoch and loss, one line per seed, one panel per condition. */
async function curvesFigure(plan: InstancePlan, statuses: readonly InstanceStatus[], reader: Reader, seedAxes: ReadonlySet<string>): Promise<{ figure?: Figure; notes: string[] }> {
  const stagesWithCurves = new Set<string>();
  const found: { inst: Instance; hash: ContentHash; summary?: ContentHash }[] = [];
  for (const s of statuses) {
    const hash = s.record?.outputs.curve;
    if (!hash) continue;
    const names = reader.table(hash).schema.fields.map((f) => f.name);
    if (!names.includes('epoch') || !names.includes('loss')) continue;
    found.push({ inst: s.inst, hash, ...(s.record!.outputs.summary ? { summary: s.record!.outputs.summary } : {}) });
    stagesWithCurves.add(s.inst.node.spec.name);
  }
  if (found.length === 0) return { notes: [] };
  const panels = new Map<string, { seeds: string[]; total: number }>();
  const points: CurvePoint[] = [];
  const allSeeds: string[] = [];
  let dropped = 0;
  for (const { inst, hash, summary } of found) {
    const axes = inst.node.scope.axes.filter((a) => !seedAxes.has(a));
    const seedAxis = inst.node.scope.axes.find((a) => seedAxes.has(a));
    const base = axes.length ? labelOf(axes, inst.coords) : 'all';
    const condition = stagesWithCurves.size > 1 ? `${inst.node.spec.name}: ${base}` : base;
    let panel = panels.get(condition);
    if (!panel) {
      if (panels.size >= MAX_CURVE_PANELS) { dropped++; continue; }
      panel = { seeds: [], total: 0 };
      panels.set(condition, panel);
    }
    panel.total++;
    if (panel.seeds.length >= MAX_CURVES_PER_PANEL) continue;
    const seed = seedAxis ? valueText(inst.coords[seedAxis]) : String(panel.total);
    panel.seeds.push(seed);
    if (!allSeeds.includes(seed)) allSeeds.push(seed);
    const converged = summary ? reader.table(summary).getChild('converged')?.get(0) : undefined;
    const status = converged === true ? 'converged' : converged === false ? 'not converged' : 'unknown';
    const table = reader.table(hash);
    const epochs = table.getChild('epoch')!;
    const losses = table.getChild('loss')!;
    const stride = Math.max(1, Math.ceil(table.numRows / MAX_CURVE_POINTS));
    for (let i = 0; i < table.numRows; i++) {
      if (i % stride !== 0 && i !== table.numRows - 1) continue;
      const loss = Number(losses.get(i));
      // A log axis cannot show zero or negative losses, nor NaN from a diverged run.
      if (!(loss > 0) || !Number.isFinite(loss)) continue;
      points.push({ condition, seed, epoch: Number(epochs.get(i)), loss, status });
    }
  }
  const notes: string[] = [];
  const capped = [...panels.entries()].filter(([, p]) => p.total > p.seeds.length);
  if (capped.length) notes.push(`Showing the first ${MAX_CURVES_PER_PANEL} seeds per panel (${capped.map(([c, p]) => `${c}: ${p.seeds.length} of ${p.total}`).slice(0, 6).join('; ')}${capped.length > 6 ? '; …' : ''}).`);
  if (dropped) notes.push(`Showing the first ${MAX_CURVE_PANELS} conditions; ${dropped} more training runs are not drawn.`);
  const conditions = [...panels.keys()];
  return {
    figure: { id: 'curves', svg: await renderSvg(curvesSpec(conditions, allSeeds, points), 'curves'), caption: `Training loss (log scale) per epoch from ${[...stagesWithCurves].join(', ')}: one line per seed, one panel per condition.` },
    notes,
  };
}

function missingNotes(plan: InstancePlan, statuses: readonly InstanceStatus[], store: Store): string[] {
  const notes: string[] = [];
  for (const node of plan.graph.nodes) {
    const list = plan.byStage.get(node.spec.name) ?? [];
    const open = list.map((i) => statuses[i.index]!).filter((s) => !s.record);
    if (open.length === 0) continue;
    const failed = open.filter((s) => s.key !== undefined && store.readRecord(s.key)?.status === 'failed').length;
    notes.push(`${node.spec.name} (${node.stage.name}): ${open.length} of ${list.length} instances not computed${failed ? ` (${failed} failed)` : ''}.`);
  }
  return notes;
}

async function buildSections(plan: InstancePlan, statuses: readonly InstanceStatus[], reader: Reader): Promise<Section[]> {
  const stages = degeneracyStages(plan, statuses, reader);
  const sections: Section[] = [];
  const seedAxes = new Set(['seed', ...plan.graph.nodes.flatMap((n) => (n.spec.over ? [n.spec.over] : []))]);
  if (stages.length === 0) {
    sections.push({ title: 'Degeneracy against each knob', notes: [`This study has no stage of kind ${degeneracy.name}; add one (e.g. degeneracy: { uses: ${degeneracy.name}, needs: [train, behaviour, dsa, weights], over: seed }) to see degeneracy levels.`], figures: [] });
  }
  for (const stage of stages) {
    const name = stage.node.spec.name;
    const done = stage.conditions.filter((c) => c.summary).length;
    const notes = done === 0 ? [`No condition of ${name} is computed yet.`] : [];
    const title = stages.length > 1 ? `Degeneracy against each knob (${name})` : 'Degeneracy against each knob';
    sections.push({ title, notes, figures: await knobFigures(stage, plan.graph.axisValues) });
  }
  for (const stage of stages) {
    const mds = await mdsFigure(stage);
    if (!mds.figure && mds.notes.length === 0) continue;
    sections.push({ title: stages.length > 1 ? `Dynamics: MDS of DSA distances (${stage.node.spec.name})` : 'Dynamics: MDS of DSA distances', notes: mds.notes, figures: mds.figure ? [mds.figure] : [] });
  }
  const curves = await curvesFigure(plan, statuses, reader, seedAxes);
  if (curves.figure) sections.push({ title: 'Training curves', notes: curves.notes, figures: [curves.figure] });
  for (const stage of stages) {
    sections.push({ title: stages.length > 1 ? `Every condition (${stage.node.spec.name})` : 'Every condition', notes: [], figures: [], html: conditionTable(stage) });
  }
  return sections;
}

/** The study as written (after --set): its sweep axes and stages with their params. */
function studySection(study: Study): Section {
  const shortList = (values: readonly Json[]): string => {
    const texts = values.map(valueText);
    return texts.length <= 12 ? texts.join(', ') : `${texts.slice(0, 5).join(', ')}, …, ${texts.at(-1)} (${texts.length} values)`;
  };
  const rows = study.stages.map((st) => [
    st.name, st.uses, st.needs.join(', '), st.pairs ? `pairs: ${st.pairs}` : st.over ? `over: ${st.over}` : '', Object.keys(st.with).length ? JSON.stringify(st.with) : '',
  ]);
  return {
    title: 'The study',
    notes: study.sweep.map((a) => `sweep ${a.name}: ${shortList(a.values)}`),
    figures: [],
    html: tableHtml({ columns: ['stage', 'uses', 'needs', 'axis', 'with'], rows, numeric: new Set() }),
  };
}

function commandsOf(file: string, opts: ReportOptions): string[] {
  const sets = (opts.set ?? []).flatMap((s) => ['--set', s]);
  const run = ['degen', 'run', file, ...sets];
  const report = ['degen', 'report', file, ...sets, ...(opts.output ? ['-o', opts.output] : [])];
  return [run.map(shellWord).join(' '), report.map(shellWord).join(' ')];
}

export async function reportCommand(file: string, opts: ReportOptions, registry: StageRegistry, io: Io): Promise<number> {
  const loaded = await loadOrReport(file, registry, opts, io);
  if (!loaded) return EXIT.badInput;
  const { plan, study } = loaded;
  const store = openStore(opts);
  const statuses = planStatus(plan, store, opts.backend ?? DEFAULT_BACKEND);
  if (!statuses.some((s) => s.record)) {
    io.err(`degen report: nothing of ${file} is computed yet; run \`degen run ${file}\` first`);
    return EXIT.failed;
  }
  const reader = new Reader(store);
  let html: string;
  try {
    html = pageHtml({
      title: study.name,
      description: study.description,
      commands: commandsOf(file, opts),
      missing: missingNotes(plan, statuses, store),
      sections: [...await buildSections(plan, statuses, reader), studySection(study)],
    });
  } catch (e) {
    if (e instanceof DamagedObjectError) {
      io.err(`degen report: ${e.message}; run \`degen run ${file}\` to recompute it`);
      return EXIT.failed;
    }
    throw e;
  }
  const output = opts.output ?? `reports/${sanitiseName(study.name)}.html`;
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, html);
  io.out(output);
  return EXIT.ok;
}
