// The WASM kernels against independent routes: Math.tanh, naive matrix products, and the float64
// reference BPTT (itself checked against finite differences in reference.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fusedMaddAvailable, instantiateKernels, RnnKernels } from '../../stages/model/kernels.js';
import { toFloat64 } from '../../stages/model/network.js';
import { forwardReference, gradientReference } from '../../stages/model/reference.js';
import { assertClose, randomTrials, randomWeights, tinyConfig } from './helpers.js';
import { Rng } from '../../src/random.js';

test('SIMD tanh is within 4e-7 of Math.tanh everywhere and passes NaN on', () => {
  const k = instantiateKernels();
  k.memory.grow(16);
  const count = 100_000;
  const xs = new Float32Array(k.memory.buffer, 65536, count);
  for (let i = 0; i < count; i++) xs[i] = -20 + (40 * i) / count;
  xs.set([0, -0, 1e-30, 1e-8, 9, 9.0001, 88, -88, Infinity, -Infinity], 0);
  k.tanh_array(65536 + count * 4, 65536, count);
  const ys = new Float32Array(k.memory.buffer, 65536 + count * 4, count);
  let worst = 0;
  for (let i = 0; i < count; i++) {
    const exact = Math.tanh(xs[i]!);
    worst = Math.max(worst, Math.abs(ys[i]! - exact), exact === 0 ? 0 : Math.abs(ys[i]! - exact) / Math.abs(exact));
    assert.ok(Math.abs(ys[i]!) <= 1, `|tanh(${xs[i]})| = ${ys[i]} > 1`);
  }
  assert.ok(worst < 4e-7, `max error ${worst}`);
  xs.set([NaN, 1, -NaN, 2], 0);
  k.tanh_array(65536 + count * 4, 65536, 4);
  assert.ok(Number.isNaN(ys[0]) && Number.isNaN(ys[2]), 'NaN must stay NaN, so a diverged run is detected');
});

test('gemm_nn and gemm_tn match naive products on ragged sizes', () => {
  const k = instantiateKernels();
  k.memory.grow(16);
  const rng = new Rng(3);
  const f = new Float32Array(k.memory.buffer);
  const room = 16384;
  const A = 65536, B = A + 4 * room, C = B + 4 * room, panel = C + 4 * room;
  for (let i = 0; i < room; i++) { f[A / 4 + i] = rng.normal(); f[B / 4 + i] = rng.normal(); }
  const close = (got: number, want: number, what: string) => assert.ok(Math.abs(got - want) < 1e-4 * (1 + Math.abs(want)), `${what}: ${got} vs ${want}`);
  // gemm_nn: C[M, N] (+)= A[M, K] B[K, N], N and K multiples of 4, any M (ragged row blocks).
  for (const [M, N, K] of [[7, 12, 8], [4, 8, 4], [13, 20, 40], [1, 4, 4], [5, 16, 12], [64, 36, 128]] as const) {
    for (const accumulate of [0, 1]) {
      f.fill(0.5, C / 4, C / 4 + M * N);
      k.gemm_nn(C, A, B, M, N, K, K, N, N, accumulate, panel);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        let s = accumulate ? 0.5 : 0;
        for (let q = 0; q < K; q++) s += f[A / 4 + i * K + q]! * f[B / 4 + q * N + j]!;
        close(f[C / 4 + i * N + j]!, s, `nn ${M}x${N}x${K} at ${i},${j}`);
      }
    }
  }
  // gemm_tn: C[M, N] (+)= A[K, M]^T B[K, N], M and N multiples of 4, any K (odd, past the K block).
  for (const [M, N, K] of [[8, 12, 9], [4, 8, 1], [16, 20, 60], [4, 4, 5], [8, 8, 301]] as const) {
    for (const accumulate of [0, 1]) {
      f.fill(0.5, C / 4, C / 4 + M * N);
      k.gemm_tn(C, A, B, M, N, K, M, N, N, accumulate, panel);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        let s = accumulate ? 0.5 : 0;
        for (let q = 0; q < K; q++) s += f[A / 4 + q * M + i]! * f[B / 4 + q * N + j]!;
        close(f[C / 4 + i * N + j]!, s, `tn ${M}x${N}x${K} at ${i},${j}`);
      }
    }
  }
});

