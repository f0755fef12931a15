// A study file with its source positions, and configuration errors that point into it.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';

export type KeyPath = readonly (string | number)[];

/** Why a study file was rejected; `reason` is stable for programs, `message` for people. */
export type ConfigReason =
  | 'io' | 'yaml-syntax' | 'not-a-map' | 'unknown-key' | 'missing-key' | 'bad-value' | 'unknown-stage'
  | 'missing-need' | 'cycle' | 'unknown-axis' | 'param-type' | 'empty-axis' | 'too-many-instances'
  | 'scope' | 'bad-override' | 'plugin';

export interface ConfigError {
  readonly reason: ConfigReason;
  readonly file: string;
  /** 1-based; 0 when the error has no place in the file (e.g. from --set). */
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly message: string;
  /** The offending source line and the span to underline within it. */
  readonly excerpt?: { readonly text: string; readonly start: number; readonly end: number };
  /** Set when the value came from the command line rather than the file. */
  readonly override?: string;
}

export class ConfigErrors extends Error {
  constructor(readonly errors: readonly ConfigError[]) {
    super(errors.map(formatConfigError).join('\n'));
  }
}

export function pathText(path: KeyPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

export class SourceFile {
  readonly lines: readonly string[];
  readonly #counter: LineCounter;
  /** Paths whose values were replaced from the command line, with the `--set` text. */
  readonly overrides = new Map<string, string>();

  private constructor(readonly path: string, readonly text: string, readonly doc: Document, counter: LineCounter) {
    this.lines = text.split(/\r?\n/);
    this.#counter = counter;
  }

  static read(path: string): SourceFile | ConfigError {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String((e as Error).message);
      return { reason: 'io', file: displayPath(path), line: 0, column: 0, path: '', message: `cannot read study file: ${why}` };
    }
    return SourceFile.parse(path, text);
  }

  static parse(path: string, text: string): SourceFile | ConfigError {
    const counter = new LineCounter();
    // `merge` lets studies share stage settings through anchors and `<<: *name` merge keys.
    const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true, merge: true });
    const source = new SourceFile(path, text, doc, counter);
    const first = doc.errors[0];
    if (first) {
      const at = first.pos[0];
      return source.errorAt(at, first.pos[1], 'yaml-syntax', [], `YAML syntax: ${first.message.split('\n')[0]}`);
    }
    return source;
  }

  /** The node at a path, or the nearest existing ancestor. */
  nodeAt(path: KeyPath): Node | undefined {
    let node: unknown = this.doc.contents;
    for (const part of path) {
      if (isMap(node)) node = node.items.find((p) => isPair(p) && keyOf(p.key) === String(part))?.value;
      else if (isSeq(node) && typeof part === 'number') node = node.items[part];
      else return undefined;
      if (node === undefined || node === null) return undefined;
    }
    return node as Node;
  }

  /** Range of the key at the end of a path (for unknown-key errors), else of the value. */
  keyRange(path: KeyPath): readonly [number, number] | undefined {
    const parent = path.length > 1 ? this.nodeAt(path.slice(0, -1)) : this.doc.contents;
    const last = path[path.length - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isPair(p) && keyOf(p.key) === String(last));
      const key = pair?.key as Node | undefined;
      if (key?.range) return [key.range[0], key.range[1]];
    }
    return this.valueRange(path);
  }

  valueRange(path: KeyPath): readonly [number, number] | undefined {
    for (let n = path.length; n >= 0; n--) {
      const node = this.nodeAt(path.slice(0, n));
      if (node?.range) return [node.range[0], node.range[1]];
    }
    return undefined;
  }

  errorAt(start: number, end: number, reason: ConfigReason, path: KeyPath, message: string): ConfigError {
    const { line, col } = this.#counter.linePos(start);
    const text = this.lines[line - 1] ?? '';
    const endPos = this.#counter.linePos(Math.max(start, end));
    const spanEnd = endPos.line === line ? endPos.col : text.length + 1;
    return {
      reason, file: displayPath(this.path), line, column: col, path: pathText(path), message,
      excerpt: { text, start: col - 1, end: Math.max(col, spanEnd - 1) },
    };
  }

  /** An error about the value at `path` (or its key with `onKey`). */
  error(reason: ConfigReason, path: KeyPath, message: string, onKey = false): ConfigError {
    const override = this.overrideFor(path);
    if (override) return { reason, file: displayPath(this.path), line: 0, column: 0, path: pathText(path), message, override };
    const range = onKey ? this.keyRange(path) : this.valueRange(path);
    if (!range) return { reason, file: displayPath(this.path), line: 0, column: 0, path: pathText(path), message };
    return this.errorAt(range[0], range[1], reason, path, message);
  }

  private overrideFor(path: KeyPath): string | undefined {
    for (let n = path.length; n > 0; n--) {
      const o = this.overrides.get(pathText(path.slice(0, n)));
      if (o) return o;
    }
    return undefined;
  }
}

function keyOf(key: unknown): string | undefined {
  return isScalar(key) ? String(key.value) : undefined;
}

export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

/** `file:line:col: error [reason] path: message`, then the line with the span underlined. */
export function formatConfigError(e: ConfigError): string {
  const where = e.line > 0 ? `${e.file}:${e.line}:${e.column}` : e.file;
  const head = `${where}: error [${e.reason}]${e.path ? ` ${e.path}:` : ''} ${e.message}`;
  if (e.override) return `${head}\n  (from the command line: --set ${e.override})`;
  if (!e.excerpt || e.line === 0) return head;
  const gutter = String(e.line);
  const pad = ' '.repeat(gutter.length);
  const marks = ' '.repeat(e.excerpt.start) + '^'.repeat(Math.max(1, e.excerpt.end - e.excerpt.start));
  return `${head}\n ${gutter} | ${e.excerpt.text}\n ${pad} | ${marks}`;
}
