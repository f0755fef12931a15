// Computing an instance's key components once its upstream outputs are known, and turning an instance
// into the plain-data job an executor runs.
import { codeFingerprint } from '../cache/code.js';
import { cacheKey, KEY_ALGO, type CacheKey, type KeyComponents } from '../cache/key.js';
import type { Instance } from '../graph/instances.js';
import type { ContentHash } from '../stage.js';
import type { InstanceJob } from './job.js';

export type Outputs = Readonly<Record<string, ContentHash>>;

export function keyComponents(inst: Instance, upstreamOutputs: (u: Instance) => Outputs, backend: string): KeyComponents {
  const inputs: Record<string, Outputs[]> = {};
  for (const need of inst.node.spec.needs) inputs[need] = [];
  inst.upstream.forEach((u, i) => inputs[inst.upstreamNeed[i]!]!.push(upstreamOutputs(u)));
  const stage = inst.node.stage;
  return {
    algo: KEY_ALGO,
    stage: stage.name,
    version: stage.version,
    code: codeFingerprint(stage.module),
    params: inst.params,
    inputs,
    env: stage.usesBackend ? backend : null,
  };
}

export function keyOf(components: KeyComponents): CacheKey {
  return cacheKey(components);
}

export function makeJob(inst: Instance, key: CacheKey, components: KeyComponents, upstreamOutputs: (u: Instance) => Outputs, study: string, backend: string): InstanceJob {
  return {
    key, components, id: inst.id, study, stage: inst.node.spec.name, kind: inst.node.stage.name, module: inst.node.stage.module,
    params: inst.params, coords: inst.coords, backend,
    upstream: inst.upstream.map((u, i) => ({ need: inst.upstreamNeed[i]!, kind: u.node.stage.name, coords: u.coords, outputs: upstreamOutputs(u) })),
    members: inst.members,
  };
}
