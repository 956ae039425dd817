/**
 * The chaos dashboard: one chaos run (or a few) at a time: the suite's own figures (rb_figure), its
 * steps and faults, admission while the fault held, and the restarts it caused.
 */
import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { chosenRuns } from './influxql.ts';
import { barChart, table, timeSeries } from './panels.ts';

export const CHAOS_UID = 'rebuild-bench-chaos';

/** Hides the Time column of a table whose rows are not about a moment (a figure, a total). */
const hideTime = { id: 'organize', options: { excludeByName: { Time: true } } };

const figures = () =>
  table({
    title: 'Figures of the run',
    description:
      "The suite's own figures (what it publishes with ctx.summary, the report's Figures; rb_figure): each by its dotted path, with its unit (ms, count, share of 1, per_s).",
    query: `SELECT last("value") AS "value" FROM "rb_figure" WHERE ${chosenRuns} GROUP BY "run", "figure", "unit"`,
    width: 14,
    height: 12,
  }).withTransformation(hideTime);

const durations = () =>
  barChart({
    title: 'Durations the suite measured',
    description:
      'The figures in ms (time to recovery, until the breaker, until a Deployment was Ready, latencies), in seconds; with several runs chosen, the newest.',
    query: `SELECT last("value") / 1000 AS "seconds" FROM "rb_figure" WHERE ${chosenRuns} AND "unit" = 'ms' GROUP BY "figure"`,
    xField: 'figure',
    unit: 's',
    width: 10,
    height: 12,
  });

const faults = () =>
  table({
    title: 'Faults',
    description:
      'Each fault applied and rolled back (rb_fault), at the time it happened; the same marks as the annotation.',
    query: `SELECT "title" FROM "rb_fault" WHERE ${chosenRuns} GROUP BY "run", "fault_id", "fault", "event"`,
    width: 12,
  });

const steps = () =>
  table({
    title: 'Steps',
    description: 'Each step of the suite (rb_phase) at its end: how long it took and how it ended.',
    query: `SELECT "duration_s" FROM "rb_phase" WHERE ${chosenRuns} GROUP BY "run", "phase", "parent", "status"`,
    unit: 's',
    width: 12,
  });

const probeLatency = () =>
  timeSeries({
    title: 'Admission probe latency',
    description:
      'Round trip of the dry-run pod create probe (rb_admission_probe.latency_ms), median and slowest per interval, by outcome: a webhook timing out shows as a plateau at its timeout.',
    query: `SELECT percentile("latency_ms", 50) AS "p50", max("latency_ms") AS "max" FROM "rb_admission_probe" WHERE ${chosenRuns} GROUP BY time($__interval), "outcome" fill(none)`,
    alias: '$col $tag_outcome',
    unit: 'ms',
    width: 12,
  });

const probeOutcomes = () =>
  timeSeries({
    title: 'Probes admitted and rejected',
    description: 'Probes per interval by outcome (admitted, rejected, error): the rejections over time.',
    query: `SELECT count("latency_ms") AS "probes" FROM "rb_admission_probe" WHERE ${chosenRuns} GROUP BY time($__interval), "outcome" fill(none)`,
    alias: '$tag_outcome',
    unit: 'short',
    bars: true,
    width: 6,
  });

const rejectionReasons = () =>
  table({
    title: 'Rejected probes by reason',
    description:
      'Probes not admitted, by outcome and reason (webhook-timeout:<webhook>, webhook-unreachable:<webhook>, denied:<webhook>, …), and the slowest of them.',
    query: `SELECT count("latency_ms") AS "probes", max("latency_ms") AS "slowest_ms" FROM "rb_admission_probe" WHERE ${chosenRuns} AND "outcome" != 'admitted' GROUP BY "outcome", "reason"`,
    width: 6,
  }).withTransformation(hideTime);

const restartsOverTime = () =>
  timeSeries({
    title: 'Restarts by app',
    description: 'Container restarts per interval (rb_restart), by Application: who fell over while the fault held.',
    query: `SELECT count("restart_count") AS "restarts" FROM "rb_restart" WHERE ${chosenRuns} GROUP BY time($__interval), "app" fill(none)`,
    alias: '$tag_app',
    unit: 'short',
    bars: true,
    width: 10,
  });

const restartsByCause = () =>
  table({
    title: 'Restarts by app and fault',
    description:
      'Restarts of each Application, their class (dependency: a lower wave was not Healthy) and reason, and the fault active when they happened; the highest restart count reached.',
    query: `SELECT count("restart_count") AS "restarts", max("restart_count") AS "max_restart_count" FROM "rb_restart" WHERE ${chosenRuns} GROUP BY "app", "classification", "reason", "fault"`,
    width: 8,
  }).withTransformation(hideTime);

const crashLoops = () =>
  table({
    title: 'CrashLoopBackOff',
    description: 'Restarts seen while the container was in CrashLoopBackOff, by Application.',
    query: `SELECT count("restart_count") AS "crash_loops" FROM "rb_restart" WHERE ${chosenRuns} AND "crash_loop" = true GROUP BY "app"`,
    width: 6,
  }).withTransformation(hideTime);

export const chaosDashboard = () =>
  new DashboardBuilder('rebuild-bench · Chaos')
    .uid(CHAOS_UID)
    .description(
      "A chaos run: the suite's own figures, its steps and faults, admission while the fault held and the restarts it caused, from rebuild-bench points in InfluxDB.",
    )
    .time({ from: 'now-6h', to: 'now' })
    .withRow(new RowBuilder('Figures'))
    .withPanel(figures())
    .withPanel(durations())
    .withRow(new RowBuilder('Faults and steps'))
    .withPanel(faults())
    .withPanel(steps())
    .withRow(new RowBuilder('Admission'))
    .withPanel(probeLatency())
    .withPanel(probeOutcomes())
    .withPanel(rejectionReasons())
    .withRow(new RowBuilder('Restarts'))
    .withPanel(restartsOverTime())
    .withPanel(restartsByCause())
    .withPanel(crashLoops());
