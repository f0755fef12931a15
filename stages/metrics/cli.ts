// `degen metric`: the metrics' own code on users' arrays (.npy or JSON), one JSON object per call.
//   degen metric dmd A [dmd flags]            degen metric dsa A B [dmd flags] [--score s]
//   degen metric simdist A B [--score s]      degen metric shape A B [--alpha a] [--score s] [--no-center]
//   degen metric cka A B [--no-center]        degen metric weights W1 W2 [--refine]
// Exit 0 on success, 2 on bad input (message names the file and what was expected), 1 on an internal error.
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readArrayFile, type NdArray } from './lib/arrays.js';
import { toRows, type Mat } from './lib/dense.js';
import { fitDmd, sortedEigenvalues, type DmdFit, type DmdOptions } from './lib/dmd.js';
import { MetricInputError } from './lib/errors.js';
import type { Trajectories } from './lib/hankel.js';
import { defaultPavfRestarts } from './lib/pavf.js';
import { linearCka, ckaAngle, shapeDistance } from './lib/shape.js';
import { compareOperators, dsaScores, type DsaScore } from './lib/simdist.js';
import { defaultFaqStarts, weightDistance } from './lib/weights.js';

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The study defaults (metric/dsa): n_delays 5, delay_interval 1, rank 20, lamb 0. */
export const cliDmdDefaults = { nDelays: 5, delayInterval: 1, rank: 20, lamb: 0 } as const;

function integer(min: number): (text: string) => number {
  return (text) => {
    const v = Number(text);
    if (!/^[+-]?\d+$/.test(text.trim()) || !Number.isSafeInteger(v) || v < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return v;
  };
}

function real(min = -Infinity, max = Infinity): (text: string) => number {
  return (text) => {
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v) || v < min || v > max) throw new InvalidArgumentError(`expected a number in [${min}, ${max}]`);
    return v;
  };
}

function addDmdOptions(cmd: Command): Command {
  return cmd
    .option('--n-delays <d>', 'number of delays d', integer(1), cliDmdDefaults.nDelays)
    .option('--delay-interval <k>', 'samples between delays', integer(1), cliDmdDefaults.delayInterval)
    .option('--rank <r>', 'directions kept (capped at the embedding size; default 20 unless another rank rule is given)', integer(1))
    .option('--rank-thresh <t>', 'keep singular values above t', real())
    .option('--rank-explained-variance <p>', 'keep the fewest directions explaining a fraction p of the variance', real(0, 1))
    .option('--lamb <x>', 'ridge lambda (in V coordinates)', real(0), cliDmdDefaults.lamb)
    .option('--reduced-rank-reg', 'reduced-rank regression instead of principal-component regression', false)
    .option('--steps-ahead <h>', 'fit v_{t+h} from v_t', integer(1), 1);
}

interface DmdFlags {
  nDelays: number;
  delayInterval: number;
  rank?: number;
  rankThresh?: number;
  rankExplainedVariance?: number;
  lamb: number;
  reducedRankReg: boolean;
  stepsAhead: number;
}

function dmdOptions(flags: DmdFlags): DmdOptions {
  const rules = [flags.rank, flags.rankThresh, flags.rankExplainedVariance].filter((v) => v !== undefined).length;
  if (rules > 1) throw new MetricInputError('give at most one of --rank, --rank-thresh, --rank-explained-variance');
  return {
    nDelays: flags.nDelays,
    delayInterval: flags.delayInterval,
    rank: rules === 0 ? cliDmdDefaults.rank : flags.rank,
    rankThresh: flags.rankThresh,
    rankExplainedVariance: flags.rankExplainedVariance,
    lamb: flags.lamb,
    reducedRankReg: flags.reducedRankReg,
    stepsAhead: flags.stepsAhead,
  };
}

function shapeOf(a: NdArray): string {
  return `(${a.shape.join(', ')}${a.shape.length === 1 ? ',' : ''})`;
}

async function load(path: string): Promise<NdArray> {
  return readArrayFile(path);
}

async function loadTrajectories(path: string): Promise<Trajectories> {
  const a = await load(path);
  const s = a.shape;
  if (s.length === 2) return { trials: 1, time: s[0]!, units: s[1]!, data: a.data };
  if (s.length === 3) return { trials: s[0]!, time: s[1]!, units: s[2]!, data: a.data };
  throw new MetricInputError(`${basename(path)}: trajectories must be [time, units] or [conditions, time, units], got shape ${shapeOf(a)}`);
}

async function loadSquare(path: string, what: string): Promise<Mat> {
  const a = await load(path);
  if (a.shape.length !== 2 || a.shape[0] !== a.shape[1] || a.shape[0] === 0) {
    throw new MetricInputError(`${basename(path)}: expected ${what} as a square matrix [n, n], got shape ${shapeOf(a)}`);
  }
  return { rows: a.shape[0]!, cols: a.shape[1]!, data: a.data };
}

