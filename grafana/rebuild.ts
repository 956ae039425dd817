/** The rebuild dashboard: rebuild time per run against the target, waves, restarts. */
import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { LineStyleBuilder } from '@grafana/grafana-foundation-sdk/common';
import { acrossRuns, chosenRuns } from './influxql.ts';
import { barChart, table, timeSeries } from './panels.ts';

export const REBUILD_UID = 'rebuild-bench-rebuild';

const dashed = () => ({ id: 'custom.lineStyle', value: new LineStyleBuilder().fill('dash').dash([10, 10]).build() });

const rebuildTime = () =>
  timeSeries({
    title: 'Rebuild time per run against the target',
    description:
      'Destroy to every Application Synced and Healthy (rb_rebuild.total_s), one point per run; the shaded band is the target window.',
    query: `SELECT "total_s" / 60 AS "rebuild", "target_min_s" / 60 AS "target_min", "target_max_s" / 60 AS "target_max" FROM "rb_rebuild" WHERE ${acrossRuns}`,
    alias: '$col',
    unit: 'm',
    width: 16,
    height: 9,
  })
    .min(0)
    .overrideByName('rebuild', [
      { id: 'custom.pointSize', value: 10 },
      { id: 'custom.lineWidth', value: 0 },
      { id: 'color', value: { mode: 'fixed', fixedColor: 'blue' } },
    ])
    .overrideByName('target_min', [
      dashed(),
      { id: 'custom.showPoints', value: 'never' },
      { id: 'color', value: { mode: 'fixed', fixedColor: 'green' } },
    ])
    .overrideByName('target_max', [
      dashed(),
      { id: 'custom.showPoints', value: 'never' },
      { id: 'custom.fillBelowTo', value: 'target_min' },
      { id: 'custom.fillOpacity', value: 15 },
      { id: 'color', value: { mode: 'fixed', fixedColor: 'green' } },
    ]);

const runs = () =>
  table({
    title: 'Runs',
    description:
      'Every rebuild in the time range: minutes, target window, outcome, restarts and CrashLoopBackOff entries.',
    query: `SELECT "total_s" / 60 AS "minutes", "target_min_s" / 60 AS "target_min", "target_max_s" / 60 AS "target_max", "restarts", "crash_loops" FROM "rb_rebuild" WHERE ${acrossRuns} GROUP BY "run", "outcome"`,
    width: 8,
    height: 9,
  });

const waveTrend = () =>
  timeSeries({
    title: 'Wave durations over time',
    description: 'How long each sync wave took (rb_wave.duration_s: first app syncing to last app healthy), per run.',
    query: `SELECT mean("duration_s") AS "duration" FROM "rb_wave" WHERE ${acrossRuns} GROUP BY time($__interval), "wave" fill(none)`,
    alias: 'wave $tag_wave',
    unit: 's',
    width: 14,
  });

const wavesOfRun = () =>
  table({
    title: 'Waves of the selected run',
    description: 'Start and end since the collector started, duration, apps and the slowest app of each wave.',
    query: `SELECT "start_s", "end_s", "duration_s", "apps", "slowest_app" FROM "rb_wave" WHERE ${chosenRuns} GROUP BY "run", "wave"`,
    width: 10,
  });

const restartsPerRun = () =>
  barChart({
    title: 'Restarts and CrashLoopBackOff per run',
    description:
      'Container restarts and CrashLoopBackOff entries during each bootstrap (rb_rebuild.restarts, rb_rebuild.crash_loops).',
    query: `SELECT last("restarts") AS "restarts", last("crash_loops") AS "crash_loops" FROM "rb_rebuild" WHERE ${acrossRuns} GROUP BY "run"`,
    xField: 'run',
    width: 10,
  });

const restartsByCause = () =>
  table({
    title: 'Restarts of the selected run by cause',
    description:
      'dependency: the container restarted before its lower waves were healthy (waiting on a dependency); other: anything else.',
    query: `SELECT count("restart_count") AS "restarts" FROM "rb_restart" WHERE ${chosenRuns} GROUP BY "classification", "reason"`,
    width: 5,
  });

const restartedContainers = () =>
  table({
    title: 'Restarted containers',
    description:
      'Each restart of the selected run: restart count after it and whether the container was in CrashLoopBackOff.',
    query: `SELECT "restart_count", "crash_loop" FROM "rb_restart" WHERE ${chosenRuns} GROUP BY "namespace", "pod", "container", "app", "reason", "classification"`,
    width: 9,
  });

export const rebuildDashboard = () =>
  new DashboardBuilder('rebuild-bench · Rebuild')
    .uid(REBUILD_UID)
    .description(
      'Rebuild time per run against the target window, sync waves and restarts, from rebuild-bench points in InfluxDB.',
    )
    .time({ from: 'now-30d', to: 'now' })
    .withRow(new RowBuilder('Rebuild time'))
    .withPanel(rebuildTime())
    .withPanel(runs())
    .withRow(new RowBuilder('Sync waves'))
    .withPanel(waveTrend())
    .withPanel(wavesOfRun())
    .withRow(new RowBuilder('Restarts'))
    .withPanel(restartsPerRun())
    .withPanel(restartsByCause())
    .withPanel(restartedContainers());
