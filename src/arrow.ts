// Arrow helpers shared by the engine and stages: tensor tables, one-row scalar tables, and the
// IPC file encoding every cached object uses.
import {
  Bool, Field, Float32, Float64, Int32, List, Schema, Table, Utf8, makeData, makeVector,
  tableFromIPC, tableToIPC, vectorFromArray, type DataType, type Vector,
} from 'apache-arrow';

export type FloatArray = Float32Array | Float64Array;

/** An n-dimensional array, row-major. */
export interface Tensor<A extends FloatArray = FloatArray> {
  readonly shape: readonly number[];
  readonly data: A;
}

export type TensorDtype = 'float32' | 'float64';

/** Schema of a tensor table: one row per named tensor (`name`, `shape`, flat row-major `data`). */
export function tensorSchema(dtype: TensorDtype): Schema {
  const element = dtype === 'float32' ? new Float32() : new Float64();
  return new Schema([
    new Field('name', new Utf8(), false),
    new Field('shape', new List(new Field('item', new Int32(), false)), false),
    new Field('data', new List(new Field('item', element, false)), false),
  ]);
}

function listVector(type: DataType, values: Int32Array | FloatArray, offsets: Int32Array): Vector {
  const child = makeData({ type, length: values.length, nullCount: 0, data: values } as never) as never;
  const listType = new List(new Field('item', type, false));
  return makeVector(makeData({ type: listType, length: offsets.length - 1, nullCount: 0, valueOffsets: offsets, child } as never) as never);
}

function offsetsOf(lengths: readonly number[]): Int32Array {
  const offsets = new Int32Array(lengths.length + 1);
  for (let i = 0; i < lengths.length; i++) offsets[i + 1] = offsets[i]! + lengths[i]!;
  if (offsets[lengths.length]! < 0 || offsets[lengths.length]! > 0x7fffffff) throw new RangeError('tensor table larger than 2^31 elements');
  return offsets;
}

/** Packs named tensors into one table (row order = key order). Data are converted to `dtype`. */
export function tensorsToTable(tensors: Readonly<Record<string, Tensor>>, dtype: TensorDtype): Table {
  const names = Object.keys(tensors);
  const shapes: number[] = [];
  const sizes: number[] = [];
  for (const name of names) {
    const { shape, data } = tensors[name]!;
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new RangeError(`tensor ${name}: shape [${shape.join(', ')}] has ${size} elements, data has ${data.length}`);
    shapes.push(...shape);
    sizes.push(size);
  }
  const flat = dtype === 'float32' ? new Float32Array(sizes.reduce((a, b) => a + b, 0)) : new Float64Array(sizes.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const name of names) {
    flat.set(tensors[name]!.data, at);
    at += tensors[name]!.data.length;
  }
  const element = dtype === 'float32' ? new Float32() : new Float64();
  return new Table(tensorSchema(dtype), {
    name: vectorFromArray(names, new Utf8()),
    shape: listVector(new Int32(), Int32Array.from(shapes), offsetsOf(names.map((n) => tensors[n]!.shape.length))),
    data: listVector(element, flat, offsetsOf(sizes)),
  } as never);
}

/** Reads a tensor table back; data are views into the table's memory where possible. */
export function tableToTensors(table: Table): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const names = table.getChild('name');
  const shapes = table.getChild('shape');
  const datas = table.getChild('data');
  if (!names || !shapes || !datas) throw new TypeError('not a tensor table: needs columns name, shape, data');
  for (let i = 0; i < table.numRows; i++) {
    const name = String(names.get(i));
    const shape = Array.from(shapes.get(i).toArray() as Int32Array);
    const data = datas.get(i).toArray() as FloatArray;
    out.set(name, { shape, data });
  }
  return out;
}

/** Gets one tensor or throws naming what is there. */
export function getTensor(tensors: Map<string, Tensor>, name: string): Tensor {
  const t = tensors.get(name);
  if (!t) throw new Error(`tensor ${name} not found (have: ${[...tensors.keys()].join(', ')})`);
  return t;
}

export type Scalar = number | string | boolean;

/** Schema for rows of scalars; numbers are float64 unless listed in `ints`. */
export function scalarSchema(columns: Readonly<Record<string, 'float64' | 'int32' | 'utf8' | 'bool'>>): Schema {
  return new Schema(Object.entries(columns).map(([name, type]) => new Field(name, arrowScalarType(type), true)));
}

function arrowScalarType(type: 'float64' | 'int32' | 'utf8' | 'bool'): DataType {
  switch (type) {
    case 'float64': return new Float64();
    case 'int32': return new Int32();
    case 'utf8': return new Utf8();
    case 'bool': return new Bool();
  }
}

