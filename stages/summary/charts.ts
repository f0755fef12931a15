// The report's charts as Vega-Lite specs, rendered to SVG strings at report time (no script in the page).
// Study-derived text (condition labels, seeds) only ever enters a spec as data values or titles, which
// vega escapes when it writes SVG; field names are fixed here, so no study string is parsed as a
// field path or an expression.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface LevelRow {
  /** Knob value on the x axis, as text. */
  readonly x: string;
  /** The other knobs' values, as one label ('' when there are none). */
  readonly group: string;
  readonly behaviour: number | null;
  readonly behaviour_lo: number | null;
  readonly behaviour_hi: number | null;
  readonly dynamics: number | null;
  readonly dynamics_lo: number | null;
  readonly dynamics_hi: number | null;
  readonly dsa_null: number | null;
  readonly dsa_null_lo: number | null;
  readonly dsa_null_hi: number | null;
  readonly weights: number | null;
  readonly weights_lo: number | null;
  readonly weights_hi: number | null;
  readonly n_converged: number;
  readonly n_networks: number;
  /** Feature-learning checks (mean over converged networks), when the study measures them. */
  readonly weight_change?: number | null;
  readonly kernel_alignment?: number | null;
}

export interface MdsPoint {
  readonly condition: string;
  readonly seed: string;
  readonly mx: number;
  readonly my: number;
}

export interface CurvePoint {
  readonly condition: string;
  readonly seed: string;
  readonly epoch: number;
  readonly loss: number;
  readonly status: 'converged' | 'not converged' | 'unknown';
}

const PANEL = { width: 160, height: 140 } as const;
const AXIS_GREY = '#888';
/** MDS panels label their points with seeds up to this many networks per panel. */
const MAX_LABELLED_POINTS = 20;

/**
 * The three levels and the number of converged networks against one knob; the DSA null beside dynamics, and
 * the feature-learning checks (weight change, kernel alignment) when the rows have them.
 */
export function knobSpec(knob: string, xOrder: readonly string[], groupTitle: string, rows: readonly LevelRow[]): TopLevelSpec {
  const grouped = new Set(rows.map((r) => r.group)).size > 1;
  const color = grouped
    ? { color: { field: 'group', type: 'nominal', title: groupTitle, sort: [...new Set(rows.map((r) => r.group))] } }
    : {};
  const offset = grouped ? { xOffset: { field: 'group', type: 'nominal', sort: [...new Set(rows.map((r) => r.group))] } } : {};
  const x = { field: 'x', type: 'ordinal', sort: [...xOrder], title: knob, axis: { labelAngle: 0 } };
  const levelPanel = (field: string, title: string, extra: object[] = []): object => ({
    ...PANEL,
    title,
    layer: [
      { mark: { type: 'rule', strokeWidth: 1.5 }, encoding: { x, ...offset, y: { field: `${field}_lo`, type: 'quantitative', title: null, scale: { zero: false } }, y2: { field: `${field}_hi` }, ...color } },
      { mark: { type: 'line', strokeWidth: 1, opacity: 0.6 }, encoding: { x, ...offset, y: { field, type: 'quantitative' }, ...color } },
      { mark: { type: 'point', filled: true, size: 40 }, encoding: { x, ...offset, y: { field, type: 'quantitative' }, ...color } },
      ...extra,
    ],
  });
  // A mean without an interval (the feature-learning checks): line and points only.
  const meanPanel = (field: string, title: string): object => ({
    ...PANEL,
    title,
    layer: [
      { mark: { type: 'line', strokeWidth: 1, opacity: 0.6 }, encoding: { x, ...offset, y: { field, type: 'quantitative', title: null, scale: { zero: false } }, ...color } },
      { mark: { type: 'point', filled: true, size: 40 }, encoding: { x, ...offset, y: { field, type: 'quantitative' }, ...color } },
    ],
  });
  const has = (field: 'behaviour' | 'dynamics' | 'weights' | 'weight_change' | 'kernel_alignment'): boolean => rows.some((r) => r[field] != null);
  const nullLayers = rows.some((r) => r.dsa_null !== null)
    ? [
      { mark: { type: 'rule', strokeWidth: 1, strokeDash: [3, 2], color: AXIS_GREY }, encoding: { x, ...offset, y: { field: 'dsa_null_lo', type: 'quantitative' }, y2: { field: 'dsa_null_hi' } } },
      { mark: { type: 'point', shape: 'diamond', filled: false, size: 40, color: AXIS_GREY }, encoding: { x, ...offset, y: { field: 'dsa_null', type: 'quantitative' } } },
    ]
    : [];
  const levels = [
    // A level without any value (its input is not in the study) gets no empty panel.
    ...(has('behaviour') ? [levelPanel('behaviour', 'behaviour: std of OOD MSE')] : []),
    ...(has('dynamics') || nullLayers.length ? [levelPanel('dynamics', nullLayers.length ? 'dynamics: mean DSA (grey ◇ null)' : 'dynamics: mean pairwise DSA', nullLayers)] : []),
    ...(has('weights') ? [levelPanel('weights', 'weights: mean RMS distance')] : []),
    {
      ...PANEL,
      title: 'converged networks',
      layer: [
        { mark: { type: 'bar', opacity: 0.25 }, encoding: { x, ...offset, y: { field: 'n_networks', type: 'quantitative', title: null, axis: { tickMinStep: 1 } }, ...color } },
        { mark: { type: 'bar' }, encoding: { x, ...offset, y: { field: 'n_converged', type: 'quantitative' }, ...color } },
      ],
    },
  ];
  // The feature-learning checks, when measured, go in a second row below the levels.
  const checks = [
    ...(has('weight_change') ? [meanPanel('weight_change', 'weight change ‖W_T − W_0‖')] : []),
    ...(has('kernel_alignment') ? [meanPanel('kernel_alignment', 'kernel alignment (init vs trained)')] : []),
  ];
  return {
    data: { values: rows as never },
    config: { view: { stroke: null }, legend: { orient: 'bottom', direction: 'horizontal', labelLimit: 260 } },
    ...(checks.length ? { vconcat: [{ hconcat: levels }, { hconcat: checks }] } : { hconcat: levels }),
  } as unknown as TopLevelSpec;
}

