import { fmtDuration, fmtMinutes } from '../core/format.ts';
import { chaosFindings, type Finding } from './chaos-findings.ts';
import { needsOf } from '../record/critical-path.ts';
import { buildCriticalPath, buildMinutes, type ReportCriticalPath, type ReportMinutes } from './minutes.ts';
import { buildFigures, type ReportFigures } from './figures.ts';
import type {
  AdmissionSummary,
  CollectorSummaries,
  LatencyStats,
  RestartsSummary,
  WavesSummary,
} from '../record/summaries.ts';
import { APP_HEALTH_KEY, WAVES_DO_NOT_GATE } from '../gitops/argocd.ts';
import type { RunRecord } from '../record/run-record.ts';
import type { Point } from '../record/point.ts';
import { targetOutcome, type RebuildSummary, type TargetOutcome, type TargetWindow } from '../record/target.ts';

/**
 * The report of one run, fully computed from its RunRecord and stored points: every renderer only
 * formats this. Pure: no clock, no randomness, no live state; the same inputs give the same model.
 * All offsets are ms since `clock.start` (the rebuild's destroy when there is one, else the run start).
 * Sections a run does not have (no rebuild summary, no collectors) are absent, never empty shells.
 */
export interface ReportRecovery {
  /**
   * From the first fault's revert (the end of the fault the suite injects) to every after-check
   * passing; null: the steady state did not come back. An upper bound: the after-checks start once
   * the suite's own recovery step has ended.
   */
  afterMs: number | null;
  checks: Array<{ name: string; ok: boolean; afterMs: number; detail: string | null }>;
}

export interface ReportModel {
  schema: 'rebuild-bench/report@1';
  meta: ReportMeta;
  /** One line saying how the run went; the first line of every human-readable format. */
  headline: string;
  verdict: { outcome: 'passed' | 'failed' | 'aborted' | 'error' | null; reasons: string[] };
  clock: { start: number; from: 'rebuild-clock' | 'run-start' };
  target?: ReportTarget;
  /** A chaos run's findings, drawn from its own figures, each with the change it calls for. */
  findings?: Finding[];
  /** How long after the first fault's revert each after-check (the steady state) passed. */
  recovery?: ReportRecovery;
  phases: ReportPhase[];
  waves?: ReportWaves;
  slowestApps?: ReportApp[];
  /** Step line: number of Healthy Applications from each offset on. Starts at (0, 0). */
  healthyOverTime?: Array<{ offsetMs: number; healthy: number }>;
  restarts?: ReportRestarts;
  /** A rebuild's minutes: bootstrap phases, then the waves along the critical path, by part. */
  minutes?: ReportMinutes;
  /** The chain of apps that set the time every app was Healthy, and which would shorten it most. */
  criticalPath?: ReportCriticalPath;
  admission?: ReportAdmission;
  /** Every admission probe: when (offset), how long, and its outcome (for the latency and rejection chart). */
  admissionOverTime?: Array<{ offsetMs: number; latencyMs: number; outcome: string }>;
  validity: { valid: boolean; reasons: string[]; notes: string[] };
  checks: ReportCheck[];
  faults: ReportFault[];
  /** The suite's own figures (ctx.summary): outage counts, recovery times, k6's summary… */
  figures: ReportFigures[];
}

export interface ReportMeta {
  runId: string;
  suite: string;
  suiteSource: string;
  destructive: boolean;
  cluster: string;
  context: string | null;
  serverVersion: string | null;
  /** The Argo CD that ran: version and mode (real controller or the sandbox's twin). */
  argocd: { version: string | null; mode: string } | null;
  toolVersion: string;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  status: string;
  dryRun: boolean;
  exitCode: number | null;
  error: string | null;
  /** Keys sorted. */
  options: Record<string, unknown>;
  pointCount: number;
}

export interface ReportTarget {
  window: TargetWindow;
  /** The window after scaling (ms). */
  minMs: number;
  maxMs: number;
  scaled: boolean;
  totalMs: number | null;
  outcome: TargetOutcome;
  /** "ahead of 30 min", "on target", "missed 45 min", "did not finish". */
  wording: string;
  /** Set when the window is scaled: what it was scaled from and why. */
  scaleNote: string | null;
  /** Signed distance to the nearest window edge (ms): negative ahead of min, positive past max, 0 inside; null when unfinished. */
  distanceMs: number | null;
}

