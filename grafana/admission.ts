/** The admission dashboard: probe latency, rejections and webhook latency of the selected run(s). */
import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { chosenRuns } from './influxql.ts';
import { table, timeSeries } from './panels.ts';

export const ADMISSION_UID = 'rebuild-bench-admission';

const probeLatency = () =>
  timeSeries({
    title: 'Admission latency p50 / p99',
    description: 'Round trip of the dry-run pod create probe (rb_admission_probe.latency_ms), by outcome.',
    query: `SELECT percentile("latency_ms", 50) AS "p50", percentile("latency_ms", 99) AS "p99" FROM "rb_admission_probe" WHERE ${chosenRuns} GROUP BY time($__interval), "outcome" fill(none)`,
    alias: '$col $tag_outcome',
    unit: 'ms',
    width: 16,
  });

const probeOutcomes = () =>
  timeSeries({
    title: 'Probes by outcome',
    description: 'Probes per interval: admitted, rejected or error.',
    query: `SELECT count("latency_ms") AS "probes" FROM "rb_admission_probe" WHERE ${chosenRuns} GROUP BY time($__interval), "outcome" fill(none)`,
    alias: '$tag_outcome',
    unit: 'short',
    bars: true,
    width: 8,
  });

const rejectionsOverTime = () =>
  timeSeries({
    title: 'Rejections per webhook',
    description:
      'Rejections from apiserver_admission_webhook_rejection_count (rb_admission_rejection.count) by webhook, error type and HTTP code.',
    query: `SELECT sum("count") AS "rejections" FROM "rb_admission_rejection" WHERE ${chosenRuns} GROUP BY time($__interval), "webhook", "error_type", "code" fill(none)`,
    alias: '$tag_webhook $tag_error_type $tag_code',
    unit: 'short',
    bars: true,
    width: 16,
  });

const rejectionTotals = () =>
  table({
    title: 'Rejections per webhook, total',
    description: 'Rejections of the selected run(s) in the time range, summed.',
    query: `SELECT sum("count") AS "rejections" FROM "rb_admission_rejection" WHERE ${chosenRuns} GROUP BY "webhook", "error_type", "code"`,
    width: 8,
  });

const webhookP99 = () =>
  timeSeries({
    title: 'Webhook latency p99',
    description:
      'Per-webhook p99 estimated from apiserver_admission_webhook_admission_duration_seconds (rb_admission_webhook.p99_s), per scrape interval.',
    query: `SELECT max("p99_s") AS "p99" FROM "rb_admission_webhook" WHERE ${chosenRuns} GROUP BY time($__interval), "webhook", "type" fill(none)`,
    alias: '$tag_webhook ($tag_type)',
    unit: 's',
    width: 16,
  });

const webhookCalls = () =>
  table({
    title: 'Webhook calls and worst p99',
    description: 'Calls per webhook, operation outcome (rejected or not) and the worst p99 seen.',
    query: `SELECT sum("count") AS "calls", max("p99_s") AS "worst_p99_s" FROM "rb_admission_webhook" WHERE ${chosenRuns} GROUP BY "webhook", "type", "rejected"`,
    width: 8,
  });

const failOpen = () =>
  timeSeries({
    title: 'Fail-open fall-throughs per webhook',
    description: 'Calls that fell through a webhook with failurePolicy: Ignore (rb_admission_fail_open.count).',
    query: `SELECT sum("count") AS "fail_open" FROM "rb_admission_fail_open" WHERE ${chosenRuns} GROUP BY time($__interval), "webhook" fill(none)`,
    alias: '$tag_webhook',
    unit: 'short',
    bars: true,
    width: 24,
  });

export const admissionDashboard = () =>
  new DashboardBuilder('rebuild-bench · Admission')
    .uid(ADMISSION_UID)
    .description(
      'Admission latency and rejections while faults hit the webhooks, from rebuild-bench points in InfluxDB.',
    )
    .time({ from: 'now-6h', to: 'now' })
    .withRow(new RowBuilder('Probe'))
    .withPanel(probeLatency())
    .withPanel(probeOutcomes())
    .withRow(new RowBuilder('Webhooks'))
    .withPanel(rejectionsOverTime())
    .withPanel(rejectionTotals())
    .withPanel(webhookP99())
    .withPanel(webhookCalls())
    .withPanel(failOpen());