/** One MDS scatter panel per condition, on shared square axes so spreads compare across conditions. */
export function mdsSpec(conditions: readonly string[], points: readonly MdsPoint[]): TopLevelSpec {
  const reach = Math.max(1e-12, ...points.map((p) => Math.max(Math.abs(p.mx), Math.abs(p.my)))) * 1.15;
  const scale = { domain: [-reach, reach], nice: false, zero: false };
  const perCondition = new Map<string, number>();
  for (const p of points) perCondition.set(p.condition, (perCondition.get(p.condition) ?? 0) + 1);
  const labelled = Math.max(0, ...perCondition.values()) <= MAX_LABELLED_POINTS;
  return {
    data: { values: points as never },
    facet: { field: 'condition', type: 'nominal', sort: [...conditions], title: null, header: { labelFontSize: 10, labelLimit: 250 } },
    columns: Math.min(4, conditions.length),
    spec: {
      width: 150,
      height: 150,
      layer: [
        { mark: { type: 'point', filled: true, size: 45, color: '#4c78a8' }, encoding: { x: { field: 'mx', type: 'quantitative', title: 'MDS 1', scale }, y: { field: 'my', type: 'quantitative', title: 'MDS 2', scale } } },
        // Seed labels help with a few networks and only blur a crowd.
        ...(labelled ? [{ mark: { type: 'text', dx: 7, align: 'left', fontSize: 8, color: '#555' }, encoding: { x: { field: 'mx', type: 'quantitative' }, y: { field: 'my', type: 'quantitative' }, text: { field: 'seed', type: 'nominal' } } }] : []),
      ],
    },
    resolve: { scale: { x: 'shared', y: 'shared' } },
  } as unknown as TopLevelSpec;
}

/** Training loss (log scale) against epoch, one line per seed, one panel per condition. */
export function curvesSpec(conditions: readonly string[], seeds: readonly string[], points: readonly CurvePoint[]): TopLevelSpec {
  const dashed = points.some((p) => p.status === 'not converged');
  const statuses = (['converged', 'not converged', 'unknown'] as const).filter((st) => points.some((p) => p.status === st));
  const dashes = { converged: [1, 0], 'not converged': [4, 3], unknown: [1, 2] } as const;
  return {
    data: { values: points as never },
    config: { legend: { orient: 'bottom', direction: 'horizontal' } },
    facet: { field: 'condition', type: 'nominal', sort: [...conditions], title: null, header: { labelFontSize: 10, labelLimit: 250 } },
    columns: Math.min(4, conditions.length),
    spec: {
      width: 170,
      height: 120,
      mark: { type: 'line', strokeWidth: 1.2, clip: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch' },
        y: { field: 'loss', type: 'quantitative', title: 'training loss', scale: { type: 'log' } },
        color: { field: 'seed', type: 'nominal', sort: [...seeds], title: 'seed', legend: { columns: Math.min(seeds.length, 12) } },
        detail: { field: 'seed', type: 'nominal' },
        ...(dashed ? { strokeDash: { field: 'status', type: 'nominal', title: 'outcome', scale: { domain: statuses, range: statuses.map((st) => dashes[st]) } } } : {}),
      },
    },
  } as unknown as TopLevelSpec;
}

/**
 * Renders a Vega-Lite spec to an SVG string. Vega numbers clip paths clip1, clip2, ... in every SVG,
 * so ids are prefixed to stay unique when several charts share one HTML page.
 */
export async function renderSvg(spec: TopLevelSpec, idPrefix: string): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return svg
      .replace(/\sid="([^"]+)"/g, (_, id: string) => ` id="${idPrefix}-${id}"`)
      .replace(/url\(#([^)]+)\)/g, (_, id: string) => `url(#${idPrefix}-${id})`)
      .replace(/href="#([^"]+)"/g, (_, id: string) => `href="#${idPrefix}-${id}"`);
  } finally {
    view.finalize();
  }
}
