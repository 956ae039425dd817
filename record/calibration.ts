import { median } from 'simple-statistics';
import { BadInputError } from '../core/errors.ts';
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
  /** Its last pod Ready → its Application Healthy (Argo CD's assessment; minutes when its CRDs were cached stale), in ms as measured. */
  healthLagMs: number | null;
}

/** Argo CD's pace in the run, in ms as measured (its controllers ran at full speed, whatever the twin's scale). */
export interface ArgoPace {
  /** Application created → its first pod created (Argo CD's sync, then the workload controllers). */
  appearToPodMs: number | null;
  /** Last pod Ready → Application Healthy (Argo CD's health assessment). */
  readyToHealthyMs: number | null;
  /** Application created → Healthy, for apps without pods (CRDs, config). */
  podlessMs: number | null;
  /** One wave's Applications created → the next wave's, when waves do not gate (the wave delay included). */
  waveStepMs: number | null;
  /** A wave's last app Healthy → the next wave's Applications created, when waves gate. */
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

/** The time from the start of the container run that became Ready to Ready (as the pods collector times it). */
function startupOf(r: PodLatencyRecord): number | undefined {
  const ready = r.phases.ready;
  const from = r.phases.started ?? r.phases.pulled ?? r.phases.initialized;
  return ready !== undefined && from !== undefined ? ready - from : undefined;
}

/** The calibration of a stored run; BadInputError when the run did not record what it needs. */
export function calibrationOf(record: RunRecord): Calibration {
  const collectors = record.summary.collectors as { pods?: PodsSummary; waves?: WavesSummary } | undefined;
  const pods = collectors?.pods;
  const waves = collectors?.waves;
  if (!pods || !waves)
    throw new BadInputError(
      `run ${record.id} (${record.suite.name}) has no ${pods ? 'waves' : 'pods'} collector summary: calibrate from a rebuild run recorded with the pods and waves collectors (rebuild-bench run rebuild, rehearse --rebuild, demo)`,
    );
  const scaleOption = record.options.timeScale;
  const timeScale = typeof scaleOption === 'number' && scaleOption > 0 ? scaleOption : 1;
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
    const healthy = a.firstHealthy?.t ?? a.healthy?.t;
    const readies = rs.map((r) => (r.phases.ready === undefined ? undefined : r.created.t + r.phases.ready));
    const lastReady = readies.length && readies.every((x) => x !== undefined) ? Math.max(...readies) : null;
    apps[a.name] = {
      imagePullSeconds: seconds(med(pulls)),
      startupSeconds: seconds(med(startups)),
      pods: rs.length,
      syncMs: rs.length
        ? Math.min(...rs.map((r) => r.created.t)) - a.first_seen!.t
        : healthy !== undefined
          ? healthy - a.first_seen!.t
          : null,
      healthLagMs: healthy !== undefined && lastReady !== null ? Math.max(0, healthy - lastReady) : null,
    };
  }
  return {
    run: record.id,
    cluster: record.cluster.name,
    timeScale,
    wavesGate: waves.healthCheck === true,
    apps,
    pace: argoPace(record, waves, timelines, apps),
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
      ? Math.max(...prev.map((a) => a.firstHealthy?.t ?? a.healthy?.t ?? -Infinity))
      : Math.max(...prev.map((a) => a.first_seen!.t));
    if (Number.isFinite(released)) steps.push(Math.max(0, next - released));
  }
  const rebuild = record.summary.rebuild as { clockStart?: number } | undefined;
  const firstSeen = apps.length ? Math.min(...apps.map((a) => a.first_seen!.t)) : undefined;
  const r = (x: number | null) => (x === null ? null : Math.round(x));
  return {
    appearToPodMs: r(med(appearToPod)),
    readyToHealthyMs: r(med(readyToHealthy)),
    podlessMs: r(med(podless)),
    waveStepMs: gate ? null : r(med(steps)),
    gateStepMs: gate ? r(med(steps)) : null,
    bootstrapMs: rebuild?.clockStart !== undefined && firstSeen !== undefined ? firstSeen - rebuild.clockStart : null,
  };
}
