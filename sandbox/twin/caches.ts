import type * as k8s from '@kubernetes/client-node';
import type { Logger } from '../../core/logger.ts';
import { ResilientWatch, type KubeObject } from '../../cluster/watch.ts';
import { A, TWIN_APP_LABEL } from './workloads.ts';
import { APPLICATION_API_VERSION, managingApp } from '../../gitops/argocd.ts';
import { CNPG_GROUP_VERSION, isFenced } from '../../gitops/cnpg.ts';
import { KYVERNO_ADMISSION_DEPLOYMENT } from '../../gitops/kyverno.ts';

/** The owner that controls an object (ownerReferences[].controller), if any. */
export function controllerOf(o: KubeObject | undefined): { kind: string; name: string } | undefined {
  const refs: Array<{ kind: string; name: string; controller?: boolean }> = o?.metadata?.ownerReferences ?? [];
  return refs.find((r) => r.controller) ?? refs[0];
}

/** The watches the twin's controllers share (one list+watch per resource). */
export class TwinCaches {
  readonly deployments: ResilientWatch<KubeObject>;
  readonly statefulsets: ResilientWatch<KubeObject>;
  readonly daemonsets: ResilientWatch<KubeObject>;
  readonly replicasets: ResilientWatch<KubeObject>;
  readonly jobs: ResilientWatch<KubeObject>;
  readonly clusters: ResilientWatch<KubeObject>;
  /** Every pod: the twin kubelet runs the pods controllers make, the CPU model counts all of them. */
  readonly pods: ResilientWatch<KubeObject>;
  readonly nodes: ResilientWatch<KubeObject>;
  readonly services: ResilientWatch<KubeObject>;
  /** Argo CD's Applications: a dependency on an app with no workload waits for its health. */
  readonly applications: ResilientWatch<KubeObject>;
  /** What containers load and mount: a missing one holds them in CreateContainerConfigError, their data names Services. */
  readonly configMaps: ResilientWatch<KubeObject>;
  readonly secrets: ResilientWatch<KubeObject>;

  constructor(kc: k8s.KubeConfig, log: Logger) {
    const w = (path: string, mayBeAbsent = false) => new ResilientWatch<KubeObject>(kc, { path, log, mayBeAbsent });
    this.deployments = w('/apis/apps/v1/deployments');
    this.statefulsets = w('/apis/apps/v1/statefulsets');
    this.daemonsets = w('/apis/apps/v1/daemonsets');
    this.replicasets = w('/apis/apps/v1/replicasets');
    this.jobs = w('/apis/batch/v1/jobs');
    // The CloudNativePG CRD may come later, from the repository's own operator app.
    this.clusters = w(`/apis/${CNPG_GROUP_VERSION}/clusters`, true);
    this.pods = w('/api/v1/pods');
    this.nodes = w('/api/v1/nodes');
    this.services = w('/api/v1/services');
    this.applications = w(`/apis/${APPLICATION_API_VERSION}/applications`, true);
    this.configMaps = w('/api/v1/configmaps');
    this.secrets = w('/api/v1/secrets');
  }

  private get all(): Array<ResilientWatch<KubeObject>> {
    return [
      this.deployments,
      this.statefulsets,
      this.daemonsets,
      this.replicasets,
      this.jobs,
      this.clusters,
      this.nodes,
      this.services,
      this.applications,
      this.configMaps,
      this.secrets,
    ];
  }

  async start(): Promise<void> {
    await Promise.all(this.all.map((w) => w.start()));
    await this.pods.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.all, this.pods].map((w) => w.stop()));
  }

  /** The Application an object belongs to: the twin's label, Argo CD's tracking, or its owner's. */
  appOf(o: KubeObject | undefined, depth = 0): string | undefined {
    if (!o || depth > 4) return undefined;
    const direct = o.metadata?.labels?.[TWIN_APP_LABEL] ?? o.metadata?.annotations?.[A.app] ?? managingAppUnlessPod(o);
    if (direct) return direct;
    const owner = controllerOf(o);
    if (!owner) return o.kind === 'Pod' ? o.metadata?.labels?.['app.kubernetes.io/instance'] : undefined;
    const ns = o.metadata?.namespace;
    const cache = this.cacheOfKind(owner.kind);
    const parent = cache?.get(owner.kind === 'Node' ? undefined : ns, owner.name);
    return parent ? this.appOf(parent, depth + 1) : undefined;
  }

  /** Whether the owner chain of a pod is in the caches yet (a pod can arrive before its ReplicaSet). */
  ownerKnown(pod: KubeObject): boolean {
    const owner = controllerOf(pod);
    if (!owner) return true;
    const cache = this.cacheOfKind(owner.kind);
    return !cache || cache.get(pod.metadata?.namespace, owner.name) !== undefined;
  }

  private cacheOfKind(kind: string): ResilientWatch<KubeObject> | undefined {
    return (
      {
        ReplicaSet: this.replicasets,
        Deployment: this.deployments,
        StatefulSet: this.statefulsets,
        DaemonSet: this.daemonsets,
        Job: this.jobs,
        Cluster: this.clusters,
      } as Record<string, ResilientWatch<KubeObject>>
    )[kind];
  }

  /**
   * Whether a Service has a ready endpoint: a Ready pod its selector matches (a Service without a
   * selector has endpoints someone else manages: counted as ready).
   */
  serviceReady(namespace: string, name: string): boolean {
    const svc = this.services.get(namespace, name);
    if (!svc) return false;
    const selector: Record<string, string> | undefined = svc.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) return true;
    return this.pods.items.some(
      (p) =>
        p.metadata?.namespace === namespace &&
        !p.metadata?.deletionTimestamp &&
        selects(selector, p) &&
        (p.status?.conditions ?? []).some(
          (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
        ),
    );
  }

  /**
   * Whether an app's workload is serving: a Ready replica of each workload, or a ready, unfenced
   * CNPG instance; an app without workloads (CRDs, policies) once its objects are applied (its
   * Application Synced: Argo CD's health of freshly created CRDs lags, the CRDs themselves do not).
   */
  appReady(app: string): boolean {
    for (const c of this.clusters.items) {
      if (this.appOf(c) !== app) continue;
      return (c.status?.readyInstances ?? 0) >= 1 && !isFenced(c, undefined);
    }
    let found = false;
    for (const d of [...this.deployments.items, ...this.statefulsets.items]) {
      if (this.appOf(d) !== app) continue;
      found = true;
      const name = d.metadata?.name ?? '';
      if (name.startsWith('kyverno-') && name !== KYVERNO_ADMISSION_DEPLOYMENT) continue;
      if ((d.spec?.replicas ?? 1) > 0 && (d.status?.readyReplicas ?? 0) < 1) return false;
    }
    if (found) return true;
    return this.applications.items.some(
      (a) =>
        a.metadata?.name === app &&
        (a.status?.sync?.status === 'Synced' || a.status?.operationState?.phase === 'Succeeded'),
    );
  }
}

/** Pods inherit labels from their templates, not Argo CD's tracking: a pod's app comes from its owners. */
function managingAppUnlessPod(o: KubeObject): string | undefined {
  return o.kind === 'Pod' ? undefined : managingApp(o);
}

/** Whether a label selector (a Service's) matches an object's labels. */
export function selects(selector: Record<string, string>, o: KubeObject): boolean {
  const labels: Record<string, string> = o.metadata?.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
