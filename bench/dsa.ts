// `degen bench dsa`: time per DSA pair (PAVF at rank 20 with the default restarts) and per DMD fit of
// 50 trials x 100 steps x 128 units, on realistic operators: DMD fits of simulated leaky tanh RNNs driven
// by flip-flop-like pulses, whose dynamics are slow (A_v ~ I + small), the hard case for PAVF.
//   node dist/bench/dsa.js [--json]
import { pathToFileURL } from 'node:url';
import { Rng } from '../src/random.js';
import { fitDmd, type DmdFit } from '../stages/metrics/lib/dmd.js';
import type { Trajectories } from '../stages/metrics/lib/hankel.js';
import { defaultPavfRestarts, procrustesOverVectorFields } from '../stages/metrics/lib/pavf.js';

export interface RnnSimulation {
  readonly units?: number;
  readonly trials?: number;
  readonly time?: number;
  /** Leak alpha of h <- (1 - alpha) h + alpha tanh(W h + U x); small alpha = slow dynamics. */
  readonly leak?: number;
  /** Gain g of W ~ N(0, g^2 / n). */
  readonly gain?: number;
}

/** Hidden states [trials, time, units] of a random leaky tanh RNN with 3 pulse inputs and small state noise. */
export function simulateRnn(seed: number, options: RnnSimulation = {}): Trajectories {
  const n = options.units ?? 128;
  const k = options.trials ?? 50;
  const t = options.time ?? 100;
  const leak = options.leak ?? 0.2;
  const gain = options.gain ?? 1.2;
  const inputs = 3;
  const rng = new Rng(`simulate-rnn:${seed}`);
  const w = Float64Array.from({ length: n * n }, () => (gain * rng.normal()) / Math.sqrt(n));
  const u = Float64Array.from({ length: n * inputs }, () => rng.normal());
  const data = new Float64Array(k * t * n);
  const h = new Float64Array(n);
  const drive = new Float64Array(n);
  const x = new Float64Array(inputs);
  for (let trial = 0; trial < k; trial++) {
    for (let i = 0; i < n; i++) h[i] = 0.1 * rng.normal();
    for (let step = 0; step < t; step++) {
      for (let c = 0; c < inputs; c++) x[c] = rng.next() < 0.05 ? (rng.next() < 0.5 ? -1 : 1) : 0;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += w[i * n + j]! * h[j]!;
        for (let c = 0; c < inputs; c++) s += u[i * inputs + c]! * x[c]!;
        drive[i] = s;
      }
      for (let i = 0; i < n; i++) h[i] = (1 - leak) * h[i]! + leak * Math.tanh(drive[i]!) + 0.01 * rng.normal();
      data.set(h, (trial * t + step) * n);
    }
  }
  return { trials: k, time: t, units: n, data };
}

/** The benchmark's DMD settings: the study defaults (n_delays 5, rank 20). */
export const benchDmdOptions = { nDelays: 5, delayInterval: 1, rank: 20 } as const;

/** Wall-clock and CPU seconds of `run` (CPU time is the steadier figure when other processes share the cores). */
function timed<T>(run: () => T): { value: T; wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = run();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { value, wall, cpu: (c.user + c.system) / 1e6 };
}

export interface DsaBenchResult {
  readonly dmd_fit_seconds: number;
  readonly dmd_fit_cpu_seconds: number;
  readonly dmd_shape: readonly [number, number, number];
  readonly pair_seconds: number;
  readonly pair_cpu_seconds: number;
  readonly pair_seconds_max: number;
  readonly pairs: number;
  readonly rank: number;
  readonly restarts: number;
  readonly angular: readonly number[];
  readonly invariance_angular_max: number;
}

