import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTable, encodeTable, rowsToTable, scalarSchema, tableToRows, tableToTensors, tensorsToTable } from '../src/arrow.js';

test('tensor tables round-trip through Arrow IPC bytes, deterministically', () => {
  const W = { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) };
  const b = { shape: [3], data: Float32Array.from([0.5, -0.5, 0]) };
  const bytes = encodeTable(tensorsToTable({ W, b }, 'float32'));
  assert.deepEqual(bytes, encodeTable(tensorsToTable({ W, b }, 'float32')));
  const back = tableToTensors(decodeTable(bytes));
  assert.deepEqual(back.get('W')?.shape, [2, 3]);
  assert.deepEqual(Array.from(back.get('W')!.data), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(back.get('b')!.data), [0.5, -0.5, 0]);
});

test('scalar rows round-trip', () => {
  const schema = scalarSchema({ converged: 'bool', epochs: 'int32', final_loss: 'float64', reason: 'utf8' });
  const t = decodeTable(encodeTable(rowsToTable(schema, [{ converged: true, epochs: 12, final_loss: 1e-4, reason: null }])));
  assert.deepEqual(tableToRows(t), [{ converged: true, epochs: 12, final_loss: 1e-4, reason: null }]);
});

test('trials tables keep per-trial shapes and round-trip', async () => {
  const { trialsToTable, trialsTensor } = await import('../src/arrow.js');
  const x = { shape: [2, 3, 2], data: Float32Array.from({ length: 12 }, (_, i) => i) };
  const y = { shape: [2, 3], data: Float32Array.from({ length: 6 }, (_, i) => -i) };
  const t = decodeTable(encodeTable(trialsToTable({ inputs: x, targets: y })));
  assert.equal(t.numRows, 2);
  assert.deepEqual(trialsTensor(t, 'inputs').shape, [2, 3, 2]);
  assert.deepEqual(Array.from(trialsTensor(t, 'inputs').data), Array.from(x.data));
  assert.deepEqual(Array.from(trialsTensor(t, 'targets').data), Array.from(y.data));
});
