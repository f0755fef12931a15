// The `code` component of a key: the source of a stage's module, of the project modules it imports,
// and of files it loads beside itself (`new URL('x.wasm', import.meta.url)`), each hashed.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from './key.js';

/** The folder holding degen's package.json (dist/src/cache/code.js is three levels below it). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;
const ASSET = /new\s+URL\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g;

const fingerprints = new Map<string, Readonly<Record<string, string>>>();

/** How a file is named in keys and `plan --explain`: the source file for compiled project modules. */
export function displayName(file: string): string {
  const rel = relative(PROJECT_ROOT, file);
  if (rel.startsWith('..') || rel.startsWith(sep)) return file;
  const parts = rel.split(sep);
  if (parts[0] === 'dist' && file.endsWith('.js')) {
    const source = join(...parts.slice(1)).replace(/\.js$/, '.ts');
    if (existsSync(join(PROJECT_ROOT, source))) return source.split(sep).join('/');
  }
  return parts.join('/');
}

/** File -> SHA-256 for a module and everything it reaches by relative import or asset URL. */
export function codeFingerprint(moduleUrl: string): Readonly<Record<string, string>> {
  const cached = fingerprints.get(moduleUrl);
  if (cached) return cached;
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      return;
    }
    out[displayName(file)] = sha256(bytes);
    if (!/\.(m?js|ts)$/.test(file)) return;
    const text = bytes.toString('utf8');
    for (const re of [IMPORT, ASSET]) {
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) visit(resolve(dirname(file), m[1]!));
    }
  };
  visit(fileURLToPath(moduleUrl));
  const sorted = Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
  fingerprints.set(moduleUrl, sorted);
  return sorted;
}
