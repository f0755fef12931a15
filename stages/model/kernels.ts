// One network's training state in WebAssembly memory, and the calls into the SIMD kernels
// (assembly/index.ts). Memory is laid out once per network for a largest batch and trial length;
// a training step then allocates nothing. Inside, hidden rows are padded to n4 = 4 ceil(n/4) units
// with zero weights, U is kept transposed, and trials are time-major: x [T, B, n_in].
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import type { FloatArray } from '../../src/arrow.js';
import { readoutScale, recurrentScale, type NetworkConfig, type Penalties, type Trials, type Weights } from './network.js';

// The project's TypeScript libs (ES2023 + node) do not declare WebAssembly; these are the parts we use.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmModule {
  readonly __brand: 'WasmModule';
}
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: unknown };
};

export interface KernelExports {
  readonly memory: WasmMemory;
  gemm_nn(c: number, a: number, b: number, M: number, N: number, K: number, lda: number, ldb: number, ldc: number, accumulate: number, panel: number): void;
  gemm_tn(c: number, a: number, b: number, M: number, N: number, K: number, lda: number, ldb: number, ldc: number, accumulate: number, panel: number): void;
  gram_tn(c: number, a: number, n: number, K: number, lda: number, panel: number): void;
  transpose(b: number, a: number, M: number, N: number, s: number): void;
  tanh_array(y: number, x: number, count: number): void;
  scale_array(a: number, count: number, s: number): void;
  forward(wt: number, ub: number, x: number, r: number, h: number, panel: number, T: number, B: number, n4: number, mx: number, mup: number, tau: number): void;
  readout(y: number, r: number, vo: number, c: number, S: number, n4: number, p4: number): void;
  masked_mse(dy: number, y: number, target: number, mask: number, count: number): number;
  backward(ws: number, vo: number, x: number, r: number, dy: number, e: number, g: number, panel: number, gw: number, gub: number, gv: number, gc: number,
    T: number, B: number, n4: number, mx: number, p4: number, mup: number, s: number, o: number, tau: number): void;
  penalties(w: number, gw: number, x: number, xx: number, xxx: number, u: number, z: number, panel: number, n4: number, l1: number, nuclear: number, maxIter: number, tol: number): number;
  polar(x: number, w: number, xx: number, xxx: number, panel: number, n4: number, scale: number, maxIter: number, tol: number): number;
  sum_squares(g: number, count: number): number;
  heap_base(): number;
  madd_probe(a: number, c: number): number;
  adam(w: number, g: number, m1: number, m2: number, count: number, k: number, step: number, root: number, b1: number, b2: number, eps: number): void;
}

/**
 * Which build of the kernels: `plain` (WASM SIMD, the default; the same bits on every machine) or
 * `fma` (the same source built with relaxed SIMD, where c + a b is one fused multiply-add: faster,
 * and different in the last bits, so it is a backend of its own, `wasm-fma`).
 */
export type KernelVariant = 'plain' | 'fma';

const compiled = new Map<KernelVariant, WasmModule>();

/** Whether this Node can run the fma build (Node 20 needs relaxed SIMD switched on, which we do). */
export function fmaAvailable(): boolean {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(new URL('./kernels-fma.wasm', import.meta.url));
  } catch {
    return false;
  }
  if (wasmValidate(bytes)) return true;
  // Relaxed SIMD is behind a flag in Node 20's V8 (on by default from Node 22); the flag only adds
  // instructions, so setting it for the process is harmless.
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return wasmValidate(bytes);
}

let fuses: boolean | undefined;

/**
 * Whether the fma build runs here and really fuses (see instantiateKernels): then wasm-fma gives the same
 * bits as on any other machine that runs it, about 30% faster than wasm.
 */
export function fusedMaddAvailable(): boolean {
  if (fuses === undefined) {
    try {
      instantiateKernels('fma'); // throws where the fma build cannot run or does not fuse
      fuses = true;
    } catch {
      fuses = false;
    }
  }
  return fuses;
}

