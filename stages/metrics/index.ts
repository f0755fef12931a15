// The metric stages of this folder, for the composition root to register (metric/feature-learning lives
// in its own module and is registered beside them).
import type { Stage } from '../../src/stage.js';
import { behaviour } from './behaviour.js';
import { dsaNull } from './dsa-null.js';
import { dsa } from './dsa.js';
import { shape } from './shape.js';
import { weights } from './weights.js';

export { behaviour, dsa, dsaNull, shape, weights };
export { runMetricCommand } from './cli.js';

export const metricStages: readonly Stage<any>[] = [behaviour, dsa, dsaNull, weights, shape];
