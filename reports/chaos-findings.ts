import { fmtDuration } from '../core/format.ts';

/** Something a chaos run measured that the team should change, with the change. */
export interface Finding {
  id: string;
  text: string;
  fix: string | null;
}

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
const str = (v: unknown, otherwise: string): string => (typeof v === 'string' && v ? v : otherwise);

/** admission-paralysis' failurePolicy option: `as-is` leaves the webhooks' own. */
const policy = (v: unknown) =>
  v === 'as-is' || v === undefined ? "the webhooks' own failurePolicy" : `failurePolicy ${str(v, '?')}`;

const KEEP_ADMISSION_ALIVE =
  "Run Kyverno's admission controller with at least 3 replicas spread over nodes (topologySpreadConstraints), a PodDisruptionBudget and CPU requests, and exclude the namespaces the cluster needs to heal itself (argocd, kube-system, kyverno) from its webhooks (namespaceSelector, or Kyverno's resourceFilters)";

/** Probe tallies while a webhook's backend was down or starved: refused, or no answer in time. */
function rejections(id: string, tally: Json | undefined, context: string, fix: string): Finding[] {
  const probes = num(tally?.probes) ?? 0;
  const rejected = num(tally?.rejected) ?? 0;
  const errors = num(tally?.errors) ?? 0;
  if (!probes || !(rejected + errors)) return [];
  const failed = rejected + errors;
  const how = errors ? `rejected (${rejected}) or failed without an answer (${errors})` : 'rejected';
  return [{ id, text: `${failed} of ${probes} pod creates (${pct(failed / probes)}) were ${how} ${context}`, fix }];
}

function paralysis(p: Json): Finding[] {
  const out = rejections(
    'admission-fail-closed',
    obj(p.admission),
    `while Kyverno's node${p.node ? ` (${str(p.node, '')})` : ''} was saturated (${policy(p.failurePolicy)})`,
    KEEP_ADMISSION_ALIVE,
  );
  const critical = Object.entries(obj(p.critical) ?? {}).map(([name, v]): Json & { name: string } => ({
    ...obj(v),
    name,
  }));
  const late = critical.filter((c) => num(c.readyAfterMs) !== undefined && c.beforeBreaker === false);
  if (late.length)
    out.push({
      id: 'critical-after-breaker',
      text: `${late.map((c) => `${c.name} (Ready after ${fmtDuration(num(c.readyAfterMs) ?? 0)})`).join(', ')} started only after the breaker ${obj(p.breaker)?.mode === 'remove' ? 'removed the webhooks' : 'switched the webhooks to Ignore'}`,
      fix: `Keep the breaker in the incident runbook as the way out, and exclude these Deployments' namespaces from the webhooks so they start without it. ${KEEP_ADMISSION_ALIVE}`,
    });
  const never = critical.filter((c) => c.readyAfterMs === null);
  if (never.length)
    out.push({
      id: 'critical-never-ready',
      text: `${never.map((c) => c.name).join(', ')} never became Ready during the incident`,
      fix: KEEP_ADMISSION_ALIVE,
    });
  return out;
}

function outage(o: Json): Finding[] {
  const breaker = obj(o.breaker);
  return rejections(
    'admission-fail-closed',
    o,
    `while Kyverno was down${breaker ? ` (the breaker let pods in after ${fmtDuration(num(breaker.appliedAfterMs) ?? 0)})` : ''}`,
    KEEP_ADMISSION_ALIVE,
  );
}

function postgresDelay(p: Json): Finding[] {
  const consumers = (Array.isArray(p.consumers) ? p.consumers : []).map((c) => obj(c) ?? {});
  const looped = consumers.filter((c) => (num(c.crashLoops) ?? 0) > 0 || (num(c.restarts) ?? 0) > 0);
  if (!looped.length) return [];
  const back = looped.map((c) => num(c.healthyAfterPostgresMs));
  const stuck = looped.filter((_, i) => back[i] === undefined).map((c) => str(c.app, '?'));
  const slowest = Math.max(...back.map((ms) => ms ?? 0));
  const after = stuck.length
    ? `; not Healthy again: ${stuck.join(', ')}`
    : `; the slowest was Healthy ${fmtDuration(slowest)} after Postgres was Ready`;
  return [
    {
      id: 'crash-loop-on-postgres',
      text: `${looped.length} consumer(s) of ${str(p.cluster, 'Postgres')} restarted while it was unavailable (${looped
        .map((c) => `${str(c.app, '?')} ×${num(c.restarts) ?? 0}`)
        .join(', ')})${after}`,
      fix: "Make consumers wait for the database instead of crashing: an init container running pg_isready against the cluster's -rw Service, or a startupProbe whose failureThreshold covers a failover; then CrashLoopBackOff's back-off (up to 5 min) no longer delays their recovery",
    },
  ];
}

function cpuSaturation(c: Json): Finding[] {
  const during = obj(c.admissionDuring);
  const nodes = Array.isArray(c.nodes) ? c.nodes.map(String).join(', ') : '';
  const out = rejections(
    'admission-fail-closed',
    during,
    `while ${nodes || 'the node'} was saturated`,
    KEEP_ADMISSION_ALIVE,
  );
  const p99 = num(obj(during?.latencyMs)?.p99);
  if (p99 !== undefined && p99 >= 1000)
    out.push({
      id: 'admission-slow-under-cpu',
      text: `admission p99 was ${fmtDuration(p99)} while ${nodes || 'the node'} was saturated`,
      fix: "Give Kyverno's admission controller CPU requests (its share under contention), reserve CPU for the kubelet and system daemons (system-reserved/kube-reserved; on Talos machine.kubelet.extraConfig), and spread its replicas so one busy node cannot slow every admission",
    });
  const startup = obj(c.startupSaturated);
  const refused = num(startup?.refused) ?? 0;
  const blocked = startup?.admittedMs === null || startup?.readyMs === null || refused > 0;
  // A pod refused for good (policy, PodSecurity, quota) says nothing about the saturation: the run says so in its figures.
  if (startup && blocked && !startup.refusedByPolicy)
    out.push({
      id: 'pod-start-blocked',
      text: `a new pod could not start normally while ${nodes || 'the node'} was saturated: ${str(startup.detail, 'no detail recorded')}`,
      fix:
        startup.byWebhook || startup.pendingAtDeadline
          ? KEEP_ADMISSION_ALIVE
          : "Find what held the pod (scheduling, image pull, the kubelet on a busy node) in the run's events, and reserve capacity for it",
    });
  return out;
}

function k6(k: Json): Finding[] {
  const reason = typeof k.skipped === 'string' ? k.skipped : undefined;
  if (!reason || /enabled is false/.test(reason)) return [];
  return [
    {
      id: 'k6-skipped',
      text: `k6 load was skipped: ${reason}`,
      fix: 'Install k6 (rebuild-bench sandbox install builds it) or give it credentials (a token in $K8S_TOKEN, or a kubeconfig with a token, client certificate or exec plugin); set k6.enabled: false to run without load on purpose',
    },
  ];
}

const RULES: Record<string, (v: Json) => Finding[]> = {
  paralysis,
  outage,
  postgresDelay,
  cpuSaturation,
  k6,
};

/** Findings drawn from a chaos run's own figures (its ctx.summary entries), with the change each calls for. */
export function chaosFindings(summary: Record<string, unknown>): Finding[] {
  return Object.entries(RULES).flatMap(([key, rule]) => {
    const v = obj(summary[key]);
    return v ? rule(v) : [];
  });
}
