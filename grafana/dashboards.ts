/**
 * Every file `npm run grafana` writes, built in memory: the dashboards (with the shared variables,
 * fault annotation and links) as stable JSON, and the provisioning files.
 */
import {
  DashboardLinkBuilder,
  DashboardLinkType,
  type Dashboard,
  type DashboardBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { admissionDashboard } from './admission.ts';
import { chaosDashboard } from './chaos.ts';
import type { InfluxQLQuery } from './influxql.ts';
import { dashboardsYaml, datasourceYaml } from './provisioning.ts';
import { rebuildDashboard } from './rebuild.ts';
import { faultAnnotation, variables } from './variables.ts';

const TAG = 'rebuild-bench';

function finish(builder: DashboardBuilder): Dashboard {
  const d = builder
    .tags([TAG])
    .timezone('browser')
    .variables(variables())
    .annotations([faultAnnotation()])
    .link(
      new DashboardLinkBuilder('rebuild-bench')
        .type(DashboardLinkType.Dashboards)
        .tags([TAG])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    )
    .build();
  // Fixed panel ids in layout order (Grafana would otherwise assign them on load).
  (d.panels ?? []).forEach((p, i) => (p.id = i + 1));
  return d;
}

/** The dashboards by file name under grafana/dashboards/. */
export function buildDashboards(): Record<string, Dashboard> {
  return {
    'rebuild.json': finish(rebuildDashboard()),
    'admission.json': finish(admissionDashboard()),
    'chaos.json': finish(chaosDashboard()),
  };
}

/** JSON with keys sorted at every level, so the output depends on content, not on build order. */
export function stableJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .filter((k) => typeof (v as Record<string, unknown>)[k] !== 'function')
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}

/** Path under grafana/ → file content. */
export function generatedFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, d] of Object.entries(buildDashboards())) files[`dashboards/${name}`] = stableJson(d);
  files['provisioning/datasources/influxdb.yaml'] = datasourceYaml;
  files['provisioning/dashboards/rebuild-bench.yaml'] = dashboardsYaml;
  return files;
}

export interface QueryUse {
  /** e.g. `rebuild.json panel "Runs"`. */
  where: string;
  kind: 'panel' | 'variable' | 'annotation';
  query: string;
  /** Columns an annotation reads (its text and tags columns). */
  columns: string[];
}

/** Every InfluxQL query of a dashboard: panel targets, variable queries, annotation targets. */
export function queriesOf(file: string, d: Dashboard): QueryUse[] {
  const out: QueryUse[] = [];
  for (const p of d.panels ?? []) {
    if (!('targets' in p)) continue;
    for (const t of (p.targets ?? []) as unknown as InfluxQLQuery[])
      out.push({ where: `${file} panel "${p.title}"`, kind: 'panel', query: t.query, columns: [] });
  }
  for (const v of d.templating.list ?? []) {
    if (typeof v.query === 'string')
      out.push({ where: `${file} variable $${v.name}`, kind: 'variable', query: v.query, columns: [] });
  }
  for (const a of d.annotations.list ?? []) {
    const t = a.target as unknown as InfluxQLQuery;
    const columns = [t.textColumn ?? '', ...(t.tagsColumn ?? '').split(',')].filter(Boolean);
    out.push({ where: `${file} annotation "${a.name}"`, kind: 'annotation', query: t.query, columns });
  }
  return out;
}
