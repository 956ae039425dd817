import { CNPG_GROUP_VERSION } from '../gitops/cnpg.ts';

/** A pod's controller whose object (or its own owner) names the Application: its API path by kind. */
export const OWNER_PATHS: Record<string, { apiVersion: string; path: (ns: string, name: string) => string }> = {
  ReplicaSet: { apiVersion: 'apps/v1', path: (ns, n) => `/apis/apps/v1/namespaces/${ns}/replicasets/${n}` },
  StatefulSet: { apiVersion: 'apps/v1', path: (ns, n) => `/apis/apps/v1/namespaces/${ns}/statefulsets/${n}` },
  DaemonSet: { apiVersion: 'apps/v1', path: (ns, n) => `/apis/apps/v1/namespaces/${ns}/daemonsets/${n}` },
  Job: { apiVersion: 'batch/v1', path: (ns, n) => `/apis/batch/v1/namespaces/${ns}/jobs/${n}` },
  // A CloudNativePG instance: the operator does not copy Argo CD's tracking to its pods.
  Cluster: {
    apiVersion: CNPG_GROUP_VERSION,
    path: (ns, n) => `/apis/${CNPG_GROUP_VERSION}/namespaces/${ns}/clusters/${n}`,
  },
};

/** The parents that name the Application when the owner does not. */
export const PARENT_PATHS: Record<string, (ns: string, name: string) => string> = {
  Deployment: (ns, n) => `/apis/apps/v1/namespaces/${ns}/deployments/${n}`,
  CronJob: (ns, n) => `/apis/batch/v1/namespaces/${ns}/cronjobs/${n}`,
  // CloudNativePG's initdb and join Jobs.
  Cluster: (ns, n) => `/apis/${CNPG_GROUP_VERSION}/namespaces/${ns}/clusters/${n}`,
};

/**
 * The key under which a pod's controller is resolved: `namespace/name` for a ReplicaSet, `Kind/namespace/name`
 * for the other kinds that can name the Application; undefined for any other owner.
 */
export function ownerKey(
  namespace: string,
  ref: { kind?: string; name?: string; apiVersion?: string } | undefined,
): string | undefined {
  const known = ref?.kind ? OWNER_PATHS[ref.kind] : undefined;
  if (!ref?.name || !known || (ref.apiVersion && ref.apiVersion.split('/')[0] !== known.apiVersion.split('/')[0]))
    return undefined;
  return ref.kind === 'ReplicaSet' ? `${namespace}/${ref.name}` : `${ref.kind}/${namespace}/${ref.name}`;
}
