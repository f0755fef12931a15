// Runs a task stage the way the engine would: params from the stage's own schema with its defaults
// applied, outputs passed through Arrow IPC bytes, trials tables read back as tensors.
import type { Table } from 'apache-arrow';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { decodeTable, encodeTable, tableToRows, trialsTensor, type Tensor } from '../../src/arrow.js';
import type { Stage } from '../../src/stage.js';
import { fakeContext } from '../helpers/context.js';

export interface TrialSet {
  readonly trials: number;
  readonly T: number;
  readonly inputs: Tensor; // [trials, T, n_in]
  readonly targets: Tensor; // [trials, T, n_out]
  readonly mask: Tensor; // [trials, T, n_out]
}

export interface TaskRun {
  readonly params: Record<string, unknown>;
  readonly bytes: Readonly<Record<string, Uint8Array>>;
  readonly tables: Readonly<Record<string, Table>>;
  readonly meta: Record<string, unknown>;
  readonly train: TrialSet;
  readonly probe: TrialSet;
  readonly ood: TrialSet;
}

const ajv = new Ajv2020({ strict: true, useDefaults: true, allErrors: true });

/** Params after the stage's schema defaults, or the validation errors as text. */
export function validate(stage: Stage<any>, given: Record<string, unknown>): { params: Record<string, unknown>; errors?: string } {
  const check = ajv.compile(stage.params);
  const params = structuredClone(given);
  return check(params) ? { params } : { params, errors: ajv.errorsText(check.errors) };
}

function trialSet(table: Table): TrialSet {
  const inputs = trialsTensor(table, 'inputs');
  return { trials: table.numRows, T: inputs.shape[1]!, inputs, targets: trialsTensor(table, 'targets'), mask: trialsTensor(table, 'mask') };
}

export async function runTask(stage: Stage<any>, given: Record<string, unknown> = {}): Promise<TaskRun> {
  const { params, errors } = validate(stage, given);
  if (errors) throw new Error(`invalid params ${JSON.stringify(given)}: ${errors}`);
  const out = await stage.run(fakeContext(params, []));
  const bytes = Object.fromEntries(Object.entries(out).map(([name, t]) => [name, encodeTable(t)]));
  const tables = Object.fromEntries(Object.entries(bytes).map(([name, b]) => [name, decodeTable(b)]));
  return {
    params,
    bytes,
    tables,
    meta: tableToRows(tables.meta!)[0]!,
    train: trialSet(tables.train!),
    probe: trialSet(tables.probe!),
    ood: trialSet(tables.ood!),
  };
}

/** Value at [k, t, j] of a [trials, T, n] tensor. */
export function at(x: Tensor, k: number, t: number, j: number): number {
  const [, T, n] = x.shape as [number, number, number];
  return x.data[(k * T + t) * n + j]!;
}
