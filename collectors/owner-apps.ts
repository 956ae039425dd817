import type * as k8s from '@kubernetes/client-node';
import { kubeRequest } from '../cluster/http.ts';
import type { MetadataView } from './projections.ts';
import { labelledApp } from './restarts-reducer.ts';

interface Owner {
  metadata?: Pick<MetadataView, 'labels' | 'annotations' | 'ownerReferences'>;
}

/**
 * The Application of each ReplicaSet (`namespace/name`) a restarted pod belongs to: the one the
 * ReplicaSet names, else the one its Deployment names. Read once per ReplicaSet; a failed read
 * counts as no Application.
 */
export class OwnerApps {
  private readonly apps = new Map<string, string | undefined>();

  constructor(private readonly kc: k8s.KubeConfig) {}

  has(replicaSet: string): boolean {
    return this.apps.has(replicaSet);
  }

  get(replicaSet: string): string | undefined {
    return this.apps.get(replicaSet);
  }

  async resolve(replicaSet: string): Promise<void> {
    const [namespace, name] = replicaSet.split('/') as [string, string];
    let app: string | undefined;
    try {
      const rs = await this.read(`/apis/apps/v1/namespaces/${namespace}/replicasets/${name}`);
      app = labelledApp(rs);
      const dep = (rs.metadata?.ownerReferences ?? []).find((r) => r.kind === 'Deployment');
      if (!app && dep)
        app = labelledApp(await this.read(`/apis/apps/v1/namespaces/${namespace}/deployments/${dep.name}`));
    } catch {
      app = undefined;
    }
    this.apps.set(replicaSet, app);
  }

  private async read(path: string): Promise<Owner> {
    // Bounded: pod events wait for this lookup, in order, and stop() waits for them.
    return (await kubeRequest<Owner>(this.kc, 'GET', path, { timeoutMs: 5000 })).body;
  }
}
