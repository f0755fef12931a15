#!/usr/bin/env node
// The degen CLI as src/main.ts builds it, plus the summary stage and the `report` command, until the
// composition root wires them. Tests run this file the way a user runs `degen`.
import { runCli } from '../../src/cli.js';
import { StageRegistry } from '../../src/stage.js';
import { addReportCommand } from '../../stages/summary/command.js';
import { summaryStages } from '../../stages/summary/index.js';
import { taskStages } from '../../stages/tasks/index.js';

const registry = new StageRegistry();
for (const stage of [...taskStages, ...summaryStages]) registry.add(stage);

process.exitCode = await runCli(process.argv, registry, {
  commands: (program, setExit, io) => addReportCommand(program, registry, setExit, io),
});
