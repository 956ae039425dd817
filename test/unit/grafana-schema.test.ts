/**
 * The Grafana dashboards (grafana/) against the one schema: the committed files are what
 * `npm run grafana` generates, every query names only measurements, fields and tags of
 * record/point-schema.ts, and every measurement queried is written by some producer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { schema } from '../../record/point-schema.ts';
import { buildDashboards, generatedFiles, queriesOf, type QueryUse } from '../../grafana/dashboards.ts';
import { INFLUX_DATASOURCE } from '../../grafana/influxql.ts';

const repo = resolve(import.meta.dirname, '..', '..');
const COMMON_TAGS = ['run', 'suite', 'cluster'];
/** The template variables the queries may use; test/cluster/grafana-queries.test.ts substitutes exactly these. */
const VARIABLES = ['timeFilter', '__interval', 'cluster', 'suite', 'run'];
const KEYWORDS = [
  'select',
  'from',
  'where',
  'and',
  'or',
  'group',
  'by',
  'as',
  'show',
  'tag',
  'values',
  'with',
  'key',
  'time',
  'fill',
  'none',
  'null',
  'true',
  'false',
];
const FUNCTIONS = ['mean', 'max', 'min', 'sum', 'count', 'last', 'first', 'percentile'];

interface Refs {
  measurements: string[];
  /** Arguments of functions: must be fields. */
  fields: string[];
  /** GROUP BY and WITH KEY: must be tags. */
  tags: string[];
  /** Plain SELECT columns and WHERE operands: a field or a tag. */
  fieldsOrTags: string[];
  variables: string[];
  /** Bare words that are neither keywords nor functions (an unquoted identifier escapes the check). */
  unknownWords: string[];
}

type Token = { kind: 'ident' | 'string' | 'regex' | 'var' | 'number' | 'word' | 'punct'; text: string };

/** Tokens of the InfluxQL the dashboards use. A regex literal follows `=~` or `!~`. */
function tokenize(q: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const read = (end: string, from: number) => {
    let j = from;
    while (j < q.length && q[j] !== end) j += q[j] === '\\' ? 2 : 1;
    if (j >= q.length) throw new Error(`unterminated ${end} in: ${q}`);
    return j;
  };
  while (i < q.length) {
    const c = q[i]!;
    const prev = out.at(-1)?.text;
    if (/\s/.test(c)) i++;
    else if (c === '"' || c === "'") {
      const j = read(c, i + 1);
      out.push({ kind: c === '"' ? 'ident' : 'string', text: q.slice(i + 1, j) });
      i = j + 1;
    } else if (c === '/' && (prev === '=~' || prev === '!~')) {
      const j = read('/', i + 1);
      out.push({ kind: 'regex', text: q.slice(i + 1, j) });
      i = j + 1;
    } else {
      const m = /^(\$\w+|\d+(?:\.\d+)?[a-z]*|[A-Za-z_]\w*|=~|!~|!=|<=|>=|[(),=<>*/+-])/.exec(q.slice(i));
      if (!m) throw new Error(`cannot tokenize at "${q.slice(i, i + 20)}" in: ${q}`);
      const t = m[1]!;
      const kind = t.startsWith('$') ? 'var' : /^\d/.test(t) ? 'number' : /^\w/.test(t) ? 'word' : 'punct';
      out.push({ kind, text: kind === 'var' ? t.slice(1) : t });
      i += t.length;
    }
  }
  return out;
}

/** What an InfluxQL query references, by clause. */
function references(q: string): Refs {
  const r: Refs = { measurements: [], fields: [], tags: [], fieldsOrTags: [], variables: [], unknownWords: [] };
  const tokens = tokenize(q);
  let clause: 'select' | 'from' | 'with' | 'where' | 'group' | 'fill' = 'select';
  const calls: boolean[] = []; // per open paren: is it a function call
  tokens.forEach((t, i) => {
    const prev = tokens[i - 1];
    const word = t.kind === 'word' ? t.text.toLowerCase() : '';
    if (word === 'from') clause = 'from';
    else if (word === 'with') clause = 'with';
    else if (word === 'where') clause = 'where';
    else if (word === 'group') clause = 'group';
    else if (word === 'fill') clause = 'fill';
    if (t.kind === 'word' && !KEYWORDS.includes(word) && !FUNCTIONS.includes(word)) r.unknownWords.push(t.text);
    if (t.text === '(' && t.kind === 'punct') calls.push(prev?.kind === 'word');
    if (t.text === ')' && t.kind === 'punct') calls.pop();
    if (t.kind === 'var') r.variables.push(t.text);
    if (t.kind === 'regex') for (const m of t.text.matchAll(/\$(\w+)/g)) r.variables.push(m[1]!);
    if (t.kind !== 'ident') return;
    if (prev?.kind === 'word' && prev.text.toLowerCase() === 'as') return; // an alias
    if (clause === 'from') r.measurements.push(t.text);
    else if (clause === 'with' || clause === 'group') r.tags.push(t.text);
    else if (clause === 'select' && calls.includes(true)) r.fields.push(t.text);
    else r.fieldsOrTags.push(t.text);
  });
  return r;
}