test('gram_tn computes A^T A, mirroring the tiles below the diagonal', () => {
  const k = instantiateKernels();
  k.memory.grow(16);
  const rng = new Rng(4);
  const f = new Float32Array(k.memory.buffer);
  const A = 65536, C = A + 4 * 16384, panel = C + 4 * 16384;
  for (const [n, K] of [[4, 3], [12, 7], [16, 130], [28, 9]] as const) {
    for (let i = 0; i < n * K; i++) f[A / 4 + i] = rng.normal();
    k.gram_tn(C, A, n, K, n, panel);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < K; q++) s += f[A / 4 + q * n + i]! * f[A / 4 + q * n + j]!;
      assert.ok(Math.abs(f[C / 4 + i * n + j]! - s) < 1e-4 * (1 + Math.abs(s)), `gram ${n}x${K} at ${i},${j}`);
    }
  }
});

for (const parameterization of ['standard', 'mup'] as const) {
  for (const [hidden, B, T] of [[5, 3, 7], [13, 5, 11]] as const) {
    test(`WASM forward and gradient match the float64 reference (${parameterization}, n ${hidden}, l1 and nuclear)`, () => {
      const cfg = tinyConfig(parameterization, hidden);
      const trials = randomTrials(cfg, B, T, 11);
      const w = randomWeights(cfg, 12);
      const pen = { l1: 0.01, nuclear: 0.02 };
      const net = new RnnKernels(cfg, B, T);
      net.setWeights(w);
      net.load(trials);
      const { mse, penalty } = net.gradient(pen);
      const ref = gradientReference(cfg, toFloat64(w), trials, pen);
      assert.ok(Math.abs(mse + penalty - ref.loss) < 1e-5 * ref.loss, `loss ${mse + penalty} vs ${ref.loss}`);
      assertClose(net.getGradient(), ref.grad, 1e-4, 'wasm vs reference');
      const fwd = forwardReference(cfg, toFloat64(w), trials);
      const hidden1 = net.hidden();
      const out = net.outputs();
      for (let i = 0; i < fwd.hidden.length; i++) assert.ok(Math.abs(hidden1[i]! - fwd.hidden[i]!) < 1e-5 * (1 + Math.abs(fwd.hidden[i]!)), `hidden ${i}`);
      for (let i = 0; i < fwd.outputs.length; i++) assert.ok(Math.abs(out[i]! - fwd.outputs[i]!) < 1e-5 * (1 + Math.abs(fwd.outputs[i]!)), `output ${i}`);
      // Weights round-trip through the padded layout.
      assertClose(net.getWeights(), w, 0, 'weights round trip');
    });
  }
}

test('the fused multiply-add build gives the same gradients to float32 precision', { skip: fusedMaddAvailable() ? false : 'the fma build does not run or does not fuse here' }, () => {
  for (const parameterization of ['standard', 'mup'] as const) {
    const cfg = tinyConfig(parameterization, 13);
    const trials = randomTrials(cfg, 5, 11, 11);
    const w = randomWeights(cfg, 12);
    const pen = { l1: 0.01, nuclear: 0.02 };
    const net = new RnnKernels(cfg, 5, 11, 'fma');
    net.setWeights(w);
    net.load(trials);
    net.gradient(pen);
    assertClose(net.getGradient(), gradientReference(cfg, toFloat64(w), trials, pen).grad, 1e-4, `fma vs reference (${parameterization})`);
  }
});

test('the plain build multiplies then adds; the fma build fuses, so wasm-fma gives the same bits on every machine that runs it', () => {
  const a = 1 + 2 ** -23;
  const c = -(1 + 2 ** -22);
  assert.equal(instantiateKernels('plain').madd_probe(a, c), 0);
  if (fusedMaddAvailable()) assert.equal(instantiateKernels('fma').madd_probe(a, c), 2 ** -46);
});
