import { mean, median } from 'simple-statistics';
import { BadInputError } from '../core/errors.ts';
import { isHealthWait, lastReadyOf, releasingHealth } from './critical-path.ts';
import type { RunRecord } from './run-record.ts';
import type { PodLatencyRecord, PodsSummary, WavesSummary } from './summaries.ts';

/**
 * What a stored rebuild says about how the cluster behaves: each app's image-pull and start-up time
 * (from the pods collector) and the pace of Argo CD itself (from the waves collector). `rehearse
 * --calibrate` gives the twin the apps' durations; `predict` uses both. Pure, from run.json.
 */

export interface AppCalibration {
  /** Median wall time of a pod's image pulls, in real seconds (the run's time scale divided out). */
  imagePullSeconds: number | null;
  /** Median time from the container run that became Ready to Ready, in real seconds. */
  startupSeconds: number | null;
  pods: number;
  /** Its Application created → its first pod created (or → Healthy without pods), in ms as measured. */
  syncMs: number | null;
  /** Its Application created → Synced (what the twin waits for before it counts an app without pods as up). */
  syncedMs: number | null;
  /** Its last pod Ready → its Application Healthy (Argo CD's assessment; minutes when its CRDs were cached stale), in ms as measured. */
  healthLagMs: number | null;
  /** That lag was Argo CD holding it (critical-path.ts isHealthWait): its CRDs' health cached stale, which varies from run to run. */
  healthHeld: boolean;
}

/** Argo CD's pace in the run, in ms as measured (its controllers ran at full speed, whatever the twin's scale). */
export interface ArgoPace {
  /** Application created → its first pod created (Argo CD's sync, then the workload controllers). */
  appearToPodMs: number | null;
  /** Last pod Ready → Application Healthy (Argo CD's health assessment). */
  readyToHealthyMs: number | null;
  /** Application created → Healthy, for apps without pods (CRDs, config). */
  podlessMs: number | null;
  /** One wave's Applications created → the next wave's, when waves do not gate (the wave delay included); mean over the steps. */
  waveStepMs: number | null;
  /** A wave's last app Healthy → the next wave's Applications created, when waves gate; mean over the steps. */
  gateStepMs: number | null;
  /** The rebuild's start (the destroy) → the first child Application created: Terraform, cluster and Argo CD bootstrap. */
  bootstrapMs: number | null;
}

