// Placeholder until the tfjs trainer lands (step 7).
import type { NetworkConfig } from './network.js';
import type { Trainer } from './trainer.js';

export class TfjsTrainer {
  static async create(_cfg: NetworkConfig, _batch: number, _T: number): Promise<Trainer> {
    throw new Error('tfjs backend not implemented yet');
  }
}
