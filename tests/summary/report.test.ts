import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { degen, HOSTILE_VARIANT, STUDY_NAME, studyDir } from './study.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DEFAULT_REPORT = 'reports/script_alert_1_script.html';

interface Rendered {
  readonly problems: string[];
  readonly text: string;
  readonly charts: { id: string; marks: number; width: number; height: number }[];
  readonly active: number;
}

/** Opens a report in headless Chromium; collects console errors, page errors and dialogs. */
async function render(browser: Browser, file: string, screenshot?: string): Promise<Rendered> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
  page.on('request', (r) => { if (!r.url().startsWith('file:')) problems.push(`network request: ${r.url()}`); });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  const text = await page.innerText('body');
  const charts = await page.$$eval('figure.chart', (figs) => figs.map((f) => {
    const svg = f.querySelector('svg');
    const box = svg?.getBoundingClientRect();
    return { id: f.id, marks: svg ? svg.querySelectorAll('g.role-mark path, g.role-mark line').length : 0, width: box?.width ?? 0, height: box?.height ?? 0 };
  }));
  const active = await page.$$eval('script, img, iframe, object, embed', (els) => els.length);
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
  return { problems, text, charts, active };
}

describe('degen report', () => {
  let dir = '';
  let browser: Browser | undefined;

  before(async () => {
    dir = studyDir();
    const run = await degen(dir, 'run', 'study.yaml', '--json');
    assert.equal(run.code, 0, run.stderr);
  });

  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function openBrowser(): Promise<Browser> {
    if (!existsSync(CHROMIUM)) assert.fail(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium) to run the report test`);
    browser ??= await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    return browser;
  }

  it('writes reports/<study name>.html, which renders every chart in Chromium without errors and shows hostile names as text', async () => {
    const made = await degen(dir, 'report', 'study.yaml');
    assert.equal(made.code, 0, made.stderr);
    assert.equal(made.stdout.trim(), DEFAULT_REPORT);
    const file = join(dir, DEFAULT_REPORT);
    const html = readFileSync(file, 'utf8');
    assert.doesNotMatch(html, /<script|<img|https?:\/\/(?!www\.w3\.org)/i, 'the page must carry no script, image or remote reference');
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);

    const page = await render(await openBrowser(), file, process.env.DEGEN_REPORT_SCREENSHOT);
    assert.deepEqual(page.problems, []);
    assert.equal(page.active, 0);
    assert.ok(page.text.includes(STUDY_NAME), 'the study name shows as text');
    assert.ok(page.text.includes(HOSTILE_VARIANT), 'a knob value shows as text');
    assert.ok(page.text.includes('Fixture study: <b>not bold</b> & "quoted"'));
    assert.ok(page.text.includes('degen run study.yaml'));
    // One chart per knob, one MDS scatter, the training curves.
    assert.deepEqual(page.charts.map((c) => c.id).sort(), ['curves', 'knob-degeneracy-k', 'knob-degeneracy-variant', 'mds-degeneracy']);
    for (const c of page.charts) {
      assert.ok(c.marks > 0, `chart ${c.id} has no marks`);
      assert.ok(c.width > 100 && c.height > 100, `chart ${c.id} is ${c.width}x${c.height}`);
    }
    // The table of every condition: one row per (k, variant), converged 4 of 5.
    assert.equal(page.text.match(/4 \/ 5/g)?.length, 4);
  });

  it('reports what exists of a partly computed study and says what is missing', async () => {
    // Two more seeds: their networks and every degeneracy instance are not computed yet.
    const made = await degen(dir, 'report', 'study.yaml', '--set', 'sweep.seed={range: [0, 7]}', '-o', 'out/partial.html');
    assert.equal(made.code, 0, made.stderr);
    assert.equal(made.stdout.trim(), 'out/partial.html');
    const page = await render(await openBrowser(), join(dir, 'out/partial.html'));
    assert.deepEqual(page.problems, []);
    assert.match(page.text, /Not everything is computed yet/);
    assert.match(page.text, /train \(test\/net\): 8 of 28 instances not computed/);
    assert.match(page.text, /degeneracy \(summary\/degeneracy\): 4 of 4 instances not computed/);
    assert.deepEqual(page.charts.map((c) => c.id), ['curves']);
    assert.ok(page.charts[0]!.marks > 0);
  });

  it('refuses, exit 1, when nothing is computed, and says to run first', async () => {
    const made = await degen(dir, 'report', 'study.yaml', '--cache', join(dir, 'empty-cache'));
    assert.equal(made.code, 1);
    assert.match(made.stderr, /nothing .* is computed yet; run `degen run study.yaml` first/);
  });
});
