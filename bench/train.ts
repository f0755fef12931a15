// `degen bench train`: K flip-flop networks (3 bits), one per worker thread, each trained for a
// fixed number of steps on the WASM kernels; prints one JSON line
// {"hidden","workers","ms_per_step","steps_per_second","peak_rss_mb"}, where steps_per_second
// counts the steps of all networks together.
//   node dist/bench/train.js --hidden N [--batch 64] [--T 100] [--steps 100] [--workers K] [--json] [--torch] [--fma]
// --fma times the fused multiply-add build of the kernels (backend wasm-fma) instead of the plain one.
// --torch also runs bench/train_torch.py (the same step in PyTorch) and prints its line second.
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WorkerJob } from './train-worker.js';

export interface BenchTrainOptions {
  hidden: number;
  batch?: number;
  T?: number;
  steps?: number;
  workers?: number;
  /** Use the fused multiply-add build of the kernels (backend `wasm-fma`). */
  fma?: boolean;
}

export interface BenchTrainResult {
  hidden: number;
  workers: number;
  /** Wall time per step of one network while all K train at once. */
  ms_per_step: number;
  /** Steps of all networks together per second. */
  steps_per_second: number;
  /** Peak resident memory of the whole process (all workers are its threads). */
  peak_rss_mb: number;
}

export async function benchTrain(opts: BenchTrainOptions): Promise<BenchTrainResult> {
  const workers = opts.workers ?? 1;
  const steps = opts.steps ?? 100;
  const pool = Array.from({ length: workers }, (_, k) => {
    const job: WorkerJob = { hidden: opts.hidden, batch: opts.batch ?? 64, T: opts.T ?? 100, steps, seed: k, fma: opts.fma ?? false };
    return new Worker(new URL('./train-worker.js', import.meta.url), { workerData: job });
  });
  const message = (w: Worker, type: string): Promise<{ ms: number }> => new Promise((resolve, reject) => {
    const onMessage = (m: { type: string; ms: number }): void => {
      if (m.type === type) {
        w.off('message', onMessage);
        resolve(m);
      }
    };
    w.on('message', onMessage);
    w.once('error', reject);
  });
  try {
    await Promise.all(pool.map((w) => message(w, 'ready')));
    const done = pool.map((w) => message(w, 'done'));
    const t0 = performance.now();
    for (const w of pool) w.postMessage('go');
    const times = await Promise.all(done);
    const wall = performance.now() - t0;
    const msPerStep = times.reduce((a, t) => a + t.ms, 0) / times.length / steps;
    return {
      hidden: opts.hidden,
      workers,
      ms_per_step: round(msPerStep, 3),
      steps_per_second: round((workers * steps) / (wall / 1000), 2),
      peak_rss_mb: round(process.resourceUsage().maxRSS / 1024, 1),
    };
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}

/** A Python with PyTorch: $DEGEN_PYTHON, else python3 on the PATH, else /usr/bin/python3; undefined if none. */
export function findTorchPython(): string | undefined {
  const candidates = [process.env.DEGEN_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  return candidates.find((python) => spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
}

/**
 * The same benchmark with PyTorch (bench/train_torch.py: one thread per network, K processes), for a
 * side-by-side comparison on the same machine; undefined when no Python with torch is found.
 */
export function benchTrainTorch(opts: BenchTrainOptions): BenchTrainResult | undefined {
  const python = findTorchPython();
  if (!python) return undefined;
  const script = fileURLToPath(new URL('../../bench/train_torch.py', import.meta.url));
  const args = [script, '--hidden', String(opts.hidden), '--json'];
  for (const name of ['batch', 'T', 'steps', 'workers'] as const) if (opts[name] !== undefined) args.push(`--${name}`, String(opts[name]));
  const run = spawnSync(python, args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`bench/train_torch.py failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as BenchTrainResult;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function parseArgs(argv: readonly string[]): BenchTrainOptions & { json: boolean; torch: boolean } {
  const value = (name: string): number | undefined => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return undefined;
    const v = Number(argv[i + 1]);
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} needs a positive integer`);
    return v;
  };
  const hidden = value('hidden');
  if (hidden === undefined) throw new Error('--hidden N is required');
  return { hidden, batch: value('batch'), T: value('T'), steps: value('steps'), workers: value('workers'), json: argv.includes('--json'), torch: argv.includes('--torch'), fma: argv.includes('--fma') };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { json, torch, ...opts } = parseArgs(process.argv.slice(2));
  const show = (label: string, r: BenchTrainResult): void => console.log(json ? JSON.stringify(r) : `${label}: hidden ${r.hidden}, workers ${r.workers}: ${r.ms_per_step} ms/step, ${r.steps_per_second} steps/s, peak RSS ${r.peak_rss_mb} MB`);
  show('wasm', await benchTrain(opts));
  // --torch: the PyTorch step right after, on the same machine, when a Python with torch is there.
  if (torch) {
    const other = benchTrainTorch(opts);
    if (other) show('torch', other);
    else console.error('no Python with torch found (set DEGEN_PYTHON)');
  }
}