/** Activity for shape metrics: [samples, units], or [conditions, time, units] flattened condition-major. */
async function loadActivity(path: string): Promise<Mat> {
  const a = await load(path);
  const s = a.shape;
  if (s.length === 2) return { rows: s[0]!, cols: s[1]!, data: a.data };
  if (s.length === 3) return { rows: s[0]! * s[1]!, cols: s[2]!, data: a.data };
  throw new MetricInputError(`${basename(path)}: activity must be [samples, units] or [conditions, time, units], got shape ${shapeOf(a)}`);
}

/** Runs `compute`, prefixing its input errors with the files they are about. */
function about<T>(paths: readonly string[], compute: () => T): T {
  try {
    return compute();
  } catch (e) {
    if (e instanceof MetricInputError) throw new MetricInputError(`${paths.map((p) => basename(p)).join(' and ')}: ${e.message}`);
    throw e;
  }
}

function fitFor(path: string, x: Trajectories, options: DmdOptions): DmdFit {
  return about([path], () => fitDmd(x, options));
}

function scoreOption(defaultScore: string, choices: readonly string[] = dsaScores): Option {
  return new Option('--score <score>', 'which score').choices(choices).default(defaultScore);
}

function dmdReport(fit: DmdFit, options: DmdOptions): Record<string, unknown> {
  return {
    rank: fit.rank,
    singular_values: Array.from(fit.singularValues),
    eigenvalues: sortedEigenvalues(fit.aV),
    A_v: toRows(fit.aV),
    convention: 'column: v_{t+h} = A_v v_t',
    n_delays: options.nDelays,
    delay_interval: options.delayInterval,
    steps_ahead: options.stepsAhead,
    lamb: options.lamb,
    reduced_rank_reg: options.reducedRankReg ?? false,
    embedding_dim: fit.embeddingDim,
    samples: fit.samples,
    ...(fit.projectorValues.length ? { projector_eigenvalues: Array.from(fit.projectorValues) } : {}),
  };
}

