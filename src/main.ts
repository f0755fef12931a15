#!/usr/bin/env node
// Composition root: registers the stages of stages/ and starts the CLI. The only module of src/ that
// knows the science exists.
import { runCli } from './cli.js';
import { slurmExecutor } from './exec/slurm.js';
import { addSlurmRunOptions } from './exec/slurm-options.js';
import { StageRegistry, type Stage } from './stage.js';
import { taskStages } from '../stages/tasks/index.js';
import { train } from '../stages/train.js';
import { collect } from '../stages/collect.js';
import { featureLearning } from '../stages/metrics/feature-learning.js';
import { addReportCommand, summaryStages } from '../stages/summary/index.js';

export function builtinRegistry(): StageRegistry {
  const registry = new StageRegistry();
  const stages: readonly Stage<any>[] = [...taskStages, train, collect, featureLearning, ...summaryStages];
  for (const stage of stages) registry.add(stage);
  return registry;
}

const registry = builtinRegistry();
const code = await runCli(process.argv, registry, {
  executors: { slurm: slurmExecutor },
  runOptions: addSlurmRunOptions,
  commands: (program, setExit, io) => addReportCommand(program, registry, setExit, io),
});
process.exitCode = code;
