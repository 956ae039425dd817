import { describe, expect, it } from 'vitest';
import type { PodView } from '../../collectors/projections.ts';
import { ownerToResolve } from '../../collectors/restarts-reducer.ts';

const pod = (owner: { apiVersion?: string; kind: string; name: string } | undefined, labels?: Record<string, string>) =>
  ({
    metadata: {
      name: 'p',
      namespace: 'data',
      ...(labels ? { labels } : {}),
      ownerReferences: owner ? [{ ...owner, controller: true }] : [],
    },
    status: { conditions: [], containerStatuses: [] },
  }) as unknown as PodView;

describe('ownerToResolve', () => {
  it("names the controller whose object gives a pod's Application: ReplicaSet, StatefulSet, DaemonSet, Job, CloudNativePG Cluster", () => {
    expect(ownerToResolve(pod({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d' }))).toBe('data/web-5d');
    expect(ownerToResolve(pod({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'redis' }))).toBe(
      'StatefulSet/data/redis',
    );
    expect(ownerToResolve(pod({ apiVersion: 'batch/v1', kind: 'Job', name: 'migrate' }))).toBe('Job/data/migrate');
    // The operator copies no Argo CD tracking to its instance pods: the Cluster names the app.
    expect(ownerToResolve(pod({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', name: 'pg-main' }))).toBe(
      'Cluster/data/pg-main',
    );
  });

  it('nothing to resolve for a pod that names its app, an unknown owner, or a Cluster of another API group', () => {
    expect(
      ownerToResolve(
        pod({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d' }, { 'app.kubernetes.io/instance': 'web' }),
      ),
    ).toBeUndefined();
    expect(ownerToResolve(pod({ apiVersion: 'example.io/v1', kind: 'Cluster', name: 'x' }))).toBeUndefined();
    expect(ownerToResolve(pod({ apiVersion: 'v1', kind: 'Node', name: 'n1' }))).toBeUndefined();
    expect(ownerToResolve(pod(undefined))).toBeUndefined();
  });
});
