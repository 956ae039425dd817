import type * as k8s from '@kubernetes/client-node';
import { kubeRequest } from '../cluster/http.ts';
import { OWNER_PATHS, PARENT_PATHS } from './pod-owner.ts';
import type { MetadataView } from './projections.ts';
import { labelledApp } from './restarts-reducer.ts';

interface Owner {
  metadata?: Pick<MetadataView, 'labels' | 'annotations' | 'ownerReferences'>;
}

/**
 * The Application of each pod controller (ownerKey) a pod belongs to: the one the controller names,
 * else the one its own owner names (a ReplicaSet's Deployment, a Job's CronJob). Read once per
 * controller; a failed read counts as no Application.
 */
export class OwnerApps {
  private readonly apps = new Map<string, string | undefined>();

  constructor(private readonly kc: k8s.KubeConfig) {}

  has(key: string): boolean {
    return this.apps.has(key);
  }

  get(key: string): string | undefined {
    return this.apps.get(key);
  }

  async resolve(key: string): Promise<void> {
    const parts = key.split('/');
    const [kind, namespace, name] = (parts.length === 2 ? ['ReplicaSet', ...parts] : parts) as [string, string, string];
    let app: string | undefined;
    try {
      const owner = await this.read(OWNER_PATHS[kind]!.path(namespace, name));
      app = labelledApp(owner);
      const parent = (owner.metadata?.ownerReferences ?? []).find((r) => r.kind && PARENT_PATHS[r.kind]);
      if (!app && parent?.kind && parent.name)
        app = labelledApp(await this.read(PARENT_PATHS[parent.kind]!(namespace, parent.name)));
    } catch {
      app = undefined;
    }
    this.apps.set(key, app);
  }

  private async read(path: string): Promise<Owner> {
    // Bounded: pod events wait for this lookup, in order, and stop() waits for them.
    return (await kubeRequest<Owner>(this.kc, 'GET', path, { timeoutMs: 5000 })).body;
  }
}
