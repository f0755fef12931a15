// A StageContext for unit-testing a stage's run() without the engine: inputs are given as tables.
// (End-to-end tests drive the real CLI instead.)
import { createHash } from 'node:crypto';
import type { Table } from 'apache-arrow';
import { encodeTable } from '../../src/arrow.js';
import { Rng } from '../../src/random.js';
import type { ContentHash, Coords, Member, StageContext, Upstream } from '../../src/stage.js';

export interface FakeMember {
  readonly coords?: Coords;
  readonly outputs: Readonly<Record<string, Table>>;
}

function hashTable(table: Table): ContentHash {
  return createHash('sha256').update(encodeTable(table)).digest('hex') as ContentHash;
}

function upstreamOf(need: string, coords: Coords, outputs: Readonly<Record<string, Table>>): Upstream {
  return {
    need,
    kind: need,
    coords,
    outputs: Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, hashTable(t)])),
    read: async (output) => {
      const t = outputs[output];
      if (!t) throw new Error(`no output ${output}`);
      return t;
    },
  };
}

function memberOf(coords: Coords, upstream: readonly Upstream[], tables: Readonly<Record<string, Table>>): Member {
  return {
    coords,
    upstream,
    has: (output) => output in tables,
    read: async (output) => {
      const t = tables[output];
      if (!t) throw new Error(`no input named ${output} (have: ${Object.keys(tables).join(', ')})`);
      return t;
    },
    hash: (output) => {
      const t = tables[output];
      if (!t) throw new Error(`no input named ${output}`);
      return hashTable(t);
    },
  };
}

export function fakeContext<P>(params: P, members: readonly FakeMember[], shared: Readonly<Record<string, Table>> = {}, backend = 'wasm'): StageContext<P> {
  const sharedUp = Object.keys(shared).length ? [upstreamOf('shared', {}, shared)] : [];
  const views = members.map((m, i) => {
    const up = [upstreamOf(`member${i}`, m.coords ?? {}, m.outputs), ...sharedUp];
    return memberOf(m.coords ?? {}, up, { ...shared, ...m.outputs });
  });
  const seed = (params as { seed?: unknown }).seed;
  return {
    params,
    coords: {},
    members: views,
    upstream: views.flatMap((v) => v.upstream),
    read: (output) => {
      if (views.length !== 1) throw new Error(`read() needs exactly one member, have ${views.length}`);
      return views[0]!.read(output);
    },
    rng: new Rng(typeof seed === 'number' ? seed : JSON.stringify(params)),
    backend,
    progress: () => undefined,
    signal: new AbortController().signal,
    memo: async (_part, _deps, compute) => compute(),
  };
}
