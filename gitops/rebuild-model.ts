import { crashBackoffMs } from './kubelet.ts';

/**
 * A model of the GitOps part of a rebuild, for `predict`: the root creates each wave's Applications
 * (after the previous wave's creation and Argo CD's wave step, or once it is Healthy when waves
 * gate); an app's pod is created, pulls its images and starts; a container whose dependencies are
 * not Ready when its start-up ends exits and restarts after the kubelet's back-off, until they are;
 * the Application is Healthy Argo CD's assessment time after its pod is Ready. Pure, times in ms
 * from the first wave's creation.
 */

export interface ModelApp {
  name: string;
  wave: number;
  /** Whether its sync makes pods; an app without (CRDs, configuration) is Healthy `podlessMs` after it is created. */
  pods: boolean;
  pullMs: number;
  startupMs: number;
  /** Apps whose Ready it cannot start without (it crash-loops until then). */
  needs: string[];
  /** Its own Argo CD sync time (created → first pod, or → Healthy without pods), when a run measured it; else the pace's. */
  syncMs?: number | undefined;
  /** Its own Ready → Healthy, when a run measured it; else the pace's. */
  healthLagMs?: number | undefined;
  /** Without pods: created → Synced, when a run measured it (what its dependents wait for); else the pace's created → first pod. */
  syncedMs?: number | undefined;
  /** Why it is never Healthy (its manifests do not render, it crashes whatever it waits for). */
  neverHealthy?: string | undefined;
}

/** Argo CD's pace (a calibration's `pace`, defaults where the run did not measure it). */
export interface ModelPace {
  appearToPodMs: number;
  readyToHealthyMs: number;
  podlessMs: number;
  waveStepMs: number;
  gateStepMs: number;
}

export interface ModelInput {
  apps: ModelApp[];
  wavesGate: boolean;
  pace: ModelPace;
  /** Multiplies the kubelet's back-off (the twin's time scale; 1 on a real cluster). */
  backoffScale: number;
}

export interface PredictedApp {
  name: string;
  wave: number;
  /** When the root created its Application. */
  appear: number | null;
  podCreated: number | null;
  pulled: number | null;
  /** The start of the container run that became Ready. */
  started: number | null;
  ready: number | null;
  healthy: number | null;
  restarts: number;
  /** The apps it was still waiting for at its first start. */
  waitedFor: string[];
  /** It restarts forever: what it waits for is never Ready (or not in the plan). */
  crashLoopsForever: boolean;
}

export interface Prediction {
  apps: PredictedApp[];
  /** Every app Healthy; null when some never is (a dependency that never comes, a gated wave that waits for a later one). */
  endMs: number | null;
}

/** Documented defaults for a pace the calibration run did not measure. */
export const DEFAULT_PACE: ModelPace = {
  appearToPodMs: 3000,
  readyToHealthyMs: 2000,
  podlessMs: 3000,
  waveStepMs: 3000,
  gateStepMs: 5000,
};

/** More restarts than this: the app never starts (its dependency is never Ready). */
const MAX_RESTARTS = 100;

export function predictRebuild(i: ModelInput): Prediction {
  const byName = new Map(i.apps.map((a) => [a.name, a]));
  const waves = [...new Set(i.apps.map((a) => a.wave))].sort((x, y) => x - y);
  const appearOfWave = new Map<number, number | null>();
  const done = new Map<string, PredictedApp>();
  const inProgress = new Set<string>();

  const waveAppear = (wave: number): number | null => {
    if (appearOfWave.has(wave)) return appearOfWave.get(wave)!;
    const k = waves.indexOf(wave);
    let t: number | null;
    if (k <= 0) t = 0;
    else if (!i.wavesGate) {
      const prev = waveAppear(waves[k - 1]!);
      t = prev === null ? null : prev + i.pace.waveStepMs;
    } else {
      const healthies = i.apps.filter((a) => a.wave === waves[k - 1]).map((a) => predict(a.name)?.healthy ?? null);
      t = healthies.some((h) => h === null) ? null : Math.max(...(healthies as number[])) + i.pace.gateStepMs;
    }
    appearOfWave.set(wave, t);
    return t;
  };

  /** null while it is being computed (a cycle: it waits for itself). */
  const predict = (name: string): PredictedApp | null => {
    const known = done.get(name);
    if (known) return known;
    if (inProgress.has(name)) return null;
    inProgress.add(name);
    const a = byName.get(name)!;
    const p = simulate(a, waveAppear(a.wave), (dep) => (byName.has(dep) ? (predict(dep)?.ready ?? null) : null), i);
    inProgress.delete(name);
    done.set(name, p);
    return p;
  };

  const apps = i.apps.map((a) => predict(a.name)!);
  const healthy = apps.map((a) => a.healthy);
  return {
    apps,
    endMs: healthy.length && healthy.every((h) => h !== null) ? Math.max(...healthy) : null,
  };
}

function simulate(
  a: ModelApp,
  appear: number | null,
  readyOf: (app: string) => number | null,
  i: ModelInput,
): PredictedApp {
  const base: PredictedApp = {
    name: a.name,
    wave: a.wave,
    appear,
    podCreated: null,
    pulled: null,
    started: null,
    ready: null,
    healthy: null,
    restarts: 0,
    waitedFor: [],
    crashLoopsForever: false,
  };
  if (appear === null || a.neverHealthy) return base;
  if (!a.pods) {
    // Its dependents start once it is applied (Synced), not once Argo CD says it is Healthy.
    const healthy = appear + (a.syncMs ?? i.pace.podlessMs);
    return { ...base, ready: Math.min(healthy, appear + (a.syncedMs ?? i.pace.appearToPodMs)), healthy };
  }
  const podCreated = appear + (a.syncMs ?? i.pace.appearToPodMs);
  const lag = a.healthLagMs ?? i.pace.readyToHealthyMs;
  const pulled = podCreated + a.pullMs;
  const needs = a.needs.filter((n) => n !== a.name);
  let started = pulled;
  let restarts = 0;
  let waitedFor: string[] = [];
  for (;;) {
    const end = started + a.startupMs;
    const missing = needs.filter((n) => {
      const r = readyOf(n);
      return r === null || r > end;
    });
    if (restarts === 0) waitedFor = missing;
    if (missing.length === 0)
      return { ...base, podCreated, pulled, started, ready: end, healthy: end + lag, restarts, waitedFor };
    if (restarts >= MAX_RESTARTS || missing.some((n) => readyOf(n) === null))
      return { ...base, podCreated, pulled, restarts: Math.max(1, restarts), waitedFor, crashLoopsForever: true };
    restarts++;
    started = end + crashBackoffMs(restarts) * i.backoffScale;
  }
}
