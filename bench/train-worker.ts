// One network of `degen bench train`, on its own worker thread: builds flip-flop data (3 bits) with
// the task stage, warms the kernels up, waits for the common start, runs the timed steps.
import { parentPort, workerData } from 'node:worker_threads';
import { Rng } from '../src/random.js';
import type { StageContext } from '../src/stage.js';
import { RnnKernels } from '../stages/model/kernels.js';
import { initWeights } from '../stages/model/network.js';
import { flipflop, type FlipflopParams } from '../stages/tasks/flipflop.js';
import { readTrials } from '../stages/train.js';

export interface WorkerJob {
  readonly hidden: number;
  readonly batch: number;
  readonly T: number;
  readonly steps: number;
  readonly seed: number;
  readonly fma: boolean;
}

const WARMUP_STEPS = 5;

async function main(job: WorkerJob): Promise<void> {
  const port = parentPort!;
  const params: FlipflopParams = { seed: job.seed, trials: job.batch * 8, probe_trials: 1, ood_trials: 1, T: job.T, bits: 3, p_switch: 0.3 };
  // The task stage reads nothing but its params.
  const task = await flipflop.run({ params } as unknown as StageContext<FlipflopParams>);
  const trials = readTrials(task.train!);
  const cfg = { hidden: job.hidden, n_in: 3, n_out: 3, parameterization: 'standard' as const, gamma: 1, tau: 0.1 };
  const net = new RnnKernels(cfg, job.batch, job.T, job.fma ? 'fma' : 'plain');
  net.setWeights(initWeights(cfg, new Rng(job.seed).fork('init')));
  const order = Int32Array.from({ length: trials.B }, (_, i) => i);
  const pen = { l1: 0, nuclear: 0 };
  const step = (i: number): void => {
    const at = (i * job.batch) % trials.B;
    net.load(trials, order.subarray(at, at + job.batch));
    net.gradient(pen);
    net.adamStep(1e-3, null);
  };
  // Warm-up lets V8 tier the kernels up from its baseline compiler to optimised code.
  for (let i = 0; i < WARMUP_STEPS; i++) step(i);
  port.postMessage({ type: 'ready' });
  await new Promise<void>((resolve) => port.once('message', () => resolve()));
  const t0 = performance.now();
  for (let i = 0; i < job.steps; i++) step(i);
  port.postMessage({ type: 'done', ms: performance.now() - t0 });
}

if (parentPort) void main(workerData as WorkerJob);
