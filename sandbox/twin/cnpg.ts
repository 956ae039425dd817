import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { KubeObject } from '../../cluster/watch.ts';
import { podPath, type TwinApi } from './api.ts';
import type { TwinCaches } from './caches.ts';
import { INSTANCE_LABEL } from '../../gitops/argocd.ts';
import {
  CNPG_CLUSTER_LABEL,
  CNPG_GROUP_VERSION,
  CNPG_HEALTHY_PHASE,
  CNPG_HIBERNATED_PHASE,
  CNPG_INSTANCE_NAME_LABEL,
  CNPG_INSTANCE_ROLE_LABEL,
  CNPG_SETTING_UP_PHASE,
  CNPG_WAITING_PHASE,
  cnpgClusterPath,
  HIBERNATION_CONDITION,
  isFenced,
  isHibernated,
} from '../../gitops/cnpg.ts';
import type { TruthLog } from './truth.ts';
import { A, TWIN_POD_LABEL } from './workloads.ts';

/**
 * Emulates the CloudNativePG operator for single-instance Clusters: one instance pod
 * `<name>-1` (run by the twin kubelet), the phase strings, readyInstances and the Ready
 * condition; honours fencing (pod kept, not Ready) and hibernation (pod deleted, volumes kept).
 */
export class CnpgTwin {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly lastPhase = new Map<string, string>();
  private readonly wasHealthy = new Set<string>();
  private readonly madeObjects = new Set<string>();

  constructor(
    private readonly api: TwinApi,
    private readonly caches: TwinCaches,
    private readonly truth: TruthLog,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.caches.clusters.on((e) =>
      this.schedule(e.object.metadata?.namespace ?? '', e.object.metadata?.name ?? '', e.type === 'DELETED'),
    );
    this.caches.pods.on((e) => {
      const c = e.object.metadata?.labels?.[CNPG_CLUSTER_LABEL];
      if (c) this.schedule(e.object.metadata?.namespace ?? '', c, false);
    });
    for (const c of this.caches.clusters.items)
      this.schedule(c.metadata?.namespace ?? '', c.metadata?.name ?? '', false);
  }

  stop(): void {
    for (const t of this.pending.values()) clearTimeout(t);
  }

