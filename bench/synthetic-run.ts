/**
 * A SYNTHETIC stored run for bench/report.bench.ts: nothing here was recorded on a cluster. It is
 * generated from a seeded random generator (the same run on every call) and written through the real
 * run store writers (sinks/run-store.ts: run.json, and points.lp through PointFile), in the layout
 * `rebuild-bench report` reads: `<home>/runs/<run-id>/`.
 *
 * What it pretends to be: a 45-minute run of a user suite, `rebuild-under-load`, that runs the rebuild
 * suite's timeline (plan, then destroy → apply → API reachable → nodes Ready → Argo CD ready → root app
 * → waves, against the 30–45 min target) with the waves, restarts, events and admission collectors
 * started once Argo CD answers, and k6 admission load (suites/k6/admission-load.ts, constant arrival
 * rate, dry-run pod creates) from then to the end. The built-in rebuild suite runs neither the
 * admission collector nor k6; they are here because they are what makes a run big (k6 writes one
 * point per sample), and so that every section and chart of the report has data.
 *
 * Contents, with the defaults:
 * - 100 Applications under a root app-of-apps, waves -5…9: 15 platform apps (CRDs, Kyverno,
 *   cert-manager, external-secrets, CNPG, ingress, monitoring) and 85 team apps (10 domains, one role
 *   per wave, each depending on the role below it). argocd-cm has no Application health check, so
 *   waves do not gate: ordering violations and the WAVES_DO_NOT_GATE finding. rb_app points for
 *   first_seen, sync_started, synced, healthy, a few degraded and health_lost episodes; rb_wave and
 *   rb_ordering_violation at the end.
 * - Container restarts (rb_restart): team apps crash until the app they depend on is Healthy, with
 *   CrashLoopBackOff back-off (10 s doubling to 5 min), two OOMKills; so the run is on target but fails
 *   its zero-CrashLoopBackOff check.
 * - Events (rb_event, deduplicated as the collector does: a point each time an event's count grows):
 *   readiness probe failures every 10 s while pods start, BackOff, FailedCreate while Kyverno's
 *   webhook has no endpoints, FailedScheduling, and the Argo CD Application events.
 * - Admission: a dry-run probe every second (rb_admission_probe; latency follows how many apps are
 *   syncing, rejections while Kyverno starts, a few API timeouts), webhook metrics every 15 s
 *   (rb_admission_webhook, rb_admission_rejection, rb_admission_fail_open).
 * - k6: 8 iterations/s, each giving http_reqs, http_req_duration, http_req_failed,
 *   admission_latency, admission_rejected and iterations samples, plus vus every second (rb_k6):
 *   about 95,000 of the ~103,000 points.
 * - run.json: phases, the cluster-destroy fault, checks, verdict, and the summaries the collectors and
 *   suites publish (rebuild, waves, restarts, events, admission, k6), consistent with the points.
 */
import { join } from 'node:path';
import { quantileSorted } from 'simple-statistics';
import { fmtMinutes } from '../core/format.ts';
import { WAVES_DO_NOT_GATE } from '../gitops/argocd.ts';
import type { Point } from '../record/point.ts';
import type { RunRecord } from '../record/run-record.ts';
import { POINTS_FILE } from '../record/store.ts';
import type {
  AdmissionSummary,
  AppTimeline,
  EventsSummary,
  LatencyStats,
  ProbeOutcome,
  RestartRecord,
  RestartsSummary,
  WavesSummary,
} from '../record/summaries.ts';
import { targetOutcome, type RebuildSummary, type TargetWindow } from '../record/target.ts';
import { createRunDir, PointFile, writeRunRecord } from '../sinks/run-store.ts';
import { restartPoint } from '../collectors/restarts.ts';
import { restartsByApp } from '../collectors/restarts-reducer.ts';
import { violationPoint, wavePoint, waveRows } from '../collectors/waves.ts';

export interface SyntheticRunOptions {
  /** k6 iterations per second (constant arrival rate), default 8: what brings the run past 100,000 points. */
  k6Rate?: number;
  /** Seed of the random generator, default 14. */
  seed?: number;
}

export interface SyntheticRun {
  id: string;
  dir: string;
  points: number;
  byMeasurement: Record<string, number>;
}

const RUN_ID = '20261121-222100-000-b014';
const SUITE = 'rebuild-under-load';
const CLUSTER = 'staging-eu';
const STARTED = Date.parse('2026-11-21T22:21:00.000Z');
const S = 1000;
const MIN = 60 * S;
const PROBE_NS = 'rebuild-bench-probe';
const K6_NAME = 'POST pods?dryRun=All';
const KYVERNO_MUTATE = 'mutate.kyverno.svc-fail';
const KYVERNO_VALIDATE = 'validate.kyverno.svc-fail';
/** Argo CD moves to the next wave once the previous one is Synced (no health gate): about this often. */
const WAVE_SPACING_S = 104;

/** mulberry32: small, fast, deterministic. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return {
    next,
    between: (lo: number, hi: number) => lo + (hi - lo) * next(),
    int: (lo: number, hi: number) => lo + Math.floor((hi - lo + 1) * next()),
    /** Log-normal around `median`. */
    logNormal: (median: number, sigma: number) => median * Math.exp(sigma * gauss()),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    hex: (n: number) =>
      Array.from({ length: n }, () => 'bcdfghjklmnpqrstvwxz2456789'[Math.floor(next() * 27)]).join(''),
  };
}

