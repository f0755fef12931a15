import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../../src/random.js';
import { curvesSpec, knobSpec, mdsSpec, renderSvg, type LevelRow } from '../../stages/summary/charts.js';
import { escapeHtml, formatNumber, pageHtml } from '../../stages/summary/html.js';
import { classicalMds } from '../../stages/summary/mds.js';
import { sanitiseName } from '../../stages/summary/report.js';

function distances(points: readonly number[][]): Float64Array {
  const n = points.length;
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) d[i * n + j] = Math.hypot(...points[i]!.map((v, k) => v - points[j]![k]!));
  return d;
}

const HOSTILE = '<script>alert(1)</script>';

describe('classical MDS', () => {
  it('recovers the distances of points that lie in a plane', () => {
    const rng = new Rng(5);
    const pts = Array.from({ length: 9 }, () => [rng.uniform(-2, 2), rng.uniform(-1, 1)]);
    const d = distances(pts);
    const xy = classicalMds(d, pts.length);
    const back = distances(xy);
    for (let i = 0; i < d.length; i++) assert.ok(Math.abs(back[i]! - d[i]!) < 1e-9, `distance ${i}: ${back[i]} vs ${d[i]}`);
  });

  it('keeps the two widest directions of points in 3-D, the same picture every time', () => {
    // Spread 3 along x, 1 along y, 0.01 along z: the scatter must be the x-y plane, up to sign.
    const rng = new Rng(9);
    const pts = Array.from({ length: 12 }, () => [3 * rng.normal(), rng.normal(), 0.01 * rng.normal()]);
    const xy = classicalMds(distances(pts), pts.length);
    const flat = distances(pts.map((p) => [p[0]!, p[1]!]));
    const back = distances(xy);
    for (let i = 0; i < flat.length; i++) assert.ok(Math.abs(back[i]! - flat[i]!) < 0.05, `distance ${i}: ${back[i]} vs ${flat[i]}`);
    assert.deepEqual(classicalMds(distances(pts), pts.length), xy);
    assert.deepEqual(classicalMds(new Float64Array(1), 1), [[0, 0]]);
  });
});

describe('report text', () => {
  it('escapes text and attributes', () => {
    assert.equal(escapeHtml(`${HOSTILE} & "x" 'y'`), '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot; &#39;y&#39;');
    const html = pageHtml({ title: HOSTILE, description: '<b>d</b>', commands: [`degen run '${HOSTILE}'`], missing: [HOSTILE], sections: [{ title: HOSTILE, notes: [HOSTILE], figures: [{ id: '"x', svg: '<svg></svg>', caption: HOSTILE }] }] });
    assert.doesNotMatch(html, /<script|<b>/);
    assert.match(html, /id="&quot;x"/);
  });

  it('makes a file name of any study name', () => {
    assert.equal(sanitiseName(HOSTILE), 'script_alert_1_script');
    assert.equal(sanitiseName('flipflop-complexity'), 'flipflop-complexity');
    assert.equal(sanitiseName('../../etc/passwd'), 'etc_passwd');
    assert.equal(sanitiseName('///'), 'report');
  });

  it('formats numbers with four significant digits', () => {
    assert.equal(formatNumber(0.123456), '0.1235');
    assert.equal(formatNumber(1.5e-5), '1.500e-5');
    assert.equal(formatNumber(42), '42');
    assert.equal(formatNumber(null), '–');
  });
});

describe('charts', () => {
  const row = (x: string, group: string, v: number): LevelRow => ({
    x, group, behaviour: v, behaviour_lo: v / 2, behaviour_hi: 2 * v, dynamics: v, dynamics_lo: v / 2, dynamics_hi: 2 * v,
    dsa_null: v / 10, dsa_null_lo: v / 20, dsa_null_hi: v / 5, weights: v, weights_lo: null, weights_hi: null, n_converged: 3, n_networks: 4,
  });

  it('adds weight-change and kernel-alignment panels only when the conditions have them', async () => {
    const plain = await renderSvg(knobSpec('gamma', ['1', '3'], '', [row('1', '', 1), row('3', '', 2)]), 'p');
    const withChecks = await renderSvg(knobSpec('gamma', ['1', '3'], '', [{ ...row('1', '', 1), weight_change: 250, kernel_alignment: 0.5 }, { ...row('3', '', 2), weight_change: 390, kernel_alignment: 0.44 }]), 'f');
    assert.doesNotMatch(plain, /weight change|kernel alignment/);
    assert.match(withChecks, /weight change/);
    assert.match(withChecks, /kernel alignment/);
  });

  it('renders SVG in which data strings are escaped and ids are unique per chart', async () => {
    const spec = knobSpec('bits', ['1', HOSTILE], 'task', [row('1', HOSTILE, 1), row(HOSTILE, HOSTILE, 2), row('1', 'plain', 3)]);
    const a = await renderSvg(spec, 'a');
    const b = await renderSvg(mdsSpec([HOSTILE, 'x'], [{ condition: HOSTILE, seed: HOSTILE, mx: 0, my: 1 }, { condition: 'x', seed: '1', mx: 1, my: 0 }]), 'b');
    const c = await renderSvg(curvesSpec([HOSTILE], ['0'], [{ condition: HOSTILE, seed: '0', epoch: 1, loss: 1, status: 'converged' }, { condition: HOSTILE, seed: '0', epoch: 2, loss: 0.5, status: 'converged' }]), 'c');
    for (const svg of [a, b, c]) {
      assert.match(svg, /^<svg/);
      assert.doesNotMatch(svg, /<script/);
      assert.match(svg, /&lt;script&gt;alert\(1\)/);
    }
    const ids = [a, b, c].flatMap((svg) => [...svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!));
    assert.ok(ids.length > 0);
    assert.equal(new Set(ids).size, ids.length, 'ids collide across charts');
    for (const [svg, prefix] of [[a, 'a'], [b, 'b'], [c, 'c']] as const) {
      for (const m of svg.matchAll(/url\(#([^)]+)\)/g)) assert.ok(m[1]!.startsWith(`${prefix}-`), `${m[0]} is not prefixed`);
    }
  });
});
