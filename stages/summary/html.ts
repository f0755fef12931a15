// The report page: one self-contained HTML file with inline SVG charts and inline CSS, and no script at
// all. Every string that comes from a study passes through escapeHtml; the Content-Security-Policy
// forbids scripts and remote loads too, so a missed escape could not run anything.

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Four significant digits; exponent form outside [1e-3, 1e5); a dash for missing values. */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  if (a === 0 || (a >= 1e-3 && a < 1e5)) return String(Number(v.toPrecision(4)));
  return v.toExponential(3);
}

export interface Figure {
  /** Stable id of the chart (unique in the page). */
  readonly id: string;
  readonly svg: string;
  /** Plain text, escaped here. */
  readonly caption: string;
}

export interface Section {
  readonly title: string;
  /** Plain-text paragraphs shown before the figures (escaped here). */
  readonly notes: readonly string[];
  readonly figures: readonly Figure[];
  /** Trusted HTML built with escapeHtml (e.g. a table). */
  readonly html?: string;
}

export interface Page {
  readonly title: string;
  readonly description: string | undefined;
  readonly commands: readonly string[];
  /** Plain-text notes about what is missing. */
  readonly missing: readonly string[];
  readonly sections: readonly Section[];
}

export interface TableSpec {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Columns rendered right-aligned (numbers). */
  readonly numeric: ReadonlySet<number>;
}

export function tableHtml(t: TableSpec): string {
  const head = t.columns.map((c, i) => `<th${t.numeric.has(i) ? ' class="num"' : ''}>${escapeHtml(c)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.map((c, i) => `<td${t.numeric.has(i) ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="table-wrap"><table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table></div>`;
}

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem auto; max-width: 1280px; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.3rem; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
.description { white-space: pre-wrap; color: #333; }
code { background: #f4f4f4; padding: 0.1rem 0.3rem; border-radius: 3px; font-size: 0.9em; overflow-wrap: anywhere; }
.missing { background: #fff6e0; border-left: 4px solid #e0a800; padding: 0.5rem 1rem; }
.missing li { margin: 0.1rem 0; }
figure.chart { margin: 1rem 0 1.5rem; overflow-x: auto; }
figure.chart svg { max-width: none; height: auto; }
figcaption { font-size: 0.85rem; color: #555; margin-top: 0.3rem; }
.note { font-size: 0.9rem; color: #444; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.82rem; }
th, td { border-bottom: 1px solid #e4e4e4; padding: 0.25rem 0.6rem; text-align: left; white-space: nowrap; }
th { background: #f7f7f7; white-space: normal; vertical-align: bottom; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
`;

export function pageHtml(page: Page): string {
  const out: string[] = [];
  out.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(`degen report: ${page.title}`)}</title>`, `<style>${STYLE}</style>`, '</head>', '<body>', '<header>');
  out.push(`<h1>${escapeHtml(page.title)}</h1>`);
  if (page.description) out.push(`<p class="description">${escapeHtml(page.description)}</p>`);
  out.push(`<p class="note">Made with: ${page.commands.map((c) => `<code>${escapeHtml(c)}</code>`).join(' then ')}</p>`, '</header>');
  if (page.missing.length) {
    out.push('<section class="missing"><strong>Not everything is computed yet.</strong>', '<ul>', ...page.missing.map((m) => `<li>${escapeHtml(m)}</li>`), '</ul></section>');
  }
  for (const section of page.sections) {
    out.push('<section>', `<h2>${escapeHtml(section.title)}</h2>`, ...section.notes.map((n) => `<p class="note">${escapeHtml(n)}</p>`));
    for (const f of section.figures) {
      out.push(`<figure class="chart" id="${escapeHtml(f.id)}">`, f.svg, `<figcaption>${escapeHtml(f.caption)}</figcaption>`, '</figure>');
    }
    if (section.html) out.push(section.html);
    out.push('</section>');
  }
  out.push('</body>', '</html>', '');
  return out.join('\n');
}