const PLATFORM: Array<[number, string[]]> = [
  [-5, ['prometheus-operator-crds', 'gateway-api-crds', 'snapshot-controller-crds']],
  [-4, ['kyverno', 'cert-manager', 'external-secrets']],
  [-3, ['kyverno-policies', 'cert-manager-issuers', 'external-secrets-stores']],
  [-2, ['cnpg-operator', 'ingress-nginx', 'metallb']],
  [-1, ['kube-prometheus-stack', 'loki', 'velero']],
];
const DOMAINS = ['billing', 'catalog', 'checkout', 'search', 'notify', 'ledger', 'profile', 'media', 'reports', 'auth'];
/** Role of a team app by wave 0…9: each depends on the one below it. */
const ROLES = ['db', 'cache', 'migrations', 'api', 'worker', 'scheduler', 'web', 'ingress', 'alerts', 'dashboards'];

interface App {
  t: AppTimeline;
  namespace: string;
  dependsOn: string | null;
  pods: string[];
  /** When its pods started (ms). */
  podsAt: number;
}

/** ISO time of an epoch ms. */
const iso = (t: number) => new Date(t).toISOString();
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

function latencyStats(values: number[]): LatencyStats | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    p50: r(quantileSorted(s, 0.5)),
    p90: r(quantileSorted(s, 0.9)),
    p99: r(quantileSorted(s, 0.99)),
    max: r(s[s.length - 1]!),
  };
}

