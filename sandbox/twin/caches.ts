import type * as k8s from '@kubernetes/client-node';
import type { Logger } from '../../core/logger.ts';
import { ResilientWatch, type KubeObject } from '../../cluster/watch.ts';
import { TWIN_APP_LABEL } from './workloads.ts';
import { CNPG_GROUP_VERSION, isFenced } from '../../gitops/cnpg.ts';
import { KYVERNO_ADMISSION_DEPLOYMENT } from '../../gitops/kyverno.ts';

/** The watches the twin's controllers share (one list+watch per resource). */
export class TwinCaches {
  readonly deployments: ResilientWatch<KubeObject>;
  readonly clusters: ResilientWatch<KubeObject>;
  /** Every pod: the twin kubelet runs twin pods, the CPU model counts all of them. */
  readonly pods: ResilientWatch<KubeObject>;
  readonly nodes: ResilientWatch<KubeObject>;

  constructor(kc: k8s.KubeConfig, log: Logger) {
    this.deployments = new ResilientWatch(kc, {
      path: '/apis/apps/v1/deployments',
      labelSelector: TWIN_APP_LABEL,
      log,
    });
    this.clusters = new ResilientWatch(kc, { path: `/apis/${CNPG_GROUP_VERSION}/clusters`, log });
    this.pods = new ResilientWatch(kc, { path: '/api/v1/pods', log });
    this.nodes = new ResilientWatch(kc, { path: '/api/v1/nodes', log });
  }

  async start(): Promise<void> {
    await Promise.all([this.deployments.start(), this.clusters.start(), this.nodes.start()]);
    await this.pods.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.deployments.stop(), this.clusters.stop(), this.pods.stop(), this.nodes.stop()]);
  }

  /** Whether an app's workload is serving: a Ready Deployment replica, or a ready, unfenced CNPG instance. */
  appReady(app: string): boolean {
    for (const c of this.clusters.items) {
      if (c.metadata?.labels?.[TWIN_APP_LABEL] !== app) continue;
      return (c.status?.readyInstances ?? 0) >= 1 && !isFenced(c, undefined);
    }
    let found = false;
    for (const d of this.deployments.items) {
      if (d.metadata?.labels?.[TWIN_APP_LABEL] !== app) continue;
      found = true;
      const name = d.metadata?.name ?? '';
      if (name.startsWith('kyverno-') && name !== KYVERNO_ADMISSION_DEPLOYMENT) continue;
      if ((d.status?.readyReplicas ?? 0) < 1) return false;
    }
    return found;
  }
}