/** The training backend to use when none is named: wasm-fma where it runs, else wasm. */
export function defaultTrainingBackend(): 'wasm-fma' | 'wasm' {
  return fusedMaddAvailable() ? 'wasm-fma' : 'wasm';
}

/** The compiled kernel module (compiled once per thread and variant). */
export function kernelModule(variant: KernelVariant = 'plain'): WasmModule {
  let module = compiled.get(variant);
  if (!module) {
    if (variant === 'fma' && !fmaAvailable()) throw new Error('the fma kernels (kernels-fma.wasm with relaxed SIMD) are not available here');
    module = new WebAssembly.Module(readFileSync(variant === 'fma' ? new URL('./kernels-fma.wasm', import.meta.url) : new URL('./kernels.wasm', import.meta.url)));
    compiled.set(variant, module);
  }
  return module;
}

const PAGE = 65536;
// The kernels' only static data is a small constant table; our buffers start after the first page.
const BASE = PAGE;

const wasmValidate = (bytes: Uint8Array): boolean => WebAssembly.validate(bytes);

/** A fresh instance with its own memory. */
export function instantiateKernels(variant: KernelVariant = 'plain'): KernelExports {
  const k = new WebAssembly.Instance(kernelModule(variant), {}).exports as unknown as KernelExports;
  if (k.heap_base() > BASE) throw new Error(`kernels' static data ends at ${k.heap_base()}, above ${BASE} where buffers start`);
  // A cached wasm-fma result must not depend on the machine: relaxed SIMD allows an unfused multiply-add,
  // which would give other bits under the same key, so refuse to run rather than fill the cache with them.
  if (variant === 'fma' && k.madd_probe(1 + 2 ** -23, -(1 + 2 ** -22)) !== 2 ** -46) {
    throw new Error('the wasm-fma backend needs fused multiply-add, and this machine\'s WebAssembly engine does not fuse relaxed_madd; use --backend wasm');
  }
  return k;
}

/** Rows of the left operand gemm_tn packs at a time (TN_BLOCK in assembly/index.ts). */
export const TN_PANEL_ROWS = 128;

const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPS = 1e-8;
/** Newton-Schulz stops when no entry of the polar factor moves by more than this (float32 noise). */
const POLAR_TOL = 1e-6;
const POLAR_MAX_ITER = 60;

const roundUp = (value: number, multiple: number): number => Math.ceil(value / multiple) * multiple;

/** Byte offsets of every buffer; sizes in floats in the comments. */
class Layout {
  #end = BASE;
  alloc(floats: number): number {
    const at = this.#end;
    // 64-byte alignment keeps every buffer on its own cache lines.
    this.#end += roundUp(floats * 4, 64);
    return at;
  }
  get bytes(): number {
    return this.#end;
  }
}

type Segments = Readonly<Record<'W' | 'U' | 'b' | 'V' | 'c', number>>;