/** Writes the synthetic run under `<home>/runs/` and returns its id, directory and point counts. */
export async function writeSyntheticRun(home: string, opts: SyntheticRunOptions = {}): Promise<SyntheticRun> {
  const rnd = random(opts.seed ?? 14);
  const durationMs = 45 * MIN;
  const k6Rate = opts.k6Rate ?? 8;
  const ended = STARTED + durationMs;

  // ------------------------------------------------------------------ the suite's timeline
  const planEnd = STARTED + 21.3 * S;
  const clockStart = STARTED + 21.5 * S;
  const at = (offsetMs: number) => clockStart + offsetMs;
  const steps: Array<{ name: string; start: number; end: number }> = [
    { name: 'destroy', start: at(0), end: at(3 * MIN + 12 * S) },
    { name: 'apply', start: at(3 * MIN + 12 * S), end: at(9 * MIN + 5 * S) },
    { name: 'api-reachable', start: at(9 * MIN + 5 * S), end: at(9 * MIN + 48 * S) },
    { name: 'nodes-ready', start: at(9 * MIN + 48 * S), end: at(10 * MIN + 52 * S) },
    { name: 'argocd-ready', start: at(10 * MIN + 52 * S), end: at(12 * MIN + 20 * S) },
  ];
  const collectorsAt = at(12 * MIN + 20.4 * S);
  steps.push({ name: 'root-app-created', start: collectorsAt + 10, end: collectorsAt + 3.8 * S });

  // ------------------------------------------------------------------ Applications
  const apps = new Map<string, App>();
  const waveStart = (w: number) => collectorsAt + 5 * S + (w + 5) * WAVE_SPACING_S * S;
  const addApp = (name: string, wave: number, namespace: string, dependsOn: string | null) => {
    const t: AppTimeline = { name, wave, parent: 'root', sync: 'Synced', health: 'Healthy' };
    apps.set(name, { t, namespace, dependsOn, pods: [], podsAt: 0 });
  };
  for (const [wave, names] of PLATFORM) for (const n of names) addApp(n, wave, n, null);
  for (const [i, domain] of DOMAINS.entries())
    for (const [wave, role] of ROLES.entries()) {
      // 85 team apps: the last five domains have no dashboards wave.
      if (wave === 9 && i >= 5) continue;
      addApp(`${domain}-${role}`, wave, `team-${domain}`, wave === 0 ? null : `${domain}-${ROLES[wave - 1]}`);
    }
  const ordered = [...apps.values()].sort((a, b) => a.t.wave - b.t.wave || (a.t.name < b.t.name ? -1 : 1));
  const stamp = (t: number) =>
    rnd.next() < 0.05
      ? { t: Math.floor(t / 1000) * 1000, source: 'object' as const }
      : { t: Math.round(t), source: 'watch' as const };

  const restarts: RestartRecord[] = [];
  for (const a of ordered) {
    const w = a.t.wave;
    const syncStarted = waveStart(w) + rnd.between(0.2, 8) * S;
    a.t.first_seen = stamp(syncStarted - rnd.between(0.3, 2.5) * S);
    a.t.sync_started = stamp(syncStarted);
    const synced = syncStarted + rnd.between(2, 40) * S;
    a.t.synced = stamp(synced);
    a.podsAt = synced + rnd.between(2, 9) * S;
    const replicas = a.t.name.endsWith('-crds') ? 0 : rnd.int(1, 3);
    const rs = rnd.hex(9);
    const container = a.t.name.split('-').pop()!;
    for (let r = 0; r < replicas; r++) a.pods.push(`${a.t.name}-${rs}-${rnd.hex(5)}`);
    let ready = a.podsAt + Math.min(300 * S, rnd.logNormal(110 * S, 0.5));
    // A CNPG cluster starts once the operator (and its webhook) is up, then runs initdb.
    if (w === 0) ready = Math.max(ready, apps.get('cnpg-operator')!.t.firstHealthy!.t + rnd.between(60, 150) * S);
    // Crash until the dependency is Healthy (CrashLoopBackOff: 10 s, doubling, at most 5 min).
    const dep = a.dependsOn ? apps.get(a.dependsOn) : undefined;
    const depHealthy = dep?.t.firstHealthy?.t;
    if (depHealthy !== undefined && a.pods.length && a.podsAt < depHealthy) {
      for (const pod of a.pods) {
        let t = a.podsAt + rnd.between(3, 8) * S;
        let count = 0;
        let backoff = 10 * S;
        while (t < depHealthy) {
          count++;
          restarts.push({
            namespace: a.namespace,
            pod,
            container,
            app: a.t.name,
            wave: w,
            reason: 'Error',
            exitCode: 1,
            restartCount: count,
            at: { t: Math.round(t), source: 'watch' },
            fault: undefined,
            backoff: count >= 2,
            classification: 'dependency',
          });
          t += backoff + rnd.between(2, 6) * S;
          backoff = Math.min(backoff * 2, 300 * S);
        }
        ready = Math.max(ready, t + rnd.between(8, 25) * S);
      }
    }
    if (a.t.name === 'kube-prometheus-stack' || a.t.name === 'loki') {
      const pod = a.pods[0]!;
      const t = a.podsAt + rnd.between(40, 90) * S;
      restarts.push({
        namespace: a.namespace,
        pod,
        container: a.t.name === 'loki' ? 'loki' : 'prometheus',
        app: a.t.name,
        wave: w,
        reason: 'OOMKilled',
        exitCode: 137,
        restartCount: 1,
        at: { t: Math.round(t), source: 'watch' },
        fault: undefined,
        backoff: false,
        classification: 'other',
      });
      ready = Math.max(ready, t + 40 * S);
    }
    if (rnd.next() < 0.07) a.t.degraded = stamp(synced + rnd.between(10, 30) * S);
    const healthy = stamp(Math.max(ready, synced + 3 * S));
    a.t.firstHealthy = healthy;
    a.t.healthy = healthy;
  }
  // A few apps lose their health for a while once Healthy (their dependency restarted, a probe flapped).
  for (const name of ['ingress-nginx', 'billing-api', 'search-worker', 'media-web', 'ledger-cache']) {
    const a = apps.get(name)!;
    const from = a.t.healthy!.t + rnd.between(30, 120) * S;
    const to = from + rnd.between(20, 90) * S;
    a.t.episodes = [{ from: Math.round(from), to: Math.round(to), status: rnd.pick(['Progressing', 'Degraded']) }];
    a.t.healthy = { t: Math.round(to), source: 'watch' };
  }
  const allApps = ordered.map((a) => a.t);
  const allHealthyAt = Math.max(...allApps.map((a) => Math.max(a.healthy!.t, a.synced!.t)));
  const wavesEnd = allHealthyAt + 1.6 * S;
  steps.push({ name: 'waves', start: collectorsAt + 3.9 * S, end: wavesEnd });
  // The generator is seeded: this holds for the default seed, and says so if another one overruns.
  if (wavesEnd > ended - 30 * S) throw new Error('synthetic run: the waves end after the 45 minutes; try another seed');
  // Then the suite keeps the load on until the 45 minutes are up (the admission check covers the whole run).
  const hold = { name: 'hold load', start: wavesEnd + 50, end: ended - 3 * S };

  // Per-wave rows and ordering violations, by the waves collector's own function.
  const { waves, violations } = waveRows(allApps);
  const sources: Record<string, number> = {};
  for (const a of allApps)
    for (const ev of ['first_seen', 'sync_started', 'synced', 'healthy'] as const)
      sources[a[ev]!.source] = (sources[a[ev]!.source] ?? 0) + 1;
  const root: AppTimeline = {
    name: 'root',
    wave: 0,
    parent: undefined,
    first_seen: { t: collectorsAt + 900, source: 'watch' },
    sync_started: { t: collectorsAt + 1400, source: 'watch' },
    synced: { t: collectorsAt + 3600, source: 'watch' },
    healthy: { t: Math.round(allHealthyAt + 400), source: 'watch' },
    sync: 'Synced',
    health: 'Healthy',
  };
  const wavesSummary: WavesSummary = {
    healthCheck: false,
    roots: ['root'],
    argocd: { version: 'v3.2.11', mode: 'real', source: 'argocd-cm app.kubernetes.io/version' },
    findings: [WAVES_DO_NOT_GATE],
    apps: allApps,
    waves,
    violations,
    allHealthyAt,
    sources,
  };

  // ------------------------------------------------------------------ points
  const common = { run: RUN_ID, suite: SUITE, cluster: CLUSTER };
  const live: Point[] = [];
  const point = (measurement: string, tags: Record<string, string>, fields: Point['fields'], time: number) =>
    live.push({ measurement, tags: { ...tags, ...common }, fields, time });
  const offset = (t: number) => round((t - collectorsAt) / 1000);

  const destroyCmd = 'tofu -chdir=infra/clusters/staging-eu destroy -auto-approve -input=false';
  point(
    'rb_phase',
    { phase: 'plan', parent: '', status: 'ok' },
    { duration_s: round((planEnd - STARTED) / 1000) },
    planEnd,
  );
  for (const st of [...steps, hold])
    point('rb_phase', { phase: st.name, parent: '', status: 'ok' }, { duration_s: (st.end - st.start) / 1000 }, st.end);
  const destroy = steps[0]!;
  const apply = steps[1]!;
  const faultTitle = `destroy the cluster: ${destroyCmd}`;
  point('rb_fault', { fault: 'cluster-destroy', fault_id: 'f1', event: 'applied' }, { title: faultTitle }, destroy.end);
  point(
    'rb_fault',
    { fault: 'cluster-destroy', fault_id: 'f1', event: 'rolled-back' },
    { title: faultTitle },
    apply.end,
  );

  for (const a of [root, ...allApps]) {
    const app = (ev: string, s: { t: number; source: string }, extra: Record<string, string> = {}) =>
      point(
        'rb_app',
        { app: a.name, wave: String(a.wave), event: ev, source: s.source, ...extra },
        { offset_s: offset(s.t) },
        s.t,
      );
    app('first_seen', a.first_seen!);
    app('sync_started', a.sync_started!);
    app('synced', a.synced!);
    if (a.degraded) app('degraded', a.degraded);
    app('healthy', a.firstHealthy ?? a.healthy!);
    for (const e of a.episodes ?? []) {
      app('health_lost', { t: e.from, source: 'watch' }, { status: e.status });
      app('healthy', { t: e.to!, source: 'watch' });
    }
  }

  // Events: deduplicated per event object, a point each time its count grows.
  const eventsSummary: EventsSummary = { warnings: 0, applicationEvents: 0, byReason: {} };
  const event = (
    o: { namespace: string; kind: string; name: string; reason: string; type: 'Warning' | 'Normal' },
    message: string,
    times: number[],
  ) => {
    times.forEach((t, i) => {
      if (t < collectorsAt || t > ended) return;
      eventsSummary.byReason[o.reason] = (eventsSummary.byReason[o.reason] ?? 0) + 1;
      if (o.type === 'Warning') eventsSummary.warnings++;
      if (o.kind === 'Application') eventsSummary.applicationEvents++;
      point('rb_event', { ...o }, { message: message.slice(0, 500), count: i + 1 }, Math.round(t));
    });
  };
  const every = (from: number, to: number, step: number) => {
    const out: number[] = [];
    for (let t = from; t < to; t += step) out.push(t);
    return out;
  };
  const appByName = (n: string) => apps.get(n)!;
  for (const a of ordered) {
    const t = a.t;
    const ns = 'argocd';
    const appEv = (reason: string, message: string, time: number) =>
      event({ namespace: ns, kind: 'Application', name: t.name, reason, type: 'Normal' }, message, [time]);
    const rev = `${rnd.hex(7)}${rnd.hex(7)}`.slice(0, 12);
    appEv('OperationStarted', `initiated automated sync to '${rev}'`, t.sync_started!.t);
    appEv('ResourceUpdated', 'Updated sync status:  -> OutOfSync', t.first_seen!.t + 200);
    appEv('ResourceUpdated', 'Updated health status:  -> Missing', t.first_seen!.t + 260);
    appEv('ResourceUpdated', 'Updated sync status: OutOfSync -> Synced', t.synced!.t);
    appEv('OperationCompleted', `Sync operation to ${rev} succeeded`, t.synced!.t + 15);
    appEv('ResourceUpdated', 'Updated health status: Missing -> Progressing', t.synced!.t + 120);
    if (t.degraded) appEv('ResourceUpdated', 'Updated health status: Progressing -> Degraded', t.degraded.t);
    appEv('ResourceUpdated', 'Updated health status: Progressing -> Healthy', t.firstHealthy!.t);
    for (const e of t.episodes ?? []) {
      appEv('ResourceUpdated', `Updated health status: Healthy -> ${e.status}`, e.from);
      appEv('ResourceUpdated', `Updated health status: ${e.status} -> Healthy`, e.to!);
    }
    // Readiness probes fail every 10 s from the pod's start until it is Ready.
    for (const pod of a.pods) {
      const ready = a.t.firstHealthy!.t - rnd.between(0.5, 3) * S;
      const port = rnd.pick([8080, 8443, 9090, 3000]);
      event(
        { namespace: a.namespace, kind: 'Pod', name: pod, reason: 'Unhealthy', type: 'Warning' },
        `Readiness probe failed: Get "http://10.244.${rnd.int(0, 7)}.${rnd.int(2, 250)}:${port}/healthz": dial tcp 10.244.3.17:${port}: connect: connection refused`,
        every(a.podsAt + rnd.between(5, 12) * S, ready, 10 * S),
      );
    }
  }
  // BackOff, one event per pod whose count grows at each restart.
  const restartsByPod = new Map<string, RestartRecord[]>();
  for (const r of restarts)
    if (r.reason !== 'OOMKilled') restartsByPod.set(r.pod, [...(restartsByPod.get(r.pod) ?? []), r]);
  for (const [pod, rs] of restartsByPod) {
    const r = rs[0]!;
    event(
      { namespace: r.namespace, kind: 'Pod', name: pod, reason: 'BackOff', type: 'Warning' },
      `Back-off restarting failed container ${r.container} in pod ${pod}_${r.namespace}(${rnd.hex(8)}-${rnd.hex(4)})`,
      rs.map((x) => x.at.t + 1500),
    );
  }
  // While Kyverno's webhook has no endpoints, every ReplicaSet that creates a pod fails (back-off 1 s doubling).
  const kyverno = appByName('kyverno');
  const kyvernoDown = { from: kyverno.t.synced!.t + 4 * S, to: kyverno.t.firstHealthy!.t };
  for (const a of ordered.filter((x) => x.pods.length && x.podsAt < kyvernoDown.to && x.t.name !== 'kyverno')) {
    const times: number[] = [];
    for (let t = Math.max(a.podsAt, kyvernoDown.from), d = S; t < kyvernoDown.to; t += d, d = Math.min(d * 2, 60 * S))
      times.push(t);
    event(
      {
        namespace: a.namespace,
        kind: 'ReplicaSet',
        name: a.pods[0]!.split('-').slice(0, -1).join('-'),
        reason: 'FailedCreate',
        type: 'Warning',
      },
      `Error creating: Internal error occurred: failed calling webhook "${KYVERNO_MUTATE}": failed to call webhook: Post "https://kyverno-svc.kyverno.svc:443/mutate/fail?timeout=10s": no endpoints available for service "kyverno-svc"`,
      times,
    );
  }
  // Pods pending on CPU while the monitoring stack and the first team waves start together.
  for (const a of ordered.filter((x) => x.t.wave >= -1 && x.t.wave <= 3 && x.pods.length).slice(0, 30)) {
    const from = a.podsAt - rnd.between(20, 90) * S;
    event(
      { namespace: a.namespace, kind: 'Pod', name: a.pods[0]!, reason: 'FailedScheduling', type: 'Warning' },
      '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
      every(from, a.podsAt, 15 * S),
    );
  }

  // Admission: the state of the chain at a time, and a latency for it.
  const timeline = ordered.map((a) => [a.t.sync_started!.t, a.t.firstHealthy!.t] as const);
  const busy = (t: number) => timeline.reduce((n, [s, h]) => n + (s <= t && t < h ? 1 : 0), 0);
  const stallFrom = appByName('kube-prometheus-stack').t.synced!.t + 20 * S;
  const admission = (
    t: number,
    sigma = 0.35,
  ): { outcome: ProbeOutcome; latencyMs: number; reason: string; mutated: boolean } => {
    if (t < kyvernoDown.from)
      return { outcome: 'admitted', latencyMs: rnd.logNormal(9, sigma), reason: '', mutated: false };
    if (t < kyvernoDown.to)
      return {
        outcome: 'rejected',
        latencyMs: rnd.logNormal(6, sigma),
        reason: `webhook-unreachable:${KYVERNO_MUTATE}`,
        mutated: false,
      };
    // The API server stalls for half a minute while the monitoring stack's CRDs are applied.
    if (t >= stallFrom && t < stallFrom + 30 * S && rnd.next() < 0.25)
      return { outcome: 'error', latencyMs: 15_000 + rnd.between(0, 40), reason: 'api-timeout', mutated: false };
    const load = 1 + busy(t) / 12;
    const tail = rnd.next() < 0.01 ? rnd.between(4, 20) : 1;
    return { outcome: 'admitted', latencyMs: rnd.logNormal(28, sigma) * load * tail, reason: '', mutated: true };
  };

  // The probe: every second; a tick finding the previous probe still in flight is skipped.
  const probes: Array<{ outcome: ProbeOutcome; latencyMs: number; reason: string; mutated: boolean }> = [];
  let skipped = 0;
  let ticks = 0;
  let busyUntil = 0;
  for (let t = collectorsAt + S; t < ended - 200; t += S) {
    ticks++;
    if (t < busyUntil) {
      skipped++;
      continue;
    }
    const p = admission(t);
    busyUntil = t + p.latencyMs;
    probes.push(p);
    const tags: Record<string, string> = { outcome: p.outcome, mutated: String(p.mutated) };
    if (p.reason) tags.reason = p.reason;
    point('rb_admission_probe', tags, { latency_ms: round(p.latencyMs) }, Math.round(t + p.latencyMs));
  }

  // k6: constant arrival rate from Argo CD ready to the end of the run.
  const k6From = collectorsAt + 2 * S;
  const k6Latencies: number[] = [];
  const k6Ok: number[] = [];
  let k6Failed = 0;
  let k6Rejected = 0;
  let k6Iterations = 0;
  const inFlight: number[] = [];
  for (let i = 0, t = k6From; t < ended - 500; i++, t = k6From + (i * 1000) / k6Rate) {
    const a = admission(t, 0.45);
    const latency = a.outcome === 'error' ? 10_000 + rnd.between(0, 30) : a.latencyMs + rnd.between(1, 4);
    const end = t + latency;
    inFlight.push(end);
    const status = a.outcome === 'admitted' ? '201' : a.outcome === 'rejected' ? '500' : '0';
    const failed = a.outcome !== 'admitted';
    const req: Record<string, string> = {
      name: K6_NAME,
      method: 'POST',
      status,
      expected_response: String(!failed),
      scenario: 'admission',
    };
    if (failed) req.error_code = a.outcome === 'rejected' ? '1500' : '1050';
    const v = round(latency, 4);
    point('rb_k6', { metric: 'http_reqs', ...req }, { value: 1 }, end);
    point('rb_k6', { metric: 'http_req_duration', ...req }, { value: v }, end);
    point('rb_k6', { metric: 'http_req_failed', ...req }, { value: failed ? 1 : 0 }, end);
    point(
      'rb_k6',
      { metric: 'admission_latency', outcome: a.outcome, scenario: 'admission' },
      { value: v },
      end + 0.05,
    );
    point(
      'rb_k6',
      { metric: 'admission_rejected', outcome: a.outcome, scenario: 'admission' },
      { value: a.outcome === 'rejected' ? 1 : 0 },
      end + 0.06,
    );
    point('rb_k6', { metric: 'iterations', scenario: 'admission' }, { value: 1 }, end + 0.1);
    k6Latencies.push(latency);
    if (!failed) k6Ok.push(latency);
    if (failed) k6Failed++;
    if (a.outcome === 'rejected') k6Rejected++;
    k6Iterations++;
  }
  inFlight.sort((a, b) => a - b);
  for (let t = k6From + S, started = 0, done = 0; t < ended - 500; t += S) {
    // VUs busy at t: iterations started and not yet finished (at least the preallocated one).
    started = Math.min(k6Iterations, Math.floor(((t - k6From) * k6Rate) / 1000) + 1);
    while (done < inFlight.length && inFlight[done]! <= t) done++;
    point('rb_k6', { metric: 'vus' }, { value: Math.max(1, started - done) }, t);
  }

  // Webhook metrics: deltas every 15 s.
  const webhookAcc = new Map<
    string,
    { name: string; type: string; count: number; sum: number; rejected: number; p50: number[]; p99: number[] }
  >();
  const rejectionAcc = new Map<string, { webhook: string; error_type: string; code: string; count: number }>();
  const failOpen: Record<string, number> = {};
  let scrapes = 0;
  const cnpgFrom = appByName('cnpg-operator').t.firstHealthy!.t;
  for (let t = collectorsAt + 15 * S; t < ended - 200; t += 15 * S) {
    scrapes++;
    const from = t - 15 * S;
    const creates = Math.round(15 * (k6Rate + 1));
    const b = busy(t);
    const hook = (name: string, type: string, operation: string, rejected: boolean, count: number, medianS: number) => {
      if (count <= 0) return;
      const p50 = medianS * rnd.logNormal(1, 0.15);
      const p99 = p50 * rnd.between(2.5, 6);
      const sum = count * p50 * 1.3;
      point(
        'rb_admission_webhook',
        { webhook: name, type, operation, rejected: String(rejected) },
        { count, sum_s: round(sum, 6), p50_s: round(p50, 6), p99_s: round(p99, 6) },
        t,
      );
      const k = `${name}|${type}`;
      const acc = webhookAcc.get(k) ?? { name, type, count: 0, sum: 0, rejected: 0, p50: [], p99: [] };
      acc.count += count;
      acc.sum += sum;
      if (rejected) acc.rejected += count;
      acc.p50.push(p50);
      acc.p99.push(p99);
      webhookAcc.set(k, acc);
    };
    const reject = (webhook: string, error_type: string, code: string, count: number) => {
      if (count <= 0) return;
      point('rb_admission_rejection', { webhook, error_type, code }, { count }, t);
      const k = `${webhook}|${error_type}|${code}`;
      const acc = rejectionAcc.get(k) ?? { webhook, error_type, code, count: 0 };
      acc.count += count;
      rejectionAcc.set(k, acc);
    };
    if (t < kyvernoDown.from) continue;
    const load = 1 + b / 12;
    if (from < kyvernoDown.to) {
      const n = Math.round(
        creates * Math.min(1, (Math.min(t, kyvernoDown.to) - Math.max(from, kyvernoDown.from)) / (15 * S)),
      );
      hook(KYVERNO_MUTATE, 'admit', 'CREATE', true, n, 0.004);
      reject(KYVERNO_MUTATE, 'calling_webhook_error', '500', n);
      if (n > 0) {
        point('rb_admission_fail_open', { webhook: 'mutate.kyverno.svc-ignore' }, { count: n * 2 }, t);
        failOpen['mutate.kyverno.svc-ignore'] = (failOpen['mutate.kyverno.svc-ignore'] ?? 0) + n * 2;
      }
      continue;
    }
    hook(KYVERNO_MUTATE, 'admit', 'CREATE', false, creates + b * 2, 0.011 * load);
    hook(KYVERNO_MUTATE, 'admit', 'UPDATE', false, b * 9, 0.008 * load);
    hook(KYVERNO_VALIDATE, 'validating', 'CREATE', false, creates + b * 2, 0.014 * load);
    hook(KYVERNO_VALIDATE, 'validating', 'UPDATE', false, b * 9, 0.009 * load);
    hook(KYVERNO_VALIDATE, 'validating', 'DELETE', false, Math.round(b / 3), 0.006 * load);
    const denied = b > 8 && rnd.next() < 0.3 ? rnd.int(1, 3) : 0;
    hook(KYVERNO_VALIDATE, 'validating', 'CREATE', true, denied, 0.012 * load);
    reject(KYVERNO_VALIDATE, 'no_error', '400', denied);
    if (t > cnpgFrom) {
      const clusters = ordered.filter(
        (a) => a.t.wave === 0 && a.t.sync_started!.t < t && a.t.firstHealthy!.t > from,
      ).length;
      hook('mcluster.cnpg.io', 'admit', 'CREATE', false, clusters, 0.005);
      hook('vcluster.cnpg.io', 'validating', 'UPDATE', false, clusters * 6, 0.004);
    }
    hook('webhook.cert-manager.io', 'validating', 'CREATE', false, Math.round(b / 4), 0.003);
  }

  // ------------------------------------------------------------------ summaries and run.json
  const restartsSummary: RestartsSummary = {
    restarts: restarts.length,
    crashLoopBackOff: restarts.filter((r) => r.backoff).length,
    oomKilled: restarts.filter((r) => r.reason === 'OOMKilled').length,
    byApp: restartsByApp(restarts),
    neverReady: [],
    records: [...restarts].sort((a, b) => a.at.t - b.at.t),
  };

  const probeLatencies = (o?: ProbeOutcome) => probes.filter((p) => !o || p.outcome === o).map((p) => p.latencyMs);
  const latencyByOutcome: AdmissionSummary['probes']['latencyByOutcome'] = {};
  for (const o of ['admitted', 'rejected', 'error'] as const) {
    const s = latencyStats(probeLatencies(o));
    if (s) latencyByOutcome[o] = s;
  }
  const reasons: Record<string, number> = {};
  for (const p of probes) if (p.reason) reasons[p.reason] = (reasons[p.reason] ?? 0) + 1;
  const rejectionsByErrorType: Record<string, number> = {};
  for (const r of rejectionAcc.values())
    rejectionsByErrorType[r.error_type] = (rejectionsByErrorType[r.error_type] ?? 0) + r.count;
  const median = (xs: number[]) =>
    quantileSorted(
      [...xs].sort((a, b) => a - b),
      0.5,
    );
  const admissionSummary: AdmissionSummary = {
    namespace: PROBE_NS,
    intervalMs: 1000,
    probes: {
      count: probes.length,
      admitted: probes.filter((p) => p.outcome === 'admitted').length,
      mutated: probes.filter((p) => p.outcome === 'admitted' && p.mutated).length,
      rejected: probes.filter((p) => p.outcome === 'rejected').length,
      errors: probes.filter((p) => p.outcome === 'error').length,
      skipped,
      abandoned: 0,
      ticks,
      latencyMs: latencyStats(probeLatencies()),
      latencyByOutcome,
      reasons,
    },
    webhooks: [...webhookAcc.values()]
      .map((w) => ({
        name: w.name,
        type: w.type,
        count: w.count,
        sum_s: round(w.sum, 6),
        p50_s: round(median(w.p50), 6),
        p99_s: round(Math.max(...w.p99), 6),
        rejected: w.rejected,
      }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type)),
    rejectionsByErrorType,
    rejections: [...rejectionAcc.values()].sort((a, b) => b.count - a.count),
    failOpen,
    scrapes: { ok: scrapes, failed: 0, meanMs: 41.3, maxMs: 212.8, meanParseMs: 6.4, bytes: 418_227, seriesSeen: true },
  };

  const k6Sorted = [...k6Ok].sort((a, b) => a - b);
  const q = (p: number) => round(quantileSorted(k6Sorted, p), 2);
  const k6p99 = q(0.99);
  const k6Duration = ended - 500 - k6From;
  const k6Summary = {
    exitCode: 99,
    thresholdsOk: false,
    iterations: k6Iterations,
    requests: k6Iterations,
    requestRate: round((k6Iterations * 1000) / k6Duration, 4),
    failedRate: round(k6Failed / k6Iterations, 6),
    rejectedRate: round(k6Rejected / k6Iterations, 6),
    latencyMs: { p50: q(0.5), p90: q(0.9), p95: q(0.95), p99: k6p99, max: round(k6Sorted[k6Sorted.length - 1]!, 2) },
    durationMs: Math.round(k6Duration),
    thresholds: {
      'http_req_failed: rate<0.01': k6Failed / k6Iterations < 0.01,
      'http_req_duration{expected_response:true}: p(99)<1000': k6p99 < 1000,
    },
    summaryFile: `/tmp/rebuild-bench-k6-${RUN_ID}-Qm3x1c/k6-summary.json`,
  };

  const target: TargetWindow = { minMinutes: 30, maxMinutes: 45, scale: 1 };
  const totalMs = allHealthyAt - clockStart;
  const time = targetOutcome(totalMs, target);
  const crashLooped = restartsSummary.crashLoopBackOff > 0;
  const outcome = crashLooped && (time === 'ahead' || time === 'on-target') ? 'crash-looped' : time;
  const rebuild: RebuildSummary = {
    clockStart,
    totalMs,
    target,
    outcome: time,
    phases: steps.map((p) => ({ name: p.name, startMs: p.start - clockStart, endMs: p.end - clockStart })),
  };
  point(
    'rb_rebuild',
    { outcome, time },
    {
      total_s: totalMs / 1000,
      target_min_s: 30 * 60,
      target_max_s: 45 * 60,
      restarts: restartsSummary.restarts,
      crash_loops: restartsSummary.crashLoopBackOff,
    },
    wavesEnd + 5,
  );
  const probeP99 = admissionSummary.probes.latencyMs?.p99 ?? 0;
  const checks: RunRecord['checks'] = [
    {
      name: 'rebuild within 45 min',
      kind: 'target',
      ok: time === 'ahead' || time === 'on-target',
      detail: `${fmtMinutes(totalMs)} (${time})`,
      at: iso(wavesEnd + 10),
    },
    {
      name: 'zero CrashLoopBackOff',
      kind: 'target',
      ok: !crashLooped,
      detail: `${restartsSummary.crashLoopBackOff} CrashLoopBackOff entries, ${restartsSummary.restarts} restarts`,
      at: iso(wavesEnd + 12),
    },
    {
      name: 'admission p99 under 1 s during the rebuild',
      kind: 'target',
      ok: probeP99 < 1000,
      detail: `p99 ${Math.round(probeP99)} ms over ${probes.length} probes`,
      at: iso(hold.end + 300),
    },
  ];
  // The waves collector's coverage note, as the engine files it under summary.wavesNotes.
  const fromObjects = allApps.filter((a) => a.healthy?.source === 'object').length;
  const failed = checks.filter((c) => !c.ok).map((c) => `target: ${c.name}${c.detail ? ` (${c.detail})` : ''}`);

  const record: RunRecord = {
    schemaVersion: 1,
    id: RUN_ID,
    tool: { name: 'rebuild-bench', version: '0.1.0' },
    suite: {
      name: SUITE,
      source: '/srv/platform/bench/rebuild-under-load.ts',
      destructive: true,
      description: 'Rebuild the staging cluster while k6 drives admission load; time the bootstrap wave by wave',
    },
    cluster: {
      name: CLUSTER,
      context: 'admin@staging-eu',
      kubeconfig: '/home/ci/.kube/staging-eu.yaml',
      server: 'https://10.20.0.10:6443',
      serverVersion: 'v1.33.4',
      argocd: { version: null, mode: 'unknown', source: 'not reachable at the start (cluster destroyed)' },
      allowDestructive: true,
    },
    options: {
      tool: 'tofu',
      workingDir: 'infra/clusters/staging-eu',
      vars: { cluster_name: 'staging-eu', node_count: 3 },
      timeoutMinutes: 60,
      hooks: [],
      bootstrapTimeoutMinutes: 90,
      targetScale: 1,
      skipPlan: false,
      probeNamespace: PROBE_NS,
      k6: { rate: k6Rate, maxVUs: 50 },
    },
    dryRun: false,
    host: 'ci-runner-3',
    pid: 48213,
    startedAt: iso(STARTED),
    endedAt: iso(ended),
    durationMs,
    status: 'completed',
    phases: [
      {
        name: 'plan',
        parents: [],
        startedAt: iso(STARTED + 400),
        endedAt: iso(planEnd),
        durationMs: planEnd - STARTED - 400,
        status: 'ok',
      },
      ...[...steps, hold].map((p) => ({
        name: p.name,
        parents: [],
        startedAt: iso(p.start),
        endedAt: iso(p.end),
        durationMs: Math.round(p.end - p.start),
        status: 'ok' as const,
      })),
    ],
    faults: [
      {
        id: 'f1',
        kind: 'cluster-destroy',
        title: faultTitle,
        plannedAt: iso(destroy.start + 5),
        appliedAt: iso(destroy.end),
        rolledBackAt: iso(apply.end),
        status: 'rolled-back',
      },
    ],
    checks,
    verdict: failed.length ? { outcome: 'failed', reasons: failed } : { outcome: 'passed', reasons: [] },
    validity: { valid: true, reasons: [] },
    summary: {
      ...(fromObjects
        ? { wavesNotes: [`${fromObjects} app(s) timed from object timestamps (1 s precision) after a gap`] }
        : {}),
      plan: { destroy: 214, create: 0, change: 0, replaceExpected: [] },
      rebuild,
      k6: k6Summary,
      collectors: {
        waves: wavesSummary,
        restarts: restartsSummary,
        events: eventsSummary,
        admission: admissionSummary,
      },
    },
    error: null,
    exitCode: failed.length ? 1 : 0,
  };

  // The collectors' end-of-run points (after the live ones, as the run store has them).
  live.sort((a, b) => a.time - b.time);
  const final: Point[] = [];
  const finalPoint = (p: Omit<Point, 'tags'> & { tags: Record<string, string> }) =>
    final.push({ ...p, tags: { ...p.tags, ...common } });
  for (const w of waves) finalPoint(wavePoint(w, collectorsAt));
  for (const v of violations) finalPoint(violationPoint(v));
  for (const r of restartsSummary.records) finalPoint(restartPoint(r));

  const dir = createRunDir(home, RUN_ID);
  const file = new PointFile(join(dir, POINTS_FILE), { maxBuffered: 20_000 });
  const all = [...live, ...final];
  for (let i = 0; i < all.length; i += 5000) file.write(all.slice(i, i + 5000));
  await file.close();
  writeRunRecord(dir, record);
  const byMeasurement: Record<string, number> = {};
  for (const p of all) byMeasurement[p.measurement] = (byMeasurement[p.measurement] ?? 0) + 1;
  return { id: RUN_ID, dir, points: all.length, byMeasurement };
}
