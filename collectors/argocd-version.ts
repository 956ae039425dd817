import type * as k8s from '@kubernetes/client-node';
import { ARGOCD_VERSION_LABEL } from '../gitops/argocd.ts';
import { kubeRequest } from '../cluster/http.ts';

export interface ArgocdVersion {
  version: string | null;
  /** twin: the sandbox's emulated Argo CD; real: an Argo CD controller. */
  mode: 'real' | 'twin' | 'unknown';
  /** Where the version was read. */
  source: string;
}

const CONTROLLER_SELECTOR = 'app.kubernetes.io/name=argocd-application-controller';

/** The tag of an image reference (`quay.io/argoproj/argocd:v3.4.1` → `v3.4.1`), digests ignored. */
export function imageTag(image: string): string | undefined {
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(colon + 1) : undefined;
}

/**
 * Which Argo CD a cluster runs: the version label its installation puts on argocd-cm (the Helm
 * chart does; so does the sandbox), else the image tag of the application controller's pods.
 */
export async function argocdVersion(kc: k8s.KubeConfig, namespace: string): Promise<ArgocdVersion> {
  const cm = await kubeRequest<{ metadata?: { labels?: Record<string, string> } }>(
    kc,
    'GET',
    `/api/v1/namespaces/${namespace}/configmaps/argocd-cm`,
    { timeoutMs: 5000 },
  ).catch(() => undefined);
  const label = cm?.body.metadata?.labels?.[ARGOCD_VERSION_LABEL];
  if (label)
    return {
      version: label,
      mode: label === 'twin' ? 'twin' : 'real',
      source: `argocd-cm label ${ARGOCD_VERSION_LABEL}`,
    };
  const pods = await kubeRequest<{ items?: Array<{ spec?: { containers?: Array<{ image?: string }> } }> }>(
    kc,
    'GET',
    `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(CONTROLLER_SELECTOR)}&limit=5`,
    { timeoutMs: 5000 },
  ).catch(() => undefined);
  for (const p of pods?.body.items ?? []) {
    const tag = imageTag(p.spec?.containers?.[0]?.image ?? '');
    if (tag) return { version: tag, mode: 'real', source: 'argocd-application-controller image' };
  }
  return { version: null, mode: 'unknown', source: 'not found (no version label on argocd-cm, no controller pod)' };
}