export interface ReportPhase {
  name: string;
  parents: string[];
  startMs: number | null;
  endMs: number | null;
  durationMs: number | null;
  status: string | null;
  budgetMs: number | null;
  /** null without a budget; true when over it or when the phase never ended. */
  overBudget: boolean | null;
}

export interface ReportWaveRow {
  wave: number;
  apps: number;
  startMs: number | null;
  endMs: number | null;
  durationMs: number | null;
  slowestApp: string | null;
  slowestMs: number | null;
}

export interface ReportWaves {
  /** Does argocd-cm carry the Application health check (null: unknown). */
  healthCheck: boolean | null;
  appsTotal: number;
  appsHealthy: number;
  /** Every app Synced and Healthy (offset), null when that never happened. */
  allHealthyMs: number | null;
  rows: ReportWaveRow[];
  notHealthy: Array<{ app: string; wave: number; sync: string; health: string }>;
  violations: Array<{
    app: string;
    wave: number;
    blockingWave: number;
    startedMs: number;
    blockingHealthyMs: number | null;
    earlyMs: number | null;
  }>;
  findings: Array<{ id: string; text: string; fix: string | null }>;
  timeSources: Record<string, number>;
  /** The app-of-apps roots, not counted in the waves. */
  roots: string[];
  /** Each time an app lost its health after being Healthy (offsets), in order. */
  healthLost: Array<{ app: string; wave: number; fromMs: number; toMs: number | null; status: string }>;
}

export interface ReportApp {
  app: string;
  wave: number | null;
  startMs: number;
  healthyMs: number;
  durationMs: number;
  /** Which time the healthy mark came from (watch / object / relist / point). */
  source: string;
}

export interface ReportRestarts {
  restarts: number;
  crashLoopBackOff: number;
  oomKilled: number;
  dependency: number;
  other: number;
  neverReady: string[];
  byApp: Array<{
    app: string;
    wave: number | null;
    restarts: number;
    crashLoops: number;
    dependency: number;
    other: number;
    oomKilled: number;
    reasons: string[];
  }>;
}

export interface ReportAdmission {
  namespace: string;
  probes: number;
  admitted: number;
  mutated: number;
  rejected: number;
  errors: number;
  skipped: number;
  latencyMs: LatencyStats | null;
  reasons: Array<{ reason: string; count: number }>;
  webhooks: Array<{
    name: string;
    type: string;
    count: number;
    p50Ms: number | null;
    p99Ms: number | null;
    rejected: number;
  }>;
  failOpen: Array<{ webhook: string; count: number }>;
}

export interface ReportCheck {
  name: string;
  kind: string;
  ok: boolean;
  detail: string | null;
  at: string;
  offsetMs: number | null;
}

export interface ReportFault {
  id: string;
  kind: string;
  title: string;
  status: string;
  /** Applied → rolled back, as offsets; endMs null when never rolled back. */
  startMs: number | null;
  endMs: number | null;
  durationMs: number | null;
  error: string | null;
  /** What the fault's verify() saw once applied. */
  verified: string | null;
}

export const WAVES_DO_NOT_GATE_ID = 'WAVES_DO_NOT_GATE';

const WAVES_FIX = `Add ${APP_HEALTH_KEY} (the Lua health check) to argocd-cm, so each sync wave waits for the previous one to be Healthy.`;

/** A target window in the units durations are shown in (30–45 min, or 1m30s–2m15s when scaled). */
export function windowText(minMinutes: number, maxMinutes: number): string {
  if (Number.isInteger(minMinutes) && Number.isInteger(maxMinutes)) return `${minMinutes}–${maxMinutes} min`;
  return `${fmtDuration(minMinutes * 60_000)}–${fmtDuration(maxMinutes * 60_000)}`;
}

/** An offset from the clock start: +12m05s, or '-' when unknown. */
export function fmtOffset(ms: number | null): string {
  return ms === null ? '-' : `+${fmtDuration(ms)}`;
}

