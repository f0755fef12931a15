// summary/degeneracy: folds the seed axis of a condition into its three degeneracy levels (behaviour,
// dynamics, weights), each with a bootstrap 95% interval over networks, plus the sanity figures beside
// them (DSA null, weight change, kernel alignment). Non-converged networks are kept in the record and
// left out of every statistic, as in Huang et al. 2025.
//
// The numbers are found by column name in the one-row tables of the upstream outputs, never by the kind
// of the stage that made them, so any stage that emits e.g. `ood_mse` or `dsa` can feed this one.
import type { Table } from 'apache-arrow';
import { rowsToTable, scalarSchema, type Scalar } from '../../src/arrow.js';
import { Rng } from '../../src/random.js';
import { defineStage, type Json, type StageContext, type Upstream } from '../../src/stage.js';
import { bootstrap, meanOf, pairMeanOf, stdOf, type Estimate, type Statistic } from './bootstrap.js';

export type Level = 'behaviour' | 'dynamics' | 'weights';

export interface DegeneracyParams {
  /** Bootstrap resamples of networks; 0 gives no intervals. */
  readonly bootstrap: number;
  /** Seeds the bootstrap. */
  readonly seed: number;
  /** Levels whose input column must be present (`ood_mse`, `dsa`, `distance_rms`); the others may be null. */
  readonly require: readonly Level[];
}

/** Per-network columns read from the members' upstreams. */
const NETWORK_COLUMNS = ['converged', 'ood_mse', 'dsa_null', 'weight_change', 'kernel_alignment'] as const;
/** Per-pair columns read from upstreams whose folded coordinate is a pair. */
const PAIR_COLUMNS = ['dsa', 'distance_rms', 'distance_scalefree', 'procrustes_angular', 'cka'] as const;
type NetworkColumn = (typeof NETWORK_COLUMNS)[number];
type PairColumn = (typeof PAIR_COLUMNS)[number];

const LEVEL_COLUMN: Record<Level, { column: NetworkColumn | PairColumn; hint: string }> = {
  behaviour: { column: 'ood_mse', hint: 'a stage that outputs ood_mse per seed (e.g. metric/behaviour)' },
  dynamics: { column: 'dsa', hint: 'a stage that outputs dsa per pair of seeds (e.g. metric/dsa with pairs: seed)' },
  weights: { column: 'distance_rms', hint: 'a stage that outputs distance_rms per pair of seeds (e.g. metric/weights with pairs: seed)' },
};

export const summarySchema = scalarSchema({
  n_networks: 'int32',
  n_converged: 'int32',
  behaviour_degeneracy: 'float64',
  behaviour_ci_lo: 'float64',
  behaviour_ci_hi: 'float64',
  mean_ood_mse: 'float64',
  mean_ood_mse_ci_lo: 'float64',
  mean_ood_mse_ci_hi: 'float64',
  dynamics_degeneracy: 'float64',
  dynamics_ci_lo: 'float64',
  dynamics_ci_hi: 'float64',
  weight_degeneracy: 'float64',
  weight_ci_lo: 'float64',
  weight_ci_hi: 'float64',
  weight_degeneracy_scalefree: 'float64',
  dsa_null_mean: 'float64',
  dsa_null_ci_lo: 'float64',
  dsa_null_ci_hi: 'float64',
  mean_weight_change: 'float64',
  mean_kernel_alignment: 'float64',
  mean_procrustes_angular: 'float64',
  mean_cka: 'float64',
});

export const networksSchema = scalarSchema({
  seed: 'utf8', converged: 'bool', ood_mse: 'float64', dsa_null: 'float64', weight_change: 'float64', kernel_alignment: 'float64',
});

export const pairsSchema = scalarSchema({
  seed_a: 'utf8', seed_b: 'utf8', dsa: 'float64', distance_rms: 'float64', distance_scalefree: 'float64',
  procrustes_angular: 'float64', cka: 'float64', both_converged: 'bool',
});

/** A seed value as text: strings as they are, numbers and the rest as JSON. */
export function seedText(value: Json | undefined): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? null);
}

/** The axis the instance folds: the one the members' coordinates have and the instance's do not. */
function foldedAxis(ctx: StageContext<DegeneracyParams>): string {
  const first = ctx.members[0];
  if (!first) throw new Error('summary/degeneracy: no networks to summarise (the instance has no members)');
  const candidates = Object.keys(first.coords).filter((k) => !(k in ctx.coords));
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.includes('seed')) return 'seed';
  throw new Error(`summary/degeneracy: cannot tell which axis is folded (candidates: ${candidates.join(', ') || 'none'}); use it with over: seed`);
}

interface Found {
  value: Scalar | null;
  /** `need.output`, for error messages. */
  from: string;
}

/**
 * Values of `wanted` columns in the one-row output tables of `upstream`. A column offered twice is an
 * error naming both places, because silently picking one would summarise the wrong number.
 */
