import * as k8s from '@kubernetes/client-node';
import { kubeRequest } from './http.ts';
import { RUN_LABEL } from './labels.ts';

export interface Leftover {
  kind: string;
  namespace: string | undefined;
  name: string;
  /** The run whose label it carries. */
  runId: string;
}

/** Kinds a suite may create; listed cluster-wide by the run label. */
const listers: Array<[string, (kc: k8s.KubeConfig, selector: string) => Promise<Array<k8s.KubernetesObject>>]> = [
  ['Namespace', async (kc, s) => (await kc.makeApiClient(k8s.CoreV1Api).listNamespace({ labelSelector: s })).items],
  ['Pod', async (kc, s) => (await kc.makeApiClient(k8s.CoreV1Api).listPodForAllNamespaces({ labelSelector: s })).items],
  [
    'ConfigMap',
    async (kc, s) => (await kc.makeApiClient(k8s.CoreV1Api).listConfigMapForAllNamespaces({ labelSelector: s })).items,
  ],
  [
    'Deployment',
    async (kc, s) => (await kc.makeApiClient(k8s.AppsV1Api).listDeploymentForAllNamespaces({ labelSelector: s })).items,
  ],
  [
    'DaemonSet',
    async (kc, s) => (await kc.makeApiClient(k8s.AppsV1Api).listDaemonSetForAllNamespaces({ labelSelector: s })).items,
  ],
  [
    'Job',
    async (kc, s) => (await kc.makeApiClient(k8s.BatchV1Api).listJobForAllNamespaces({ labelSelector: s })).items,
  ],
];

/** Objects still carrying `rebuild-bench/run=<id>` (or any run id when `runId` is undefined). */
export async function findLeftovers(kc: k8s.KubeConfig, runId?: string): Promise<Leftover[]> {
  const selector = runId ? `${RUN_LABEL}=${runId}` : RUN_LABEL;
  const out: Leftover[] = [];
  for (const [kind, list] of listers) {
    for (const o of await list(kc, selector)) {
      out.push({
        kind,
        namespace: o.metadata?.namespace,
        name: o.metadata?.name ?? '?',
        runId: o.metadata?.labels?.[RUN_LABEL] ?? runId ?? '?',
      });
    }
  }
  return out;
}

const paths: Record<string, (ns: string, name: string) => string> = {
  Namespace: (_ns, name) => `/api/v1/namespaces/${name}`,
  Pod: (ns, name) => `/api/v1/namespaces/${ns}/pods/${name}`,
  ConfigMap: (ns, name) => `/api/v1/namespaces/${ns}/configmaps/${name}`,
  Deployment: (ns, name) => `/apis/apps/v1/namespaces/${ns}/deployments/${name}`,
  DaemonSet: (ns, name) => `/apis/apps/v1/namespaces/${ns}/daemonsets/${name}`,
  Job: (ns, name) => `/apis/batch/v1/namespaces/${ns}/jobs/${name}`,
};

/** Deletes a leftover (its dependents too: background propagation). */
export async function deleteLeftover(kc: k8s.KubeConfig, l: Leftover): Promise<void> {
  const path = paths[l.kind];
  if (!path) throw new Error(`cannot delete a ${l.kind}`);
  await kubeRequest(kc, 'DELETE', `${path(l.namespace ?? '', l.name)}?propagationPolicy=Background`);
}
