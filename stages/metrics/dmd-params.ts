// The DMD and score params shared by metric/dsa and metric/dsa-null (same schema, so a null and the pairs it
// sits beside are always fitted alike), and the per-network DMD fit both use.
import type { Table } from 'apache-arrow';
import { getTensor, tableToTensors, tensorsToTable, trialsTensor } from '../../src/arrow.js';
import type { Member, StageContext } from '../../src/stage.js';
import { firstNonFinite, fitDmd, type DmdFit, type DmdOptions } from './lib/dmd.js';
import { check } from './lib/errors.js';
import type { Trajectories } from './lib/hankel.js';
import { defaultPavfRestarts } from './lib/pavf.js';
import type { DsaScore } from './lib/simdist.js';

export interface DsaParams {
  readonly n_delays: number;
  readonly delay_interval: number;
  readonly rank?: number;
  readonly rank_thresh?: number;
  readonly rank_explained_variance?: number;
  readonly lamb: number;
  readonly reduced_rank_reg: boolean;
  readonly steps_ahead: number;
  readonly score: DsaScore;
  readonly restarts: number;
  readonly seed: number;
}

/** Rank used when none of rank, rank_thresh, rank_explained_variance is given. */
export const defaultRank = 20;

export const dsaParamsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    n_delays: { type: 'integer', minimum: 1, default: 5, description: 'Delays d of the Hankel embedding.' },
    delay_interval: { type: 'integer', minimum: 1, default: 1, description: 'Samples between delays.' },
    rank: { type: 'integer', minimum: 1, description: `Directions kept (default ${defaultRank} when neither rank_thresh nor rank_explained_variance is given; capped at the embedding size).` },
    rank_thresh: { type: 'number', description: 'Keep the singular values above this (at least one).' },
    rank_explained_variance: { type: 'number', minimum: 0, maximum: 1, description: 'Keep the fewest directions explaining this fraction of the variance.' },
    lamb: { type: 'number', minimum: 0, default: 0, description: 'Ridge lambda in V coordinates (dimensionless).' },
    reduced_rank_reg: { type: 'boolean', default: false, description: 'Reduced-rank regression instead of principal-component regression.' },
    steps_ahead: { type: 'integer', minimum: 1, default: 1, description: 'The operator maps v_t to v_{t+h}.' },
    score: { enum: ['angular', 'euclidean', 'wasserstein'], default: 'angular', description: 'angular / euclidean: Procrustes over vector fields (unit-norm operators); wasserstein: squared W2 between spectra.' },
    restarts: { type: 'integer', minimum: 0, default: defaultPavfRestarts, description: 'Haar-random starts of the PAVF optimiser (besides identity, reflection and spectral starts).' },
    seed: { type: 'integer', minimum: 0, default: 0, description: 'Seed of the random starts.' },
  },
  not: {
    anyOf: [
      { required: ['rank', 'rank_thresh'] },
      { required: ['rank', 'rank_explained_variance'] },
      { required: ['rank_thresh', 'rank_explained_variance'] },
    ],
  },
  // rank defaults to 20 only when neither other rule is given; filling it in (rather than leaving it unset)
  // gives `rank: 20` written out the same key as no rank at all, and `plan --explain` says `rank: 20 -> 10`.
  if: { not: { anyOf: [{ required: ['rank_thresh'] }, { required: ['rank_explained_variance'] }] } },
  then: { properties: { rank: { default: defaultRank } } },
} as const;

export function dmdOptionsOf(p: DsaParams): DmdOptions {
  const given = [p.rank, p.rank_thresh, p.rank_explained_variance].filter((v) => v !== undefined).length;
  check(given <= 1, () => 'give at most one of rank, rank_thresh, rank_explained_variance');
  return {
    nDelays: p.n_delays,
    delayInterval: p.delay_interval,
    rank: given === 0 ? defaultRank : p.rank,
    rankThresh: p.rank_thresh,
    rankExplainedVariance: p.rank_explained_variance,
    lamb: p.lamb,
    reducedRankReg: p.reduced_rank_reg,
    stepsAhead: p.steps_ahead,
  };
}

/** The params a DMD fit depends on (not the score, restarts or seed), for memo keys. */
export function dmdDeps(p: DsaParams): Record<string, unknown> {
  const o = dmdOptionsOf(p);
  return { n_delays: o.nDelays, delay_interval: o.delayInterval, rank: o.rank ?? null, rank_thresh: o.rankThresh ?? null, rank_explained_variance: o.rankExplainedVariance ?? null, lamb: o.lamb, reduced_rank_reg: o.reducedRankReg, steps_ahead: o.stepsAhead };
}

/** Probe-set hidden states of a collect/activity output as float64 trajectories [trials, T, n]. */
export function probeTrajectories(table: Table): Trajectories {
  const t = trialsTensor(table, 'hidden');
  check(t.shape.length === 3, () => `probe_activity column hidden should be [trials, T, n], got [${t.shape.join(', ')}]`);
  return { trials: t.shape[0]!, time: t.shape[1]!, units: t.shape[2]!, data: Float64Array.from(t.data) };
}

/** The operator part of a fit that DSA needs, as a float64 tensor table (A_v, singular_values, rank). */
export function dmdToTable(fit: DmdFit): Table {
  return tensorsToTable({
    A_v: { shape: [fit.aV.rows, fit.aV.cols], data: fit.aV.data },
    singular_values: { shape: [fit.singularValues.length], data: fit.singularValues },
    rank: { shape: [1], data: Float64Array.of(fit.rank) },
  }, 'float64');
}

export interface StoredDmd {
  readonly aV: { rows: number; cols: number; data: Float64Array };
  readonly rank: number;
}

/** A network whose activity holds NaN or infinities (e.g. a diverged, non-converged one) has no DMD. */
export interface NoDmd {
  readonly problem: string;
}

export function tableToDmd(table: Table): StoredDmd | NoDmd {
  const tensors = tableToTensors(table);
  const a = getTensor(tensors, 'A_v');
  if (a.shape[0] === 0) return { problem: 'probe activity contains NaN or infinite values' };
  return { aV: { rows: a.shape[0]!, cols: a.shape[1]!, data: Float64Array.from(a.data) }, rank: getTensor(tensors, 'rank').data[0]! };
}

const noDmdTable = (): Table => tensorsToTable({
  A_v: { shape: [0, 0], data: new Float64Array(0) },
  singular_values: { shape: [0], data: new Float64Array(0) },
  rank: { shape: [1], data: Float64Array.of(0) },
}, 'float64');

/**
 * Fits (or reuses, through the engine's memo) the DMD of one network's probe activity. Activity with NaN or
 * infinities gives NoDmd instead of an error, so that pairs with a diverged network record a null distance
 * (summaries leave non-converged networks out) rather than failing the run.
 */
export async function networkDmd(ctx: StageContext<DsaParams>, member: Member): Promise<StoredDmd | NoDmd> {
  const out = await ctx.memo('dmd', { activity: member.hash('probe_activity'), ...dmdDeps(ctx.params) }, async () => {
    const x = probeTrajectories(await member.read('probe_activity'));
    return { dmd: firstNonFinite(x.data) >= 0 ? noDmdTable() : dmdToTable(fitDmd(x, dmdOptionsOf(ctx.params))) };
  });
  return tableToDmd(out.dmd!);
}