export async function benchDsa(options: { networks?: number } = {}): Promise<DsaBenchResult> {
  const networks = options.networks ?? 4;
  const fits: DmdFit[] = [];
  let fitSeconds = 0;
  let fitCpu = 0;
  for (let seed = 0; seed < networks; seed++) {
    const x = simulateRnn(seed);
    const t = timed(() => fitDmd(x, benchDmdOptions));
    fits.push(t.value);
    fitSeconds += t.wall;
    fitCpu += t.cpu;
  }
  const times: number[] = [];
  const cpu: number[] = [];
  const angular: number[] = [];
  for (let i = 0; i < networks; i++) for (let j = i + 1; j < networks; j++) {
    const t = timed(() => procrustesOverVectorFields(fits[i]!.aV, fits[j]!.aV, { seed: `${i}:${j}` }));
    times.push(t.wall);
    cpu.push(t.cpu);
    angular.push(t.value.angular);
  }
  // Invariance: each operator against a rotated, reflected and rescaled copy of itself must score ~0.
  let invariance = 0;
  const rng = new Rng('bench-invariance');
  for (const fit of fits) {
    const n = fit.aV.rows;
    const q = randomOrthogonal(n, rng);
    const copy = conjugate(q, fit.aV.data, n, 3.7);
    invariance = Math.max(invariance, procrustesOverVectorFields(fit.aV, { rows: n, cols: n, data: copy }, { seed: 1 }).angular);
  }
  return {
    dmd_fit_seconds: fitSeconds / networks,
    dmd_fit_cpu_seconds: fitCpu / networks,
    dmd_shape: [50, 100, 128],
    pair_seconds: times.reduce((a, b) => a + b, 0) / times.length,
    pair_cpu_seconds: cpu.reduce((a, b) => a + b, 0) / cpu.length,
    pair_seconds_max: Math.max(...times),
    pairs: times.length,
    rank: benchDmdOptions.rank,
    restarts: defaultPavfRestarts,
    angular,
    invariance_angular_max: invariance,
  };
}

/** A Haar orthogonal matrix with det -1 (a reflection part is the harder case for a rotation-only optimiser). */
function randomOrthogonal(n: number, rng: Rng): Float64Array {
  const q = Float64Array.from({ length: n * n }, () => rng.normal());
  for (let j = 0; j < n; j++) {
    for (let pass = 0; pass < 2; pass++) for (let k = 0; k < j; k++) {
      let p = 0;
      for (let i = 0; i < n; i++) p += q[i * n + k]! * q[i * n + j]!;
      for (let i = 0; i < n; i++) q[i * n + j]! -= p * q[i * n + k]!;
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += q[i * n + j]! ** 2;
    for (let i = 0; i < n; i++) q[i * n + j]! /= Math.sqrt(norm);
  }
  for (let i = 0; i < n; i++) q[i * n] = -q[i * n]!; // flip a column: det changes sign
  return q;
}

/** c Q A Q^T */
function conjugate(q: Float64Array, a: Float64Array, n: number, c: number): Float64Array {
  const qa = new Float64Array(n * n);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += q[i * n + k]! * a[k * n + j]!;
    qa[i * n + j] = s;
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += qa[i * n + k]! * q[j * n + k]!;
    out[i * n + j] = c * s;
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchDsa();
  if (process.argv.includes('--json')) console.log(JSON.stringify(result));
  else {
    console.log(`DMD fit [50, 100, 128], n_delays 5, rank 20: ${result.dmd_fit_seconds.toFixed(2)} s (${result.dmd_fit_cpu_seconds.toFixed(2)} s CPU)`);
    console.log(`DSA pair at rank ${result.rank}, ${result.restarts} random restarts: ${result.pair_seconds.toFixed(3)} s mean (${result.pair_cpu_seconds.toFixed(3)} s CPU), ${result.pair_seconds_max.toFixed(3)} s max over ${result.pairs} pairs`);
    console.log(`angular scores: ${result.angular.map((a) => a.toFixed(4)).join(' ')}; worst invariance case: ${result.invariance_angular_max.toExponential(2)} rad`);
  }
}
