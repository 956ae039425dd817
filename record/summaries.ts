/**
 * What each collector publishes under `summary.collectors.<name>` in run.json: the types the
 * reports, the CLI and the suites read. The collectors (collectors/) compute them; everything here
 * is data, stored and re-read.
 */

/** Which clock a transition time came from: a live watch event, an object's timestamp, a relist (collectors/timing.ts). */
export type TimeSource = 'watch' | 'object' | 'relist';

export interface Stamped {
  t: number;
  source: TimeSource;
}

// waves: Argo CD Applications, per app and per sync wave.
export type AppEvent = 'first_seen' | 'sync_started' | 'synced' | 'healthy' | 'degraded' | 'health_lost';

/** A time an Application lost its health after being Healthy: from the loss to its return (null: not back by the end). */
export interface HealthEpisode {
  from: number;
  to: number | null;
  /** The worst status it had meanwhile (Progressing, Degraded, Missing, Unknown, Suspended). */
  status: string;
}

export interface AppTimeline {
  name: string;
  wave: number;
  /** The Application that created this one (app-of-apps): Argo CD's tracking annotation, else the instance label. */
  parent: string | undefined;
  first_seen?: Stamped;
  sync_started?: Stamped;
  synced?: Stamped;
  /** The transition into Healthy that held to the end of the run (absent when not Healthy at the end). */
  healthy?: Stamped;
  /** The first time it was Healthy (it may have lost its health since). */
  firstHealthy?: Stamped;
  /** Each time it lost its health after being Healthy. */
  episodes?: HealthEpisode[];
  degraded?: Stamped;
  /** Current state, for the end-of-run picture. */
  sync: string;
  health: string;
}

export interface WaveSummary {
  wave: number;
  apps: number;
  start: number | null;
  end: number | null;
  durationMs: number | null;
  slowestApp: string | null;
  slowestMs: number | null;
}

export interface OrderingViolation {
  app: string;
  wave: number;
  blockingWave: number;
  startedAt: number;
  /** When the blocking wave became healthy (null: never during the run). */
  blockingHealthyAt: number | null;
  earlyMs: number | null;
}

export interface WavesSummary {
  healthCheck: boolean | null;
  /** The app-of-apps roots: Applications others point to as their parent and that have none (or the configured one). Not counted in the waves. */
  roots?: string[];
  /** The Argo CD that ran: its version (argocd-cm's version label, or the controller's image tag) and where it was read. */
  argocd?: { version: string | null; mode: 'real' | 'twin' | 'unknown'; source: string };
  findings: string[];
  apps: AppTimeline[];
  waves: WaveSummary[];
  violations: OrderingViolation[];
  allHealthyAt: number | null;
  sources: Record<string, number>;
}

// restarts: container restarts, CrashLoopBackOff and OOMKills.
export interface RestartRecord {
  namespace: string;
  pod: string;
  container: string;
  app: string | undefined;
  wave: number | undefined;
  reason: string;
  exitCode: number | undefined;
  restartCount: number;
  at: Stamped;
  fault: string | undefined;
  /** The container was in CrashLoopBackOff when the restart was seen. */
  backoff: boolean;
  /** Filled at the end of the run. */
  classification?: 'dependency' | 'other';
}

export interface RestartsSummary {
  restarts: number;
  crashLoopBackOff: number;
  oomKilled: number;
  byApp: Array<{
    app: string;
    wave: number | undefined;
    restarts: number;
    crashLoops: number;
    dependency: number;
    other: number;
    oomKilled: number;
  }>;
  neverReady: string[];
  records: RestartRecord[];
}

// admission: dry-run probes and the API server's webhook metrics.
export type ProbeOutcome = 'admitted' | 'rejected' | 'error';

