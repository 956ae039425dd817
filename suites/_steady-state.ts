import type * as k8s from '@kubernetes/client-node';
import { KubeHttpError, kubeGetOrNull, kubeRequest } from '../cluster/http.ts';
import { labelSelector } from '../cluster/labels.ts';
import { admissionProbe, type ProbeResult } from '../collectors/admission.ts';
import { fmtDurationFine } from '../core/format.ts';
import type { HypothesisCheck, SuiteContext } from '../engine/suite.ts';
import { applicationPath, ARGOCD_NAMESPACE } from '../gitops/argocd.ts';

export { admissionProbe };

/**
 * Building blocks the chaos suites share: one admission probe, Application health, pods in
 * CrashLoopBackOff, and the steady-state hypothesis made of them. Copy them into your own suite.
 */

export interface AppHealth {
  name: string;
  sync: string;
  health: string;
}

/** Every Argo CD Application's sync and health; null when the CRD does not exist. */
export async function applications(kc: k8s.KubeConfig, namespace: string): Promise<AppHealth[] | null> {
  try {
    const res = await kubeRequest<{ items: any[] }>(kc, 'GET', applicationPath(namespace));
    return res.body.items.map((a) => ({
      name: a.metadata?.name ?? '?',
      sync: a.status?.sync?.status ?? 'Unknown',
      health: a.status?.health?.status ?? 'Unknown',
    }));
  } catch (err) {
    if (err instanceof KubeHttpError && err.status === 404) return null;
    throw err;
  }
}

export const isHealthy = (a: AppHealth) => a.sync === 'Synced' && a.health === 'Healthy';

/** namespace/name of every pod with a container waiting in CrashLoopBackOff. */
export async function crashLoopingPods(kc: k8s.KubeConfig): Promise<string[]> {
  const pods = (await kubeRequest<{ items: any[] }>(kc, 'GET', '/api/v1/pods')).body.items;
  return pods
    .filter((p) =>
      (p.status?.containerStatuses ?? []).some((c: any) => c.state?.waiting?.reason === 'CrashLoopBackOff'),
    )
    .map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
}

export interface SteadyStateOptions {
  hypothesis: {
    /** Every Argo CD Application Synced and Healthy (skipped when there is no Application CRD). */
    applicationsHealthy: boolean;
    /** No pod in CrashLoopBackOff. */
    noCrashLoop: boolean;
    /** Admission p99 (of 5 dry-run creates) under this many ms; 0 disables. */
    admissionP99Ms: number;
    /** After the rollback, keep probing this long for the system to recover. */
    recoverWithinSeconds: number;
  };
  probeNamespace: string;
}

/** The steady state every chaos suite checks before injecting and after rolling back. */
export function steadyState<O extends SteadyStateOptions>(o: O): HypothesisCheck<O>[] {
  const h = o.hypothesis;
  const recoverWithinMs = h.recoverWithinSeconds * 1000;
  const checks: HypothesisCheck<O>[] = [];
  if (h.applicationsHealthy) {
    checks.push({
      name: 'all Applications Synced and Healthy',
      recoverWithinMs,
      probe: async (ctx) => {
        const apps = await applications(ctx.kube, argocdNamespace(ctx));
        if (apps === null) return { ok: true, detail: 'no Argo CD Application CRD' };
        const bad = apps.filter((a) => !isHealthy(a));
        return {
          ok: apps.length > 0 && bad.length === 0,
          detail: bad.length
            ? bad
                .slice(0, 5)
                .map((a) => `${a.name} ${a.sync}/${a.health}`)
                .join(', ')
            : `${apps.length} Applications`,
        };
      },
    });
  }
  if (h.noCrashLoop) {
    checks.push({
      name: 'no pod in CrashLoopBackOff',
      recoverWithinMs,
      probe: async (ctx) => {
        const pods = await crashLoopingPods(ctx.kube);
        return { ok: pods.length === 0, detail: pods.length ? pods.slice(0, 5).join(', ') : '0 pods' };
      },
    });
  }
  if (h.admissionP99Ms > 0) {
    checks.push({
      name: `admission p99 under ${h.admissionP99Ms} ms`,
      recoverWithinMs,
      probe: async (ctx) => {
        const results: ProbeResult[] = [];
        for (let i = 0; i < 5; i++) results.push(await admissionProbe(ctx.kube, ctx.runId, o.probeNamespace));
        const worst = Math.max(...results.map((r) => r.latencyMs));
        const notAdmitted = results.filter((r) => r.outcome !== 'admitted');
        return {
          ok: notAdmitted.length === 0 && worst < h.admissionP99Ms,
          detail: `${results.length - notAdmitted.length}/5 admitted, slowest ${Math.round(worst)} ms${notAdmitted.length ? ` (${notAdmitted[0]!.reason})` : ''}`,
        };
      },
    });
  }
  return checks;
}

