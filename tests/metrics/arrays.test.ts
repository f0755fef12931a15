import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeNpy, formatBytes, readArrayFile } from '../../stages/metrics/lib/arrays.js';
import { MetricInputError } from '../../stages/metrics/lib/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'degen-arrays-'));
function file(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** A v1.0 .npy with a hand-written header dict (no padding rules needed by our reader). */
function rawNpy(dict: string, data: Uint8Array, version = 1): Uint8Array {
  const header = new TextEncoder().encode(`${dict}\n`);
  const lenBytes = version === 1 ? 2 : 4;
  const out = new Uint8Array(8 + lenBytes + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(header, 8 + lenBytes);
  out.set(data, 8 + lenBytes + header.length);
  return out;
}

async function rejects(path: string, message: RegExp): Promise<void> {
  await assert.rejects(readArrayFile(path), (e: unknown) => e instanceof MetricInputError && message.test(e.message));
}

test('.npy float64 and float32 (C order) read back exactly, in float64', async () => {
  const values = [1.5, -2, 3.25, 1e-300, 7, 8];
  const a = await readArrayFile(file('a64.npy', encodeNpy([2, 3], values)));
  assert.deepEqual(a.shape, [2, 3]);
  assert.deepEqual(Array.from(a.data), values);
  const b = await readArrayFile(file('a32.npy', encodeNpy([3, 2], [0.1, 2, 3, 4, 5, 6], 'float32')));
  assert.deepEqual(b.shape, [3, 2]);
  assert.equal(b.data[0], Math.fround(0.1));
  const c = await readArrayFile(file('v2.npy', rawNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(new Float64Array([4, 5]).buffer), 2)));
  assert.deepEqual(Array.from(c.data), [4, 5]);
  // big-endian is byte-swapped
  const be = new Uint8Array(8);
  new DataView(be.buffer).setFloat64(0, 2.5, false);
  assert.deepEqual(Array.from((await readArrayFile(file('be.npy', rawNpy("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", be)))).data), [2.5]);
});

test('Fortran order, other dtypes, bad magic and malformed headers are refused with the file name', async () => {
  const eight = new Uint8Array(8);
  await rejects(file('f.npy', rawNpy("{'descr': '<f8', 'fortran_order': True, 'shape': (1, 1), }", eight)), /^f\.npy: .*Fortran order.*C order/);
  await rejects(file('i.npy', rawNpy("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", eight)), /^i\.npy: dtype <i8 is not supported; expected float32 or float64/);
  await rejects(file('text.npy', 'hello world, not numpy'), /^text\.npy: not a valid \.npy file \(missing the \\x93NUMPY magic bytes\)/);
  await rejects(file('nodict.npy', rawNpy("{'descr': '<f8'}", eight)), /lacks descr, fortran_order or shape/);
  const cut = rawNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", eight).subarray(0, 20);
  await rejects(file('cut.npy', cut), /^cut\.npy: not a valid \.npy file \(truncated header/);
});

test('a truncated file, or a header claiming more data than the file holds, is refused before allocating', async () => {
  const full = encodeNpy([4, 4], new Array(16).fill(1));
  await rejects(file('short.npy', full.subarray(0, full.length - 8)), /^short\.npy: header says shape \(4, 4\) float64 = 128 bytes but the file holds 120 bytes/);
  const huge = rawNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }", new Uint8Array(128));
  await rejects(file('huge.npy', huge), /^huge\.npy: header says shape \(1000000, 1000000\) float64 = 8 TB but the file holds 128 bytes/);
  const absurd = rawNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999, 99999999999999999999), }", new Uint8Array(8));
  await rejects(file('absurd.npy', absurd), /^absurd\.npy: /);
  await rejects(file('extra.npy', rawNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(16))), /file holds more: 16 bytes/);
});

test('NaN and infinities are refused', async () => {
  await rejects(file('nan.npy', encodeNpy([3], [1, NaN, 2])), /^nan\.npy: contains NaN at flat index 1/);
  await rejects(file('inf.npy', encodeNpy([2], [Infinity, 2], 'float32')), /contains Infinity at flat index 0/);
});

test('JSON nested arrays: shapes, ragged arrays, non-numbers and bad JSON', async () => {
  const a = await readArrayFile(file('a.json', JSON.stringify([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])));
  assert.deepEqual(a.shape, [2, 2, 2]);
  assert.deepEqual(Array.from(a.data), [1, 2, 3, 4, 5, 6, 7, 8]);
  await rejects(file('ragged.json', '[[1, 2], [3]]'), /^ragged\.json: ragged array: \[1\] has 1 entries where 2 entries were expected/);
  await rejects(file('deep.json', '[[1, 2], [3, [4]]]'), /^deep\.json: entry \[1\]\[1\] is \[4\], expected a number/);
  await rejects(file('null.json', '[[1, null]]'), /entry \[0\]\[1\] is null, expected a number/);
  await rejects(file('bad.json', '[[1, 2'), /^bad\.json: not valid JSON/);
  await rejects(file('scalar.json', '3'), /expected nested arrays of numbers/);
  await rejects(join(dir, 'missing.json'), /^missing\.json: no such file/);
});

test('byte counts read like people write them', () => {
  assert.equal(formatBytes(128), '128 bytes');
  assert.equal(formatBytes(8e12), '8 TB');
  assert.equal(formatBytes(1.5e6), '1.5 MB');
});
