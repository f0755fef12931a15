// Plain float64 forward pass and backpropagation through time, written for clarity, not speed: the
// independent route against which the WASM kernels and the tfjs path are tested, and which finite
// differences check in turn. Equations in network.ts:
//   a_t = s W r_{t-1} + U x_t + b;  standard r_t = h_t = tanh(a_t);  mup h_t = (1-tau) h_{t-1} + tau a_t, r_t = tanh(h_t)
//   y_t = o V r_t + c;  loss = sum(mask (y - target)^2)/sum(mask) + l1 sum|W| + nuclear sum sigma(W)
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { readoutScale, recurrentScale, type NetworkConfig, type Penalties, type Trials, type Weights } from './network.js';

export interface ReferenceForward {
  /** h_t for t = 1..T: [B, T, n] (the state itself: pre-tanh for mup). */
  readonly hidden: Float64Array;
  /** r_t for t = 1..T: [B, T, n] (= hidden for standard, tanh(hidden) for mup). */
  readonly rates: Float64Array;
  /** y_t: [B, T, n_out]. */
  readonly outputs: Float64Array;
}

export function forwardReference(cfg: NetworkConfig, w: Weights<Float64Array>, trials: Trials): ReferenceForward {
  const { hidden: n, n_in: m, n_out: p, tau } = cfg;
  const { B, T, inputs } = trials;
  const s = recurrentScale(cfg);
  const o = readoutScale(cfg);
  const mup = cfg.parameterization === 'mup';
  const hidden = new Float64Array(B * T * n);
  const rates = new Float64Array(B * T * n);
  const outputs = new Float64Array(B * T * p);
  const h = new Float64Array(n);
  const r = new Float64Array(n);
  const a = new Float64Array(n);
  for (let k = 0; k < B; k++) {
    h.fill(0);
    r.fill(0);
    for (let t = 0; t < T; t++) {
      const x = k * T * m + t * m;
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let j = 0; j < n; j++) sum += w.W[i * n + j]! * r[j]!;
        let drive = w.b[i]!;
        for (let j = 0; j < m; j++) drive += w.U[i * m + j]! * inputs[x + j]!;
        a[i] = s * sum + drive;
      }
      for (let i = 0; i < n; i++) {
        h[i] = mup ? (1 - tau) * h[i]! + tau * a[i]! : Math.tanh(a[i]!);
        r[i] = mup ? Math.tanh(h[i]!) : h[i]!;
        hidden[(k * T + t) * n + i] = h[i]!;
        rates[(k * T + t) * n + i] = r[i]!;
      }
      for (let q = 0; q < p; q++) {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += w.V[q * n + i]! * r[i]!;
        outputs[(k * T + t) * p + q] = o * sum + w.c[q]!;
      }
    }
  }
  return { hidden, rates, outputs };
}

/** Masked MSE of outputs [B, T, n_out] against the trials' targets. */
export function maskedMse(outputs: ArrayLike<number>, trials: Trials): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < trials.targets.length; i++) {
    const d = outputs[i]! - trials.targets[i]!;
    sum += trials.mask[i]! * d * d;
    count += trials.mask[i]!;
  }
  return sum / count;
}

/** Singular values and the polar factor U V^T of W [n, n] (float64 SVD). */
export function nuclearReference(W: Float64Array, n: number): { norm: number; polar: Float64Array } {
  const svd = new SingularValueDecomposition(new Matrix(Array.from({ length: n }, (_, i) => Array.from(W.subarray(i * n, (i + 1) * n)))));
  const polar = svd.leftSingularVectors.mmul(svd.rightSingularVectors.transpose());
  return { norm: svd.diagonal.reduce((a, b) => a + b, 0), polar: Float64Array.from(polar.to1DArray()) };
}

