import type { ReportModel } from '../model.ts';

/** JSON with object keys sorted at every level (arrays keep their order): stable across runs and Node versions. */
export function stableStringify(value: unknown, indent = 2): string {
  return JSON.stringify(sortDeep(value), null, indent);
}

function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort()
        .map((k) => [k, sortDeep(o[k])]),
    );
  }
  return v;
}

/** The report model itself, pretty-printed with a stable key order. */
export function renderJson(m: ReportModel): string {
  return `${stableStringify(m)}\n`;
}
