// The WASM kernels against independent routes: Math.tanh, naive matrix products, and the float64
// reference BPTT (itself checked against finite differences in reference.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instantiateKernels, RnnKernels } from '../../stages/model/kernels.js';
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
  k.memory.grow(8);
  const rng = new Rng(3);
  const f = new Float32Array(k.memory.buffer);
  const A = 65536, B = A + 4096, C = B + 4096;
  for (const [M, N, K] of [[7, 12, 9], [4, 8, 1], [13, 20, 300], [1, 4, 5]] as const) {
    for (let i = 0; i < 1024; i++) { f[A / 4 + i] = rng.normal(); f[B / 4 + i] = rng.normal(); }
    // C[M, N] = A[M, K] B[K, N]
    if (M * K <= 1024 && K * N <= 1024) {
      k.gemm_nn(C, A, B, M, N, K, K, N, N, 0);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        let s = 0;
        for (let q = 0; q < K; q++) s += f[A / 4 + i * K + q]! * f[B / 4 + q * N + j]!;
        assert.ok(Math.abs(f[C / 4 + i * N + j]! - s) < 1e-4 * (1 + Math.abs(s)), `nn ${M}x${N}x${K} at ${i},${j}`);
      }
    }
    // C[M4, N] (+)= A[K, M4]^T B[K, N] with M4 a multiple of 4
    const M4 = Math.ceil(M / 4) * 4;
    if (K * M4 <= 1024 && K * N <= 1024) {
      f.fill(0.5, C / 4, C / 4 + M4 * N);
      k.gemm_tn(C, A, B, M4, N, K, M4, N, N, 1);
      for (let i = 0; i < M4; i++) for (let j = 0; j < N; j++) {
        let s = 0.5;
        for (let q = 0; q < K; q++) s += f[A / 4 + q * M4 + i]! * f[B / 4 + q * N + j]!;
        assert.ok(Math.abs(f[C / 4 + i * N + j]! - s) < 1e-4 * (1 + Math.abs(s)), `tn ${M4}x${N}x${K} at ${i},${j}`);
      }
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
