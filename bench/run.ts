// `npm run bench`: every benchmark, with PyTorch beside the training step when `import torch` works.
//   node dist/bench/run.js [engine] [train] [dsa] [--json]      (no names: all)
import { benchDsa } from './dsa.js';
import { benchEngine } from './engine.js';
import { benchTrain, benchTrainTorch, findTorchPython } from './train.js';
import { fusedMaddAvailable } from '../stages/model/kernels.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const chosen = args.filter((a) => !a.startsWith('--'));
const want = (name: string): boolean => chosen.length === 0 || chosen.includes(name);
const out: Record<string, unknown> = {};
const say = (text: string): void => { if (!json) console.log(text); };

if (want('engine')) {
  say('## engine: 10,000 trivial instances through the CLI');
  const r = await benchEngine({ instances: 10_000 });
  out.engine = r;
  say(`plan ${r.plan_seconds} s | first run ${r.first_run_seconds} s (${r.first_run_instances_per_second} instances/s) | cached run ${r.cached_run_seconds} s`);
  say('goals: cached run < 2 s, first run >= 100 instances/s (Snakemake 7.21 here: 4.8 s to find nothing to do, ~2 jobs/s)\n');
}

if (want('train')) {
  say('## train: ms per step (batch 64, T 100, 3-bit flip-flop), degen WASM (wasm / wasm-fma, the default where it runs) vs PyTorch (1 thread per network)');
  const hasTorch = findTorchPython() !== undefined;
  if (!hasTorch) say('(PyTorch not found: install Debian\'s python3-torch, or set DEGEN_PYTHON, for the side-by-side column)');
  const rows: Record<string, unknown>[] = [];
  say('| N | workers | wasm ms/step | wasm steps/s | wasm-fma ms/step | wasm-fma steps/s | torch ms/step | torch steps/s | wasm vs torch | wasm-fma vs torch |');
  say('|---|---|---|---|---|---|---|---|---|---|');
  for (const hidden of [64, 128, 256]) {
    for (const workers of [1, 2]) {
      const steps = hidden >= 256 ? 40 : 100;
      const plain = await benchTrain({ hidden, workers, steps });
      // The fma build refuses to run where WebAssembly does not fuse multiply-adds: no column there.
      const fma = fusedMaddAvailable() ? await benchTrain({ hidden, workers, steps, fma: true }) : undefined;
      const torch = hasTorch ? benchTrainTorch({ hidden, workers, steps }) : undefined;
      const ratio = (r: { steps_per_second: number } | undefined): string => (torch && r ? `${(r.steps_per_second / torch.steps_per_second).toFixed(2)}x` : '-');
      rows.push({ hidden, workers, wasm: plain, wasm_fma: fma ?? null, torch: torch ?? null });
      say(`| ${hidden} | ${workers} | ${plain.ms_per_step} | ${plain.steps_per_second} | ${fma?.ms_per_step ?? '-'} | ${fma?.steps_per_second ?? '-'} | ${torch?.ms_per_step ?? '-'} | ${torch?.steps_per_second ?? '-'} | ${ratio(plain)} | ${ratio(fma)} |`);
    }
  }
  out.train = rows;
  say('goals: >= torch at N = 64 and 128; >= 1.9x steps/s from 1 to 2 workers\n');
}

if (want('dsa')) {
  say('## dsa: DMD fit (50 trials x 100 steps x 128 units) and one DSA pair at rank 20');
  const r = await benchDsa();
  out.dsa = r;
  say(`DMD fit ${r.dmd_fit_seconds.toFixed(3)} s | pair ${r.pair_seconds.toFixed(3)} s (max ${r.pair_seconds_max.toFixed(3)} s, ${r.restarts} restarts) | invariance max ${r.invariance_angular_max.toExponential(2)} rad`);
  say('goal: <= 0.5 s per pair with invariance cases < 1e-6 rad\n');
}

if (json) console.log(JSON.stringify(out));
