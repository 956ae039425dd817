import type { Point } from './point.ts';

/**
 * A suite's own figures: the numbers it publishes with `ctx.summary(key, value)` (run.json
 * `summary.<key>`), what counts as one, which unit it has, and the rb_figure points they become.
 * The rules are read from the keys' names and shared by everything that shows figures: the points
 * (engine/live-run.ts), compare (reports/run-features.ts) and the report's Figures section
 * (reports/figures.ts).
 */

/** The units compare and the reports judge and format: a duration, a plain number, a share of 1. */
export type MetricUnit = 'ms' | 'count' | 'share';
/** The unit of a figure: a MetricUnit, or per second (k6's request and iteration rates). */
export type FigureUnit = MetricUnit | 'per_s';

/** k6's requestRate and iterationRate are per second; the other `…Rate` figures are shares. */
export const isPerSecond = (key: string): boolean => /(request|iteration)s?Rate$/i.test(key);

/** A setting a suite echoes into its summary (`durationSeconds`), or a process's exit code: not something it measured. */
export const isSetting = (key: string): boolean => /Seconds$|^exitCode$/.test(key);

/**
 * The unit of the figure at a dotted path, from its name: `…Ms` and anything under a `latencyMs`
 * (`k6.latencyMs.p99`) are milliseconds, k6's request and iteration rates per second, the other
 * `…Rate` figures shares of 1, anything else a count (or a plain number).
 */
export function figureUnit(path: string): FigureUnit {
  const key = path.slice(path.lastIndexOf('.') + 1);
  if (/Ms$/.test(key) || path.includes('latencyMs.')) return 'ms';
  if (isPerSecond(key)) return 'per_s';
  if (/Rate$/.test(key)) return 'share';
  return 'count';
}

/**
 * Summary keys that hold no suite figures: what the collectors (`collectors`, `<collector>Notes`)
 * and the InfluxDB sink (`influx`) write, and the rebuild suite's `rebuild` (its own section in the
 * report, and its own measurement, rb_rebuild).
 */
const NOT_FIGURES = new Set(['collectors', 'rebuild', 'influx']);
export const isSuiteFigureKey = (key: string): boolean => !NOT_FIGURES.has(key) && !key.endsWith('Notes');

/** How deep below the summary key figures are read. */
const MAX_DEPTH = 4;

export interface Figure {
  /** Dotted path from the summary key: `paralysis.admission.rejectionRate`. */
  path: string;
  /** Null: a duration that has no value (never reached, or not measured). */
  value: number | null;
  unit: FigureUnit;
}

/**
 * The figures of one summary entry: its finite numeric leaves, and its null durations (`…Ms:
 * null`). Booleans, strings and other nulls are not figures, nor are settings (`…Seconds`) or
 * anything nested deeper than four levels. Lists are skipped (`lists: 'skip'`, as compare does), or
 * with `lists: 'by-name'` a list of records is read like a record keyed by each element's `name`
 * (else `app`) when every element has a distinct one (`postgresDelay.consumers.gitea.restarts`,
 * the shape `paralysis.critical.<deployment>.readyAfterMs` already has); other lists are skipped.
 */
export function summaryFigures(key: string, value: unknown, lists: 'skip' | 'by-name' = 'skip'): Figure[] {
  const out: Figure[] = [];
  const walk = (path: string, v: unknown, depth: number) => {
    const last = path.slice(path.lastIndexOf('.') + 1);
    if (isSetting(last)) return;
    if ((v === null && /Ms$/.test(last)) || (typeof v === 'number' && Number.isFinite(v)))
      out.push({ path, value: v, unit: figureUnit(path) });
    else if (Array.isArray(v)) {
      if (lists === 'by-name' && depth < MAX_DEPTH)
        for (const [name, x] of byName(v)) walk(`${path}.${name}`, x, depth + 1);
    } else if (v && typeof v === 'object' && depth < MAX_DEPTH)
      for (const [k, x] of Object.entries(v)) walk(`${path}.${k}`, x, depth + 1);
  };
  walk(key, value, 0);
  return out;
}

/** The elements of a list of records by their `name` (else `app`), when each has a distinct one; else none. */
function byName(list: unknown[]): Array<[string, unknown]> {
  for (const label of ['name', 'app']) {
    const names = list.map((x) =>
      x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>)[label] : undefined,
    );
    if (names.every((n): n is string => typeof n === 'string' && n !== '') && new Set(names).size === names.length)
      return list.map((x, i) => [names[i] as string, x]);
  }
  return [];
}

/** An rb_figure point before the engine adds the run, suite and cluster tags and the time. */
export interface FigurePoint extends Omit<Point, 'tags' | 'time' | 'fields'> {
  measurement: 'rb_figure';
  tags: { figure: string; unit: FigureUnit };
  fields: { value: number };
}

/**
 * The rb_figure points of one `ctx.summary(key, value)`: one per figure with a value (lists of
 * records by name, see summaryFigures); none for the keys that hold no suite figures.
 */
export function figurePoints(key: string, value: unknown): FigurePoint[] {
  if (!isSuiteFigureKey(key)) return [];
  return summaryFigures(key, value, 'by-name').flatMap((f) =>
    f.value === null
      ? []
      : [{ measurement: 'rb_figure' as const, tags: { figure: f.path, unit: f.unit }, fields: { value: f.value } }],
  );
}
