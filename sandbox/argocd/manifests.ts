import { randomBytes } from 'node:crypto';
import { ARGOCD_PART_OF_LABEL, ARGOCD_VERSION_LABEL } from '../../gitops/argocd.ts';

/**
 * What an Argo CD installation puts in the cluster besides its workloads, reduced to what the
 * application controller reads: argocd-cm and argocd-secret (seen by the settings informer only
 * when labelled part-of argocd) and the `default` AppProject that argocd-server would create.
 */
export function argocdConfigMap(namespace: string, data: Record<string, string>, version: string) {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'argocd-cm',
      namespace,
      // The Argo CD Helm chart labels its objects with the release it installs; rebuild-bench reads it back.
      labels: {
        'app.kubernetes.io/name': 'argocd-cm',
        [ARGOCD_PART_OF_LABEL]: 'argocd',
        [ARGOCD_VERSION_LABEL]: version,
      },
    },
    data,
  };
}

export function argocdSecret(namespace: string) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'argocd-secret',
      namespace,
      labels: { 'app.kubernetes.io/name': 'argocd-secret', [ARGOCD_PART_OF_LABEL]: 'argocd' },
    },
    type: 'Opaque',
    // argocd-server signs its sessions with this key; the controller never reads it, the sandbox has no server.
    stringData: { 'server.secretkey': randomBytes(24).toString('base64url') },
  };
}

export function defaultProject(namespace: string) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name: 'default', namespace },
    spec: {
      sourceRepos: ['*'],
      destinations: [{ namespace: '*', server: '*' }],
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
    },
  };
}
