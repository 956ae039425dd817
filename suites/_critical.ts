import type * as k8s from '@kubernetes/client-node';
import { z } from 'zod';
import { kubeGetOrNull, kubeRequest } from '../cluster/http.ts';
import type { RunClock, SuiteContext } from '../engine/suite.ts';
import { deletePods } from '../faults/delete-pods.ts';
import { ARGOCD_NAMESPACE } from '../gitops/argocd.ts';
import { podsOf, readyReplacements } from './_steady-state.ts';

/** The Deployments that must be able to start during an incident: restarted, then timed until Ready. */

export const deploymentRef = z.strictObject({ namespace: z.string(), deployment: z.string() });
export type DeploymentRef = z.infer<typeof deploymentRef>;

async function deploymentsIn(kc: k8s.KubeConfig, namespace: string): Promise<string[]> {
  const path = `/apis/apps/v1/namespaces/${namespace}/deployments`;
  const r = await kubeRequest<{ items?: Array<{ metadata: { name: string } }> }>(kc, 'GET', path);
  return (r.body.items ?? []).map((d) => d.metadata.name).sort();
}

/** Preflight: each named Deployment exists; without names, Argo CD's namespace has some to default to. */
export async function criticalPreflight(p: {
  kube: k8s.KubeConfig;
  options: { critical?: DeploymentRef[] | undefined };
}): Promise<string[]> {
  const { kube: kc, options } = p;
  const critical = options.critical;
  const problems: string[] = [];
  for (const c of critical ?? [])
    if (!(await kubeGetOrNull(kc, `/apis/apps/v1/namespaces/${c.namespace}/deployments/${c.deployment}`)))
      problems.push(
        `critical: no Deployment ${c.namespace}/${c.deployment} (Deployments there: ${(await deploymentsIn(kc, c.namespace)).join(', ') || 'none'})`,
      );
  if (!critical && (await deploymentsIn(kc, ARGOCD_NAMESPACE)).length === 0)
    problems.push(
      `critical: not set, and namespace ${ARGOCD_NAMESPACE} has no Deployment to default to; name the Deployments that must start, e.g. --opt 'critical=[{"namespace":"apps","deployment":"web"}]'`,
    );
  return problems;
}

/** Argo CD's own Deployments (the server and repo-server first): if they cannot start, nothing heals. */
export async function defaultCritical(ctx: SuiteContext<unknown>): Promise<DeploymentRef[]> {
  const names = await deploymentsIn(ctx.kube, ARGOCD_NAMESPACE);
  const first = ['argocd-server', 'argocd-repo-server'];
  const chosen = [...first.filter((n) => names.includes(n)), ...names.filter((n) => !first.includes(n))].slice(0, 3);
  ctx.log.info(
    `critical (default): ${chosen.map((n) => `${ARGOCD_NAMESPACE}/${n}`).join(', ')}: Argo CD's Deployments, since Argo CD restores everything else; set --opt critical=[…] for your own`,
  );
  return chosen.map((deployment) => ({ namespace: ARGOCD_NAMESPACE, deployment }));
}

export interface CriticalStart {
  readyAfterMs: number | null;
  /** Ready before the webhook breaker acted (null: not Ready). */
  beforeBreaker: boolean | null;
}

/** Restarts the critical Deployments' pods (one fault each) and times their replacements until Ready. */
export class CriticalRestart {
  readonly started: Record<string, CriticalStart> = {};
  private readonly before = new Map<string, Awaited<ReturnType<typeof podsOf>>>();

  /** `since`: the incident's start, which readiness is timed from. */
  constructor(
    private readonly ctx: SuiteContext<unknown>,
    private readonly critical: DeploymentRef[],
    private readonly since: RunClock,
  ) {}

  async restart(): Promise<void> {
    for (const c of this.critical) {
      const key = `${c.namespace}/${c.deployment}`;
      const pods = await podsOf(this.ctx.kube, c.namespace, c.deployment);
      this.before.set(key, pods);
      const title = `restart ${key}`;
      await this.ctx.fault(deletePods({ namespace: c.namespace, selector: pods.selector, ratePerSecond: 10, title }));
      this.started[key] = { readyAfterMs: null, beforeBreaker: null };
    }
  }

  /** Checks the replacements; returns the Deployments not Ready yet. */
  async tick(breakerApplied: boolean): Promise<string[]> {
    for (const c of this.critical) {
      const key = `${c.namespace}/${c.deployment}`;
      const before = this.before.get(key)!;
      const ready = await readyReplacements(this.ctx.kube, c.namespace, before);
      if (this.started[key]!.readyAfterMs === null && ready >= before.desired)
        this.started[key] = { readyAfterMs: this.since.elapsedMs(), beforeBreaker: !breakerApplied };
    }
    return this.waiting();
  }

  waiting(): string[] {
    return Object.entries(this.started)
      .filter(([, v]) => v.readyAfterMs === null)
      .map(([k]) => k);
  }

  /** "critical not Ready: argocd/argocd-server · breaker applied" for a progress line. */
  text(breakerApplied: boolean): string {
    return `critical not Ready: ${this.waiting().join(', ') || 'none'}${breakerApplied ? ' · breaker applied' : ''}`;
  }

  /** The check's detail: "argocd/argocd-server after 12 s, … (after the breaker)" or who never started. */
  detail(): string {
    const stuck = this.waiting();
    if (stuck.length) return `never Ready: ${stuck.join(', ')}`;
    return Object.entries(this.started)
      .map(
        ([k, v]) =>
          `${k} after ${Math.round(v.readyAfterMs! / 1000)} s${v.beforeBreaker ? '' : ' (after the breaker)'}`,
      )
      .join(', ');
  }
}
