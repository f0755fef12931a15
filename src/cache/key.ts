// Cache keys: SHA-256 over a plain object of named components, in canonical JSON, so that "why did this
// rerun" is a diff of two such objects.
import { createHash } from 'node:crypto';
import type { ContentHash } from '../stage.js';

export type CacheKey = string & { readonly __brand: 'CacheKey' };

export const KEY_ALGO = 'degen-key/1';

export interface KeyComponents {
  readonly algo: string;
  /** Stage kind, e.g. train/rnn. */
  readonly stage: string;
  readonly version: number;
  /** Source file (relative to the project) -> SHA-256 of its content. */
  readonly code: Readonly<Record<string, string>>;
  /** Params with schema defaults applied. */
  readonly params: unknown;
  /** Need -> its upstream instances' outputs (output name -> content hash), in member order. */
  readonly inputs: Readonly<Record<string, readonly Readonly<Record<string, ContentHash>>[]>>;
  /** Compute backend, for stages whose outputs depend on it; else null. */
  readonly env: string | null;
}

/** Canonical text of objects seen before (params and code maps are shared by many instances). */
const canonicalCache = new WeakMap<object, string>();

/** JSON with sorted keys; numbers in JavaScript's shortest round-trip form, so 1e-3 and 0.001 agree. */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'object' && value !== null) {
    let text = canonicalCache.get(value);
    if (text === undefined) {
      text = canonicalText(value);
      canonicalCache.set(value, text);
    }
    return text;
  }
  return canonicalText(value);
}

function canonicalText(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`cannot hash non-finite number ${value}`);
    return JSON.stringify(Object.is(value, -0) ? 0 : value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`cannot hash a ${typeof value}`);
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function cacheKey(components: KeyComponents): CacheKey {
  return sha256(canonicalJson(components)) as CacheKey;
}

/** Differences between the components of two keys, as short human lines (`params.hidden: 64 -> 128`). */
export function explainChange(before: KeyComponents, after: KeyComponents): string[] {
  const reasons: string[] = [];
  const show = (v: unknown): string => {
    const s = v === undefined ? '(unset)' : canonicalJson(v);
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  };
  if (before.algo !== after.algo) reasons.push(`algo: ${before.algo} -> ${after.algo}`);
  if (before.stage !== after.stage) reasons.push(`stage: ${before.stage} -> ${after.stage}`);
  if (before.version !== after.version) reasons.push(`version: ${before.version} -> ${after.version}`);
  const files = new Set([...Object.keys(before.code), ...Object.keys(after.code)]);
  for (const f of [...files].sort()) {
    if (!(f in before.code)) reasons.push(`code: ${f} added`);
    else if (!(f in after.code)) reasons.push(`code: ${f} removed`);
    else if (before.code[f] !== after.code[f]) reasons.push(`code: ${f} changed`);
  }
  diffValues('params', before.params, after.params, reasons, show);
  const needs = new Set([...Object.keys(before.inputs), ...Object.keys(after.inputs)]);
  for (const n of [...needs].sort()) {
    if (canonicalJson(before.inputs[n] ?? null) !== canonicalJson(after.inputs[n] ?? null)) reasons.push(`inputs.${n} changed`);
  }
  if (before.env !== after.env) reasons.push(`env: ${show(before.env)} -> ${show(after.env)}`);
  return reasons;
}

function diffValues(path: string, a: unknown, b: unknown, out: string[], show: (v: unknown) => string): void {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) diffValues(`${path}.${k}`, a[k], b[k], out, show);
  } else if ((a === undefined ? undefined : canonicalJson(a)) !== (b === undefined ? undefined : canonicalJson(b))) {
    out.push(`${path}: ${show(a)} -> ${show(b)}`);
  }
}
