// The Slurm executor's settings: `degen run` options and the study's `slurm:` block, the command line
// taking precedence. Checked up front so that a typo fails before anything is submitted.
import { Option, type Command } from 'commander';
import { collect, parsePositiveInt, UsageError } from '../commands/common.js';
import { formatConfigError, type ConfigError } from '../spec/source.js';
import type { Study } from '../spec/study.js';

export interface SlurmSettings {
  readonly partition?: string;
  /** sbatch --time, e.g. `30`, `2:00:00`, `1-12`. */
  readonly time?: string;
  readonly cpusPerTask?: number;
  /** sbatch --mem, e.g. `4G`. */
  readonly mem?: string;
  readonly account?: string;
  /** Passed to sbatch as they are, after the options above. */
  readonly sbatchArgs: readonly string[];
  /** Instances run one after another by each array element. */
  readonly pack: number;
  /** Array elements of one array job running at once (`--array=...%K`). */
  readonly throttle: number;
  /** How often instances of an element that failed without finishing them are resubmitted. */
  readonly retries: number;
  /** Largest array to submit, below the cluster's own limit. */
  readonly maxArraySize?: number;
  readonly pollMs: number;
  readonly keepGoing: boolean;
}

/** `degen run` options as commander hands them over. */
export interface SlurmCliOptions {
  readonly partition?: string;
  readonly time?: string;
  readonly cpusPerTask?: number;
  readonly mem?: string;
  readonly account?: string;
  readonly sbatchArg?: readonly string[];
  readonly pack?: number;
  readonly throttle?: number;
  readonly retries?: number;
  readonly maxArraySize?: number;
  readonly pollMs?: number;
  readonly keepGoing?: boolean;
}

export const DEFAULT_PACK = 16;
export const DEFAULT_THROTTLE = 50;
export const DEFAULT_POLL_MS = 2000;

/** Slurm time formats: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, or no limit. */
const TIME = /^(?:\d+(?::\d+){0,2}|\d+-\d+(?::\d+){0,2}|UNLIMITED|INFINITE)$/i;
/** Megabytes, or a number with a K/M/G/T suffix. */
const MEM = /^\d+[KMGT]?$/i;

const TIME_HINT = 'a Slurm time limit such as 30 (minutes), 45:00, 2:00:00 or 1-12:00:00';
const MEM_HINT = 'memory per node such as 4G or 500M (sbatch --mem)';

function checked(re: RegExp, name: string, hint: string): (value: string) => string {
  return (value) => {
    if (!re.test(value)) throw new UsageError(`${name} expects ${hint}, got ${JSON.stringify(value)}`);
    return value;
  };
}

