// The tfjs backend (`--backend tfjs`): the same network, loss and Adam as the WASM kernels, written
// with @tensorflow/tfjs autograd. It is an independent route to the same gradients (tests compare
// them) and an option for users; it is slow. Uses @tensorflow/tfjs-node when it is installed (an
// optional dependency), else pure tfjs on its cpu backend.
//
// The nuclear-norm gradient is the polar factor U V^T of W from a float64 SVD (ml-matrix), not the
// Newton-Schulz iteration of the kernels, so a test comparing the two checks that iteration too.
import type * as TF from '@tensorflow/tfjs';
import type { FloatArray } from '../../src/arrow.js';
import { nuclearReference } from './reference.js';
import { readoutScale, recurrentScale, weightNames, weightShapes, type NetworkConfig, type Penalties, type Trials, type Weights } from './network.js';
import type { Trainer } from './trainer.js';

type Tf = typeof TF;

const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPS = 1e-8;

let loaded: Promise<Tf> | undefined;

/** tfjs with the fastest backend available: tfjs-node if installed, else tfjs's cpu backend. */
export function loadTfjs(): Promise<Tf> {
  loaded ??= (async () => {
    // A variable specifier: tfjs-node is optional and may be absent at compile time as well.
    const nodeBinding = '@tensorflow/tfjs-node';
    try {
      return (await import(nodeBinding)) as Tf;
    } catch {
      const tf = await import('@tensorflow/tfjs');
      await tf.setBackend('cpu');
      await tf.ready();
      return tf;
    }
  })();
  return loaded;
}

type Name = (typeof weightNames)[number];

export class TfjsTrainer implements Trainer {
  readonly #tf: Tf;
  readonly #cfg: NetworkConfig;
  readonly #vars: Record<Name, TF.Variable>;
  readonly #m1: Record<Name, TF.Variable>;
  readonly #m2: Record<Name, TF.Variable>;
  #grads: Record<Name, TF.Tensor> | undefined;
  #x: TF.Tensor3D | undefined; // [T, B, n_in]
  #target: TF.Tensor3D | undefined; // [T, B, n_out]
  #mask: TF.Tensor3D | undefined;
  steps = 0;

  private constructor(tf: Tf, cfg: NetworkConfig) {
    this.#tf = tf;
    this.#cfg = cfg;
    const shapes = weightShapes(cfg);
    const make = (trainable: boolean) => Object.fromEntries(weightNames.map((name) => [name, tf.variable(tf.zeros([...shapes[name]]), trainable)])) as Record<Name, TF.Variable>;
    this.#vars = make(true);
    this.#m1 = make(false);
    this.#m2 = make(false);
  }

  static async create(cfg: NetworkConfig, _batch: number, _T: number): Promise<TfjsTrainer> {
    return new TfjsTrainer(await loadTfjs(), cfg);
  }

