/**
 * The one schema for points: the same measurement, tag and field names in the run store
 * (points.lp), InfluxDB, reports and Grafana. docs/metrics.md documents each; a test holds the
 * two together. Every point also carries the tags run, suite and cluster.
 */
import type { Point } from './point.ts';

export const schema = {
  rb_phase: { tags: ['phase', 'parent', 'status'], fields: ['duration_s'], what: 'a suite step ended' },
  rb_fault: { tags: ['fault', 'fault_id', 'event'], fields: ['title'], what: 'a fault was applied or rolled back' },
  rb_app: {
    tags: ['app', 'wave', 'event', 'source'],
    fields: ['offset_s'],
    what: 'an Application transition: event first_seen | sync_started | synced | healthy | degraded; source watch | object',
  },
  rb_wave: {
    tags: ['wave'],
    fields: ['start_s', 'end_s', 'duration_s', 'apps', 'slowest_app'],
    what: 'a sync wave, at the end of the run',
  },
  rb_ordering_violation: {
    tags: ['app', 'wave', 'blocking_wave'],
    fields: ['early_s'],
    what: 'an app started before the previous wave was healthy',
  },
  rb_restart: {
    tags: ['namespace', 'pod', 'container', 'app', 'wave', 'reason', 'classification', 'fault'],
    fields: ['restart_count', 'crash_loop'],
    what: 'a container restart (reason Error | OOMKilled | …; classification dependency | other)',
  },
  rb_pod_latency: {
    tags: ['namespace', 'pod', 'app', 'wave', 'timed_by'],
    fields: [
      'scheduled_ms',
      'initialized_ms',
      'pulled_ms',
      'started_ms',
      'containers_ready_ms',
      'ready_ms',
      'pull_ms',
      'restarts',
      'crash_loop_ms',
    ],
    what: 'a pod created during the run, at its creation: ms from creation to each phase it reached; pull_ms the wall time of its image pulls; timed_by watch | object | relist',
  },
  rb_pod_quantiles: {
    tags: ['group', 'key', 'phase'],
    fields: ['pods', 'p50_ms', 'p90_ms', 'p99_ms', 'max_ms'],
    what: 'pod latency per app or per wave (group app | wave, key its name or number) and phase (scheduled | initialized | pulled | started | containersReady | ready, from creation; pull, startup: durations)',
  },
  rb_critical_path: {
    tags: ['app', 'wave', 'kind', 'waited_for', 'position'],
    fields: [
      'from_s',
      'to_s',
      'duration_s',
      'share',
      'saves_s',
      'gap_before_s',
      'sync_s',
      'scheduling_s',
      'setup_s',
      'pulls_s',
      'dependency_s',
      'startup_s',
      'health_s',
    ],
    what: "a link of a rebuild's critical path, at its start: the app, what released it (kind start | after-dependency | released), its span and parts",
  },
  rb_admission_probe: {
    tags: ['outcome', 'mutated', 'reason'],
    fields: ['latency_ms'],
    what: 'one dry-run pod create (outcome admitted | rejected | error)',
  },
  rb_admission_webhook: {
    tags: ['webhook', 'type', 'operation', 'rejected'],
    fields: ['count', 'sum_s', 'p50_s', 'p99_s'],
    what: 'per-webhook latency delta from /metrics',
  },
  rb_admission_rejection: {
    tags: ['webhook', 'error_type', 'code'],
    fields: ['count'],
    what: 'rejections by error_type (delta from /metrics)',
  },
  rb_admission_fail_open: { tags: ['webhook'], fields: ['count'], what: 'Ignore fall-throughs (delta from /metrics)' },
  rb_rebuild: {
    tags: ['outcome', 'time'],
    fields: ['total_s', 'target_min_s', 'target_max_s', 'restarts', 'crash_loops'],
    what: 'one per rebuild run, at its end: outcome (follows the verdict) ahead | on-target | crash-looped (in time, but apps crash-looped) | missed | did-not-finish; time: the same judged on time alone (total_s absent when it did not finish)',
  },
  rb_k6: {
    tags: ['metric', 'name', 'method', 'status', 'expected_response', 'outcome', 'scenario', 'error_code'],
    fields: ['value'],
    what: "a k6 sample (admission load), from k6's JSON output",
  },
  rb_event: {
    tags: ['namespace', 'kind', 'name', 'reason', 'type'],
    fields: ['message', 'count'],
    what: 'a Warning event or an Argo CD Application event (deduplicated)',
  },
  rb_figure: {
    tags: ['figure', 'unit'],
    fields: ['value'],
    what: "a suite's own figure (ctx.summary), one per numeric leaf: figure its dotted path (paralysis.admission.rejectionRate), unit ms | count | share | per_s",
  },
} as const;

export type Measurement = keyof typeof schema;

/** The tags the engine adds to every point. */
export const COMMON_TAGS = ['run', 'suite', 'cluster'] as const;

/**
 * What a point has that the schema does not allow (empty when it conforms): an unknown
 * measurement, a tag or field the measurement does not have, no field at all, a number that is
 * not finite (line protocol cannot write it).
 */
export function schemaProblems(p: Pick<Point, 'measurement' | 'tags' | 'fields'>): string[] {
  if (!(p.measurement in schema)) return [`unknown measurement ${p.measurement}`];
  const m = schema[p.measurement as Measurement];
  const tags: readonly string[] = [...m.tags, ...COMMON_TAGS];
  const fields: readonly string[] = m.fields;
  const out: string[] = [];
  for (const t of Object.keys(p.tags)) if (!tags.includes(t)) out.push(`${t} is not a tag of ${p.measurement}`);
  for (const [f, v] of Object.entries(p.fields)) {
    if (!fields.includes(f)) out.push(`${f} is not a field of ${p.measurement}`);
    else if (typeof v === 'number' && !Number.isFinite(v)) out.push(`${p.measurement}.${f} is ${v}`);
  }
  if (Object.keys(p.fields).length === 0) out.push(`${p.measurement} has no field`);
  return out;
}
