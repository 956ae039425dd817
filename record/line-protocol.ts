import type { Point } from './point.ts';

const escMeasurement = (s: string) => s.replace(/[\\, ]/g, (c) => `\\${c}`).replace(/\n/g, '\\n');
const escKey = (s: string) => s.replace(/[\\,= ]/g, (c) => `\\${c}`).replace(/\n/g, '\\n');
const escString = (s: string) => s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n');

function fieldValue(v: number | string | boolean): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`line protocol: field value ${v} is not finite`);
    return Number.isInteger(v) ? `${v}` : String(v);
  }
  return `"${escString(v)}"`;
}

/** InfluxDB line protocol, nanosecond timestamps (microsecond precision), tags sorted (the order InfluxDB prefers). */
export function toLine(p: Point): string {
  const tags = Object.keys(p.tags)
    .filter((k) => p.tags[k] !== '' && p.tags[k] !== undefined)
    .sort()
    .map((k) => `,${escKey(k)}=${escKey(p.tags[k]!)}`)
    .join('');
  const fieldKeys = Object.keys(p.fields).filter((k) => p.fields[k] !== undefined);
  if (fieldKeys.length === 0) throw new Error(`line protocol: point ${p.measurement} has no fields`);
  const fields = fieldKeys.map((k) => `${escKey(k)}=${fieldValue(p.fields[k]!)}`).join(',');
  // Microseconds kept (k6 samples of one series may share a millisecond), written as nanoseconds.
  return `${escMeasurement(p.measurement)}${tags} ${fields} ${BigInt(Math.round(p.time * 1000)) * 1000n}`;
}

/** Parses lines written by toLine (and ordinary line protocol). Integer fields (`12i`) become numbers. */
export function parseLine(line: string): Point {
  return parseUnquotedKeys(line) ?? parseAny(line);
}

/**
 * parseLine for the many lines of one file (points.lp): it remembers the measurement and tags of each
 * distinct head (a series, repeated line after line) instead of parsing them again; each point still
 * gets its own tags object. Same results as parseLine.
 */
export function lineParser(): (line: string) => Point {
  const heads: HeadCache = new Map();
  return (line) => parseUnquotedKeys(line, heads) ?? parseAny(line);
}

type Head = { measurement: string; tags: Record<string, string> };
type HeadCache = Map<string, Head>;
/** Distinct heads a lineParser remembers (a file of more series parses the rest as parseLine does). */
const MAX_HEADS = 10_000;

/**
 * The common line in one pass: no double quote in the measurement, the tags and the field keys
 * (field values may have them). Gives what parseAny gives, or undefined when the line is not of that
 * kind (parseAny then parses it, or says why it cannot).
 */
function parseUnquotedKeys(line: string, heads?: HeadCache): Point | undefined {
  // The head (measurement and tags) ends at the first space that is not escaped (an odd run of
  // backslashes before it); a double quote in the head is parseAny's.
  let space = line.indexOf(' ');
  while (space > 0 && escaped(line, space)) space = line.indexOf(' ', space + 1);
  // No fields: parseAny says the line is malformed.
  if (space < 0) return undefined;
  const quote = line.indexOf('"');
  if (quote >= 0 && quote < space) return undefined;
  let head: Head | undefined;
  if (heads) {
    const key = line.slice(0, space);
    head = heads.get(key);
    if (!head) {
      head = parseHead(line, space);
      if (heads.size < MAX_HEADS) heads.set(key, head);
    }
  } else {
    head = parseHead(line, space);
  }
  const fields: Point['fields'] = {};
  let start = space + 1;
  let eq = -1;
  let keyEscaped = false;
  let quoted = false;
  let end = -1;
  for (let i = start; i <= line.length; i++) {
    const c = i < line.length ? line.charCodeAt(i) : 32;
    if (c === 92 /* backslash */ && i + 1 < line.length) {
      if (eq < 0) keyEscaped = true;
      i++;
    } else if (c === 34 /* " */) {
      if (eq < 0) return undefined;
      quoted = !quoted;
    } else if (quoted && i < line.length) {
      continue;
    } else if (c === 61 /* = */) {
      if (eq < 0) eq = i;
    } else if (c === 44 /* , */ || c === 32 /* space */) {
      const k = line.slice(start, eq < 0 ? i : eq);
      fields[keyEscaped ? unescapeText(k) : k] = parseFieldValue(eq < 0 ? '' : line.slice(eq + 1, i));
      start = i + 1;
      eq = -1;
      keyEscaped = false;
      if (c === 32) {
        end = i;
        break;
      }
    }
  }
  const ts = end < line.length ? line.slice(end + 1) : undefined;
  return {
    measurement: head.measurement,
    tags: heads ? { ...head.tags } : head.tags,
    fields,
    time: ts ? nanosToMillis(ts) : 0,
  };
}