/** The phase table both renderers show; only the budget marks differ between formats. */
export function phaseTable(
  m: ReportModel,
  marks: { over: string; ok: string },
): { headers: string[]; rows: string[][] } {
  const budgets = m.phases.some((p) => p.budgetMs !== null);
  return {
    headers: ['Phase', 'Start', 'End', 'Duration', 'Status', ...(budgets ? ['Budget'] : [])],
    rows: m.phases.map((p) => [
      `${'↳ '.repeat(p.parents.length)}${p.name}`,
      fmtOffset(p.startMs),
      fmtOffset(p.endMs),
      fmtDuration(p.durationMs),
      p.status ?? '-',
      ...(budgets
        ? [p.budgetMs === null ? '-' : `${fmtDuration(p.budgetMs)}${p.overBudget ? marks.over : marks.ok}`]
        : []),
    ]),
  };
}

function parseTime(s: string | null | undefined): number | null {
  if (!s) return null;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : null;
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, o[k]]),
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function rebuildOf(record: RunRecord): RebuildSummary | undefined {
  const r = record.summary?.rebuild;
  if (!isObject(r) || !isObject(r.target) || typeof r.clockStart !== 'number') return undefined;
  return r as unknown as RebuildSummary;
}

function collector<K extends keyof CollectorSummaries>(record: RunRecord, name: K): CollectorSummaries[K] {
  const c = record.summary?.collectors;
  if (!isObject(c)) return undefined;
  const v = (c as CollectorSummaries)[name];
  return isObject(v) ? v : undefined;
}

function buildTarget(r: RebuildSummary): ReportTarget {
  const w = r.target;
  const scale = typeof w.scale === 'number' && w.scale > 0 ? w.scale : 1;
  const window: TargetWindow = {
    minMinutes: w.minMinutes,
    maxMinutes: w.maxMinutes,
    scale,
    ...(w.note ? { note: w.note } : {}),
  };
  const minMs = Math.round(w.minMinutes * scale * 60_000);
  const maxMs = Math.round(w.maxMinutes * scale * 60_000);
  const totalMs = typeof r.totalMs === 'number' ? r.totalMs : null;
  const outcome = targetOutcome(totalMs, window);
  const wording =
    outcome === 'ahead'
      ? `ahead of ${fmtMinutes(w.minMinutes * scale * 60_000)}`
      : outcome === 'on-target'
        ? 'on target'
        : outcome === 'missed'
          ? `missed ${fmtMinutes(w.maxMinutes * scale * 60_000)}`
          : 'did not finish';
  const scaled = scale !== 1;
  const scaleNote = scaled
    ? `target window scaled ×${Number(scale.toFixed(4))} from ${w.minMinutes}–${w.maxMinutes} min to ${windowText(w.minMinutes * scale, w.maxMinutes * scale)}${w.note ? ` (${w.note})` : ''}`
    : null;
  const distanceMs =
    totalMs === null ? null : totalMs < minMs ? totalMs - minMs : totalMs > maxMs ? totalMs - maxMs : 0;
  return { window, minMs, maxMs, scaled, totalMs, outcome, wording, scaleNote, distanceMs };
}

function buildPhases(record: RunRecord, rebuild: RebuildSummary | undefined, t0: number): ReportPhase[] {
  if (rebuild && Array.isArray(rebuild.phases) && rebuild.phases.length) {
    return rebuild.phases.map((p) => {
      const durationMs = p.endMs === null ? null : p.endMs - p.startMs;
      const budgetMs = typeof p.budgetMs === 'number' ? p.budgetMs : null;
      return {
        name: p.name,
        parents: [],
        startMs: p.startMs,
        endMs: p.endMs,
        durationMs,
        status: p.endMs === null ? 'did not end' : 'ok',
        budgetMs,
        overBudget: budgetMs === null ? null : durationMs === null || durationMs > budgetMs,
      };
    });
  }
  return record.phases
    .filter((p) => p.status !== 'planned')
    .map((p) => {
      const s = parseTime(p.startedAt);
      const e = parseTime(p.endedAt);
      return {
        name: p.name,
        parents: [...p.parents],
        startMs: s === null ? null : s - t0,
        endMs: e === null ? null : e - t0,
        durationMs: p.durationMs ?? (s !== null && e !== null ? e - s : null),
        status: p.status,
        budgetMs: null,
        overBudget: null,
      };
    });
}

