import type { RestartsSummary, WavesSummary } from '../record/summaries.ts';
import type { RunRecord } from '../record/run-record.ts';
import type { Point } from '../record/point.ts';
import { isSuiteFigureKey, summaryFigures, type MetricUnit } from '../record/figure-points.ts';
import { argocdText, buildReport } from './model.ts';

/** What a comparison needs from one stored run: its setup and its figures (ms and counts). */
export interface RunFeatures {
  id: string;
  suite: string;
  cluster: string;
  startedAt: string;
  status: string;
  valid: boolean;
  invalidReasons: string[];
  serverVersion: string | null;
  /** "v3.2.11 (real)", "twin (emulated)", "unknown". */
  argocd: string;
  /** The suite options, keys sorted, as compared for like-for-like. */
  options: Record<string, unknown>;
  /** Destroy → every Application Healthy for a rebuild; the run's duration otherwise. */
  totalMs: number | null;
  /** Top-level step → duration. */
  phases: Record<string, number>;
  /** Wave → duration (first sync start to last Healthy in the wave). */
  waves: Record<string, number>;
  restarts: number | null;
  crashLoops: number | null;
  admissionP50Ms: number | null;
  admissionP99Ms: number | null;
  /** Whether argocd-cm makes waves gate on health (null: unknown). */
  healthCheck: boolean | null;
  /** A rebuild: whether it met its target window (null: not a rebuild). */
  targetMet: boolean | null;
  /** The suite's verdict (passed, failed, aborted, error; null: none). */
  verdict: string | null;
  /** The suite's own numeric figures (ctx.summary, flattened: `paralysis.admission.rejectionRate`). */
  figures: Record<string, { value: number | null; unit: MetricUnit }>;
  /** App → its wave, time to Healthy from the clock start (null: never), and its CrashLoopBackOff entries. */
  apps: Record<string, { wave: number; healthyMs: number | null; crashLoops: number }>;
}

export function runFeatures(record: RunRecord, points: Point[] = []): RunFeatures {
  const m = buildReport(record, points);
  const collectors = (record.summary.collectors ?? {}) as { waves?: WavesSummary; restarts?: RestartsSummary };
  const { waves, restarts } = collectors;
  const crashByApp = new Map((restarts?.byApp ?? []).map((a) => [a.app, a.crashLoops]));
  const apps: RunFeatures['apps'] = {};
  for (const a of waves?.apps ?? []) {
    apps[a.name] = {
      wave: a.wave,
      healthyMs: a.healthy ? a.healthy.t - m.clock.start : null,
      crashLoops: crashByApp.get(a.name) ?? 0,
    };
  }
  const phases: Record<string, number> = {};
  for (const p of m.phases) if (p.parents.length === 0 && p.durationMs !== null) phases[p.name] = p.durationMs;
  const waveDurations: Record<string, number> = {};
  for (const w of m.waves?.rows ?? []) if (w.durationMs !== null) waveDurations[String(w.wave)] = w.durationMs;
  return {
    id: record.id,
    suite: record.suite.name,
    cluster: record.cluster.name,
    startedAt: record.startedAt,
    status: record.status,
    valid: record.validity.valid && record.status === 'completed',
    invalidReasons: [...record.validity.reasons, ...(record.status === 'completed' ? [] : [`status ${record.status}`])],
    serverVersion: record.cluster.serverVersion,
    argocd: argocdText(m.meta.argocd),
    options: m.meta.options,
    totalMs: m.target ? m.target.totalMs : record.durationMs,
    phases,
    waves: waveDurations,
    restarts: m.restarts?.restarts ?? null,
    crashLoops: m.restarts?.crashLoopBackOff ?? null,
    admissionP50Ms: m.admission?.latencyMs?.p50 ?? null,
    admissionP99Ms: m.admission?.latencyMs?.p99 ?? null,
    healthCheck: m.waves?.healthCheck ?? null,
    targetMet: m.target ? m.target.outcome === 'ahead' || m.target.outcome === 'on-target' : null,
    verdict: record.verdict?.outcome ?? null,
    figures: {
      ...suiteFigures(record.summary),
      ...(m.recovery ? { steadyStateAfterRevertMs: { value: m.recovery.afterMs, unit: 'ms' } } : {}),
    },
    apps,
  };
}

/**
 * Numeric leaves (and null durations: never, or not measured) of the suite's summaries, not inside
 * lists, with a unit from the key's name; settings echoed into a summary (`durationSeconds`) are not
 * figures (record/figure-points.ts). A rate per second is compared as a plain number.
 */
function suiteFigures(summary: Record<string, unknown>): RunFeatures['figures'] {
  const out: RunFeatures['figures'] = {};
  for (const [k, v] of Object.entries(summary)) {
    if (!isSuiteFigureKey(k)) continue;
    for (const f of summaryFigures(k, v)) out[f.path] = { value: f.value, unit: f.unit === 'per_s' ? 'count' : f.unit };
  }
  return out;
}
