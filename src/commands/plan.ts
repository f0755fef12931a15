// `degen plan` and `degen dag`: what a run would do, and the shape of the study.
import { planStatus } from '../exec/status.js';
import { coordsText } from '../graph/instances.js';
import type { StageRegistry } from '../stage.js';
import { DEFAULT_BACKEND, EXIT, loadOrReport, openStore, type Io, type StudyOptions } from './common.js';

export async function planCommand(file: string, opts: StudyOptions & { explain?: boolean; json?: boolean }, registry: StageRegistry, io: Io): Promise<number> {
  const loaded = await loadOrReport(file, registry, opts, io);
  if (!loaded) return EXIT.badInput;
  const statuses = planStatus(loaded.plan, openStore(opts), opts.backend ?? DEFAULT_BACKEND, opts.explain ?? false);
  if (opts.json) {
    io.out(JSON.stringify(statuses.map((s) => ({ stage: s.inst.node.spec.name, coords: s.inst.coords, key: s.key ?? null, status: s.status, reasons: s.reasons }))));
    return EXIT.ok;
  }
  const lines: string[] = [];
  for (const s of statuses) {
    const key = s.key ? s.key.slice(0, 12) : '(pending)   ';
    lines.push(`${s.status === 'cached' ? 'cached' : 'run   '}  ${key}  ${s.inst.node.spec.name}${s.inst.coords && Object.keys(s.inst.coords).length ? `  ${coordsText(s.inst.coords, s.inst.node.scope.paired)}` : ''}`);
    for (const r of s.reasons) lines.push(`          ${r}`);
  }
  const toRun = statuses.filter((s) => s.status === 'run').length;
  lines.push(`${statuses.length} instances: ${statuses.length - toRun} cached, ${toRun} to run`);
  io.out(lines.join('\n'));
  return EXIT.ok;
}

export async function dagCommand(file: string, opts: StudyOptions & { format?: string }, registry: StageRegistry, io: Io): Promise<number> {
  const loaded = await loadOrReport(file, registry, opts, io);
  if (!loaded) return EXIT.badInput;
  const { graph } = loaded.plan;
  const format = opts.format ?? 'mermaid';
  const label = (name: string): string => {
    const node = graph.byName.get(name)!;
    const how = node.spec.pairs ? ` pairs ${node.spec.pairs}` : node.spec.over ? ` over ${node.spec.over}` : '';
    return `${name}\\n${node.stage.name}${how}\\n${node.instanceCount} instance${node.instanceCount === 1 ? '' : 's'}`;
  };
  const id = (name: string): string => name.replace(/[^A-Za-z0-9_]/g, '_');
  const lines: string[] = [];
  if (format === 'mermaid') {
    lines.push('flowchart LR');
    for (const n of graph.nodes) lines.push(`  ${id(n.spec.name)}["${label(n.spec.name).replace(/\\n/g, '<br/>').replace(/"/g, '#quot;')}"]`);
    for (const n of graph.nodes) for (const need of n.spec.needs) lines.push(`  ${id(need)} --> ${id(n.spec.name)}`);
  } else if (format === 'dot') {
    lines.push(`digraph ${JSON.stringify(graph.study.name)} {`, '  rankdir=LR;', '  node [shape=box];');
    for (const n of graph.nodes) lines.push(`  ${JSON.stringify(n.spec.name)} [label="${label(n.spec.name).replace(/"/g, '\\"')}"];`);
    for (const n of graph.nodes) for (const need of n.spec.needs) lines.push(`  ${JSON.stringify(need)} -> ${JSON.stringify(n.spec.name)};`);
    lines.push('}');
  } else {
    io.err(`degen dag: unknown --format ${JSON.stringify(format)}; expected mermaid or dot`);
    return EXIT.badInput;
  }
  io.out(lines.join('\n'));
  return EXIT.ok;
}

export async function validateCommand(file: string, opts: StudyOptions, registry: StageRegistry, io: Io): Promise<number> {
  const loaded = await loadOrReport(file, registry, opts, io);
  if (!loaded) return EXIT.badInput;
  const { graph, instances } = loaded.plan;
  io.out(`${file}: ok (study ${graph.study.name}: ${graph.nodes.length} stages, ${instances.length} instances)`);
  return EXIT.ok;
}