/** Everything a query names that the schema does not have (empty when it is sound). */
function problems(use: Pick<QueryUse, 'query' | 'columns'>): string[] {
  const r = references(use.query);
  const out: string[] = [];
  if (r.measurements.length !== 1) out.push(`expected one measurement, got ${JSON.stringify(r.measurements)}`);
  const m = schema[r.measurements[0] as keyof typeof schema];
  if (!m) return [...out, `unknown measurement ${r.measurements[0]}`];
  const fields: readonly string[] = m.fields;
  const tags: readonly string[] = [...m.tags, ...COMMON_TAGS];
  for (const f of r.fields) if (!fields.includes(f)) out.push(`${f} is not a field of ${r.measurements[0]}`);
  for (const t of r.tags) if (!tags.includes(t)) out.push(`${t} is not a tag of ${r.measurements[0]}`);
  for (const x of [...r.fieldsOrTags, ...use.columns])
    if (!fields.includes(x) && !tags.includes(x)) out.push(`${x} is neither a field nor a tag of ${r.measurements[0]}`);
  for (const v of r.variables) if (!VARIABLES.includes(v)) out.push(`unknown variable $${v}`);
  for (const w of r.unknownWords) out.push(`unquoted word ${w}`);
  return out;
}

const dashboards = buildDashboards();
const uses = Object.entries(dashboards).flatMap(([file, d]) => queriesOf(file, d));

