// The summary stages and the `degen report` command, for the composition root to register and wire.
import type { Stage } from '../../src/stage.js';
import { degeneracy } from './degeneracy.js';

export { degeneracy };
export { addReportCommand } from './command.js';

export const summaryStages: readonly Stage<any>[] = [degeneracy];
