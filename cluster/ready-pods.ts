import type * as k8s from '@kubernetes/client-node';
import { kubeRequest } from './http.ts';
import { labelSelector } from './labels.ts';

export interface ListedPod {
  metadata: {
    name: string;
    uid: string;
    deletionTimestamp?: string;
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid?: string; controller?: boolean }>;
  };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

const enc = encodeURIComponent;

/**
 * Pods of `namespace` matching `matchLabels` (all of the namespace when empty) that are Ready and not
 * terminating, and pass `keep`. A controller's status can still count a pod it is deleting until it
 * has synced; this count cannot.
 */
export async function readyPodCount(
  kc: k8s.KubeConfig,
  namespace: string,
  matchLabels: Record<string, string> | undefined,
  keep: (p: ListedPod) => boolean = () => true,
): Promise<number> {
  const sel = matchLabels && Object.keys(matchLabels).length ? `?labelSelector=${enc(labelSelector(matchLabels))}` : '';
  const pods = (await kubeRequest<{ items: ListedPod[] }>(kc, 'GET', `/api/v1/namespaces/${enc(namespace)}/pods${sel}`))
    .body.items;
  return pods.filter(
    (x) =>
      !x.metadata.deletionTimestamp &&
      keep(x) &&
      x.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  ).length;
}
