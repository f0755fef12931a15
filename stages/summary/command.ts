// Wires `degen report` into the command line. The report module (and vega with it) is imported only
// when the command runs, so other commands do not pay for loading it.
import type { Command } from 'commander';
import { backendOption, collect, parsePositiveInt, type Io } from '../../src/commands/common.js';
import type { StageRegistry } from '../../src/stage.js';

export function addReportCommand(program: Command, registry: StageRegistry, setExit: (code: number) => void, io: Io, defaultBackend?: string): void {
  program.command('report <study>')
    .description('write one self-contained HTML report of what the cache holds for a study')
    .option('-o, --output <file>', 'where to write the report (default: reports/<study name>.html)')
    .option('--cache <dir>', 'cache folder (default: $DEGEN_CACHE or ./cache)')
    .option('--set <stage.param=value>', 'override a param or sweep axis (repeatable), as given to degen run', collect, [])
    .option('--max-instances <n>', 'refuse studies that expand past this many instances (default 100000)', parsePositiveInt('--max-instances'))
    .addOption(backendOption(defaultBackend))
    .action(async (file: string, opts) => {
      const { reportCommand } = await import('./report.js');
      setExit(await reportCommand(file, opts, registry, io));
    });
}
