// Stage params: JSON Schema validation (ajv) with defaults applied, and errors mapped back to the study file.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Stage } from '../stage.js';

export interface ParamProblem {
  /** Path inside the params object, e.g. ['delay', 1]. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false, coerceTypes: false });
const compiled = new WeakMap<Stage, ValidateFunction>();

function validatorFor(stage: Stage): ValidateFunction {
  let v = compiled.get(stage);
  if (!v) {
    v = ajv.compile(stage.params);
    compiled.set(stage, v);
  }
  return v;
}

/** Validates params against the stage's schema; returns them with defaults applied, or the problems. */
export function checkParams(stage: Stage, params: Readonly<Record<string, unknown>>): { params: Record<string, unknown> } | { problems: ParamProblem[] } {
  const copy = structuredClone(params) as Record<string, unknown>;
  const validate = validatorFor(stage);
  if (validate(copy)) return { params: copy };
  return { problems: (validate.errors ?? []).map((e) => describeProblem(stage, e, params)) };
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let v: unknown = root;
  for (const p of path) v = v === null || typeof v !== 'object' ? undefined : (v as Record<string, unknown>)[p as string];
  return v;
}

function found(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list ${JSON.stringify(v).slice(0, 60)}`;
  if (typeof v === 'object') return 'a map';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function describeProblem(stage: Stage, e: ErrorObject, params: unknown): ParamProblem {
  const path = e.instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, '/').replace(/~0/g, '~')));
  const value = valueAt(params, path);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const known = Object.keys((stage.params.properties ?? {}) as object).sort();
      return { path: [...path, String(p.additionalProperty)], message: `unknown param ${JSON.stringify(p.additionalProperty)} for ${stage.name}; expected one of ${known.join(', ')}` };
    }
    case 'required':
      return { path, message: `missing param ${JSON.stringify(p.missingProperty)} for ${stage.name}` };
    case 'enum':
      return { path, message: `expected one of ${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}, found ${found(value)}` };
    case 'type':
      return { path, message: `expected ${String(p.type).replace(',', ' or ')}, found ${found(value)}` };
    case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum':
      return { path, message: `expected a value ${p.comparison} ${p.limit}, found ${found(value)}` };
    default:
      return { path, message: `${e.message ?? 'invalid'}, found ${found(value)}` };
  }
}

/** Checks a stage's own schema once, when it is registered: params must be a closed object schema. */
export function checkStageSchema(stage: Stage): string | undefined {
  const s = stage.params as Record<string, unknown>;
  if (s.type !== 'object') return `stage ${stage.name}: params schema must have type: object`;
  if (s.additionalProperties !== false) return `stage ${stage.name}: params schema must set additionalProperties: false, so typos are caught`;
  try {
    validatorFor(stage);
  } catch (e) {
    return `stage ${stage.name}: params schema does not compile: ${(e as Error).message}`;
  }
  return undefined;
}