async function findColumns(upstream: readonly Upstream[], wanted: readonly string[], where: string): Promise<Map<string, Found>> {
  const found = new Map<string, Found>();
  for (const u of upstream) {
    for (const output of Object.keys(u.outputs)) {
      const table: Table = await u.read(output);
      if (table.numRows !== 1) continue;
      for (const field of table.schema.fields) {
        if (!wanted.includes(field.name)) continue;
        const from = `${u.need}.${output}`;
        const previous = found.get(field.name);
        if (previous) throw new Error(`summary/degeneracy: column ${field.name} for ${where} is offered by both ${previous.from} and ${from}; keep only one of them in needs`);
        const v = table.getChild(field.name)?.get(0) as unknown;
        found.set(field.name, { value: typeof v === 'bigint' ? Number(v) : (v as Scalar | null) ?? null, from });
      }
    }
  }
  return found;
}

function numberOf(found: Found | undefined): number {
  const v = found?.value;
  return typeof v === 'number' ? v : v === null || v === undefined ? NaN : Number(v);
}

function nullable(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

export const degeneracy = defineStage<DegeneracyParams>({
  name: 'summary/degeneracy',
  version: 1,
  module: import.meta.url,
  description: 'Per condition (use with over: seed): behaviour, dynamics and weight degeneracy over converged networks, with bootstrap 95% intervals.',
  params: {
    type: 'object',
    additionalProperties: false,
    properties: {
      bootstrap: { type: 'integer', minimum: 0, maximum: 1000000, default: 1000, description: 'Bootstrap resamples of networks (0: no intervals).' },
      seed: { type: 'integer', minimum: 0, default: 0, description: 'Seed of the bootstrap resampling.' },
      require: {
        type: 'array', uniqueItems: true, default: ['behaviour', 'dynamics', 'weights'],
        items: { enum: ['behaviour', 'dynamics', 'weights'] },
        description: 'Levels whose input must be present (ood_mse, dsa, distance_rms); a level left out gives null columns when its input is missing.',
      },
    },
  },
  outputs: { summary: summarySchema, networks: networksSchema, pairs: pairsSchema },
  // What `degen results --stage summary/degeneracy` prints: each level with its 95 % interval.
  resultColumns: [
    { label: 'converged', value: 'n_converged', of: 'n_networks' },
    { label: 'behaviour (std OOD MSE)', value: 'behaviour_degeneracy', lo: 'behaviour_ci_lo', hi: 'behaviour_ci_hi' },
    { label: 'mean OOD MSE', value: 'mean_ood_mse', lo: 'mean_ood_mse_ci_lo', hi: 'mean_ood_mse_ci_hi' },
    { label: 'dynamics (mean DSA)', value: 'dynamics_degeneracy', lo: 'dynamics_ci_lo', hi: 'dynamics_ci_hi' },
    { label: 'DSA null', value: 'dsa_null_mean', lo: 'dsa_null_ci_lo', hi: 'dsa_null_ci_hi' },
    { label: 'weights (RMS distance)', value: 'weight_degeneracy', lo: 'weight_ci_lo', hi: 'weight_ci_hi' },
    { label: 'weight change', value: 'mean_weight_change' },
    { label: 'kernel alignment', value: 'mean_kernel_alignment' },
  ],
  async run(ctx) {
    const axis = foldedAxis(ctx);
    const seeds = ctx.members.map((m) => m.coords[axis]);
    const index = new Map(seeds.map((s, i) => [JSON.stringify(s), i]));
    const n = seeds.length;

    // Per network.
    const perNetwork: Map<string, Found>[] = [];
    for (const [i, member] of ctx.members.entries()) {
      perNetwork.push(await findColumns(member.upstream, NETWORK_COLUMNS, `${axis}=${seedText(seeds[i])}`));
      ctx.progress((i + 1) / (2 * n));
    }
    const converged = perNetwork.map((f, i) => {
      const c = f.get('converged');
      if (!c) throw new Error(`summary/degeneracy: no input offers column converged for ${axis}=${seedText(seeds[i])}; add the training stage (train/rnn) to needs`);
      return c.value === true || c.value === 1;
    });
    const networkColumn = (name: NetworkColumn): Float64Array => Float64Array.from(perNetwork, (f) => numberOf(f.get(name)));
    const present = new Set(perNetwork.flatMap((f) => [...f.keys()]));

    // Per pair: upstream instances whose folded coordinate is a pair of two member values.
    const pairUpstream = new Map<string, Upstream[]>();
    for (const u of ctx.upstream) {
      const v = u.coords[axis];
      if (!Array.isArray(v) || v.length !== 2) continue;
      const a = index.get(JSON.stringify(v[0]));
      const b = index.get(JSON.stringify(v[1]));
      if (a === undefined || b === undefined) continue;
      const key = `${Math.min(a, b)},${Math.max(a, b)}`;
      pairUpstream.set(key, [...(pairUpstream.get(key) ?? []), u]);
    }
    const matrices = Object.fromEntries(PAIR_COLUMNS.map((c) => [c, new Float64Array(n * n).fill(NaN)])) as Record<PairColumn, Float64Array>;
    const pairRows: Record<string, Scalar | null>[] = [];
    const keys = [...pairUpstream.keys()].sort((x, y) => {
      const [xa, xb] = x.split(',').map(Number) as [number, number];
      const [ya, yb] = y.split(',').map(Number) as [number, number];
      return xa - ya || xb - yb;
    });
    for (const key of keys) {
      const [a, b] = key.split(',').map(Number) as [number, number];
      const found = await findColumns(pairUpstream.get(key)!, PAIR_COLUMNS, `${axis} pair ${seedText(seeds[a])}~${seedText(seeds[b])}`);
      found.forEach((_, c) => present.add(c));
      const row: Record<string, Scalar | null> = { seed_a: seedText(seeds[a]), seed_b: seedText(seeds[b]), both_converged: converged[a]! && converged[b]! };
      for (const c of PAIR_COLUMNS) {
        const v = numberOf(found.get(c));
        row[c] = nullable(v);
        matrices[c][a * n + b] = v;
        matrices[c][b * n + a] = v;
      }
      pairRows.push(row);
    }

    for (const level of ctx.params.require) {
      const { column, hint } = LEVEL_COLUMN[level];
      if (!present.has(column)) throw new Error(`summary/degeneracy: ${level} degeneracy needs column ${column}, which no input offers; add ${hint} to needs, or leave ${level} out of require`);
    }

    // Statistics over converged networks only: the converged subset, re-indexed 0..k-1.
    const kept = converged.flatMap((c, i) => (c ? [i] : []));
    const k = kept.length;
    const subset = (values: Float64Array): Float64Array => Float64Array.from(kept, (i) => values[i]!);
    const subMatrix = (m: Float64Array): Float64Array => {
      const out = new Float64Array(k * k);
      for (let x = 0; x < k; x++) for (let y = 0; y < k; y++) out[x * k + y] = m[kept[x]! * n + kept[y]!]!;
      return out;
    };
    const ood = subset(networkColumn('ood_mse'));
    const stats: Record<string, Statistic> = {
      behaviour: stdOf(ood),
      ood: meanOf(ood),
      dynamics: pairMeanOf(subMatrix(matrices.dsa), k),
      weights: pairMeanOf(subMatrix(matrices.distance_rms), k),
      dsa_null: meanOf(subset(networkColumn('dsa_null'))),
    };
    const est = bootstrap(stats, k, ctx.params.bootstrap, new Rng(ctx.params.seed));
    const plain = (s: Statistic): number | null => nullable(s(new Int32Array(k).fill(1)));
    const e = (name: string): Estimate => est[name]!;

    const summary = {
      n_networks: n,
      n_converged: k,
      behaviour_degeneracy: e('behaviour').value, behaviour_ci_lo: e('behaviour').lo, behaviour_ci_hi: e('behaviour').hi,
      mean_ood_mse: e('ood').value, mean_ood_mse_ci_lo: e('ood').lo, mean_ood_mse_ci_hi: e('ood').hi,
      dynamics_degeneracy: e('dynamics').value, dynamics_ci_lo: e('dynamics').lo, dynamics_ci_hi: e('dynamics').hi,
      weight_degeneracy: e('weights').value, weight_ci_lo: e('weights').lo, weight_ci_hi: e('weights').hi,
      weight_degeneracy_scalefree: plain(pairMeanOf(subMatrix(matrices.distance_scalefree), k)),
      dsa_null_mean: e('dsa_null').value, dsa_null_ci_lo: e('dsa_null').lo, dsa_null_ci_hi: e('dsa_null').hi,
      mean_weight_change: plain(meanOf(subset(networkColumn('weight_change')))),
      mean_kernel_alignment: plain(meanOf(subset(networkColumn('kernel_alignment')))),
      mean_procrustes_angular: plain(pairMeanOf(subMatrix(matrices.procrustes_angular), k)),
      mean_cka: plain(pairMeanOf(subMatrix(matrices.cka), k)),
    };

    const columns = Object.fromEntries((['ood_mse', 'dsa_null', 'weight_change', 'kernel_alignment'] as const).map((c) => [c, networkColumn(c)]));
    const networkRows = seeds.map((s, i) => ({
      seed: seedText(s),
      converged: converged[i]!,
      ...Object.fromEntries(Object.entries(columns).map(([c, v]) => [c, nullable(v[i]!)])),
    }));
    ctx.progress(1);
    return {
      summary: rowsToTable(summarySchema, [summary]),
      networks: rowsToTable(networksSchema, networkRows),
      pairs: rowsToTable(pairsSchema, pairRows),
    };
  },
});
