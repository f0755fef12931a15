// The summary stages and the report command, for the composition root to register and wire.
import type { Stage } from '../../src/stage.js';
import { degeneracy } from './degeneracy.js';

export { degeneracy };

export const summaryStages: readonly Stage<any>[] = [degeneracy];