export interface Calibration {
  run: string;
  cluster: string;
  /** The twin's time scale in that run (1: a real cluster); the apps' seconds are divided by it. */
  timeScale: number;
  wavesGate: boolean;
  apps: Record<string, AppCalibration>;
  pace: ArgoPace;
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
const med = (xs: number[]): number | null => (xs.length ? median(xs) : null);

/** The start-up proper: from the start of the run that became Ready (else the end of the pulls, else Initialized) to Ready. */
export function startupOf(r: PodLatencyRecord): number | undefined {
  const from = r.phases.started ?? r.phases.pulled ?? r.phases.initialized;
  return r.phases.ready === undefined || from === undefined ? undefined : Math.max(0, r.phases.ready - from);
}

/**
 * The twin's time scale of a run: its `timeScale` option, else (runs stored before it was recorded)
 * the one the sandbox rebuild scaled its target by (0.2 × scale, with the twin's note), else 1.
 */
export function runTimeScale(record: RunRecord): number {
  const o = record.options;
  if (typeof o.timeScale === 'number' && o.timeScale > 0) return o.timeScale;
  if (typeof o.targetScale === 'number' && typeof o.targetNote === 'string' && /twin/.test(o.targetNote))
    return Math.round((o.targetScale / 0.2) * 1000) / 1000;
  return 1;
}

/** The calibration of a stored run; BadInputError when the run did not record what it needs. */
export function calibrationOf(record: RunRecord): Calibration {
  const collectors = record.summary.collectors as { pods?: PodsSummary; waves?: WavesSummary } | undefined;
  const pods = collectors?.pods;
  const waves = collectors?.waves;
  if (!pods || !waves)
    throw new BadInputError(
      `run ${record.id} (${record.suite.name}) has no ${[pods ? [] : ['pods'], waves ? [] : ['waves']].flat().join(' or ')} collector summary: calibrate from a rebuild run recorded with the pods and waves collectors (rebuild-bench run rebuild, rehearse --rebuild, demo)`,
    );
  const timeScale = runTimeScale(record);
  const byApp = new Map<string, PodLatencyRecord[]>();
  for (const r of pods.records) if (r.app) byApp.set(r.app, [...(byApp.get(r.app) ?? []), r]);
  const roots = new Set(waves.roots ?? []);
  const timelines = waves.apps.filter((a) => !roots.has(a.name) && a.first_seen);
  const apps: Record<string, AppCalibration> = {};
  const seconds = (ms: number | null) => (ms === null ? null : round(ms / 1000 / timeScale));
  for (const a of [...timelines].sort((x, y) => x.name.localeCompare(y.name))) {
    const rs = byApp.get(a.name) ?? [];
    const pulls = rs.flatMap((r) => (r.pullMs === null ? [] : [r.pullMs]));
    const startups = rs.flatMap((r) => startupOf(r) ?? []);
    const healthy = releasingHealth(a);
    // An app's sync ends with its first pod created, or (without pods) with its health.
    const syncEnd = rs.length ? Math.min(...rs.map((r) => r.created.t)) : healthy;
    const lastReady = lastReadyOf(rs);
    apps[a.name] = {
      imagePullSeconds: seconds(med(pulls)),
      startupSeconds: seconds(med(startups)),
      pods: rs.length,
      syncMs: syncEnd === undefined ? null : Math.max(0, syncEnd - a.first_seen!.t),
      syncedMs: a.synced ? Math.max(0, a.synced.t - a.first_seen!.t) : null,
      healthLagMs: healthy !== undefined && lastReady !== null ? Math.max(0, healthy - lastReady) : null,
      healthHeld: false,
    };
  }
  const pace = argoPace(record, waves, timelines, apps);
  for (const c of Object.values(apps))
    c.healthHeld = c.healthLagMs !== null && isHealthWait(c.healthLagMs, pace.readyToHealthyMs ?? 0);
  return {
    run: record.id,
    cluster: record.cluster.name,
    timeScale,
    wavesGate: waves.healthCheck === true,
    apps,
    pace,
  };
}

function argoPace(
  record: RunRecord,
  waves: WavesSummary,
  apps: WavesSummary['apps'],
  cal: Record<string, AppCalibration>,
): ArgoPace {
  const values = (pick: (c: AppCalibration) => number | null, withPods: boolean) =>
    Object.values(cal).flatMap((c) => (c.pods > 0 === withPods && pick(c) !== null ? [pick(c)!] : []));
  const appearToPod = values((c) => c.syncMs, true);
  const readyToHealthy = values((c) => c.healthLagMs, true);
  const podless = values((c) => c.syncMs, false);
  const byWave = new Map<number, typeof apps>();
  for (const a of apps) byWave.set(a.wave, [...(byWave.get(a.wave) ?? []), a]);
  const order = [...byWave.keys()].sort((x, y) => x - y);
  const gate = waves.healthCheck === true;
  const steps: number[] = [];
  for (let k = 1; k < order.length; k++) {
    const prev = byWave.get(order[k - 1]!)!;
    const next = Math.min(...byWave.get(order[k]!)!.map((a) => a.first_seen!.t));
    const released = gate
      ? Math.max(...prev.map((a) => releasingHealth(a) ?? -Infinity))
      : Math.min(...prev.map((a) => a.first_seen!.t));
    if (Number.isFinite(released)) steps.push(Math.max(0, next - released));
  }
  const rebuild = record.summary.rebuild as { clockStart?: number } | undefined;
  const firstSeen = apps.length ? Math.min(...apps.map((a) => a.first_seen!.t)) : undefined;
  const r = (x: number | null) => (x === null ? null : Math.round(x));
  return {
    appearToPodMs: r(med(appearToPod)),
    readyToHealthyMs: r(med(readyToHealthy)),
    podlessMs: r(med(podless)),
    // A rebuild takes every step: their mean, not their median (one slow step in five counts).
    waveStepMs: gate ? null : r(steps.length ? mean(steps) : null),
    gateStepMs: gate ? r(steps.length ? mean(steps) : null) : null,
    bootstrapMs: rebuild?.clockStart !== undefined && firstSeen !== undefined ? firstSeen - rebuild.clockStart : null,
  };
}

/**
 * One calibration from several runs of the same cluster (their runs' medians and means): an app's
 * figures are the median over the runs that saw it, a hold counts only when every run held it, the
 * wave steps are the mean over the runs that measured them. Runs of another time scale are refused:
 * Argo CD's pace is kept as measured.
 */
export function combineCalibrations(cs: Calibration[]): Calibration {
  if (cs.length === 1) return cs[0]!;
  const scales = [...new Set(cs.map((c) => c.timeScale))];
  if (scales.length > 1)
    throw new BadInputError(
      `--calibrate: runs ${cs.map((c) => `${c.run} (time scale ${c.timeScale})`).join(', ')} were not taken at one time scale: calibrate from runs of one`,
    );
  const medianOf = (xs: Array<number | null>, digits = 0): number | null => {
    const v = xs.filter((x): x is number => x !== null);
    return v.length ? round(median(v), digits) : null;
  };
  const meanOf = (xs: Array<number | null>): number | null => {
    const v = xs.filter((x): x is number => x !== null);
    return v.length ? Math.round(mean(v)) : null;
  };
  const apps: Record<string, AppCalibration> = {};
  for (const app of [...new Set(cs.flatMap((c) => Object.keys(c.apps)))].sort()) {
    const seen = cs.flatMap((c) => c.apps[app] ?? []);
    const unheld = seen.filter((a) => !a.healthHeld);
    const lags = unheld.length ? unheld : seen;
    apps[app] = {
      imagePullSeconds: medianOf(
        seen.map((a) => a.imagePullSeconds),
        3,
      ),
      startupSeconds: medianOf(
        seen.map((a) => a.startupSeconds),
        3,
      ),
      pods: Math.max(...seen.map((a) => a.pods)),
      syncMs: medianOf(seen.map((a) => a.syncMs)),
      syncedMs: medianOf(seen.map((a) => a.syncedMs)),
      healthLagMs: medianOf(lags.map((a) => a.healthLagMs)),
      healthHeld: unheld.length === 0 && seen.some((a) => a.healthHeld),
    };
  }
  const pace = (k: keyof ArgoPace) => cs.map((c) => c.pace[k]);
  return {
    run: cs.map((c) => c.run).join(' + '),
    cluster: [...new Set(cs.map((c) => c.cluster))].join(' + '),
    timeScale: scales[0]!,
    wavesGate: cs.some((c) => c.wavesGate),
    apps,
    pace: {
      appearToPodMs: medianOf(pace('appearToPodMs')),
      readyToHealthyMs: medianOf(pace('readyToHealthyMs')),
      podlessMs: medianOf(pace('podlessMs')),
      waveStepMs: meanOf(pace('waveStepMs')),
      gateStepMs: meanOf(pace('gateStepMs')),
      bootstrapMs: medianOf(pace('bootstrapMs')),
    },
  };
}