function buildWaves(w: WavesSummary, t0: number): ReportWaves {
  const off = (t: number | null | undefined) => (t === null || t === undefined ? null : t - t0);
  const apps = Array.isArray(w.apps) ? w.apps : [];
  const findings = (w.findings ?? []).map((text) =>
    text === WAVES_DO_NOT_GATE
      ? {
          id: WAVES_DO_NOT_GATE_ID,
          text: 'Sync waves do not gate: argocd-cm has no Application health check, so a wave does not wait for the previous one to be Healthy (Argo CD ≥ 1.8).',
          fix: WAVES_FIX,
        }
      : { id: 'FINDING', text, fix: null },
  );
  // A run recorded before the finding existed still says healthCheck: false.
  if (w.healthCheck === false && !findings.some((f) => f.id === WAVES_DO_NOT_GATE_ID)) {
    findings.unshift({
      id: WAVES_DO_NOT_GATE_ID,
      text: 'Sync waves do not gate: argocd-cm has no Application health check.',
      fix: WAVES_FIX,
    });
  }
  return {
    healthCheck: w.healthCheck ?? null,
    appsTotal: apps.length,
    appsHealthy: apps.filter((a) => a.healthy).length,
    allHealthyMs: off(w.allHealthyAt),
    rows: [...(w.waves ?? [])]
      .sort((a, b) => a.wave - b.wave)
      .map((r) => ({
        wave: r.wave,
        apps: r.apps,
        startMs: off(r.start),
        endMs: off(r.end),
        durationMs: r.durationMs,
        slowestApp: r.slowestApp,
        slowestMs: r.slowestMs,
      })),
    notHealthy: apps
      .filter((a) => !a.healthy)
      .map((a) => ({ app: a.name, wave: a.wave, sync: a.sync || '-', health: a.health || '-' }))
      .sort((a, b) => a.wave - b.wave || cmp(a.app, b.app)),
    violations: [...(w.violations ?? [])]
      .map((v) => ({
        app: v.app,
        wave: v.wave,
        blockingWave: v.blockingWave,
        startedMs: v.startedAt - t0,
        blockingHealthyMs: off(v.blockingHealthyAt),
        earlyMs: v.earlyMs,
      }))
      .sort((a, b) => a.wave - b.wave || a.startedMs - b.startedMs || cmp(a.app, b.app)),
    findings,
    timeSources: sortKeys(w.sources ?? {}) as Record<string, number>,
    roots: [...(w.roots ?? [])],
    healthLost: apps
      .flatMap((a) =>
        (a.episodes ?? []).map((e) => ({
          app: a.name,
          wave: a.wave,
          fromMs: e.from - t0,
          toMs: off(e.to),
          status: e.status,
        })),
      )
      .sort((a, b) => a.fromMs - b.fromMs || cmp(a.app, b.app)),
  };
}

/** "v3.2.11 (real)", "twin (emulated)", "unknown". */
export function argocdText(a: { version: string | null; mode: string } | null): string {
  if (!a) return 'unknown';
  if (a.mode === 'twin') return 'twin (emulated)';
  return `${a.version ?? 'unknown version'}${a.mode === 'real' ? '' : ` (${a.mode})`}`;
}

