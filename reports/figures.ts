import { fmtDuration, plainText } from '../core/format.ts';
import { figureUnit } from '../record/figure-points.ts';

/** A suite's own figures (ctx.summary), flattened for a report: values, and tables for lists of records. */
export interface ReportFigures {
  name: string;
  values: Array<[string, string]>;
  tables: Array<{ name: string; headers: string[]; rows: string[][] }>;
}

/** Summary keys the report already renders in their own sections. */
const RENDERED = new Set(['rebuild', 'collectors', 'influx']);

function fmt(key: string, v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') {
    // The unit from the key's own name (record/figure-points.ts); a "share" above 1 is not one.
    const unit = figureUnit(key.slice(key.lastIndexOf('.') + 1));
    if (unit === 'ms') return fmtDuration(v);
    if (unit === 'per_s') return `${Math.round(v * 100) / 100} /s`;
    if (unit === 'share' && v <= 1) return `${(v * 100).toFixed(1)} %`;
    return String(Math.round(v * 1000) / 1000);
  }
  if (typeof v === 'object') return JSON.stringify(v);
  return plainText(v);
}

function flatten(prefix: string, v: unknown, out: ReportFigures, depth: number): void {
  if (Array.isArray(v) && v.length && v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
    const rows = v as Array<Record<string, unknown>>;
    const headers = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    out.tables.push({ name: prefix, headers, rows: rows.map((r) => headers.map((h) => fmt(h, r[h]))) });
  } else if (Array.isArray(v)) {
    out.values.push([prefix, v.map((x) => fmt(prefix, x)).join(', ') || '-']);
  } else if (v && typeof v === 'object' && depth < 3) {
    for (const [k, x] of Object.entries(v)) flatten(prefix ? `${prefix}.${k}` : k, x, out, depth + 1);
  } else {
    out.values.push([prefix, fmt(prefix.split('.').pop()!, v)]);
  }
}

export function buildFigures(summary: Record<string, unknown>): ReportFigures[] {
  return Object.entries(summary)
    .filter(([k]) => !RENDERED.has(k))
    .map(([name, v]) => {
      const f: ReportFigures = { name, values: [], tables: [] };
      if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) flatten(k, x, f, 1);
      else flatten(name, v, f, 1);
      return f;
    });
}
