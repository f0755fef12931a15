// The task stages, for the composition root to register.
import type { Stage } from '../../src/stage.js';
import { delayedDiscrimination } from './delayed-discrimination.js';
import { flipflop } from './flipflop.js';
import { pathIntegration } from './path-integration.js';
import { sine } from './sine.js';

export { delayedDiscrimination, flipflop, pathIntegration, sine };

export const taskStages: readonly Stage<any>[] = [flipflop, delayedDiscrimination, sine, pathIntegration];