export function penaltyReference(W: Float64Array, n: number, pen: Penalties): number {
  let value = 0;
  if (pen.l1 > 0) value += pen.l1 * W.reduce((a, v) => a + Math.abs(v), 0);
  if (pen.nuclear > 0) value += pen.nuclear * nuclearReference(W, n).norm;
  return value;
}

/** Loss (MSE + penalties) and the MSE alone. */
export function lossReference(cfg: NetworkConfig, w: Weights<Float64Array>, trials: Trials, pen: Penalties): { mse: number; loss: number } {
  const mse = maskedMse(forwardReference(cfg, w, trials).outputs, trials);
  return { mse, loss: mse + penaltyReference(w.W, cfg.hidden, pen) };
}

/** Loss and its exact gradient by backpropagation through time. */
export function gradientReference(cfg: NetworkConfig, w: Weights<Float64Array>, trials: Trials, pen: Penalties): { mse: number; loss: number; grad: Weights<Float64Array> } {
  const { hidden: n, n_in: m, n_out: p, tau } = cfg;
  const { B, T, inputs, targets, mask } = trials;
  const s = recurrentScale(cfg);
  const o = readoutScale(cfg);
  const mup = cfg.parameterization === 'mup';
  const fwd = forwardReference(cfg, w, trials);
  const grad = { W: new Float64Array(n * n), U: new Float64Array(n * m), b: new Float64Array(n), V: new Float64Array(p * n), c: new Float64Array(p) };
  let count = 0;
  for (let i = 0; i < mask.length; i++) count += mask[i]!;
  const dy = new Float64Array(p);
  const dr = new Float64Array(n);
  const e = new Float64Array(n); // dL/da_t
  const eNext = new Float64Array(n); // dL/da_{t+1}
  const g = new Float64Array(n); // mup: dL/dh_t
  for (let k = 0; k < B; k++) {
    eNext.fill(0);
    g.fill(0);
    for (let t = T - 1; t >= 0; t--) {
      const row = k * T + t;
      for (let q = 0; q < p; q++) {
        dy[q] = (2 * mask[row * p + q]! * (fwd.outputs[row * p + q]! - targets[row * p + q]!)) / count;
        grad.c[q] = grad.c[q]! + dy[q]!;
        for (let i = 0; i < n; i++) grad.V[q * n + i] = grad.V[q * n + i]! + o * dy[q]! * fwd.rates[row * n + i]!;
      }
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let q = 0; q < p; q++) sum += w.V[q * n + i]! * dy[q]!;
        let back = 0;
        for (let j = 0; j < n; j++) back += w.W[j * n + i]! * eNext[j]!;
        dr[i] = o * sum + s * back;
      }
      for (let i = 0; i < n; i++) {
        const ri = fwd.rates[row * n + i]!;
        if (mup) {
          g[i] = (1 - tau) * g[i]! + (1 - ri * ri) * dr[i]!;
          e[i] = tau * g[i]!;
        } else {
          e[i] = (1 - ri * ri) * dr[i]!;
        }
      }
      for (let i = 0; i < n; i++) {
        grad.b[i] = grad.b[i]! + e[i]!;
        for (let j = 0; j < m; j++) grad.U[i * m + j] = grad.U[i * m + j]! + e[i]! * inputs[row * m + j]!;
        if (t > 0) for (let j = 0; j < n; j++) grad.W[i * n + j] = grad.W[i * n + j]! + s * e[i]! * fwd.rates[(row - 1) * n + j]!;
      }
      eNext.set(e);
    }
  }
  if (pen.l1 > 0) for (let i = 0; i < n * n; i++) grad.W[i] = grad.W[i]! + pen.l1 * Math.sign(w.W[i]!);
  if (pen.nuclear > 0) {
    const { polar } = nuclearReference(w.W, n);
    for (let i = 0; i < n * n; i++) grad.W[i] = grad.W[i]! + pen.nuclear * polar[i]!;
  }
  const mse = maskedMse(fwd.outputs, trials);
  return { mse, loss: mse + penaltyReference(w.W, n, pen), grad };
}
