import { scaledWaveDelaySeconds } from '../gitops/argocd.ts';
import { DEFAULT_PACE, type ModelPace, type Prediction, type PredictedApp } from '../gitops/rebuild-model.ts';
import type { Calibration } from '../record/calibration.ts';
import { criticalPath, criticalPathOf, needsOf, type CriticalPath } from '../record/critical-path.ts';
import type { RunRecord } from '../record/run-record.ts';
import type { PodLatencyRecord, PodsSummary, RestartsSummary, WavesSummary } from '../record/summaries.ts';
import type { RebuildSummary } from '../record/target.ts';

/** A rebuild's time as `predict` splits it: the bootstrap (as the calibration run took it) and the waves. */
export interface RebuildTimes {
  /** Destroy → the first child Application created. */
  bootstrapMs: number | null;
  /** The first child Application created → every Application Healthy. */
  wavesMs: number | null;
  totalMs: number | null;
}

export interface PredictionView {
  calibration: { run: string; cluster: string; timeScale: number };
  timeScale: number;
  wavesGate: boolean;
  predicted: RebuildTimes;
  apps: PredictedApp[];
  path: CriticalPath | null;
  /** Apps predicted to crash-loop: what they were still waiting for at their first start. */
  crashLoops: Array<{ app: string; restarts: number; waitedFor: string[]; forever: boolean }>;
  /** Apps predicted never Healthy, with why. */
  stuck: Array<{ app: string; why: string }>;
  /**
   * Apps Argo CD held Healthy in the calibration run (stale CRD health, random from run to run): the
   * prediction gives them the run's usual Ready → Healthy; this is the rebuild were they held again.
   */
  ifHeldAgain?: { waits: Array<{ app: string; waitMs: number }>; predicted: RebuildTimes };
  /** The same plan rehearsed (or rebuilt): its times, and the prediction's error (signed, % of the measured). */
  measured?: RebuildTimes & {
    run: string;
    errorPct: number | null;
    wavesErrorPct: number | null;
    /** When Argo CD held some apps Healthy in that run: its waves as if it had not (the critical path's), and the error against that. */
    withoutHolds?: { waits: Array<{ app: string; waitMs: number }>; wavesMs: number; wavesErrorPct: number | null };
  };
}

/**
 * The calibration run's pace for a prediction at `timeScale`, with the documented defaults where the
 * run did not measure one. The steps between waves hold the sandbox's wave delay, which it scales:
 * the run's is taken out and the predicted scale's put in.
 */
export function paceOf(c: Calibration, timeScale: number): ModelPace {
  const p = c.pace;
  const delay = (scale: number) => scaledWaveDelaySeconds(scale) * 1000;
  const rescale = (step: number) => Math.max(0, step - delay(c.timeScale)) + delay(timeScale);
  const waveStepMs = p.waveStepMs === null ? DEFAULT_PACE.waveStepMs : rescale(p.waveStepMs);
  return {
    appearToPodMs: p.appearToPodMs ?? DEFAULT_PACE.appearToPodMs,
    readyToHealthyMs: p.readyToHealthyMs ?? DEFAULT_PACE.readyToHealthyMs,
    podlessMs: p.podlessMs ?? DEFAULT_PACE.podlessMs,
    waveStepMs,
    // A run whose waves did not gate says nothing of the gate: a step at least as long as the ungated one.
    gateStepMs: p.gateStepMs === null ? Math.max(waveStepMs, DEFAULT_PACE.gateStepMs) : rescale(p.gateStepMs),
  };
}

/** (predicted − measured) / measured, in %, one decimal; null when either is missing. */
export function errorPct(predicted: number | null, measured: number | null): number | null {
  if (predicted === null || measured === null || measured <= 0) return null;
  return Math.round(((predicted - measured) / measured) * 1000) / 10;
}

/** The measured split of a stored rebuild (waves from the first child Application seen). */
/** The waves of a stored run as if Argo CD had held no app Healthy (critical-path.ts), when it held some. */
function withoutHolds(record: RunRecord, first: number | null) {
  const c = record.summary.collectors as { waves?: WavesSummary; pods?: PodsSummary; restarts?: RestartsSummary };
  if (!c.waves || first === null) return undefined;
  const needs = needsOf(record.summary);
  const w = criticalPathOf({ waves: c.waves, pods: c.pods, restarts: c.restarts, needs })?.withoutHealthWaits;
  return w?.path ? { waits: w.waits, wavesMs: w.path.to - first } : undefined;
}

/** The first child Application seen in a stored run. */
function firstSeen(record: RunRecord): number | null {
  const waves = (record.summary.collectors as { waves?: WavesSummary } | undefined)?.waves;
  const roots = new Set(waves?.roots ?? []);
  const seen = (waves?.apps ?? []).filter((a) => !roots.has(a.name) && a.first_seen).map((a) => a.first_seen!.t);
  return seen.length ? Math.min(...seen) : null;
}

