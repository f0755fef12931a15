#!/usr/bin/env node
// Composition root: registers the stages of stages/ and starts the CLI. The only module of src/ that
// knows the science exists.
import { runCli } from './cli.js';
import { StageRegistry } from './stage.js';
import { taskStages } from '../stages/tasks/index.js';

export function builtinRegistry(): StageRegistry {
  const registry = new StageRegistry();
  for (const stage of taskStages) registry.add(stage);
  return registry;
}

const code = await runCli(process.argv, builtinRegistry());
process.exitCode = code;
