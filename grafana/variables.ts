/** Template variables and the fault annotation every dashboard shares. */
import {
  AnnotationQueryBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { INFLUX_DATASOURCE, InfluxQLQueryBuilder, chosenRuns } from './influxql.ts';

/** Every run writes rb_phase points, so its tag values list every cluster, suite and run. */
const tagValues = (key: string, where = '') =>
  `SHOW TAG VALUES FROM "rb_phase" WITH KEY = "${key}"${where ? ` WHERE ${where}` : ''}`;

function variable(name: string, label: string, query: string) {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(INFLUX_DATASOURCE)
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnDashboardLoad);
}

export const variables = () => [
  variable('cluster', 'Cluster', tagValues('cluster')).sort(VariableSort.AlphabeticalAsc),
  variable('suite', 'Suite', tagValues('suite', `"cluster" =~ /^$cluster$/`)).sort(VariableSort.AlphabeticalAsc),
  // Run ids sort by time: newest first, so the default selection is the latest run.
  variable('run', 'Run', tagValues('run', `"suite" =~ /^$suite$/ AND "cluster" =~ /^$cluster$/`))
    .sort(VariableSort.AlphabeticalDesc)
    .multi(true),
];

/** Each fault applied or rolled back, as an annotation titled with the fault's title. */
export const faultAnnotation = () =>
  new AnnotationQueryBuilder()
    .name('Faults')
    .datasource(INFLUX_DATASOURCE)
    .enable(true)
    .iconColor('red')
    .target(
      new InfluxQLQueryBuilder(`SELECT "title", "fault", "fault_id", "event" FROM "rb_fault" WHERE ${chosenRuns}`)
        .refId('Faults')
        .resultFormat('table')
        .annotation('title', ['fault', 'fault_id', 'event']),
    );
