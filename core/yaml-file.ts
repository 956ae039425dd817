import { isMap, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { BadInputError } from './errors.ts';
import { plainText } from './format.ts';

/** Validates a part of a parsed file against a schema, with file:line errors (e.g. suite options). */
export type ValidateAt = <S extends z.ZodType>(path: Array<string | number>, schema: S, value: unknown) => z.infer<S>;

/** Keys users reach for in a settings file that must not be accepted, with what to do instead. */
export const forbiddenKeys: Record<string, string> = {
  token: 'put the token in an environment variable and name that variable in influx.tokenEnv',
  password: 'credentials are never read from the config file: use an environment variable',
};

export interface ParsedYaml<S extends z.ZodType> {
  value: z.infer<S>;
  validateAt: ValidateAt;
}

/** Parses YAML and validates it; every error names file:line:col and the field path. Exit code 2. */
export function parseYamlFile<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  what = 'settings',
): ParsedYaml<S> {
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

export function fromDocument<S extends z.ZodType>(
  file: string | undefined,
  doc: Document,
  lines: LineCounter,
  schema: S,
): ParsedYaml<S> {
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
  return `${typeof v} ${plainText(v)}`;
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
