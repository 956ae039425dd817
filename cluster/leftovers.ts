import * as k8s from '@kubernetes/client-node';
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