describe('grafana/: generated dashboards', () => {
  it('the committed files are exactly what `npm run grafana` generates', () => {
    const files = generatedFiles();
    expect(Object.keys(files).length).toBeGreaterThanOrEqual(4);
    for (const [path, content] of Object.entries(files)) {
      expect(readFileSync(join(repo, 'grafana', path), 'utf8'), `grafana/${path} is stale: run npm run grafana`).toBe(
        content,
      );
    }
    // No dashboard left behind that the generator no longer writes.
    const committed = readdirSync(join(repo, 'grafana', 'dashboards')).map((f) => `dashboards/${f}`);
    expect(committed.sort()).toEqual(
      Object.keys(files)
        .filter((p) => p.startsWith('dashboards/'))
        .sort(),
    );
  });

  it('is deterministic, with fixed unique uids and the provisioned data source everywhere', () => {
    expect(generatedFiles()).toEqual(generatedFiles());
    const uids = Object.values(dashboards).map((d) => d.uid);
    expect(uids).toEqual(['rebuild-bench-rebuild', 'rebuild-bench-admission', 'rebuild-bench-chaos']);
    const provisioned = readFileSync(join(repo, 'grafana', 'provisioning', 'datasources', 'influxdb.yaml'), 'utf8');
    expect(provisioned).toContain(`uid: ${INFLUX_DATASOURCE.uid}`);
    expect(provisioned).toContain('dbName: rebuild_bench');
    expect(provisioned).not.toMatch(/password|token:\s*\S/i);
    expect(provisioned).toContain('httpHeaderValue1: Token ${INFLUX_TOKEN}');
    const refs = [...JSON.stringify(dashboards).matchAll(/"datasource":\{([^}]*)\}/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(uses.length);
    expect(new Set(refs)).toEqual(new Set([`"type":"influxdb","uid":"${INFLUX_DATASOURCE.uid}"`]));
  });

  it('has panels, the cluster/suite/run variables and the fault annotation on every dashboard', () => {
    for (const [file, d] of Object.entries(dashboards)) {
      expect(
        d.templating.list?.map((v) => v.name),
        file,
      ).toEqual(['cluster', 'suite', 'run']);
      expect(uses.filter((u) => u.where.startsWith(file) && u.kind === 'annotation').map((u) => u.query)).toEqual([
        expect.stringContaining('FROM "rb_fault"'),
      ]);
      expect(uses.filter((u) => u.where.startsWith(file) && u.kind === 'panel').length, file).toBeGreaterThanOrEqual(5);
    }
  });

  it("the chaos dashboard shows the suite's figures, its faults and steps, admission probes and restarts", () => {
    const chaos = uses.filter((u) => u.where.startsWith('chaos.json') && u.kind === 'panel');
    const measurements = new Set(chaos.flatMap((u) => references(u.query).measurements));
    expect([...measurements].sort()).toEqual(['rb_admission_probe', 'rb_fault', 'rb_figure', 'rb_phase', 'rb_restart']);
    expect(chaos.find((u) => u.where === 'chaos.json panel "Figures of the run"')?.query).toMatch(
      /^SELECT last\("value"\) AS "value" FROM "rb_figure" .* GROUP BY "run", "figure", "unit"$/,
    );
  });
});

describe('grafana/: every query against record/point-schema.ts', () => {
  it('the checker catches what it should (unknown field, tag, measurement, variable, unquoted name)', () => {
    const bad = (query: string, columns: string[] = []) => problems({ query, columns });
    expect(
      bad(
        'SELECT mean("duration_s") FROM "rb_wave" WHERE "run" =~ /^$run$/ AND $timeFilter GROUP BY time($__interval), "wave"',
      ),
    ).toEqual([]);
    expect(bad('SELECT mean("latency_ms") FROM "rb_wave"')).toEqual(['latency_ms is not a field of rb_wave']);
    expect(bad('SELECT mean("wave") FROM "rb_wave"')).toEqual(['wave is not a field of rb_wave']);
    expect(bad('SELECT "apps" FROM "rb_wave" GROUP BY "app"')).toEqual(['app is not a tag of rb_wave']);
    expect(bad('SELECT "apps" FROM "rb_wave" WHERE "nope" = \'x\'')).toEqual([
      'nope is neither a field nor a tag of rb_wave',
    ]);
    expect(bad('SELECT "apps" FROM "rb_waves"')).toEqual(['unknown measurement rb_waves']);
    expect(bad('SELECT "apps" FROM "rb_wave" WHERE "run" =~ /^$runs$/')).toEqual(['unknown variable $runs']);
    expect(bad('SELECT apps FROM "rb_wave"')).toEqual(['unquoted word apps']);
    expect(bad('SHOW TAG VALUES FROM "rb_phase" WITH KEY = "phase_x"')).toEqual(['phase_x is not a tag of rb_phase']);
    expect(bad('SELECT "title" FROM "rb_fault"', ['title', 'faults'])).toEqual([
      'faults is neither a field nor a tag of rb_fault',
    ]);
  });

  it.each(uses.map((u) => [u.where, u] as const))('%s', (_where, use) => {
    expect(problems(use), use.query).toEqual([]);
  });

  it('every measurement queried is written by a producer (collectors/, engine/, suites/, the record/ point builders)', () => {
    // rb_figure points are built by record/figure-points.ts and written by the engine (ctx.summary).
    expect(readFileSync(join(repo, 'engine', 'live-run.ts'), 'utf8')).toMatch(/figurePoints\(key, value\)/);
    const sources = ['collectors', 'engine', 'suites']
      .flatMap((dir) => readdirSync(join(repo, dir), { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)))
      .filter((f) => f.endsWith('.ts'))
      .concat(['record/figure-points.ts', 'record/run-points.ts'])
      .map((f) => readFileSync(join(repo, f), 'utf8'))
      .join('\n');
    const queried = [...new Set(uses.flatMap((u) => references(u.query).measurements))].sort();
    expect(queried).toEqual(
      [
        'rb_admission_fail_open',
        'rb_admission_probe',
        'rb_admission_rejection',
        'rb_admission_webhook',
        'rb_fault',
        'rb_figure',
        'rb_phase',
        'rb_rebuild',
        'rb_restart',
        'rb_wave',
      ].sort(),
    );
    for (const m of queried)
      expect(sources, `no producer writes measurement: '${m}'`).toMatch(new RegExp(`measurement: '${m}'`));
  });
});
