// The Stage contract: what a stage module exports, what it may ask of the engine, and the registry
// through which the engine finds stages. The engine knows nothing about RNNs; stages know nothing
// about files, caches or executors.
import type { Schema, Table } from 'apache-arrow';
import type { Rng } from './random.js';

/** A JSON Schema object (draft 2020-12 subset that ajv understands); `default`s are applied. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** A JSON value, as written in a study file. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

/** Sweep coordinates of an instance: axis name -> value; a paired axis maps to its two values. */
export type Coords = Readonly<Record<string, Json>>;

/** Content hash (sha256 hex) of one output object. */
export type ContentHash = string & { readonly __brand: 'ContentHash' };

/** One upstream instance whose outputs this instance may read. */
export interface Upstream {
  /** Name of the upstream stage in the study file (e.g. `train`). */
  readonly need: string;
  /** Stage kind of the upstream stage (e.g. `train/rnn`). */
  readonly kind: string;
  readonly coords: Coords;
  /** Output names and their content hashes. */
  readonly outputs: Readonly<Record<string, ContentHash>>;
  /** Reads one output; the engine verifies it against its hash. */
  read(output: string): Promise<Table>;
}

/**
 * The inputs seen from one member of an instance. A plain instance has one member; a `pairs: AXIS`
 * instance has two (the pair's lower and higher value); an `over: AXIS` instance has one per value
 * of the folded axis, in sweep order. Upstreams outside the paired or folded axis are shared by
 * every member.
 */
export interface Member {
  readonly coords: Coords;
  readonly upstream: readonly Upstream[];
  /** Reads the output of that name from the unique upstream of this member that has it. */
  read(output: string): Promise<Table>;
  /** Content hash of that output (for memo keys). */
  hash(output: string): ContentHash;
  has(output: string): boolean;
}

export interface StageContext<P = Record<string, unknown>> {
  /** Params after schema defaults were applied. */
  readonly params: P;
  readonly coords: Coords;
  readonly members: readonly Member[];
  /** Every upstream instance, for stages that fold an axis and need more than per-member views. */
  readonly upstream: readonly Upstream[];
  /** Reads an output when the instance has exactly one member. */
  read(output: string): Promise<Table>;
  /** Seeded from `params.seed` when present, else from the stage name and params: never from time. */
  readonly rng: Rng;
  /** Compute backend (`wasm` by default); part of the key for stages with `usesBackend`. */
  readonly backend: string;
  /** Report progress in [0, 1] with an optional short message. */
  progress(fraction: number, message?: string): void;
  readonly signal: AbortSignal;
  /**
   * Caches a named intermediate result of this stage across instances: `deps` (JSON) together with the
   * stage's name, version and code identify it. Used e.g. to fit one DMD per network, not per pair.
   */
  memo(part: string, deps: unknown, compute: () => Promise<Readonly<Record<string, Table>>>): Promise<Readonly<Record<string, Table>>>;
}

/**
 * A column of the table `degen results` prints for a stage (format `table`): the value of a scalar
 * output column, with its interval (`lo`, `hi`) or its total (`of`, shown as `value/of`).
 */
export interface ResultColumn {
  readonly label: string;
  readonly value: string;
  readonly lo?: string;
  readonly hi?: string;
  readonly of?: string;
}

/** What a stage module exports. */
export interface Stage<P = Record<string, unknown>> {
  /** Kind name used in `uses:` (e.g. `train/rnn`). */
  readonly name: string;
  /** Bump when the meaning of the outputs changes in a way the code hash cannot see. */
  readonly version: number;
  /**
   * `import.meta.url` of the defining module. The engine hashes it, the project modules it imports and
   * the files it loads with `new URL('file', import.meta.url)` (e.g. WebAssembly kernels) into the key.
   */
  readonly module: string;
  readonly description: string;
  /** JSON Schema of `with:` params. Must be an object schema with `additionalProperties: false`. */
  readonly params: JsonSchema;
  /** Arrow schema of each output table. */
  readonly outputs: Readonly<Record<string, Schema>>;
  /** Whether the compute backend can change the outputs (then it is part of the key). */
  readonly usesBackend?: boolean;
  /** The columns `degen results` shows by default as a table (every column otherwise). */
  readonly resultColumns?: readonly ResultColumn[];
  run(ctx: StageContext<P>): Promise<Readonly<Record<string, Table>>>;
}

export class StageRegistry {
  readonly #stages = new Map<string, Stage>();

  add(stage: Stage<any>): void {
    if (this.#stages.has(stage.name)) throw new Error(`stage kind ${stage.name} registered twice`);
    this.#stages.set(stage.name, stage as Stage);
  }

  get(name: string): Stage | undefined {
    return this.#stages.get(name);
  }

  names(): string[] {
    return [...this.#stages.keys()].sort();
  }
}

/** Whether a module export is a stage (used to find stages in plugin and stage modules). */
export function isStage(v: unknown): v is Stage {
  return typeof v === 'object' && v !== null && typeof (v as Stage).name === 'string' && typeof (v as Stage).run === 'function' && typeof (v as Stage).module === 'string';
}

/** Declares a stage with its param type inferred from usage; keeps stage modules terse. */
export function defineStage<P>(stage: Stage<P>): Stage<P> {
  return stage;
}