  setWeights(w: Weights<FloatArray>): void {
    const tf = this.#tf;
    const shapes = weightShapes(this.#cfg);
    for (const name of weightNames) {
      this.#vars[name].assign(tf.tensor(Float32Array.from(w[name]), [...shapes[name]]));
      this.#m1[name].assign(tf.zerosLike(this.#m1[name]));
      this.#m2[name].assign(tf.zerosLike(this.#m2[name]));
    }
    this.steps = 0;
  }

  getWeights(): Weights {
    const get = (name: Name) => Float32Array.from(this.#vars[name].dataSync());
    return { W: get('W'), U: get('U'), b: get('b'), V: get('V'), c: get('c') };
  }

  load(trials: Trials, pick?: ArrayLike<number>): void {
    const tf = this.#tf;
    const { n_in: m, n_out: p } = this.#cfg;
    const B = pick ? pick.length : trials.B;
    const T = trials.T;
    const x = new Float32Array(T * B * m);
    const target = new Float32Array(T * B * p);
    const mask = new Float32Array(T * B * p);
    for (let k = 0; k < B; k++) {
      const trial = pick ? pick[k]! : k;
      for (let t = 0; t < T; t++) {
        for (let j = 0; j < m; j++) x[(t * B + k) * m + j] = trials.inputs[(trial * T + t) * m + j]!;
        for (let q = 0; q < p && trials.targets.length > 0; q++) {
          target[(t * B + k) * p + q] = trials.targets[(trial * T + t) * p + q]!;
          mask[(t * B + k) * p + q] = trials.mask[(trial * T + t) * p + q]!;
        }
      }
    }
    this.#x?.dispose();
    this.#target?.dispose();
    this.#mask?.dispose();
    this.#x = tf.tensor3d(x, [T, B, m]);
    this.#target = tf.tensor3d(target, [T, B, p]);
    this.#mask = tf.tensor3d(mask, [T, B, p]);
  }

  /** Outputs y [T, B, n_out] of the loaded trials (inside a tidy of the caller). */
  #outputs(): TF.Tensor3D {
    const tf = this.#tf;
    const cfg = this.#cfg;
    const { W, U, b, V, c } = this.#vars;
    const s = recurrentScale(cfg);
    const o = readoutScale(cfg);
    const [T, B] = this.#x!.shape;
    const xs = tf.unstack(this.#x!) as TF.Tensor2D[];
    let r: TF.Tensor2D = tf.zeros([B, cfg.hidden]);
    let h: TF.Tensor2D = r;
    const ys: TF.Tensor2D[] = [];
    for (let t = 0; t < T; t++) {
      const a = tf.add(tf.add(tf.mul(s, tf.matMul(r, W as TF.Tensor2D, false, true)), tf.matMul(xs[t]!, U as TF.Tensor2D, false, true)), b) as TF.Tensor2D;
      if (cfg.parameterization === 'mup') {
        h = tf.add(tf.mul(1 - cfg.tau, h), tf.mul(cfg.tau, a));
        r = tf.tanh(h);
      } else {
        r = tf.tanh(a);
      }
      ys.push(tf.add(tf.mul(o, tf.matMul(r, V as TF.Tensor2D, false, true)), c) as TF.Tensor2D);
    }
    return tf.stack(ys) as TF.Tensor3D;
  }

  #nuclear(): (W: TF.Tensor) => TF.Scalar {
    const tf = this.#tf;
    const n = this.#cfg.hidden;
    // sum_i sigma_i(W) with gradient U V^T, both from a float64 SVD.
    const f = (W: TF.Tensor, save: (tensors: TF.Tensor[]) => void) => {
      const { norm, polar } = nuclearReference(Float64Array.from(W.dataSync()), n);
      save([tf.tensor2d(Float32Array.from(polar), [n, n])]);
      return { value: tf.scalar(norm), gradFunc: (dy: TF.Tensor, saved: TF.Tensor[]) => tf.mul(dy, saved[0]!) };
    };
    return tf.customGrad(f as never) as unknown as (W: TF.Tensor) => TF.Scalar;
  }

  gradient(pen: Penalties): { mse: number; penalty: number } {
    const tf = this.#tf;
    let mse = NaN;
    let penalty = 0;
    const nuclear = this.#nuclear();
    this.#disposeGrads();
    const { value, grads } = tf.variableGrads(() => {
      const d = tf.sub(this.#outputs(), this.#target!);
      const mseT = tf.div(tf.sum(tf.mul(this.#mask!, tf.mul(d, d))), tf.sum(this.#mask!)) as TF.Scalar;
      let loss: TF.Scalar = mseT;
      mse = mseT.dataSync()[0]!;
      if (pen.l1 > 0) loss = tf.add(loss, tf.mul(pen.l1, tf.sum(tf.abs(this.#vars.W))));
      if (pen.nuclear > 0) loss = tf.add(loss, tf.mul(pen.nuclear, nuclear(this.#vars.W)));
      return loss;
    }, weightNames.map((name) => this.#vars[name]));
    penalty = value.dataSync()[0]! - mse;
    value.dispose();
    this.#grads = Object.fromEntries(weightNames.map((name) => [name, grads[this.#vars[name].name]!])) as Record<Name, TF.Tensor>;
    return { mse, penalty };
  }

  /** The gradient of the last gradient() call (external layout, copies). */
  getGradient(): Weights {
    const get = (name: Name) => Float32Array.from(this.#grads![name].dataSync());
    return { W: get('W'), U: get('U'), b: get('b'), V: get('V'), c: get('c') };
  }

  adamStep(lr: number, clip: number | null): void {
    const tf = this.#tf;
    const grads = this.#grads;
    if (!grads) throw new Error('adamStep before gradient');
    let scale = 1;
    if (clip !== null) {
      const norm = Math.sqrt(weightNames.reduce((sum, name) => sum + tf.tidy(() => tf.sum(tf.square(grads[name])).dataSync()[0]!), 0));
      if (norm > clip) scale = clip / norm;
    }
    this.steps++;
    const step = lr / (1 - ADAM_BETA1 ** this.steps);
    const root = 1 / Math.sqrt(1 - ADAM_BETA2 ** this.steps);
    tf.tidy(() => {
      for (const name of weightNames) {
        const g = tf.mul(scale, grads[name]);
        const m1 = tf.add(tf.mul(ADAM_BETA1, this.#m1[name]), tf.mul(1 - ADAM_BETA1, g));
        const m2 = tf.add(tf.mul(ADAM_BETA2, this.#m2[name]), tf.mul(1 - ADAM_BETA2, tf.square(g)));
        this.#m1[name].assign(m1);
        this.#m2[name].assign(m2);
        this.#vars[name].assign(tf.sub(this.#vars[name], tf.div(tf.mul(step, m1), tf.add(tf.mul(tf.sqrt(m2), root), ADAM_EPS))));
      }
    });
  }

  #disposeGrads(): void {
    if (this.#grads) for (const t of Object.values(this.#grads)) t.dispose();
    this.#grads = undefined;
  }

  dispose(): void {
    this.#disposeGrads();
    this.#x?.dispose();
    this.#target?.dispose();
    this.#mask?.dispose();
    for (const group of [this.#vars, this.#m1, this.#m2]) for (const v of Object.values(group)) v.dispose();
  }
}