/** Whether the character at `i` follows an odd run of backslashes (each backslash escapes the next character). */
function escaped(line: string, i: number): boolean {
  let j = i - 1;
  while (j >= 0 && line.charCodeAt(j) === 92 /* backslash */) j--;
  return (i - 1 - j) % 2 === 1;
}

/** The measurement and tags of `line.slice(0, end)`, a head without double quotes. */
function parseHead(line: string, end: number): Head {
  let measurement: string | undefined;
  const tags: Record<string, string> = {};
  let start = 0;
  let eq = -1;
  // Whether the key (before eq) and the value (after it) have a backslash: only those are unescaped.
  let keyEscaped = false;
  let valueEscaped = false;
  for (let i = 0; i <= end; i++) {
    const c = i < end ? line.charCodeAt(i) : 44;
    if (c === 92 /* backslash */ && i + 1 < line.length) {
      if (eq < 0) keyEscaped = true;
      else valueEscaped = true;
      i++;
    } else if (c === 61 /* = */) {
      if (eq < 0) eq = i;
    } else if (c === 44 /* , */) {
      if (measurement === undefined) {
        const m = line.slice(start, i);
        measurement = keyEscaped || valueEscaped ? unescapeText(m) : m;
      } else if (eq < 0) {
        const k = line.slice(start, i);
        tags[keyEscaped ? unescapeText(k) : k] = '';
      } else {
        const k = line.slice(start, eq);
        const v = line.slice(eq + 1, i);
        tags[keyEscaped ? unescapeText(k) : k] = valueEscaped ? unescapeText(v) : v;
      }
      start = i + 1;
      eq = -1;
      keyEscaped = valueEscaped = false;
    }
  }
  return { measurement: measurement!, tags };
}

/** Any line, field by field (splitUnescaped at each level). */
function parseAny(line: string): Point {
  const [head, fieldsPart, ts] = splitUnescaped(line, ' ', 3);
  if (head === undefined || fieldsPart === undefined)
    throw new Error(`line protocol: malformed line: ${line.slice(0, 80)}`);
  const [measurement, ...tagParts] = splitUnescaped(head, ',');
  const tags: Record<string, string> = {};
  for (const t of tagParts) {
    const [k, v] = splitUnescaped(t, '=', 2);
    tags[unescape(k!)] = unescape(v ?? '');
  }
  const fields: Point['fields'] = {};
  for (const f of splitUnescaped(fieldsPart, ',')) {
    const [k, v] = splitUnescaped(f, '=', 2);
    fields[unescape(k!)] = parseFieldValue(v ?? '');
  }
  const time = ts ? nanosToMillis(ts) : 0;
  return { measurement: unescape(measurement!), tags, fields, time };
}

/** Nanoseconds to milliseconds, truncated to whole microseconds. */
function nanosToMillis(ts: string): number {
  const t = ts.trim();
  // Plain digits: the microseconds are the digits but the last three, and Number() of at most 16
  // digits rounds exactly as Number() of the BigInt does; anything else goes through BigInt.
  if (t.length > 3 && t.length <= 19 && /^\d+$/.test(t)) return Number(t.slice(0, -3)) / 1000;
  return Number(BigInt(t) / 1000n) / 1000;
}

function parseFieldValue(v: string): number | string | boolean {
  if (v.startsWith('"')) {
    const s = v.slice(1, -1);
    return s.includes('\\') ? s.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1') : s;
  }
  if (v === 'true' || v === 't' || v === 'T') return true;
  if (v === 'false' || v === 'f' || v === 'F') return false;
  const last = v.charCodeAt(v.length - 1);
  return Number(last === 105 /* i */ || last === 117 /* u */ ? v.slice(0, -1) : v);
}

function unescape(s: string): string {
  return s.includes('\\') ? unescapeText(s) : s;
}

/** unescape of a text known to have a backslash. */
function unescapeText(s: string): string {
  return s.replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
}

/**
 * Splits on `sep` outside backslash escapes and double-quoted strings; escapes are kept in the
 * parts. Each part is a slice of `s` (no character-by-character copy: points.lp has 100,000s of lines).
 */
function splitUnescaped(s: string, sep: string, limit = Infinity): string[] {
  const sepCode = sep.charCodeAt(0);
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < s.length && out.length < limit - 1; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 /* backslash */ && i + 1 < s.length) {
      i++;
      continue;
    }
    if (c === 34 /* " */) quoted = !quoted;
    else if (c === sepCode && !quoted) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}
