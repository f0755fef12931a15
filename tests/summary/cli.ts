#!/usr/bin/env node
// The degen CLI as src/main.ts builds it, plus the summary stage and the `report` command, until the
// composition root wires them. Tests run this file the way a user runs `degen`.
import { Option } from 'commander';
import { runCli } from '../../src/cli.js';
import { collect, parsePositiveInt } from '../../src/commands/common.js';
import { StageRegistry } from '../../src/stage.js';
import { summaryStages } from '../../stages/summary/index.js';
import { reportCommand } from '../../stages/summary/report.js';
import { taskStages } from '../../stages/tasks/index.js';

const registry = new StageRegistry();
for (const stage of [...taskStages, ...summaryStages]) registry.add(stage);

const code = await runCli(process.argv, registry, {
  commands: (program, setExit, io) => {
    program.command('report <study>').description('write one self-contained HTML report of what the cache holds for a study')
      .option('-o, --output <file>', 'where to write it (default: reports/<study name>.html)')
      .option('--cache <dir>', 'cache folder (default: $DEGEN_CACHE or ./cache)')
      .option('--set <stage.param=value>', 'override a param or sweep axis (repeatable), as given to degen run', collect, [])
      .option('--max-instances <n>', 'refuse studies that expand past this many instances (default 100000)', parsePositiveInt('--max-instances'))
      .addOption(new Option('--backend <name>', 'compute backend the results were computed with').choices(['wasm', 'tfjs']).default('wasm'))
      .action(async (file: string, opts) => setExit(await reportCommand(file, opts, registry, io)));
  },
});
process.exitCode = code;