/** One network's weights, gradients, Adam moments and activations, sized for B <= maxBatch, T <= maxT. */
export class RnnKernels {
  readonly cfg: NetworkConfig;
  /** Hidden size padded to a multiple of 4. */
  readonly n4: number;
  /** Input width with the constant 1 that carries the bias, padded to a multiple of 4. */
  readonly mx: number;
  /** Output width padded to a multiple of 4. */
  readonly p4: number;
  readonly maxBatch: number;
  readonly maxT: number;
  /** Number of floats in the flat (padded) parameter vector. */
  readonly count: number;
  /** Adam steps taken. */
  steps = 0;
  readonly #k: KernelExports;
  readonly #f32: Float32Array;
  readonly #mup: boolean;
  readonly #s: number;
  readonly #o: number;
  // Byte offsets. The flat parameter vector is [W n4 n4 | U^T m n4 | b n4 | 0 | V p4 n4 | c p4]:
  // U^T, b and zero rows form the [mx, n4] matrix of the input product.
  readonly #params: number;
  readonly #p: Segments;
  readonly #grad: number;
  readonly #g: Segments;
  readonly #m1: number;
  readonly #m2: number;
  readonly #wt: number; // s W^T [n4, n4]
  readonly #ws: number; // s W [n4, n4] (W itself when s = 1)
  readonly #vo: number; // o V [p4, n4] (V itself when o = 1)
  readonly #x: number; // [T, B, mx]
  readonly #target: number; // [T, B, p4]
  readonly #mask: number; // [T, B, p4]
  readonly #y: number; // [T, B, p4]
  readonly #dy: number; // [T, B, p4]
  readonly #r: number; // [T+1, B, n4]
  readonly #h: number; // [T+1, B, n4] (mup)
  readonly #e: number; // [T, B, n4]
  readonly #gmup: number; // [B, n4]
  readonly #nx: number; // Newton-Schulz scratch [n4, n4] x 3, [n4] x 2
  readonly #nxx: number;
  readonly #nxxx: number;
  readonly #u: number;
  readonly #z: number;
  readonly #rowGrad: number; // one trial's gradient [count] (trialGradient)
  readonly #panel: number; // gemm_nn's packed copy of its left operand
  /** Batch and length of the trials last loaded. */
  #B = 0;
  #T = 0;

  constructor(cfg: NetworkConfig, maxBatch: number, maxT: number, variant: KernelVariant = 'plain') {
    this.cfg = cfg;
    this.maxBatch = maxBatch;
    this.maxT = maxT;
    const { n_in: m, n_out: p } = cfg;
    const n4 = roundUp(cfg.hidden, 4);
    const mx = roundUp(m + 1, 4);
    const p4 = roundUp(p, 4);
    this.n4 = n4;
    this.mx = mx;
    this.p4 = p4;
    this.#mup = cfg.parameterization === 'mup';
    this.#s = recurrentScale(cfg);
    this.#o = readoutScale(cfg);
    this.count = n4 * n4 + mx * n4 + p4 * n4 + p4;
    const segments = (base: number): Segments => ({
      W: base,
      U: base + 4 * n4 * n4,
      b: base + 4 * (n4 * n4 + m * n4),
      V: base + 4 * (n4 * n4 + mx * n4),
      c: base + 4 * (n4 * n4 + mx * n4 + p4 * n4),
    });
    const lay = new Layout();
    this.#params = lay.alloc(this.count);
    this.#grad = lay.alloc(this.count);
    this.#m1 = lay.alloc(this.count);
    this.#m2 = lay.alloc(this.count);
    this.#p = segments(this.#params);
    this.#g = segments(this.#grad);
    const B = maxBatch;
    const T = maxT;
    this.#wt = lay.alloc(n4 * n4);
    this.#ws = this.#s === 1 ? this.#p.W : lay.alloc(n4 * n4);
    this.#vo = this.#o === 1 ? this.#p.V : lay.alloc(p4 * n4);
    this.#x = lay.alloc(T * B * mx);
    this.#target = lay.alloc(T * B * p4);
    this.#mask = lay.alloc(T * B * p4);
    this.#y = lay.alloc(T * B * p4);
    this.#dy = lay.alloc(T * B * p4);
    this.#r = lay.alloc((T + 1) * B * n4);
    this.#h = this.#mup ? lay.alloc((T + 1) * B * n4) : this.#r;
    this.#e = lay.alloc(T * B * n4);
    this.#gmup = lay.alloc(B * n4);
    this.#nx = lay.alloc(n4 * n4);
    this.#nxx = lay.alloc(n4 * n4);
    this.#nxxx = lay.alloc(n4 * n4);
    this.#u = lay.alloc(n4);
    this.#z = lay.alloc(n4);
    this.#rowGrad = lay.alloc(this.count);
    const B4 = roundUp(B, 4);
    // gemm_nn packs its left operand (input product T B x mx, dy V T B x p4, recurrent B x n4,
    // Newton-Schulz n4 x n4); gemm_tn packs TN_PANEL_ROWS rows of its left operand at a time.
    this.#panel = lay.alloc(Math.max(roundUp(T * B, 4) * Math.max(mx, p4), B4 * n4, n4 * n4, TN_PANEL_ROWS * Math.max(n4, mx, p4)));
    this.#k = instantiateKernels(variant);
    const have = this.#k.memory.buffer.byteLength;
    if (lay.bytes > have) this.#k.memory.grow(Math.ceil((lay.bytes - have) / PAGE));
    // Fresh memory is zero: padded columns of x, targets and mask stay zero from here on.
    this.#f32 = new Float32Array(this.#k.memory.buffer);
  }

