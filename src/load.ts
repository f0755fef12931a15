// From a study file on disk to an instance plan: read, override, check, load plugins, build the graph, expand.
import { pathToFileURL } from 'node:url';
import { buildStageGraph, DEFAULT_MAX_INSTANCES } from './graph/dag.js';
import { expandInstances, type InstancePlan } from './graph/instances.js';
import { readSlurmBlock } from './exec/slurm-options.js';
import { checkStageSchema } from './spec/params.js';
import { SourceFile, type ConfigError } from './spec/source.js';
import { applyOverrides, readStudy, type Study } from './spec/study.js';
import { isStage, type StageRegistry } from './stage.js';

export interface LoadOptions {
  readonly sets?: readonly string[];
  readonly maxInstances?: number;
}

export type Loaded = { readonly plan: InstancePlan; readonly study: Study } | { readonly errors: readonly ConfigError[] };

export async function loadStudy(file: string, registry: StageRegistry, options: LoadOptions = {}): Promise<Loaded> {
  const source = SourceFile.read(file);
  if (!(source instanceof SourceFile)) return { errors: [source] };
  const overrideErrors = applyOverrides(source, options.sets ?? []);
  if (overrideErrors.length) return { errors: overrideErrors };
  const study = readStudy(source);
  if (Array.isArray(study)) return { errors: study };
  // The slurm: block is checked with the rest of the file, so `validate` catches its mistakes too.
  const slurm = readSlurmBlock(study);
  if (Array.isArray(slurm)) return { errors: slurm };
  const pluginErrors = await loadPlugins(study, registry);
  if (pluginErrors.length) return { errors: pluginErrors };
  const graph = buildStageGraph(study, registry, options.maxInstances ?? DEFAULT_MAX_INSTANCES);
  if (Array.isArray(graph)) return { errors: graph };
  return { plan: expandInstances(graph), study };
}

/** Imports the study's `plugins:` modules and registers every stage they export. */
async function loadPlugins(study: Study, registry: StageRegistry): Promise<ConfigError[]> {
  const errors: ConfigError[] = [];
  for (const [i, path] of study.plugins.entries()) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    } catch (e) {
      errors.push(study.source.error('plugin', ['plugins', i], `cannot load plugin ${path}: ${(e as Error).message.split('\n')[0]}`));
      continue;
    }
    const stages = Object.values(mod).filter(isStage);
    if (stages.length === 0) errors.push(study.source.error('plugin', ['plugins', i], `plugin ${path} exports no stage (an object with name, module, params, outputs and run)`));
    for (const stage of stages) {
      const existing = registry.get(stage.name);
      if (existing === stage) continue;
      if (existing) {
        errors.push(study.source.error('plugin', ['plugins', i], `plugin ${path} defines stage kind ${stage.name}, which is already defined by ${existing.module}`));
        continue;
      }
      const problem = checkStageSchema(stage);
      if (problem) errors.push(study.source.error('plugin', ['plugins', i], problem));
      else registry.add(stage);
    }
  }
  return errors;
}