export function nonNegativeInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} expects a whole number >= 0, got ${JSON.stringify(value)}`);
    return n;
  };
}

/** Adds the Slurm executor's options to `degen run`. */
export function addSlurmRunOptions(run: Command): void {
  run
    .option('--partition <name>', 'slurm: partition to submit to (sbatch --partition)')
    .option('--time <limit>', 'slurm: time limit of one array element, e.g. 2:00:00 (sbatch --time)', checked(TIME, '--time', TIME_HINT))
    .option('--cpus-per-task <n>', 'slurm: CPUs of one array element (sbatch --cpus-per-task)', parsePositiveInt('--cpus-per-task'))
    .option('--mem <size>', 'slurm: memory of one array element, e.g. 4G (sbatch --mem)', checked(MEM, '--mem', MEM_HINT))
    .option('--account <name>', 'slurm: account to charge (sbatch --account)')
    .option('--sbatch-arg <flag>', 'slurm: extra sbatch flag, e.g. --sbatch-arg=--qos=long (repeatable)', collect)
    .option('--pack <n>', `slurm: instances run one after another by each array element (default ${DEFAULT_PACK})`, parsePositiveInt('--pack'))
    .option('--throttle <k>', `slurm: array elements of one array job running at once, --array=...%K (default ${DEFAULT_THROTTLE})`, parsePositiveInt('--throttle'))
    .option('--retries <n>', 'slurm: resubmit instances of an element that timed out, was cancelled or lost its node, up to n times (default 0)', nonNegativeInt('--retries'))
    .option('--max-array-size <n>', 'slurm: split arrays into at most n elements (default: the cluster\'s MaxArraySize and max_array_tasks)', parsePositiveInt('--max-array-size'))
    .addOption(new Option('--poll-ms <ms>', 'slurm: how often to ask squeue and read the cache').argParser(parsePositiveInt('--poll-ms')).hideHelp())
    // A Slurm option without --executor slurm is most likely a forgotten --executor, not a wish to run locally.
    .hook('preAction', (cmd) => {
      if (cmd.opts<{ executor?: string }>().executor === 'slurm') return;
      const given = cmd.options.filter((o) => o.description.startsWith('slurm:') && cmd.getOptionValueSource(o.attributeName()) === 'cli');
      if (given.length) throw new UsageError(`${given.map((o) => o.long).join(', ')} ${given.length === 1 ? 'applies' : 'apply'} only to --executor slurm`);
    });
}

/** Reads one value of the `slurm:` block: the value, or what was expected instead. */
type Reader = (value: unknown) => { readonly ok: unknown } | { readonly expected: string };

const text: Reader = (v) => (typeof v === 'string' && v !== '' ? { ok: v } : { expected: 'a non-empty string' });
const whole = (min: number): Reader => (v) => (typeof v === 'number' && Number.isInteger(v) && v >= min ? { ok: v } : { expected: `a whole number >= ${min}` });
/** Also takes a plain number (YAML reads `time: 30` as one). */
const matching = (re: RegExp, hint: string): Reader => (v) => {
  const s = typeof v === 'number' && Number.isInteger(v) && v >= 0 ? String(v) : v;
  return typeof s === 'string' && re.test(s) ? { ok: s } : { expected: hint };
};
const flags: Reader = (v) => (Array.isArray(v) && v.every((x) => typeof x === 'string' && x !== '') ? { ok: v } : { expected: 'a list of sbatch flags, e.g. ["--qos=long"]' });

/** Keys of the study's `slurm:` block and how each is read. */
const BLOCK: Readonly<Record<string, Reader>> = {
  partition: text,
  time: matching(TIME, TIME_HINT),
  cpus_per_task: whole(1),
  mem: matching(MEM, MEM_HINT),
  account: text,
  sbatch_args: flags,
  pack: whole(1),
  throttle: whole(1),
  retries: whole(0),
};

interface Block {
  partition?: string;
  time?: string;
  cpus_per_task?: number;
  mem?: string;
  account?: string;
  sbatch_args?: string[];
  pack?: number;
  throttle?: number;
  retries?: number;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Reads the `slurm:` block; every problem is reported at its line in the study file. */
export function readSlurmBlock(study: Study): Block | ConfigError[] {
  const errors: ConfigError[] = [];
  const block: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(study.slurm)) {
    const read = BLOCK[key];
    if (!read) {
      errors.push(study.source.error('unknown-key', ['slurm', key], `unknown Slurm option ${JSON.stringify(key)}; expected one of ${Object.keys(BLOCK).join(', ')}`, true));
      continue;
    }
    const got = read(value);
    if ('expected' in got) errors.push(study.source.error('bad-value', ['slurm', key], `expected ${got.expected}, found ${describe(value)}`));
    else block[key] = got.ok;
  }
  return errors.length ? errors : (block as Block);
}

/** The settings a run uses, or the study's errors formatted for the terminal. */
export function slurmSettings(cli: SlurmCliOptions, study: Study): SlurmSettings | string {
  const block = readSlurmBlock(study);
  if (Array.isArray(block)) return block.map(formatConfigError).join('\n');
  return {
    partition: cli.partition ?? block.partition,
    time: cli.time ?? block.time,
    cpusPerTask: cli.cpusPerTask ?? block.cpus_per_task,
    mem: cli.mem ?? block.mem,
    account: cli.account ?? block.account,
    maxArraySize: cli.maxArraySize,
    // Later sbatch flags win, so the command line's come last.
    sbatchArgs: [...(block.sbatch_args ?? []), ...(cli.sbatchArg ?? [])],
    pack: cli.pack ?? block.pack ?? DEFAULT_PACK,
    throttle: cli.throttle ?? block.throttle ?? DEFAULT_THROTTLE,
    retries: cli.retries ?? block.retries ?? 0,
    pollMs: cli.pollMs ?? DEFAULT_POLL_MS,
    keepGoing: cli.keepGoing ?? false,
  };
}

/** The sbatch flags for these settings (resources and accounting; not the array or the script). */
export function resourceFlags(s: SlurmSettings): string[] {
  return [
    ...(s.partition !== undefined ? [`--partition=${s.partition}`] : []),
    ...(s.time !== undefined ? [`--time=${s.time}`] : []),
    ...(s.cpusPerTask !== undefined ? [`--cpus-per-task=${s.cpusPerTask}`] : []),
    ...(s.mem !== undefined ? [`--mem=${s.mem}`] : []),
    ...(s.account !== undefined ? [`--account=${s.account}`] : []),
    ...s.sbatchArgs,
  ];
}
