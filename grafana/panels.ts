/** Panel factories with the options the dashboards share; every panel queries the InfluxDB data source. */
import {
  GraphDrawStyle,
  LegendDisplayMode,
  LegendPlacement,
  SortOrder,
  StackingMode,
  TooltipDisplayMode,
  VisibilityMode,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
  StackingConfigBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import { PanelBuilder as BarChartBuilder } from '@grafana/grafana-foundation-sdk/barchart';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { INFLUX_DATASOURCE, InfluxQLQueryBuilder } from './influxql.ts';

interface PanelSpec {
  title: string;
  description: string;
  query: string;
  /** Grid width out of 24. */
  width: number;
  height?: number;
  unit?: string;
}

const legend = () =>
  new VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(LegendDisplayMode.List)
    .placement(LegendPlacement.Bottom)
    .calcs([]);
const tooltip = () => new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending);

/** A time series; `alias` names each series (`$col`, `$tag_<key>`). */
export function timeSeries(spec: PanelSpec & { alias: string; bars?: boolean }) {
  const p = new TimeSeriesBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(INFLUX_DATASOURCE)
    .withTarget(new InfluxQLQueryBuilder(spec.query).alias(spec.alias))
    .span(spec.width)
    .height(spec.height ?? 8)
    .legend(legend())
    .tooltip(tooltip())
    // Points are sparse (one per run, or per scrape): show them and join across gaps.
    .showPoints(VisibilityMode.Always)
    .pointSize(6)
    .spanNulls(true);
  if (spec.unit) p.unit(spec.unit);
  if (spec.bars)
    p.drawStyle(GraphDrawStyle.Bars).fillOpacity(80).stacking(new StackingConfigBuilder().mode(StackingMode.Normal));
  return p;
}

/** A table of an InfluxQL `table` result (tag keys of GROUP BY become columns). */
export function table(spec: PanelSpec) {
  const p = new TableBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(INFLUX_DATASOURCE)
    .withTarget(new InfluxQLQueryBuilder(spec.query).resultFormat('table'))
    .span(spec.width)
    .height(spec.height ?? 8);
  if (spec.unit) p.unit(spec.unit);
  return p;
}

/** Bars per value of the `xField` column (a GROUP BY tag) of a `table` result. */
export function barChart(spec: PanelSpec & { xField: string }) {
  const p = new BarChartBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(INFLUX_DATASOURCE)
    .withTarget(new InfluxQLQueryBuilder(spec.query).resultFormat('table'))
    .withTransformation({ id: 'organize', options: { excludeByName: { Time: true } } })
    .span(spec.width)
    .height(spec.height ?? 8)
    .xField(spec.xField)
    .showValue(VisibilityMode.Auto)
    .legend(legend())
    .tooltip(tooltip());
  if (spec.unit) p.unit(spec.unit);
  return p;
}
