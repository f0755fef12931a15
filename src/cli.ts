// The command line: parses arguments and hands each command to its module. Commands that need the
// science (metric, bench, report) and executors beyond the local one are added by the composition root.
import { Command, CommanderError, Option } from 'commander';
import type { StageRegistry } from './stage.js';
import { backendOption, collect, EXIT, parsePositiveInt, processIo, UsageError, type Io } from './commands/common.js';
import { gcCommand, verifyCommand } from './commands/maintain.js';
import { dagCommand, planCommand, validateCommand } from './commands/plan.js';
import { execCommand, parseIndex } from './commands/exec.js';
import { resultsCommand } from './commands/results.js';
import { runCommand, type ExecutorFactory } from './commands/run.js';

export interface CliExtensions {
  readonly executors?: Readonly<Record<string, ExecutorFactory>>;
  /** Adds commands; each action must set the exit code through `setExit`. */
  readonly commands?: (program: Command, setExit: (code: number) => void, io: Io) => void;
  /** Adds options to `degen run` (e.g. the Slurm executor's). */
  readonly runOptions?: (run: Command) => void;
  /** The default of --backend on this machine (DEFAULT_BACKEND when not given). */
  readonly defaultBackend?: string;
}

function addStudyOptions(cmd: Command, defaultBackend?: string): Command {
  return cmd
    .option('--cache <dir>', 'cache folder (default: $DEGEN_CACHE or ./cache)')
    .option('--set <stage.param=value>', 'override a param or sweep axis (repeatable): --set train.hidden=128, --set "sweep.seed={range: [0, 16]}"', collect, [])
    .option('--max-instances <n>', 'refuse studies that expand past this many instances (default 100000)', parsePositiveInt('--max-instances'))
    .addOption(backendOption(defaultBackend));
}

export function buildCli(registry: StageRegistry, ext: CliExtensions = {}, io: Io = processIo): { program: Command; exitCode: () => number } {
  let exit: number = EXIT.ok;
  const setExit = (code: number): void => { exit = code; };
  const program = new Command('degen')
    .description('Measure solution degeneracy across task-trained RNNs: one YAML study, a content-addressed Arrow cache, local or Slurm execution.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) });
  const studyOptions = (cmd: Command): Command => addStudyOptions(cmd, ext.defaultBackend);

  const run = studyOptions(program.command('run <study>').description('run every instance that is not cached'))
    .option('-j, --jobs <n>', 'worker threads (default: one per core)', parsePositiveInt('--jobs'))
    .option('-k, --keep-going', 'keep running independent instances after a failure')
    .option('--json', 'print one JSON summary at the end instead of the live view')
    .option('--log <file>', 'append every run event to this JSON-lines file')
    .option('--executor <name>', 'where instances run: local or slurm', 'local');
  ext.runOptions?.(run);
  run.action(async (file: string, opts) => setExit(await runCommand(file, opts, registry, io, ext.executors)));

  studyOptions(program.command('plan <study>').description('list every instance, its key and whether it is cached or will run'))
    .option('--explain', 'say why each instance will run: which key component changed, old -> new')
    .option('--json', 'print a JSON array of {stage, coords, key, status, reasons}')
    .action(async (file: string, opts) => setExit(await planCommand(file, opts, registry, io)));

  studyOptions(program.command('validate <study>').description('check a study file and report every error with its line'))
    .action(async (file: string, opts) => setExit(await validateCommand(file, opts, registry, io)));

  studyOptions(program.command('dag <study>').description('print the stage graph'))
    .addOption(new Option('--format <format>', 'graph language').choices(['mermaid', 'dot']).default('mermaid'))
    .action(async (file: string, opts) => setExit(await dagCommand(file, opts, registry, io)));

  studyOptions(program.command('results <study>').description('one row per instance of a stage: sweep coordinates and scalar outputs'))
    .requiredOption('--stage <name>', 'the stage (its name in the study file)')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json', 'arrow']).default('table'))
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .option('--columns <list>', 'comma-separated columns to show, in order (e.g. bits,dynamics_degeneracy)')
    .action(async (file: string, opts) => setExit(await resultsCommand(file, opts, registry, io)));

  program.command('verify').description('rehash every cached object; report damaged and orphaned ones')
    .option('--cache <dir>', 'cache folder (default: $DEGEN_CACHE or ./cache)')
    .option('--json', 'print the report as JSON')
    .action((opts) => setExit(verifyCommand(opts, io)));

  studyOptions(program.command('gc <studies...>').description('delete cached results that none of the named studies reaches'))
    .option('--dry-run', 'only report what would be deleted')
    .option('--json', 'print the summary as JSON')
    .action(async (files: string[], opts) => setExit(await gcCommand(files, opts, registry, io)));

  program.command('exec').description('run one element of a Slurm array job submitted by `run --executor slurm` (what each element runs)')
    .requiredOption('--cache <dir>', 'the shared cache folder')
    .requiredOption('--shard <file>', 'the shard file written by the driver')
    .requiredOption('--index <n>', 'which element of the shard ($SLURM_ARRAY_TASK_ID)', parseIndex)
    .action(async (opts) => setExit(await execCommand(opts, io)));

  ext.commands?.(program, setExit, io);
  return { program, exitCode: () => exit };
}

/** Runs the CLI and returns the exit code: usage errors are 2, never a stack trace. */
export async function runCli(argv: readonly string[], registry: StageRegistry, ext: CliExtensions = {}, io: Io = processIo): Promise<number> {
  const { program, exitCode } = buildCli(registry, ext, io);
  try {
    await program.parseAsync(argv as string[]);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.badInput;
    }
    if (e instanceof UsageError) {
      io.err(`degen: ${e.message}`);
      return EXIT.badInput;
    }
    throw e;
  }
  return exitCode();
}