export function argocdNamespace(ctx: Pick<SuiteContext, 'cluster'>): string {
  return ctx.cluster.entry?.argocd.namespace ?? ARGOCD_NAMESPACE;
}

/** Ready replicas / desired of a Deployment, or null when it does not exist. */
export async function deploymentReady(
  kc: k8s.KubeConfig,
  namespace: string,
  name: string,
): Promise<{ ready: number; desired: number } | null> {
  const d = await kubeGetOrNull<any>(kc, `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`);
  return d && { ready: d.status?.readyReplicas ?? 0, desired: d.spec?.replicas ?? 1 };
}

/** Counts probe outcomes, e.g. during a fault window. */
export class ProbeTally {
  readonly results: Array<ProbeResult & { at: number }> = [];
  add(r: ProbeResult): void {
    this.results.push({ ...r, at: Date.now() });
  }
  summary() {
    const by = (o: string) => this.results.filter((r) => r.outcome === o).length;
    const lat = this.results.map((r) => r.latencyMs).sort((a, b) => a - b);
    const q = (p: number) =>
      lat.length ? Math.round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!) : null;
    const reasons: Record<string, number> = {};
    for (const r of this.results) if (r.reason) reasons[r.reason] = (reasons[r.reason] ?? 0) + 1;
    return {
      probes: this.results.length,
      admitted: by('admitted'),
      mutated: this.results.filter((r) => r.mutated).length,
      rejected: by('rejected'),
      errors: by('error'),
      rejectionRate: this.results.length ? by('rejected') / this.results.length : 0,
      latencyMs: { p50: q(0.5), p99: q(0.99), max: lat.length ? Math.round(lat[lat.length - 1]!) : null },
      reasons,
    };
  }
}

/**
 * Fires an admission probe every `everyMs` (at most `maxInFlight` at once, so webhook
 * timeout does not hide the outcomes) until stop() is called; stop() waits for those in flight.
 */
export function startProbing(
  kc: k8s.KubeConfig,
  runId: string,
  namespace: string,
  tally: ProbeTally,
  everyMs = 1000,
  maxInFlight = 40,
) {
  const inFlight = new Set<Promise<void>>();
  const timer = setInterval(() => {
    if (inFlight.size >= maxInFlight) return;
    const p: Promise<void> = admissionProbe(kc, runId, namespace).then((r) => tally.add(r));
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }, everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await Promise.allSettled([...inFlight]);
    },
  };
}

/** A Deployment's pod selector, pod names and replica count: taken before restarting its pods. */
export async function podsOf(
  kc: k8s.KubeConfig,
  namespace: string,
  deployment: string,
): Promise<{ selector: string; names: Set<string>; desired: number }> {
  const dep = (await kubeRequest<any>(kc, 'GET', `/apis/apps/v1/namespaces/${namespace}/deployments/${deployment}`))
    .body;
  const selector = labelSelector(dep.spec?.selector?.matchLabels);
  const pods = (
    await kubeRequest<{ items: any[] }>(
      kc,
      'GET',
      `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(selector)}`,
    )
  ).body.items;
  return { selector, names: new Set(pods.map((p) => p.metadata.name as string)), desired: dep.spec?.replicas ?? 1 };
}

/** How many pods created after `before` was taken are Ready (their replacements came up). */
export async function readyReplacements(
  kc: k8s.KubeConfig,
  namespace: string,
  before: { selector: string; names: Set<string> },
): Promise<number> {
  const pods = (
    await kubeRequest<{ items: any[] }>(
      kc,
      'GET',
      `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(before.selector)}`,
    )
  ).body.items;
  return pods.filter(
    (p) =>
      !p.metadata.deletionTimestamp &&
      !before.names.has(p.metadata.name) &&
      (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'),
  ).length;
}

/** Whether every named Deployment has at least one Ready replica. */
export async function deploymentsReady(
  kc: k8s.KubeConfig,
  namespace: string,
  names: readonly string[],
): Promise<boolean> {
  const ready = await Promise.all(names.map((d) => deploymentReady(kc, namespace, d)));
  return ready.every((r) => !!r && r.ready >= 1);
}

/** Runs `fn` on each item one after the other (faults applied in order, so they revert in reverse). */
export async function inOrder<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) out.push(await fn(item));
  return out;
}

/** What a suite's preflight gets: the kube client (reads only) and the suite's options. */
export interface Preflight {
  kube: k8s.KubeConfig;
  options: any;
}

/** One preflight made of several: every problem each of them finds, in order. */
export function preflights(...checks: Array<(p: Preflight) => Promise<string[]>>): (p: Preflight) => Promise<string[]> {
  return async (p) => (await Promise.all(checks.map((c) => c(p)))).flat();
}

/** A check's outcome from a measured time: [ok, "4.2 s after the restore"], or [false, `otherwise`] when null. */
export function measured(ms: number | null, after: string, otherwise: string): [boolean, string] {
  return ms === null ? [false, otherwise] : [true, `${fmtDurationFine(ms)} ${after}`];
}
