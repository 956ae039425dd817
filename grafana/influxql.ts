/**
 * A raw InfluxQL query for Grafana's InfluxDB data source. The foundation SDK has builders for
 * Prometheus, Loki, … but none for InfluxDB, so this is the small one it lacks (the fields of
 * Grafana's InfluxQuery that a raw query needs).
 */
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

/** The provisioned data source (grafana/provisioning/datasources/influxdb.yaml). */
export const INFLUX_DATASOURCE: DataSourceRef = { type: 'influxdb', uid: 'rebuild-bench-influx' };

export type ResultFormat = 'time_series' | 'table';

export interface InfluxQLQuery extends Dataquery {
  refId: string;
  datasource: DataSourceRef;
  query: string;
  rawQuery: true;
  resultFormat: ResultFormat;
  /** Series name, e.g. `$col $tag_wave` (time series only). */
  alias?: string;
  /** Annotation queries only: which columns become the text and the tags of an annotation. */
  fromAnnotations?: true;
  textColumn?: string;
  tagsColumn?: string;
}

export class InfluxQLQueryBuilder implements Builder<Dataquery> {
  private readonly internal: InfluxQLQuery;

  constructor(query: string) {
    this.internal = {
      refId: 'A',
      datasource: { ...INFLUX_DATASOURCE },
      query,
      rawQuery: true,
      resultFormat: 'time_series',
      _implementsDataqueryVariant() {},
    };
  }

  build(): InfluxQLQuery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  resultFormat(format: ResultFormat): this {
    this.internal.resultFormat = format;
    return this;
  }

  alias(alias: string): this {
    this.internal.alias = alias;
    return this;
  }

  /** Marks the query as an annotation query: `textColumn` becomes the text, `tagsColumns` the tags. */
  annotation(textColumn: string, tagsColumns: string[]): this {
    this.internal.fromAnnotations = true;
    this.internal.textColumn = textColumn;
    this.internal.tagsColumn = tagsColumns.join(',');
    return this;
  }
}

/** `"tag" =~ /^$var$/`: matches the variable's value(s); Grafana escapes and joins them as a regex. */
export const matchVar = (tag: string, variable = tag) => `"${tag}" =~ /^$${variable}$/`;

/** WHERE clause of the trend panels: every run of the chosen cluster and suite in the time range. */
export const acrossRuns = `${matchVar('cluster')} AND ${matchVar('suite')} AND $timeFilter`;

/** WHERE clause of the per-run panels: the chosen run(s). */
export const chosenRuns = `${matchVar('cluster')} AND ${matchVar('suite')} AND ${matchVar('run')} AND $timeFilter`;
