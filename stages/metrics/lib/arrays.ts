// Users' own arrays for `degen metric`: NumPy .npy files (float32 or float64, C order) and JSON nested arrays,
// read into float64 with every failure reported as a MetricInputError naming the file and what was expected.
// A .npy header is checked against the file size before any data is allocated.
import { open, readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { MetricInputError } from './errors.js';

/** An n-dimensional float64 array, row-major. */
export interface NdArray {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** "8 TB", "128 bytes": sizes people can read. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'more bytes than can be counted';
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${Number(value.toPrecision(3))} ${units[unit]}`;
}

function shapeText(shape: readonly number[]): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

interface NpyHeader {
  readonly dtype: 'float32' | 'float64';
  readonly littleEndian: boolean;
  readonly shape: number[];
  readonly dataOffset: number;
}

/** Parses the magic, version and header dict of a .npy file from its first bytes. */
function parseHeader(head: Uint8Array, name: string): NpyHeader {
  const fail = (what: string): never => {
    throw new MetricInputError(`${name}: not a valid .npy file (${what})`);
  };
  if (head.length < 10 || !magic.every((b, i) => head[i] === b)) fail('missing the \\x93NUMPY magic bytes');
  const major = head[6]!;
  if (major < 1 || major > 3) fail(`unsupported format version ${major}.${head[7]}`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (head.length < 8 + lenBytes) fail('truncated header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > 65536) fail(`header length ${headerLength} bytes is implausible`);
  const dataOffset = 8 + lenBytes + headerLength;
  if (head.length < dataOffset) fail(`truncated header: it claims ${headerLength} bytes, the file has ${Math.max(0, head.length - 8 - lenBytes)}`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(head.subarray(8 + lenBytes, dataOffset));
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeMatch === undefined) fail(`header dict lacks descr, fortran_order or shape: ${text.trim()}`);
  const kind = /^([<>=|]?)([a-zA-Z])(\d+)$/.exec(descr!);
  const order = kind?.[1] ?? '';
  const dtype = kind && kind[2] === 'f' && (kind[3] === '4' || kind[3] === '8') ? (kind[3] === '4' ? 'float32' : 'float64') : undefined;
  if (!dtype) throw new MetricInputError(`${name}: dtype ${descr} is not supported; expected float32 or float64 (e.g. x.astype(np.float64))`);
  if (fortran === 'True') throw new MetricInputError(`${name}: the array is stored in Fortran order; expected C order (save np.ascontiguousarray(x))`);
  const parts = shapeMatch!.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  const shape = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  if (shape.some((d) => !Number.isSafeInteger(d))) fail(`shape (${shapeMatch}) is not a tuple of non-negative integers`);
  return { dtype, littleEndian: order !== '>', shape, dataOffset };
}

/** Reads a .npy file; the header's claim is checked against the file size before the data are read. */
async function readNpy(path: string): Promise<NdArray> {
  const name = basename(path);
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const head = new Uint8Array(Math.min(size, 65536 + 12));
    await file.read(head, 0, head.length, 0);
    const header = parseHeader(head, name);
    const itemsize = header.dtype === 'float32' ? 4 : 8;
    const count = header.shape.reduce((a, b) => a * b, 1);
    const claimed = count * itemsize;
    const available = size - header.dataOffset;
    if (claimed !== available) {
      const what = claimed > available ? 'but the file holds' : 'but the file holds more:';
      throw new MetricInputError(`${name}: header says shape ${shapeText(header.shape)} ${header.dtype} = ${formatBytes(claimed)} ${what} ${formatBytes(available)} of data (truncated or malformed file)`);
    }
    const raw = new Uint8Array(claimed);
    if (claimed > 0) await file.read(raw, 0, claimed, header.dataOffset);
    const view = new DataView(raw.buffer);
    const data = new Float64Array(count);
    if (header.dtype === 'float64') for (let i = 0; i < count; i++) data[i] = view.getFloat64(i * 8, header.littleEndian);
    else for (let i = 0; i < count; i++) data[i] = view.getFloat32(i * 4, header.littleEndian);
    return { shape: header.shape, data };
  } finally {
    await file.close();
  }
}

/** Nested JSON arrays of numbers -> NdArray; ragged nesting and non-numbers are refused. */
export function parseJsonArray(value: unknown, name: string): NdArray {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  if (shape.length === 0) throw new MetricInputError(`${name}: expected nested arrays of numbers, got ${typeof value}`);
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(count);
  let at = 0;
  const walk = (node: unknown, depth: number, where: string): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number') throw new MetricInputError(`${name}: entry ${where} is ${JSON.stringify(node)}, expected a number`);
      data[at++] = node;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new MetricInputError(`${name}: ragged array: ${where || 'the top level'} has ${Array.isArray(node) ? `${node.length} entries` : 'a number'} where ${shape[depth]} entries were expected (shape ${shapeText(shape)} from the first entries)`);
    }
    node.forEach((child, i) => walk(child, depth + 1, `${where}[${i}]`));
  };
  walk(value, 0, '');
  return { shape, data };
}

/** Reads `.npy` or `.json` (by extension; anything else is tried as .npy when it starts with the magic, else JSON). */
export async function readArrayFile(path: string): Promise<NdArray> {
  const name = basename(path);
  let array: NdArray;
  try {
    if (/\.json$/i.test(path)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readFile(path, 'utf8'));
      } catch (e) {
        if (e instanceof SyntaxError) throw new MetricInputError(`${name}: not valid JSON (${e.message})`);
        throw e;
      }
      array = parseJsonArray(parsed, name);
    } else {
      array = await readNpy(path);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new MetricInputError(`${name}: no such file (${path})`);
    if (code === 'EISDIR') throw new MetricInputError(`${name}: is a directory, expected a .npy or .json file`);
    if (code === 'EACCES') throw new MetricInputError(`${name}: permission denied`);
    throw e;
  }
  for (let i = 0; i < array.data.length; i++) {
    const v = array.data[i]!;
    if (!Number.isFinite(v)) throw new MetricInputError(`${name}: contains ${v} at flat index ${i}; expected finite numbers`);
  }
  return array;
}

/** Encodes a C-order float32/float64 .npy (version 1.0), e.g. for tests and for users' scripts. */
export function encodeNpy(shape: readonly number[], data: ArrayLike<number>, dtype: 'float32' | 'float64' = 'float64'): Uint8Array {
  const dict = `{'descr': '<${dtype === 'float32' ? 'f4' : 'f8'}', 'fortran_order': False, 'shape': ${shapeText(shape)}, }`;
  // Header padded with spaces and a newline so that the data start at a multiple of 64 bytes.
  const unpadded = 10 + dict.length + 1;
  const header = dict + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const itemsize = dtype === 'float32' ? 4 : 8;
  const out = new Uint8Array(10 + header.length + data.length * itemsize);
  out.set(magic, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const base = 10 + header.length;
  for (let i = 0; i < data.length; i++) {
    if (dtype === 'float32') view.setFloat32(base + i * 4, data[i]!, true);
    else view.setFloat64(base + i * 8, data[i]!, true);
  }
  return out;
}