function buildProgram(print: (value: unknown) => void): Command {
  const program = new Command('degen metric')
    .description('Degeneracy metrics on your own arrays (.npy float32/float64 C order, or JSON nested arrays); prints one JSON object')
    .exitOverride()
    .showHelpAfterError(false)
    .allowExcessArguments(false);
  let out = '';
  let err = '';
  program.configureOutput({ writeOut: (s) => { out += s; }, writeErr: (s) => { err += s; } });
  Object.assign(program, { takeOutput: () => ({ out, err }) });

  addDmdOptions(program.command('dmd').argument('<A>', 'trajectories [time, units] or [conditions, time, units]'))
    .description('fit the DMD operator A_v (METRICS.md A.2-A.6)')
    .action(async (a: string, flags: DmdFlags) => {
      const options = dmdOptions(flags);
      print(dmdReport(fitFor(a, await loadTrajectories(a), options), options));
    });

  addDmdOptions(program.command('dsa').argument('<A>', 'trajectories of system A').argument('<B>', 'trajectories of system B'))
    .description('DSA: fit one DMD operator per system and compare them (angular / euclidean by PAVF, or wasserstein)')
    .addOption(scoreOption('angular'))
    .option('--restarts <n>', 'random PAVF starts', integer(0), defaultPavfRestarts)
    .option('--seed <s>', 'seed of the random starts', integer(0), 0)
    .action(async (a: string, b: string, flags: DmdFlags & { score: DsaScore; restarts: number; seed: number }) => {
      const options = dmdOptions(flags);
      const fitA = fitFor(a, await loadTrajectories(a), options);
      const fitB = fitFor(b, await loadTrajectories(b), options);
      if (flags.score !== 'wasserstein' && fitA.aV.rows !== fitB.aV.rows) {
        throw new MetricInputError(`${basename(a)} and ${basename(b)}: the operators have different sizes (${fitA.aV.rows} and ${fitB.aV.rows}); the ${flags.score} score needs equal ranks: give --rank, or use --score wasserstein`);
      }
      const r = about([a, b], () => compareOperators(fitA.aV, fitB.aV, flags.score, { restarts: flags.restarts, seed: flags.seed }));
      print({ score: r.score, score_method: r.method, angular: r.angular, euclidean: r.euclidean, rank_a: fitA.rank, rank_b: fitB.rank, determinant: r.determinant, restarts: flags.restarts, seed: flags.seed });
    });

  program.command('simdist').argument('<A>', 'square operator [n, n]').argument('<B>', 'square operator [n, n]')
    .description('compare two square operators directly (PAVF angular / euclidean, or wasserstein)')
    .addOption(scoreOption('angular'))
    .option('--restarts <n>', 'random PAVF starts', integer(0), defaultPavfRestarts)
    .option('--seed <s>', 'seed of the random starts', integer(0), 0)
    .action(async (a: string, b: string, flags: { score: DsaScore; restarts: number; seed: number }) => {
      const ma = await loadSquare(a, 'an operator');
      const mb = await loadSquare(b, 'an operator');
      if (flags.score !== 'wasserstein' && ma.rows !== mb.rows) {
        throw new MetricInputError(`${basename(a)} and ${basename(b)}: operators of different sizes (${ma.rows} and ${mb.rows}); the ${flags.score} score needs equal sizes, use --score wasserstein`);
      }
      const r = about([a, b], () => compareOperators(ma, mb, flags.score, { restarts: flags.restarts, seed: flags.seed }));
      print({ score: r.score, score_method: r.method, angular: r.angular, euclidean: r.euclidean, determinant: r.determinant, restarts: flags.restarts, seed: flags.seed });
    });

  program.command('shape').argument('<A>', 'activity [samples, units] or [conditions, time, units]').argument('<B>', 'activity, same samples')
    .description('shape distance (netrep LinearMetric): alpha = 1 is orthogonal Procrustes / angular shape distance')
    .option('--alpha <a>', 'partial whitening: 1 Procrustes, 0 CCA-like', real(0, 1), 1)
    .addOption(scoreOption('angular', ['angular', 'euclidean']))
    .option('--no-center', 'do not subtract column means')
    .action(async (a: string, b: string, flags: { alpha: number; score: 'angular' | 'euclidean'; center: boolean }) => {
      const x = await loadActivity(a);
      const y = await loadActivity(b);
      const r = about([a, b], () => shapeDistance(x, y, { alpha: flags.alpha, centre: flags.center }));
      print({ score: flags.score === 'angular' ? r.angular : r.euclidean, score_method: flags.score, angular: r.angular, euclidean: r.euclidean, alpha: flags.alpha, centered: flags.center });
    });

  program.command('cka').argument('<A>', 'activity [samples, units] or [conditions, time, units]').argument('<B>', 'activity, same samples')
    .description('standard linear CKA in [0, 1] (angle = netrep LinearCKA = arccos CKA)')
    .option('--no-center', 'do not subtract column means')
    .action(async (a: string, b: string, flags: { center: boolean }) => {
      const x = await loadActivity(a);
      const y = await loadActivity(b);
      const cka = about([a, b], () => linearCka(x, y, flags.center));
      print({ cka, angle: ckaAngle(cka), centered: flags.center });
    });

  program.command('weights').argument('<W1>', 'recurrent matrix [n, n]').argument('<W2>', 'recurrent matrix [n, n]')
    .description('permutation-aligned distance min_P ||W1 - P W2 P^T|| (METRICS.md C: signatures, LAP, FAQ)')
    .option('--refine', 'greedy quadratic-assignment ascent on every candidate (C.4)', false)
    .option('--faq-starts <n>', 'random FAQ starts besides the signature and barycentre ones', integer(0), defaultFaqStarts)
    .option('--seed <s>', 'seed of the random FAQ starts', integer(0), 0)
    .action(async (w1: string, w2: string, flags: { refine: boolean; faqStarts: number; seed: number }) => {
      const m1 = await loadSquare(w1, 'a recurrent weight matrix');
      const m2 = await loadSquare(w2, 'a recurrent weight matrix');
      if (m1.rows !== m2.rows) throw new MetricInputError(`${basename(w1)} and ${basename(w2)}: networks of different widths (${m1.rows} and ${m2.rows} units) cannot be aligned`);
      const r = about([w1, w2], () => weightDistance(m1, m2, { refine: flags.refine, faqStarts: flags.faqStarts, seed: flags.seed }));
      print({
        distance_raw: r.raw,
        distance_rms: r.rms,
        distance_scalefree: r.scalefree,
        angle: r.angle,
        distance_geometric: r.geometric,
        distance_sum: r.sum,
        distance_relative: r.relative,
        unaligned: { distance_raw: r.unaligned.raw, distance_rms: r.unaligned.rms, distance_scalefree: r.unaligned.scalefree, angle: r.unaligned.angle },
        permutation: Array.from(r.permutation),
        source: r.source,
      });
    });
  return program;
}

/** Runs `degen metric <argv...>` and returns what it would print and its exit code. */
export async function runMetricCommand(argv: string[]): Promise<CommandResult> {
  let stdout = '';
  const program = buildProgram((value) => {
    stdout += `${JSON.stringify(value)}\n`;
  });
  const take = (): { out: string; err: string } => (program as unknown as { takeOutput(): { out: string; err: string } }).takeOutput();
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return { exitCode: 2, stdout: '', stderr: take().err };
    }
    await program.parseAsync(argv, { from: 'user' });
    return { exitCode: 0, stdout: stdout + take().out, stderr: take().err };
  } catch (e) {
    const { out, err } = take();
    if (e instanceof CommanderError) {
      const ok = e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version';
      return { exitCode: ok ? 0 : 2, stdout: out, stderr: err };
    }
    if (e instanceof MetricInputError) return { exitCode: 2, stdout: '', stderr: `${err}degen metric: ${e.message}\n` };
    return { exitCode: 1, stdout: '', stderr: `${err}degen metric: internal error: ${e instanceof Error ? e.message : String(e)}\n` };
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runMetricCommand(process.argv.slice(2));
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
}
