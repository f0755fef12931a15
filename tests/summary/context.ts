// A StageContext shaped like an `over: seed` instance: one member per seed whose upstream are named
// stages (train, behaviour, ...), and pair instances (coords.seed = [a, b]) in ctx.upstream only.
import type { Table } from 'apache-arrow';
import { rowsToTable, scalarSchema, type Scalar } from '../../src/arrow.js';
import type { ContentHash, Coords, Json, Member, StageContext, Upstream } from '../../src/stage.js';
import type { DegeneracyParams } from '../../stages/summary/degeneracy.js';
import { fakeContext } from '../helpers/context.js';

/** need -> output -> table */
export type Outputs = Readonly<Record<string, Readonly<Record<string, Table>>>>;

/** A one-row table of the given values; numbers are float64, booleans bool, strings utf8. */
export function oneRow(values: Readonly<Record<string, Scalar | null>>): Table {
  const types = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'boolean' ? 'bool' : typeof v === 'string' ? 'utf8' : 'float64'] as const));
  return rowsToTable(scalarSchema(types), [values]);
}

function upstreamOf(need: string, coords: Coords, outputs: Readonly<Record<string, Table>>): Upstream {
  return {
    need, kind: `kind/${need}`, coords,
    outputs: Object.fromEntries(Object.keys(outputs).map((k) => [k, `${need}:${k}` as ContentHash])),
    read: async (output) => {
      const t = outputs[output];
      if (!t) throw new Error(`no output ${output}`);
      return t;
    },
  };
}

export interface NetworkInput {
  readonly seed: Json;
  readonly upstream: Outputs;
}

export interface PairInput {
  readonly seeds: readonly [Json, Json];
  readonly upstream: Outputs;
}

export const DEFAULTS: DegeneracyParams = { bootstrap: 1000, seed: 0, require: ['behaviour', 'dynamics', 'weights'] };

export function overSeedContext(params: Partial<DegeneracyParams>, networks: readonly NetworkInput[], pairs: readonly PairInput[], shared: Outputs = {}): StageContext<DegeneracyParams> {
  const full = { ...DEFAULTS, ...params };
  const base = fakeContext(full, []);
  const sharedUp = Object.entries(shared).map(([need, outs]) => upstreamOf(need, {}, outs));
  const members: Member[] = networks.map((n) => {
    const coords = { seed: n.seed };
    const upstream = [...Object.entries(n.upstream).map(([need, outs]) => upstreamOf(need, coords, outs)), ...sharedUp];
    return {
      coords, upstream,
      has: (o) => upstream.some((u) => o in u.outputs),
      read: async () => { throw new Error('summary/degeneracy must not use member.read (outputs share names)'); },
      hash: () => { throw new Error('unused'); },
    };
  });
  const pairUp = pairs.flatMap((p) => Object.entries(p.upstream).map(([need, outs]) => upstreamOf(need, { seed: [...p.seeds] }, outs)));
  return { ...base, coords: {}, members, upstream: [...sharedUp, ...members.flatMap((m) => m.upstream.filter((u) => !sharedUp.includes(u))), ...pairUp] };
}
