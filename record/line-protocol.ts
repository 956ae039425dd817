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
  const time = ts ? Number(BigInt(ts.trim()) / 1000n) / 1000 : 0;
  return { measurement: unescape(measurement!), tags, fields, time };
}

function parseFieldValue(v: string): number | string | boolean {
  if (v.startsWith('"'))
    return v
      .slice(1, -1)
      .replace(/\\n/g, '\n')
      .replace(/\\(["\\])/g, '$1');
  if (v === 'true' || v === 't' || v === 'T') return true;
  if (v === 'false' || v === 'f' || v === 'F') return false;
  return Number(v.replace(/[iu]$/, ''));
}

function unescape(s: string): string {
  return s.replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
}

/** Splits on `sep` outside backslash escapes and double-quoted strings. */
function splitUnescaped(s: string, sep: string, limit = Infinity): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + (s[++i] ?? '');
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted && out.length < limit - 1) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}
