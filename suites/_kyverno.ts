import type * as k8s from '@kubernetes/client-node';
import { kubeGetOrNull, kubeRequest } from '../cluster/http.ts';
import type { BreakerOptions } from './_options.ts';

/** Kyverno as the chaos suites find it: its admission controller's pod and node, and its webhooks. */

export interface KyvernoRef {
  namespace: string;
  deployment: string;
}

/** The fields of a pod read here. */
export interface PodLike {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { nodeName?: string };
  status?: { phase?: string };
}

/** A Running pod of Kyverno's admission controller, or undefined. */
export async function kyvernoPod(kc: k8s.KubeConfig, k: KyvernoRef): Promise<PodLike | undefined> {
  const path = `/api/v1/namespaces/${k.namespace}/pods`;
  const pods = (await kubeRequest<{ items: PodLike[] }>(kc, 'GET', path)).body.items;
  return pods.find(
    (p) =>
      !!p.spec?.nodeName &&
      p.status?.phase === 'Running' &&
      (p.metadata?.labels?.['app.kubernetes.io/name'] === k.deployment ||
        p.metadata?.name?.startsWith(`${k.deployment}-`)),
  );
}

/** The node running Kyverno's admission controller (the one whose saturation paralyses admission). */
export async function kyvernoNode(kc: k8s.KubeConfig, k: KyvernoRef): Promise<string> {
  const node = (await kyvernoPod(kc, k))?.spec?.nodeName;
  if (!node)
    throw new Error(
      `no Running pod of ${k.namespace}/${k.deployment}: is Kyverno installed? (options kyverno.namespace / kyverno.deployment)`,
    );
  return node;
}

/** Preflight: Kyverno runs where the options say, and the breaker's webhook configurations exist. */
export async function kyvernoPreflight(p: {
  kube: k8s.KubeConfig;
  options: { kyverno: KyvernoRef; webhooks: BreakerOptions['webhooks'] };
}): Promise<string[]> {
  const { kube: kc, options: o } = p;
  const problems: string[] = [];
  const { namespace, deployment } = o.kyverno;
  if (!(await kyvernoPod(kc, o.kyverno)))
    problems.push(
      `kyverno.namespace/kyverno.deployment: no Running pod of ${namespace}/${deployment} (is Kyverno installed there?)`,
    );
  for (const [kind, names] of [
    ['validating', o.webhooks.validating],
    ['mutating', o.webhooks.mutating],
  ] as const)
    for (const name of names)
      if (!(await kubeGetOrNull(kc, `/apis/admissionregistration.k8s.io/v1/${kind}webhookconfigurations/${name}`)))
        problems.push(
          `webhooks.${kind}: no ${kind === 'validating' ? 'Validating' : 'Mutating'}WebhookConfiguration ${name}`,
        );
  return problems;
}
