#!/usr/bin/env node
// Composition root: registers the stages of stages/ and starts the CLI. The only module of src/ that
// knows the science exists.
import type { Command } from 'commander';
import { runCli } from './cli.js';
import { parsePositiveInt, type Io } from './commands/common.js';
import { slurmExecutor } from './exec/slurm.js';
import { addSlurmRunOptions } from './exec/slurm-options.js';
import { StageRegistry, type Stage } from './stage.js';
import { taskStages } from '../stages/tasks/index.js';
import { train } from '../stages/train.js';
import { collect } from '../stages/collect.js';
import { featureLearning } from '../stages/metrics/feature-learning.js';
import { metricStages } from '../stages/metrics/index.js';
import { addReportCommand, summaryStages } from '../stages/summary/index.js';
import { defaultTrainingBackend } from '../stages/model/kernels.js';

export function builtinRegistry(): StageRegistry {
  const registry = new StageRegistry();
  const stages: readonly Stage<any>[] = [...taskStages, train, collect, featureLearning, ...metricStages, ...summaryStages];
  for (const stage of stages) registry.add(stage);
  return registry;
}

/** `degen metric ...`: the metrics on a user's own arrays; its own parser reads the rest of the line. */
function addMetricCommand(program: Command, setExit: (code: number) => void, io: Io): void {
  program.command('metric')
    .description('DMD, DSA, shape, CKA and weight distances on your own .npy or JSON arrays (degen metric --help)')
    .helpOption(false).allowUnknownOption().allowExcessArguments().argument('[args...]')
    .action(async (_args: string[], _opts: unknown, cmd: Command) => {
      const { runMetricCommand } = await import('../stages/metrics/cli.js');
      const result = await runMetricCommand(cmd.args);
      if (result.stdout) io.out(result.stdout);
      if (result.stderr) io.err(result.stderr);
      setExit(result.exitCode);
    });
}

/** `degen bench train|dsa|engine`: the benchmarks of bench/, one at a time. */
function addBenchCommand(program: Command, setExit: (code: number) => void, io: Io): void {
  const bench = program.command('bench').description('benchmarks: train, dsa, engine (npm run bench runs them all)');
  const show = (json: boolean | undefined, result: object): void => io.out(json ? JSON.stringify(result) : Object.entries(result).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n'));
  bench.command('train').description('train K flip-flop networks (3 bits), one per worker, for a fixed number of steps')
    .requiredOption('--hidden <n>', 'units', parsePositiveInt('--hidden'))
    .option('--batch <n>', 'batch size', parsePositiveInt('--batch'), 64)
    .option('--T <n>', 'trial length', parsePositiveInt('--T'), 100)
    .option('--steps <n>', 'training steps per network', parsePositiveInt('--steps'), 100)
    .option('--workers <n>', 'networks trained at once, one per worker thread', parsePositiveInt('--workers'), 1)
    .option('--fma', 'use the fused multiply-add kernels (the wasm-fma backend)')
    .option('--torch', 'run the same step in PyTorch afterwards, when a Python with torch is found')
    .option('--json', 'print JSON')
    .action(async (opts: { hidden: number; batch: number; T: number; steps: number; workers: number; fma?: boolean; torch?: boolean; json?: boolean }) => {
      const { benchTrain, benchTrainTorch } = await import('../bench/train.js');
      const { torch, json, ...options } = opts;
      show(json, await benchTrain(options));
      if (torch) {
        const { fma: _fma, ...shared } = options;
        const other = benchTrainTorch(shared);
        if (other) show(json, { backend: 'torch', ...other });
        else io.err('degen bench train: no Python with torch found (set DEGEN_PYTHON)');
      }
      setExit(0);
    });
  bench.command('dsa').description('time per DMD fit (50 trials x 100 steps x 128 units) and per DSA pair at rank 20')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { benchDsa } = await import('../bench/dsa.js');
      show(opts.json, await benchDsa());
      setExit(0);
    });
  bench.command('engine').description('plan, first run and cached run of a study of trivial instances, through the CLI')
    .option('--instances <n>', 'instances in the study', parsePositiveInt('--instances'), 10_000)
    .option('--json', 'print JSON')
    .action(async (opts: { instances: number; json?: boolean }) => {
      const { benchEngine } = await import('../bench/engine.js');
      show(opts.json, await benchEngine({ instances: opts.instances }));
      setExit(0);
    });
}

const registry = builtinRegistry();
const defaultBackend = defaultTrainingBackend();
const code = await runCli(process.argv, registry, {
  executors: { slurm: slurmExecutor },
  runOptions: addSlurmRunOptions,
  defaultBackend,
  commands: (program, setExit, io) => {
    addReportCommand(program, registry, setExit, io, defaultBackend);
    addMetricCommand(program, setExit, io);
    addBenchCommand(program, setExit, io);
  },
});
process.exitCode = code;