/** Builds a table of scalar rows against a schema (missing values become null). */
export function rowsToTable(schema: Schema, rows: readonly Readonly<Record<string, Scalar | null>>[]): Table {
  const columns: Record<string, Vector> = {};
  for (const field of schema.fields) {
    const values = rows.map((r) => r[field.name] ?? null);
    columns[field.name] = vectorFromArray(values as never, field.type);
  }
  return new Table(schema, columns as never);
}

/** Plain objects from a table's rows (for scalar tables; list cells come back as arrays). */
export function tableToRows(table: Table): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const row: Record<string, unknown> = {};
    for (const field of table.schema.fields) {
      const v = table.getChild(field.name)?.get(i);
      row[field.name] = v !== null && typeof v === 'object' && 'toArray' in v ? Array.from(v.toArray()) : v;
    }
    rows.push(row);
  }
  return rows;
}

/** Arrow IPC *file* format bytes; deterministic for the same table. */
export function encodeTable(table: Table): Uint8Array {
  return tableToIPC(table, 'file');
}

export function decodeTable(bytes: Uint8Array): Table {
  return tableFromIPC(bytes);
}

/** True when the table's fields have the declared names and types, in order (nullability aside). */
export function schemaMismatch(declared: Schema, actual: Schema): string | undefined {
  const want = declared.fields.map((f) => `${f.name}: ${String(f.type)}`);
  const got = actual.fields.map((f) => `${f.name}: ${String(f.type)}`);
  return want.join(', ') === got.join(', ') ? undefined : `expected {${want.join(', ')}}, got {${got.join(', ')}}`;
}

/**
 * A trials table: one row per trial, one list column per named tensor holding that trial's slice
 * row-major; the per-trial shape of each column is in the schema metadata (`shape.<name>`).
 * Tensors given here all have the trial count as their leading dimension.
 */
export function trialsToTable(tensors: Readonly<Record<string, Tensor>>, dtype: TensorDtype = 'float32'): Table {
  const names = Object.keys(tensors);
  const trials = tensors[names[0]!]?.shape[0] ?? 0;
  const element = dtype === 'float32' ? new Float32() : new Float64();
  const metadata = new Map<string, string>();
  const columns: Record<string, Vector> = { trial: makeVector(Int32Array.from({ length: trials }, (_, i) => i)) };
  for (const name of names) {
    const { shape, data } = tensors[name]!;
    if (shape[0] !== trials) throw new RangeError(`trials table: ${name} has ${shape[0]} trials, ${names[0]} has ${trials}`);
    const per = shape.slice(1).reduce((a, b) => a * b, 1);
    if (per * trials !== data.length) throw new RangeError(`trials table: ${name} shape [${shape.join(', ')}] does not match ${data.length} values`);
    metadata.set(`shape.${name}`, JSON.stringify(shape.slice(1)));
    const values = dtype === 'float32' ? Float32Array.from(data) : Float64Array.from(data);
    columns[name] = listVector(element, values, offsetsOf(new Array<number>(trials).fill(per)));
  }
  const schema = new Schema([new Field('trial', new Int32(), false), ...names.map((n) => new Field(n, new List(new Field('item', element, false)), false))], metadata);
  return new Table(schema, columns as never);
}

/** Schema of a trials table with these columns (metadata aside), for a stage's declared outputs. */
export function trialsSchema(names: readonly string[], dtype: TensorDtype = 'float32'): Schema {
  const element = dtype === 'float32' ? new Float32() : new Float64();
  return new Schema([new Field('trial', new Int32(), false), ...names.map((n) => new Field(n, new List(new Field('item', element, false)), false))]);
}

/** Reads one column of a trials table back as a tensor [trials, ...per-trial shape]. */
export function trialsTensor(table: Table, name: string): Tensor {
  const shapeText = table.schema.metadata.get(`shape.${name}`);
  const column = table.getChild(name);
  if (!shapeText || !column) throw new Error(`trials table has no column ${name} (have: ${table.schema.fields.map((f) => f.name).join(', ')})`);
  const per = JSON.parse(shapeText) as number[];
  const size = per.reduce((a, b) => a * b, 1);
  const first = column.data[0];
  const out = new (first?.children[0]?.values instanceof Float64Array ? Float64Array : Float32Array)(table.numRows * size);
  let at = 0;
  for (const chunk of column.data) {
    const values = chunk.children[0]!.values as FloatArray;
    const offsets = chunk.valueOffsets as Int32Array;
    const start = offsets[chunk.offset]!;
    const end = offsets[chunk.offset + chunk.length]!;
    out.set(values.subarray(start, end), at);
    at += end - start;
  }
  return { shape: [table.numRows, ...per], data: out };
}
