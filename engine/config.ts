import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { BadInputError } from './errors.ts';
import { configSchema, forbiddenKeys, type Config } from './config-schema.ts';

export interface LoadedConfig {
  config: Config;
  /** The file it came from, or undefined for the built-in defaults. */
  file: string | undefined;
  /** Validates a part of the file against a schema, with file:line errors (used for suite options). */
  validateAt<S extends z.ZodType>(path: Array<string | number>, schema: S, value: unknown): z.infer<S>;
}

export const defaultConfigName = 'rebuild-bench.yaml';

/** --config, else $REBUILD_BENCH_CONFIG, else ./rebuild-bench.yaml when present, else built-in defaults. */
export function resolveConfigPath(explicit: string | undefined, env = process.env, cwd = process.cwd()): string | undefined {
  if (explicit) return resolve(cwd, explicit);
  if (env.REBUILD_BENCH_CONFIG) return resolve(cwd, env.REBUILD_BENCH_CONFIG);
  const local = resolve(cwd, defaultConfigName);
  return existsSync(local) ? local : undefined;
}

export function loadConfig(file: string | undefined): LoadedConfig {
  if (!file) {
    const { value, validateAt } = fromDocument(undefined, parseDocument('{}'), new LineCounter(), configSchema);
    return { config: value, file: undefined, validateAt };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(code ?? err);
    throw new BadInputError(`${file}: cannot read config (${why}). Create it (see examples/rebuild-bench.yaml) or drop --config.`);
  }
  return parseConfigText(text, file);
}

export function parseConfigText(text: string, file: string): LoadedConfig {
  const { value, validateAt } = parseYamlFile(text, file, configSchema, 'settings (clusters, target, influx, suites)');
  return { config: value, file, validateAt };
}

export interface ParsedYaml<S extends z.ZodType> {
  value: z.infer<S>;
  validateAt: LoadedConfig['validateAt'];
}

/** Parses YAML and validates it; every error names file:line:col and the field path. Exit code 2. */
export function parseYamlFile<S extends z.ZodType>(text: string, file: string, schema: S, what = 'settings'): ParsedYaml<S> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lines.linePos(e.pos[0]);
    throw new BadInputError(`${file}:${pos.line}:${pos.col}: YAML syntax error: ${e.message.split('\n')[0]}`);
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new BadInputError(`${file}:1:1: expected a mapping of ${what} at the top level`);
  }
  return fromDocument(file, doc, lines, schema);
}

function fromDocument<S extends z.ZodType>(file: string | undefined, doc: Document, lines: LineCounter, schema: S): ParsedYaml<S> {
  const raw: unknown = doc.toJS() ?? {};
  const where = (path: PropertyKey[], key?: string) => locate(doc, lines, path, key);
  const validateAt = <T extends z.ZodType>(base: Array<string | number>, sub: T, value: unknown): z.infer<T> => {
    const r = sub.safeParse(value, { reportInput: true });
    if (r.success) return r.data;
    throw new BadInputError(formatIssues(file ?? '(built-in config)', r.error.issues, base, where));
  };
  return { value: validateAt([], schema, raw), validateAt };
}

function formatIssues(
  file: string,
  issues: z.core.$ZodIssue[],
  base: Array<string | number>,
  where: (path: PropertyKey[], key?: string) => string,
): string {
  const first = issues[0]!;
  const path = [...base, ...first.path];
  const field = path.map(String).join('.') || '(top level)';
  let message: string;
  let key: string | undefined;
  if (first.code === 'unrecognized_keys') {
    key = first.keys[0]!;
    const full = [...path.map(String), key].join('.');
    message = forbiddenKeys[key]
      ? `${full}: not allowed: ${forbiddenKeys[key]}`
      : `${full}: unknown key (expected one of the documented keys; check its spelling)`;
  } else if (first.code === 'invalid_type') {
    const got = describeValue(first.input);
    message = `${field}: expected ${first.expected}, got ${got}`;
  } else {
    message = `${field}: ${first.message}`;
  }
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  return `${file}:${where(path, key)}: ${message}${more}`;
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing (the field is required)';
  if (v === null) return 'null';
  if (typeof v === 'string') return `string "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${String(v)}`;
}

/** line:col of the deepest node on `path` that exists (or of the key `key` under it). */
function locate(doc: Document, lines: LineCounter, path: PropertyKey[], key?: string): string {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const seg of path) {
    if (!isMap(node)) break;
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
    if (!pair) break;
    offset = rangeStart(pair.key) ?? offset;
    node = pair.value;
    const valueStart = rangeStart(node);
    if (valueStart !== undefined && !isMap(node)) offset = valueStart;
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
    offset = rangeStart(pair?.key) ?? offset;
  }
  const pos = lines.linePos(offset);
  return `${pos.line}:${pos.col}`;
}

function rangeStart(node: unknown): number | undefined {
  const r = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return r ? r[0] : undefined;
}