export function measuredTimes(record: RunRecord): RebuildTimes {
  const waves = (record.summary.collectors as { waves?: WavesSummary } | undefined)?.waves;
  const rebuild = record.summary.rebuild as RebuildSummary | undefined;
  const first = firstSeen(record);
  const end = waves?.allHealthyAt ?? null;
  return {
    bootstrapMs: rebuild && first !== null ? first - rebuild.clockStart : null,
    wavesMs: first !== null && end !== null ? end - first : null,
    totalMs: rebuild?.totalMs ?? null,
  };
}

/** Each predicted app as the pods collector would have recorded its pod, for the critical path's parts. */
function podRecord(a: PredictedApp): PodLatencyRecord[] {
  if (a.podCreated === null || a.ready === null || a.started === null || a.pulled === null) return [];
  const since = (t: number) => t - a.podCreated!;
  return [
    {
      namespace: '',
      pod: a.name,
      app: a.name,
      wave: a.wave,
      created: { t: a.podCreated, source: 'watch' },
      phases: {
        scheduled: 0,
        initialized: 0,
        pulled: since(a.pulled),
        started: since(a.started),
        containersReady: since(a.ready),
        ready: since(a.ready),
      },
      pullMs: a.pulled - a.podCreated,
      restarts: a.restarts,
      crashLoopMs: a.restarts > 0 ? a.started - a.pulled : 0,
      seenReady: false,
      timedBy: 'watch',
    },
  ];
}

/** The predicted rebuild, its critical path (the same rules as a measured run's) and, given one, the measured run. */
export function predictionView(o: {
  prediction: Prediction;
  calibration: Calibration;
  timeScale: number;
  wavesGate: boolean;
  needs: ReadonlyMap<string, readonly string[]>;
  neverHealthy: ReadonlyMap<string, string>;
  measured?: RunRecord | undefined;
  /** The same plan with the held apps' waits kept. */
  heldAgain?: Prediction | undefined;
}): PredictionView {
  const { prediction: p } = o;
  const bootstrapMs = o.calibration.pace.bootstrapMs;
  const times = (endMs: number | null): RebuildTimes => ({
    bootstrapMs,
    wavesMs: endMs,
    totalMs: endMs !== null && bootstrapMs !== null ? bootstrapMs + endMs : null,
  });
  const predicted = times(p.endMs);
  const planned = new Set(p.apps.map((a) => a.name));
  const held = Object.entries(o.calibration.apps)
    .filter(([app, c]) => c.healthHeld && planned.has(app))
    .map(([app, c]) => ({ app, waitMs: c.healthLagMs! }));
  const path = criticalPath({
    apps: p.apps.map((a) => ({
      name: a.name,
      wave: a.wave,
      start: a.appear ?? 0,
      healthy: a.healthy,
      waited: a.restarts > 0,
    })),
    wavesGate: o.wavesGate,
    needs: o.needs,
    pods: p.apps.flatMap(podRecord),
  });
  const measured = o.measured ? measuredTimes(o.measured) : undefined;
  const holds = o.measured ? withoutHolds(o.measured, firstSeen(o.measured)) : undefined;
  return {
    calibration: { run: o.calibration.run, cluster: o.calibration.cluster, timeScale: o.calibration.timeScale },
    timeScale: o.timeScale,
    wavesGate: o.wavesGate,
    predicted,
    apps: p.apps,
    path,
    crashLoops: p.apps
      .filter((a) => a.restarts > 0)
      .map((a) => ({ app: a.name, restarts: a.restarts, waitedFor: a.waitedFor, forever: a.crashLoopsForever }))
      .sort((a, b) => b.restarts - a.restarts || a.app.localeCompare(b.app)),
    stuck: p.apps
      .filter((a) => a.healthy === null)
      .map((a) => ({
        app: a.name,
        why:
          o.neverHealthy.get(a.name) ??
          (a.appear === null
            ? 'its wave is never created (a lower wave is never Healthy and waves gate)'
            : `waits for ${a.waitedFor.map((n) => (o.needs.has(n) ? n : `${n} (not in the plan)`)).join(', ') || 'something'}, never Ready`),
      })),
    ...(held.length && o.heldAgain ? { ifHeldAgain: { waits: held, predicted: times(o.heldAgain.endMs) } } : {}),
    ...(o.measured && measured
      ? {
          measured: {
            ...measured,
            run: o.measured.id,
            errorPct: errorPct(predicted.totalMs, measured.totalMs),
            wavesErrorPct: errorPct(predicted.wavesMs, measured.wavesMs),
            ...(holds ? { withoutHolds: { ...holds, wavesErrorPct: errorPct(predicted.wavesMs, holds.wavesMs) } } : {}),
          },
        }
      : {}),
  };
}