/** The Argo CD of a run: what the waves collector read once Argo CD was up, else what the engine read at the start. */
export function argocdOf(record: RunRecord): { version: string | null; mode: string } | null {
  const w = (record.summary.collectors as { waves?: WavesSummary } | undefined)?.waves?.argocd;
  const a = w?.version ? w : (record.cluster.argocd ?? w);
  return a ? { version: a.version, mode: a.mode } : null;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface AppTimes {
  app: string;
  wave: number | null;
  start: number | null;
  healthy: number | null;
  source: string;
}

/** App start/healthy times: the waves summary when there is one, else the stored rb_app points. */
function appTimes(w: WavesSummary | undefined, points: Point[]): AppTimes[] {
  if (w && Array.isArray(w.apps) && w.apps.length) {
    return w.apps.map((a) => ({
      app: a.name,
      wave: a.wave,
      start: a.sync_started?.t ?? a.first_seen?.t ?? null,
      healthy: a.healthy?.t ?? null,
      source: a.healthy?.source ?? '-',
    }));
  }
  const by = new Map<string, AppTimes & { firstSeen: number | null }>();
  for (const p of [...points].sort((x, y) => x.time - y.time)) {
    if (p.measurement !== 'rb_app' || !p.tags.app) continue;
    const wave =
      p.tags.wave !== undefined && p.tags.wave !== '' && Number.isFinite(Number(p.tags.wave))
        ? Number(p.tags.wave)
        : null;
    const a = by.get(p.tags.app) ?? {
      app: p.tags.app,
      wave,
      start: null,
      healthy: null,
      source: 'point',
      firstSeen: null,
    };
    const ev = p.tags.event;
    if (ev === 'sync_started') a.start = a.start === null ? p.time : Math.min(a.start, p.time);
    if (ev === 'first_seen') a.firstSeen = a.firstSeen === null ? p.time : Math.min(a.firstSeen, p.time);
    // Time to Healthy is the transition that held: a later loss of health clears it.
    if (ev === 'healthy') a.healthy = p.time;
    if (ev === 'health_lost') a.healthy = null;
    by.set(p.tags.app, a);
  }
  return [...by.values()].map(({ firstSeen, ...a }) => ({ ...a, start: a.start ?? firstSeen }));
}

function buildSlowest(times: AppTimes[], t0: number): ReportApp[] {
  return times
    .filter((a): a is AppTimes & { start: number; healthy: number } => a.start !== null && a.healthy !== null)
    .map((a) => ({
      app: a.app,
      wave: a.wave,
      startMs: a.start - t0,
      healthyMs: a.healthy - t0,
      durationMs: a.healthy - a.start,
      source: a.source,
    }))
    .sort((a, b) => b.durationMs - a.durationMs || cmp(a.app, b.app))
    .slice(0, 10);
}

function buildHealthyOverTime(times: AppTimes[], t0: number): Array<{ offsetMs: number; healthy: number }> {
  const offs = times
    .map((a) => a.healthy)
    .filter((t): t is number => t !== null)
    .map((t) => t - t0)
    .sort((a, b) => a - b);
  const out = [{ offsetMs: 0, healthy: 0 }];
  offs.forEach((o, i) => {
    const last = out[out.length - 1]!;
    if (last.offsetMs === o) last.healthy = i + 1;
    else out.push({ offsetMs: o, healthy: i + 1 });
  });
  return out;
}

function buildRestarts(r: RestartsSummary): ReportRestarts {
  const records = Array.isArray(r.records) ? r.records : [];
  // Restarts seen while the container was in CrashLoopBackOff, per app (the records carry it).
  const backoffByApp = new Map<string, number>();
  const reasonsByApp = new Map<string, Set<string>>();
  for (const rec of records) {
    const key = rec.app ?? `${rec.namespace}/${rec.pod}`;
    if (rec.backoff) backoffByApp.set(key, (backoffByApp.get(key) ?? 0) + 1);
    reasonsByApp.set(key, (reasonsByApp.get(key) ?? new Set()).add(rec.reason));
  }
  const byApp = (r.byApp ?? [])
    .map((a) => ({
      app: a.app,
      wave: a.wave ?? null,
      restarts: a.restarts,
      crashLoops: Math.max(a.crashLoops ?? 0, backoffByApp.get(a.app) ?? 0),
      dependency: a.dependency,
      other: a.other,
      oomKilled: a.oomKilled,
      reasons: [...(reasonsByApp.get(a.app) ?? [])].sort(),
    }))
    .sort((a, b) => b.restarts - a.restarts || b.crashLoops - a.crashLoops || cmp(a.app, b.app));
  return {
    restarts: r.restarts,
    crashLoopBackOff: r.crashLoopBackOff,
    oomKilled: r.oomKilled,
    dependency: byApp.reduce((s, a) => s + a.dependency, 0),
    other: byApp.reduce((s, a) => s + a.other, 0),
    neverReady: [...(r.neverReady ?? [])].sort(),
    byApp,
  };
}

function buildAdmission(a: AdmissionSummary): ReportAdmission {
  const p = a.probes;
  const toMs = (s: number | null) => (s === null ? null : Math.round(s * 1000 * 10) / 10);
  return {
    namespace: a.namespace,
    probes: p.count,
    admitted: p.admitted,
    mutated: p.mutated,
    rejected: p.rejected,
    errors: p.errors,
    skipped: p.skipped,
    latencyMs: p.latencyMs,
    reasons: Object.entries(p.reasons ?? {})
      .map(([reason, count]) => ({ reason, count }))
      .sort((x, y) => y.count - x.count || cmp(x.reason, y.reason)),
    webhooks: [...(a.webhooks ?? [])]
      .map((w) => ({
        name: w.name,
        type: w.type,
        count: w.count,
        p50Ms: toMs(w.p50_s),
        p99Ms: toMs(w.p99_s),
        rejected: w.rejected,
      }))
      .sort((x, y) => cmp(x.name, y.name) || cmp(x.type, y.type)),
    failOpen: Object.entries(a.failOpen ?? {})
      .map(([webhook, count]) => ({ webhook, count }))
      .sort((x, y) => cmp(x.webhook, y.webhook)),
  };
}

/** Time to full steady state: each after-check's pass, from the first fault's revert. */
function buildRecovery(record: RunRecord): ReportRecovery | undefined {
  const reverted = record.faults.map((f) => parseTime(f.rolledBackAt)).filter((t): t is number => t !== null);
  const after = record.checks.filter((c) => c.kind === 'after');
  if (!reverted.length || !after.length) return undefined;
  const from = Math.min(...reverted);
  const checks = after.map((c) => ({
    name: c.name,
    ok: c.ok,
    afterMs: Math.max(0, (parseTime(c.at) ?? from) - from),
    detail: c.detail ?? null,
  }));
  return { afterMs: checks.every((c) => c.ok) ? Math.max(...checks.map((c) => c.afterMs)) : null, checks };
}

function buildHeadline(
  record: RunRecord,
  target: ReportTarget | undefined,
  restarts: ReportRestarts | undefined,
  findings: Finding[],
  recovery: ReportRecovery | undefined,
): string {
  const parts: string[] = [];
  if (target) {
    const window = `target ${windowText(target.window.minMinutes * target.window.scale, target.window.maxMinutes * target.window.scale)}`;
    parts.push(
      target.totalMs === null
        ? `Rebuild did not finish (${window})`
        : `Rebuild ${target.wording}: took ${fmtDuration(target.totalMs)} (${window})`,
    );
    if (restarts)
      parts.push(
        restarts.crashLoopBackOff === 0 ? 'zero CrashLoopBackOff' : `${restarts.crashLoopBackOff} CrashLoopBackOff`,
      );
    if (target.scaled) parts.push(`window scaled ×${Number(target.window.scale.toFixed(4))}`);
  } else {
    const outcome = record.verdict?.outcome ?? record.status;
    parts.push(
      `${record.suite.name}: ${outcome}${record.verdict?.reasons.length ? ` — ${record.verdict.reasons[0]}` : ''}`,
    );
    if (recovery)
      parts.push(
        recovery.afterMs === null
          ? 'steady state not back after the revert'
          : `steady state back within ${fmtDuration(recovery.afterMs)} of the revert`,
      );
    if (findings.length) parts.push(`${findings.length} finding(s) to act on: ${findings.map((f) => f.id).join(', ')}`);
    if (restarts) parts.push(`${restarts.restarts} restart(s), ${restarts.crashLoopBackOff} CrashLoopBackOff`);
  }
  if (!record.validity.valid) parts.push('INVALID run');
  return parts.join('; ');
}

/**
 * How the run reads at a glance. A rebuild: good = the target met with zero CrashLoopBackOff. A
 * chaos run (no target), where crash loops during the fault are what it measures: good = the
 * verdict passed with nothing to act on, warn = passed with findings. warn = invalid run;
 * info = no verdict yet; bad otherwise.
 */
export function reportTone(m: ReportModel): 'good' | 'bad' | 'warn' | 'info' {
  if (!m.validity.valid) return 'warn';
  const v = m.verdict.outcome;
  if (v === 'aborted' || v === 'error') return 'bad';
  if (m.target) {
    if (m.restarts && m.restarts.crashLoopBackOff > 0) return 'bad';
    return (m.target.outcome === 'ahead' || m.target.outcome === 'on-target') && v !== 'failed' ? 'good' : 'bad';
  }
  if (v === 'passed') return m.findings?.length ? 'warn' : 'good';
  return v === null ? 'info' : 'bad';
}

/** Builds the report model of a run from its record and stored points. */
export function buildReport(record: RunRecord, points: Point[] = []): ReportModel {
  const rebuild = rebuildOf(record);
  const started = parseTime(record.startedAt) ?? 0;
  const t0 = rebuild ? rebuild.clockStart : started;
  const off = (s: string | null | undefined) => {
    const t = parseTime(s);
    return t === null ? null : t - t0;
  };
  const target = rebuild ? buildTarget(rebuild) : undefined;
  const findings = target ? [] : chaosFindings(record.summary ?? {});
  const recovery = target ? undefined : buildRecovery(record);
  const wavesSummary = collector(record, 'waves');
  const restartsSummary = collector(record, 'restarts');
  const admissionSummary = collector(record, 'admission');
  const times = appTimes(wavesSummary, points);
  const restarts = restartsSummary ? buildRestarts(restartsSummary) : undefined;
  const podsSummary = collector(record, 'pods');
  const pathInputs = wavesSummary && {
    waves: wavesSummary,
    t0,
    ...(podsSummary ? { pods: podsSummary } : {}),
    ...(restartsSummary ? { restarts: restartsSummary } : {}),
    ...(rebuild?.phases ? { phases: rebuild.phases } : {}),
    ...(needsOf(record.summary) ? { needs: needsOf(record.summary)! } : {}),
  };
  const criticalPath = pathInputs ? buildCriticalPath(pathInputs) : undefined;
  const minutes = pathInputs ? buildMinutes(pathInputs, criticalPath) : undefined;

  const notes: string[] = [];
  const summary = record.summary ?? {};
  for (const key of Object.keys(summary).sort()) {
    const v = summary[key];
    if (key.endsWith('Notes') && Array.isArray(v))
      for (const n of v) notes.push(`${key.slice(0, -'Notes'.length)}: ${String(n)}`);
  }
  if (wavesSummary?.sources) {
    const s = wavesSummary.sources;
    const nonLive = Object.keys(s)
      .filter((k) => k !== 'watch')
      .sort()
      .map((k) => `${s[k]} from ${k}`);
    if (nonLive.length) notes.push(`waves: transition times not seen live: ${nonLive.join(', ')} (1 s precision)`);
  }

  const model: ReportModel = {
    schema: 'rebuild-bench/report@1',
    meta: {
      runId: record.id,
      suite: record.suite.name,
      suiteSource: record.suite.source,
      destructive: record.suite.destructive,
      cluster: record.cluster.name,
      context: record.cluster.context,
      serverVersion: record.cluster.serverVersion,
      argocd: argocdOf(record),
      toolVersion: record.tool.version,
      startedAt: record.startedAt,
      endedAt: record.endedAt,
      durationMs: record.durationMs,
      status: record.status,
      dryRun: record.dryRun,
      exitCode: record.exitCode,
      error: record.error,
      options: sortKeys(record.options ?? {}),
      pointCount: points.length,
    },
    headline: buildHeadline(record, target, restarts, findings, recovery),
    verdict: { outcome: record.verdict?.outcome ?? null, reasons: [...(record.verdict?.reasons ?? [])] },
    clock: { start: t0, from: rebuild ? 'rebuild-clock' : 'run-start' },
    phases: buildPhases(record, rebuild, t0),
    validity: { valid: record.validity.valid, reasons: [...record.validity.reasons], notes },
    checks: record.checks.map((c) => ({
      name: c.name,
      kind: c.kind,
      ok: c.ok,
      detail: c.detail ?? null,
      at: c.at,
      offsetMs: off(c.at),
    })),
    figures: buildFigures(record.summary),
    faults: record.faults.map((f) => {
      const s = off(f.appliedAt);
      const e = off(f.rolledBackAt);
      return {
        id: f.id,
        kind: f.kind,
        title: f.title,
        status: f.status,
        startMs: s,
        endMs: e,
        durationMs: s !== null && e !== null ? e - s : null,
        error: f.error ?? null,
        verified: f.verified ?? null,
      };
    }),
  };
  if (target) model.target = target;
  if (findings.length) model.findings = findings;
  if (recovery) model.recovery = recovery;
  if (wavesSummary) model.waves = buildWaves(wavesSummary, t0);
  if (times.length) {
    model.slowestApps = buildSlowest(times, t0);
    model.healthyOverTime = buildHealthyOverTime(times, t0);
  }
  if (restarts) model.restarts = restarts;
  if (minutes) model.minutes = minutes;
  if (criticalPath) model.criticalPath = criticalPath;
  if (admissionSummary?.probes) model.admission = buildAdmission(admissionSummary);
  const probes = points.filter(
    (p) => p.measurement === 'rb_admission_probe' && typeof p.fields.latency_ms === 'number',
  );
  if (probes.length) {
    model.admissionOverTime = probes
      .map((p) => ({
        offsetMs: p.time - t0,
        latencyMs: p.fields.latency_ms as number,
        outcome: p.tags.outcome ?? 'unknown',
      }))
      .sort((a, b) => a.offsetMs - b.offsetMs);
  }
  return model;
}
