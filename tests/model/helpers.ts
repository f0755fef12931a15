// Small networks and trials for the model tests.
import assert from 'node:assert/strict';
import { Rng } from '../../src/random.js';
import { initWeights, weightNames, type NetworkConfig, type Parameterization, type Trials, type Weights } from '../../stages/model/network.js';
import type { FloatArray } from '../../src/arrow.js';

export function tinyConfig(parameterization: Parameterization, hidden = 5): NetworkConfig {
  return { hidden, n_in: 3, n_out: 2, parameterization, gamma: parameterization === 'mup' ? 0.5 : 1, tau: 0.1 };
}

/** Random inputs and targets, a mask with some zeros; [B, T, *]. */
export function randomTrials(cfg: NetworkConfig, B: number, T: number, seed: number): Trials {
  const rng = new Rng(seed);
  const inputs = Float64Array.from({ length: B * T * cfg.n_in }, () => rng.normal());
  const targets = Float64Array.from({ length: B * T * cfg.n_out }, () => rng.uniform(-1, 1));
  const mask = Float64Array.from({ length: B * T * cfg.n_out }, () => (rng.next() < 0.2 ? 0 : 1));
  return { B, T, inputs, targets, mask };
}

/** Initial weights with every entry (biases too) made non-zero, so each gradient is exercised. */
export function randomWeights(cfg: NetworkConfig, seed: number): Weights {
  const rng = new Rng(seed);
  const w = initWeights(cfg, rng);
  for (const a of [w.b, w.c]) for (let i = 0; i < a.length; i++) a[i] = rng.uniform(-0.5, 0.5);
  return w;
}

/** max |a - b| / max |b| per tensor, below `tol`. */
export function assertClose(actual: Weights<FloatArray>, expected: Weights<FloatArray>, tol: number, what: string): void {
  for (const name of weightNames) {
    const a = actual[name];
    const e = expected[name];
    assert.equal(a.length, e.length, `${what} ${name}: length`);
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < e.length; i++) {
      diff = Math.max(diff, Math.abs(a[i]! - e[i]!));
      scale = Math.max(scale, Math.abs(e[i]!));
    }
    assert.ok(diff <= tol * scale, `${what} ${name}: max abs diff ${diff.toExponential(3)} vs max abs ${scale.toExponential(3)} (relative ${(diff / scale).toExponential(3)} > ${tol})`);
  }
}
