// The float64 reference BPTT against central finite differences of its own forward pass.
import { test } from 'node:test';
import { gradientReference, lossReference } from '../../stages/model/reference.js';
import { toFloat64, weightNames, type Weights } from '../../stages/model/network.js';
import { assertClose, randomTrials, randomWeights, tinyConfig } from './helpers.js';

for (const parameterization of ['standard', 'mup'] as const) {
  test(`reference gradient matches finite differences (${parameterization}, l1 and nuclear)`, () => {
    const cfg = tinyConfig(parameterization);
    const trials = randomTrials(cfg, 3, 7, 1);
    const w = toFloat64(randomWeights(cfg, 2));
    const pen = { l1: 0.01, nuclear: 0.02 };
    const { grad } = gradientReference(cfg, w, trials, pen);
    const fd: Weights<Float64Array> = { W: new Float64Array(w.W.length), U: new Float64Array(w.U.length), b: new Float64Array(w.b.length), V: new Float64Array(w.V.length), c: new Float64Array(w.c.length) };
    const h = 1e-6;
    for (const name of weightNames) {
      const a = w[name];
      for (let i = 0; i < a.length; i++) {
        const keep = a[i]!;
        a[i] = keep + h;
        const up = lossReference(cfg, w, trials, pen).loss;
        a[i] = keep - h;
        const down = lossReference(cfg, w, trials, pen).loss;
        a[i] = keep;
        fd[name][i] = (up - down) / (2 * h);
      }
    }
    assertClose(grad, fd, 1e-6, 'reference vs finite differences');
  });
}