export interface LatencyStats {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface AdmissionSummary {
  namespace: string;
  intervalMs: number;
  probes: {
    count: number;
    admitted: number;
    mutated: number;
    rejected: number;
    errors: number;
    /** Ticks that found the previous probe still in flight. */
    skipped: number;
    /** Probes in flight when the collector stopped: aborted, not counted. */
    abandoned: number;
    /** ticks = count + skipped + abandoned. */
    ticks: number;
    /** Over every completed probe, whatever its outcome; null without probes. */
    latencyMs: LatencyStats | null;
    latencyByOutcome: Partial<Record<ProbeOutcome, LatencyStats>>;
    /** Rejected and error probes by reason. */
    reasons: Record<string, number>;
  };
  webhooks: Array<{
    name: string;
    type: string;
    count: number;
    sum_s: number;
    p50_s: number | null;
    p99_s: number | null;
    rejected: number;
  }>;
  rejectionsByErrorType: Record<string, number>;
  rejections: Array<{ webhook: string; error_type: string; code: string; count: number }>;
  failOpen: Record<string, number>;
  /** Cost of the /metrics scrapes: request plus parse (mean, max), parse alone (mean), size of the last one. */
  scrapes: {
    ok: number;
    failed: number;
    meanMs: number | null;
    maxMs: number | null;
    meanParseMs: number | null;
    bytes: number | null;
    seriesSeen: boolean;
  };
}

// events: Warning events and Argo CD Application events.
export interface EventsSummary {
  warnings: number;
  applicationEvents: number;
  byReason: Record<string, number>;
}

// pods: each pod created during the run, from creation to Ready (kube-burner's podLatency).
/** The phases of a pod's start, each timed from its creation. */
export type PodPhase = 'scheduled' | 'initialized' | 'pulled' | 'started' | 'containersReady' | 'ready';
export const POD_PHASES: readonly PodPhase[] = [
  'scheduled',
  'initialized',
  'pulled',
  'started',
  'containersReady',
  'ready',
];

export interface PodLatencyRecord {
  namespace: string;
  pod: string;
  app: string | undefined;
  wave: number | undefined;
  created: Stamped;
  /**
   * ms from creation to each phase (absent: not reached). `pulled`: the end of its last image pull;
   * `started`: the start of the container run that became Ready (after any crash-loop).
   */
  phases: Partial<Record<PodPhase, number>>;
  /** Wall time of its image pulls, waits in the pull queue included (0: every image was present). */
  pullMs: number | null;
  restarts: number;
  /** Time any container spent in CrashLoopBackOff. */
  crashLoopMs: number;
  /** First seen already Ready (after a watch gap): its times are the objects' seconds, not the watch's. */
  seenReady: boolean;
  /** watch: every time of it from live watch events (ms); otherwise the least precise source among them. */
  timedBy: TimeSource;
}

/** Latency of one phase over a group of pods (ms from creation), with how many pods reached it. */
export type PhaseStats = LatencyStats & { pods: number };

export interface PodGroupSummary {
  /** The app or the wave (as a string) the group is for. */
  key: string;
  wave: number | undefined;
  pods: number;
  phases: Partial<Record<PodPhase, PhaseStats>>;
  /** Image pull wall time per pod. */
  pullMs: PhaseStats | null;
  /** From the start of the run that became Ready (else the end of its pulls, else Initialized) to Ready. */
  startupMs: PhaseStats | null;
  restarts: number;
  crashLoopMs: number;
}

export interface PodsSummary {
  /** Pods created during the run (those there at the start are not counted). */
  pods: number;
  preexisting: number;
  /** Counted pods first seen already Ready (a watch gap): timed from object timestamps. */
  seenReady: number;
  /** Counted pods that were never Ready (nor Succeeded) by the end. */
  neverReady: number;
  phases: Partial<Record<PodPhase, PhaseStats>>;
  byApp: PodGroupSummary[];
  byWave: PodGroupSummary[];
  records: PodLatencyRecord[];
}

/** `summary.collectors` in run.json: each built-in collector's summary under its name (absent when it did not run). */
export interface CollectorSummaries {
  waves?: WavesSummary;
  restarts?: RestartsSummary;
  admission?: AdmissionSummary;
  events?: EventsSummary;
  pods?: PodsSummary;
}
