// A small study over the fixture stages, run through the real CLI in a temporary folder.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dsaNullOf, oodMseOf, pairValuesOf, pointOf, variantScale } from './fixtures.js';

export const CLI = fileURLToPath(new URL('./cli.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures.js', import.meta.url));

export const STUDY_NAME = '<script>alert(1)</script>';
export const HOSTILE_VARIANT = '<img src=x onerror=alert(2)>';
export const KS = [0.5, 2];
export const VARIANTS = [HOSTILE_VARIANT, 'plain'];
export const SEEDS = [0, 1, 2, 3, 4];
/** Seeds whose network does not converge. */
export const FAILING = [3];

export function studyText(bootstrap = 200): string {
  return [
    `name: ${JSON.stringify(STUDY_NAME)}`,
    `description: ${JSON.stringify('Fixture study: <b>not bold</b> & "quoted"')}`,
    `plugins: [${JSON.stringify(FIXTURES)}]`,
    'sweep:',
    `  k: ${JSON.stringify(KS)}`,
    `  variant: ${JSON.stringify(VARIANTS)}`,
    `  seed: { range: [0, ${SEEDS.length}] }`,
    'stages:',
    `  train: { uses: test/net, with: { k: $k, seed: $seed, variant: $variant, fail: ${JSON.stringify(FAILING)} } }`,
    '  behaviour: { uses: test/behaviour, needs: train }',
    '  pair: { uses: test/pair, needs: train, pairs: seed }',
    `  degeneracy: { uses: summary/degeneracy, needs: [train, behaviour, pair], over: seed, with: { bootstrap: ${bootstrap} } }`,
    '',
  ].join('\n');
}

/** A fresh folder holding study.yaml. */
export function studyDir(text = studyText()): string {
  const dir = mkdtempSync(join(tmpdir(), 'degen-summary-'));
  writeFileSync(join(dir, 'study.yaml'), text);
  return dir;
}

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in `cwd` (asynchronously, so a test's other work is not blocked). */
export function degen(cwd: string, ...args: string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, DEGEN_CACHE: join(cwd, 'cache') } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface Expected {
  readonly n_converged: number;
  readonly behaviour_degeneracy: number;
  readonly mean_ood_mse: number;
  readonly dynamics_degeneracy: number;
  readonly weight_degeneracy: number;
  readonly weight_degeneracy_scalefree: number;
  readonly dsa_null_mean: number;
}

/** The summary of one condition computed straight from the fixtures' closed forms. */
export function expectedSummary(k: number, variant: string): Expected {
  const ok = SEEDS.filter((s) => !FAILING.includes(s)).map((s) => pointOf(k * variantScale(variant), s));
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ood = ok.map(oodMseOf);
  const m = mean(ood);
  const pairs = ok.flatMap((a, i) => ok.slice(i + 1).map((b) => pairValuesOf(a, b)));
  return {
    n_converged: ok.length,
    behaviour_degeneracy: Math.sqrt(mean(ood.map((v) => (v - m) ** 2))),
    mean_ood_mse: m,
    dynamics_degeneracy: mean(pairs.map((p) => p.dsa)),
    weight_degeneracy: mean(pairs.map((p) => p.distance_rms)),
    weight_degeneracy_scalefree: mean(pairs.map((p) => p.distance_scalefree)),
    dsa_null_mean: mean(ok.map(dsaNullOf)),
  };
}