  #view(byteOffset: number, floats: number): Float32Array {
    return this.#f32.subarray(byteOffset / 4, byteOffset / 4 + floats);
  }

  /** Copies weights in (external layout, see network.ts) and resets the Adam state. */
  setWeights(w: Weights<FloatArray>): void {
    this.#view(this.#params, this.count).fill(0);
    this.#unpack(this.#p, w);
    this.#view(this.#m1, this.count).fill(0);
    this.#view(this.#m2, this.count).fill(0);
    this.steps = 0;
  }

  #unpack(at: Segments, w: Weights<FloatArray>): void {
    const { hidden: n, n_in: m, n_out: p } = this.cfg;
    const n4 = this.n4;
    const W = this.#view(at.W, n4 * n4);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) W[i * n4 + j] = w.W[i * n + j]!;
    const Ut = this.#view(at.U, m * n4);
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) Ut[j * n4 + i] = w.U[i * m + j]!;
    this.#view(at.b, n).set(w.b);
    const V = this.#view(at.V, p * n4);
    for (let q = 0; q < p; q++) for (let i = 0; i < n; i++) V[q * n4 + i] = w.V[q * n + i]!;
    this.#view(at.c, p).set(w.c);
  }

  #pack(at: Segments): Weights {
    const { hidden: n, n_in: m, n_out: p } = this.cfg;
    const n4 = this.n4;
    const W = new Float32Array(n * n);
    const Wp = this.#view(at.W, n4 * n4);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) W[i * n + j] = Wp[i * n4 + j]!;
    const U = new Float32Array(n * m);
    const Ut = this.#view(at.U, m * n4);
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) U[i * m + j] = Ut[j * n4 + i]!;
    const V = new Float32Array(p * n);
    const Vp = this.#view(at.V, p * n4);
    for (let q = 0; q < p; q++) for (let i = 0; i < n; i++) V[q * n + i] = Vp[q * n4 + i]!;
    return { W, U, b: this.#view(at.b, n).slice(), V, c: this.#view(at.c, p).slice() };
  }

  /** The current weights (external layout, copies). */
  getWeights(): Weights {
    return this.#pack(this.#p);
  }

  /** The gradient of the last `gradient()` call (external layout, copies). */
  getGradient(): Weights {
    return this.#pack(this.#g);
  }

  /**
   * Copies trials into the kernels' time-major buffers: all of `trials`, or the ones listed in
   * `pick` (indices into trials, in batch order). Targets and mask may be empty (forward only).
   */
  load(trials: Trials, pick?: ArrayLike<number>): void {
    const B = pick ? pick.length : trials.B;
    const T = trials.T;
    if (B > this.maxBatch || T > this.maxT) throw new RangeError(`batch ${B} x T ${T} exceeds the allocated ${this.maxBatch} x ${this.maxT}`);
    const { n_in: m, n_out: p } = this.cfg;
    const { mx, p4 } = this;
    const x = this.#view(this.#x, T * B * mx);
    const target = this.#view(this.#target, T * B * p4);
    const mask = this.#view(this.#mask, T * B * p4);
    const hasTargets = trials.targets.length > 0;
    const { inputs, targets, mask: trialMask } = trials;
    for (let k = 0; k < B; k++) {
      const trial = pick ? pick[k]! : k;
      for (let t = 0; t < T; t++) {
        const src = trial * T + t;
        const dst = t * B + k;
        for (let j = 0; j < m; j++) x[dst * mx + j] = inputs[src * m + j]!;
        x[dst * mx + m] = 1;
        if (hasTargets) {
          for (let q = 0; q < p; q++) {
            target[dst * p4 + q] = targets[src * p + q]!;
            mask[dst * p4 + q] = trialMask[src * p + q]!;
          }
        }
      }
    }
    this.#B = B;
    this.#T = T;
  }

  /** Runs the loaded trials forward; states and outputs stay in kernel memory. */
  forward(): void {
    const k = this.#k;
    const { n4, mx, p4 } = this;
    const B = this.#B;
    const T = this.#T;
    k.transpose(this.#wt, this.#p.W, n4, n4, this.#s);
    this.#scaleCopies();
    k.forward(this.#wt, this.#p.U, this.#x, this.#r, this.#h, this.#panel, T, B, n4, mx, this.#mup ? 1 : 0, this.cfg.tau);
    k.readout(this.#y, this.#r + B * n4 * 4, this.#vo, this.#p.c, T * B, n4, p4);
  }

  /**
   * Forward pass and the gradient of the loss on the loaded trials. Returns the masked MSE and the
   * penalty value (loss = mse + penalty). The gradient stays in kernel memory for `adamStep`.
   */
  gradient(pen: Penalties): { mse: number; penalty: number } {
    const k = this.#k;
    const { n4, mx, p4 } = this;
    const B = this.#B;
    const T = this.#T;
    this.forward();
    const mse = k.masked_mse(this.#dy, this.#y, this.#target, this.#mask, T * B * p4);
    k.backward(this.#ws, this.#vo, this.#x, this.#r, this.#dy, this.#e, this.#gmup, this.#panel,
      this.#g.W, this.#g.U, this.#g.V, this.#g.c, T, B, n4, mx, p4, this.#mup ? 1 : 0, this.#s, this.#o, this.cfg.tau);
    const penalty = pen.l1 > 0 || pen.nuclear > 0
      ? k.penalties(this.#p.W, this.#g.W, this.#nx, this.#nxx, this.#nxxx, this.#u, this.#z, this.#panel, n4, pen.l1, pen.nuclear, POLAR_MAX_ITER, POLAR_TOL)
      : 0;
    return { mse, penalty };
  }

  /**
   * Backward pass from a given output gradient dL/dy [B, T, n_out] (trial-major) for the trials of
   * the last forward(); afterwards trialGradient(k) gives each trial's own gradient.
   */
  backwardFrom(dy: FloatArray): void {
    const k = this.#k;
    const { n4, mx, p4 } = this;
    const { n_out: p } = this.cfg;
    const B = this.#B;
    const T = this.#T;
    const buffer = this.#view(this.#dy, T * B * p4);
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let q = 0; q < p; q++) buffer[(t * B + b) * p4 + q] = dy[(b * T + t) * p + q]!;
    k.backward(this.#ws, this.#vo, this.#x, this.#r, this.#dy, this.#e, this.#gmup, this.#panel,
      this.#g.W, this.#g.U, this.#g.V, this.#g.c, T, B, n4, mx, p4, this.#mup ? 1 : 0, this.#s, this.#o, this.cfg.tau);
  }

  /** Trial b's share of the gradient of the last backwardFrom() (external layout, copies). */
  trialGradient(b: number): Weights {
    const k = this.#k;
    const { n4, mx, p4 } = this;
    const B = this.#B;
    const T = this.#T;
    const step = B * n4 * 4;
    const at = this.#rowGrad;
    const row = {
      W: at,
      U: at + 4 * n4 * n4,
      b: at + 4 * (n4 * n4 + this.cfg.n_in * n4),
      V: at + 4 * (n4 * n4 + mx * n4),
      c: at + 4 * (n4 * n4 + mx * n4 + p4 * n4),
    };
    // Rows of trial b are B rows apart in the time-major buffers: leading dimensions B n4, B mx, B p4.
    // gW_b = s sum_{t>=2} e_t r_{t-1}^T;  [gU^T; gb]_b = sum_t [x_t; 1] e_t^T;  gV_b = o sum_t dy_t r_t^T.
    if (T > 1) k.gemm_tn(row.W, this.#e + step + b * n4 * 4, this.#r + step + b * n4 * 4, n4, n4, T - 1, B * n4, B * n4, n4, 0, this.#panel);
    else this.#view(row.W, n4 * n4).fill(0);
    if (this.#s !== 1) k.scale_array(row.W, n4 * n4, this.#s);
    k.gemm_tn(row.U, this.#x + b * mx * 4, this.#e + b * n4 * 4, mx, n4, T, B * mx, B * n4, n4, 0, this.#panel);
    k.gemm_tn(row.V, this.#dy + b * p4 * 4, this.#r + step + b * n4 * 4, p4, n4, T, B * p4, B * n4, n4, 0, this.#panel);
    if (this.#o !== 1) k.scale_array(row.V, p4 * n4, this.#o);
    const c = this.#view(row.c, p4).fill(0);
    const dy = this.#view(this.#dy, T * B * p4);
    for (let t = 0; t < T; t++) for (let q = 0; q < p4; q++) c[q] = c[q]! + dy[(t * B + b) * p4 + q]!;
    return this.#pack(row);
  }

  /** Refreshes the scaled copies s W and o V that the readout and the backward pass read. */
  #scaleCopies(): void {
    const k = this.#k;
    const { n4, p4 } = this;
    if (this.#ws !== this.#p.W) {
      this.#view(this.#ws, n4 * n4).set(this.#view(this.#p.W, n4 * n4));
      k.scale_array(this.#ws, n4 * n4, this.#s);
    }
    if (this.#vo !== this.#p.V) {
      this.#view(this.#vo, p4 * n4).set(this.#view(this.#p.V, p4 * n4));
      k.scale_array(this.#vo, p4 * n4, this.#o);
    }
  }

  /** One Adam step on the current gradient, after scaling it to global norm <= clip (when given). */
  adamStep(lr: number, clip: number | null): void {
    const k = this.#k;
    let scale = 1;
    if (clip !== null) {
      const norm = Math.sqrt(k.sum_squares(this.#grad, this.count));
      if (norm > clip) scale = clip / norm;
    }
    this.steps++;
    const step = lr / (1 - ADAM_BETA1 ** this.steps);
    const root = 1 / Math.sqrt(1 - ADAM_BETA2 ** this.steps);
    k.adam(this.#params, this.#grad, this.#m1, this.#m2, this.count, scale, step, root, ADAM_BETA1, ADAM_BETA2, ADAM_EPS);
  }

  /** Outputs of the last forward pass: [B, T, n_out] in trial-major order. */
  outputs(): Float32Array {
    const { n_out: p } = this.cfg;
    const p4 = this.p4;
    const B = this.#B;
    const T = this.#T;
    const y = this.#view(this.#y, T * B * p4);
    const out = new Float32Array(B * T * p);
    for (let t = 0; t < T; t++) for (let k = 0; k < B; k++) for (let q = 0; q < p; q++) out[(k * T + t) * p + q] = y[(t * B + k) * p4 + q]!;
    return out;
  }

  /** Hidden states h_t (t = 1..T) of the last forward pass: [B, T, n] (pre-tanh state for mup). */
  hidden(): Float32Array {
    const n = this.cfg.hidden;
    const n4 = this.n4;
    const B = this.#B;
    const T = this.#T;
    const h = this.#view(this.#h, (T + 1) * B * n4);
    const out = new Float32Array(B * T * n);
    for (let t = 0; t < T; t++) {
      for (let k = 0; k < B; k++) {
        const src = ((t + 1) * B + k) * n4;
        out.set(h.subarray(src, src + n), (k * T + t) * n);
      }
    }
    return out;
  }

  /** Exposes the raw kernels (for tests of single kernels). */
  get exports(): KernelExports {
    return this.#k;
  }
}