  private schedule(ns: string, name: string, deleted: boolean): void {
    const key = `${ns}/${name}`;
    if (deleted) {
      this.madeObjects.delete(key);
      this.lastPhase.delete(key);
      this.wasHealthy.delete(key);
      return;
    }
    if (this.pending.has(key)) return;
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        void this.reconcile(ns, name).catch((err: unknown) => this.log.warn(`cnpg ${key}: ${errorMessage(err)}`));
      }, 50),
    );
  }

  private async reconcile(ns: string, name: string): Promise<void> {
    const c = this.caches.clusters.get(ns, name);
    if (!c || c.metadata?.deletionTimestamp) return;
    const podName = `${name}-1`;
    const pod = this.caches.pods.get(ns, podName);
    const key = `${ns}/${name}`;
    if (isHibernated(c)) {
      if (pod && !pod.metadata?.deletionTimestamp) await this.api.delete(podPath(ns, podName), 0);
      return this.setStatus(c, CNPG_HIBERNATED_PHASE, false, true);
    }
    await this.ensureServicesAndSecrets(c);
    if (!pod) {
      await this.api.create(podPath(ns), this.instancePod(c, podName));
      return this.setStatus(c, this.wasHealthy.has(key) ? CNPG_WAITING_PHASE : CNPG_SETTING_UP_PHASE, false, false);
    }
    const ready = (pod.status?.conditions ?? []).some(
      (x: { type: string; status: string }) => x.type === 'Ready' && x.status === 'True',
    );
    if (ready && !isFenced(c, podName)) {
      this.wasHealthy.add(key);
      return this.setStatus(c, CNPG_HEALTHY_PHASE, true, false);
    }
    return this.setStatus(c, this.wasHealthy.has(key) ? CNPG_WAITING_PHASE : CNPG_SETTING_UP_PHASE, false, false);
  }

  /**
   * What the operator makes beside the instances: the `-rw`, `-ro` and `-r` Services (the names
   * apps connect to) and the `-app` and `-superuser` Secrets, owned by the Cluster. Values are
   * placeholders; only their existence matters to the apps that reference them.
   */
  private async ensureServicesAndSecrets(c: KubeObject): Promise<void> {
    const ns = c.metadata?.namespace ?? '';
    const name = c.metadata?.name ?? '';
    const key = `${ns}/${name}`;
    if (this.madeObjects.has(key)) return;
    const owner = [{ apiVersion: CNPG_GROUP_VERSION, kind: 'Cluster', name, uid: c.metadata?.uid, controller: true }];
    const labels = { [CNPG_CLUSTER_LABEL]: name };
    const service = (suffix: string, role: string | undefined) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `${name}-${suffix}`, namespace: ns, labels, ownerReferences: owner },
      spec: {
        selector: { [CNPG_CLUSTER_LABEL]: name, ...(role ? { [CNPG_INSTANCE_ROLE_LABEL]: role } : {}) },
        ports: [{ name: 'postgres', port: 5432, targetPort: 5432, protocol: 'TCP' }],
      },
    });
    const secret = (suffix: string, user: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${name}-${suffix}`, namespace: ns, labels, ownerReferences: owner },
      type: 'kubernetes.io/basic-auth',
      stringData: {
        username: user,
        password: 'twin-placeholder',
        host: `${name}-rw`,
        port: '5432',
        uri: `postgresql://${user}:twin-placeholder@${name}-rw.${ns}:5432/${user === 'postgres' ? '*' : 'app'}`,
      },
    });
    await this.api.create(`/api/v1/namespaces/${ns}/services`, service('rw', 'primary'));
    await this.api.create(`/api/v1/namespaces/${ns}/services`, service('ro', 'replica'));
    await this.api.create(`/api/v1/namespaces/${ns}/services`, service('r', undefined));
    await this.api.create(`/api/v1/namespaces/${ns}/secrets`, secret('app', 'app'));
    await this.api.create(`/api/v1/namespaces/${ns}/secrets`, secret('superuser', 'postgres'));
    this.madeObjects.add(key);
  }

  private instancePod(c: KubeObject, podName: string): object {
    const ann = c.metadata?.annotations ?? {};
    const behaviour = Object.fromEntries(Object.entries(ann).filter(([k]) => k.startsWith('twin.rebuild-bench/')));
    const nodeSelector = c.spec?.affinity?.nodeSelector;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName,
        namespace: c.metadata?.namespace,
        labels: {
          [CNPG_CLUSTER_LABEL]: c.metadata?.name,
          [CNPG_INSTANCE_NAME_LABEL]: podName,
          [CNPG_INSTANCE_ROLE_LABEL]: 'primary',
          [TWIN_POD_LABEL]: 'true',
          // Like the operator, no Argo CD tracking on the pod (a twin-made Cluster names its app).
          ...(ann[A.app] ? { [INSTANCE_LABEL]: ann[A.app] } : {}),
        },
        annotations: { ...behaviour, [A.deps]: '' },
        ownerReferences: [
          {
            apiVersion: CNPG_GROUP_VERSION,
            kind: 'Cluster',
            name: c.metadata?.name,
            uid: c.metadata?.uid,
            controller: true,
          },
        ],
      },
      spec: {
        ...(nodeSelector ? { nodeSelector } : {}),
        tolerations: [{ operator: 'Exists' }],
        containers: [
          {
            name: 'postgres',
            image: c.spec?.imageName ?? 'ghcr.io/cloudnative-pg/postgresql:17',
            ports: [{ name: 'postgresql', containerPort: 5432, protocol: 'TCP' }],
            resources: { requests: { cpu: '500m', memory: '512Mi' } },
          },
        ],
      },
    };
  }

  private async setStatus(c: KubeObject, phase: string, ready: boolean, hibernated: boolean): Promise<void> {
    const ns = c.metadata?.namespace ?? '';
    const name = c.metadata?.name ?? '';
    const key = `${ns}/${name}`;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const current = c.status ?? {};
    if (current.phase === phase && (current.readyInstances ?? 0) === (ready ? 1 : 0)) return;
    await this.api.mergePatch(`${cnpgClusterPath(ns, name)}/status`, {
      status: {
        instances: hibernated ? 0 : 1,
        readyInstances: ready ? 1 : 0,
        phase,
        phaseReason: '',
        currentPrimary: hibernated ? '' : `${name}-1`,
        targetPrimary: `${name}-1`,
        instanceNames: hibernated ? [] : [`${name}-1`],
        conditions: [
          {
            type: 'Ready',
            status: ready ? 'True' : 'False',
            reason: ready ? 'ClusterIsReady' : 'ClusterIsNotReady',
            message: ready ? 'Cluster is Ready' : 'Cluster Is Not Ready',
            lastTransitionTime: now,
          },
          ...(hibernated
            ? [
                {
                  type: HIBERNATION_CONDITION,
                  status: 'True',
                  reason: 'Hibernated',
                  message: 'Cluster has been hibernated',
                  lastTransitionTime: now,
                },
              ]
            : []),
        ],
      },
    });
    if (this.lastPhase.get(key) !== phase) {
      this.lastPhase.set(key, phase);
      this.truth.write({ kind: 'cnpg-phase', cluster: name, namespace: ns, phase, t: Date.now() });
    }
  }
}
