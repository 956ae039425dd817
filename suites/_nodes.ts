import type * as k8s from '@kubernetes/client-node';
import { kubeGetOrNull, kubeRequest } from '../cluster/http.ts';
import { labelSelector } from '../cluster/labels.ts';
import type { SuiteContext } from '../engine/suite.ts';
import type { PodLike } from './_kyverno.ts';
import { nodeUtilisation } from '../faults/cpu-hog.ts';
import {
  KYVERNO_ADMISSION_DEPLOYMENT,
  KYVERNO_MUTATING_WEBHOOK,
  KYVERNO_NAMESPACE,
  KYVERNO_VALIDATING_WEBHOOK,
} from '../gitops/kyverno.ts';

/** Which nodes a CPU fault should hit, and how busy they are. */

const list = async <T>(kc: k8s.KubeConfig, path: string) =>
  (await kubeRequest<{ items: T[] }>(kc, 'GET', path)).body.items;

interface WebhookConfig {
  metadata: { name: string };
  webhooks?: Array<{ clientConfig?: { service?: { namespace: string; name: string } } }>;
}

/**
 * The pods answering the admission webhooks, by node: the pods behind each webhook's Service, and for
 * Kyverno's webhook configurations (which a URL may point at) Kyverno's admission controller.
 */
export async function webhookBackends(kc: k8s.KubeConfig): Promise<Map<string, string[]>> {
  /** `namespace\0selector` of the pods behind the webhooks. */
  const selectors = new Set<string>();
  for (const kind of ['validating', 'mutating']) {
    for (const c of await list<WebhookConfig>(
      kc,
      `/apis/admissionregistration.k8s.io/v1/${kind}webhookconfigurations`,
    )) {
      if ([KYVERNO_VALIDATING_WEBHOOK, KYVERNO_MUTATING_WEBHOOK].includes(c.metadata?.name))
        selectors.add(`${KYVERNO_NAMESPACE}\0app.kubernetes.io/name=${KYVERNO_ADMISSION_DEPLOYMENT}`);
      for (const w of c.webhooks ?? []) {
        const ref = w.clientConfig?.service;
        if (!ref) continue;
        const path = `/api/v1/namespaces/${ref.namespace}/services/${ref.name}`;
        const svc = await kubeGetOrNull<{ spec?: { selector?: Record<string, string> } }>(kc, path);
        const selector = labelSelector(svc?.spec?.selector);
        if (selector) selectors.add(`${ref.namespace}\0${selector}`);
      }
    }
  }
  const byNode = new Map<string, string[]>();
  for (const key of selectors) {
    const [namespace, selector] = key.split('\0') as [string, string];
    const path = `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(selector)}`;
    for (const p of await list<PodLike>(kc, path))
      if (p.spec?.nodeName && p.status?.phase === 'Running') {
        const names = byNode.get(p.spec.nodeName) ?? [];
        const name = `${namespace}/${p.metadata.name}`;
        if (!names.includes(name)) byNode.set(p.spec.nodeName, [...names, name]);
      }
  }
  return byNode;
}

/** The node running the most pods: where a hog hurts the most workloads. */
export async function busiestNode(kc: k8s.KubeConfig): Promise<string> {
  const count = new Map<string, number>();
  for (const p of await list<PodLike>(kc, '/api/v1/pods?fieldSelector=status.phase=Running'))
    if (p.spec?.nodeName) count.set(p.spec.nodeName, (count.get(p.spec.nodeName) ?? 0) + 1);
  const best = [...count.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
  if (!best) throw new Error('no node runs any pod: name the nodes to saturate (--opt nodes=[...])');
  return best[0];
}

/** The webhook nodes, said why; the busiest node when no webhook has pods in the cluster. */
export async function webhookNodes(ctx: SuiteContext<unknown>): Promise<string[]> {
  const backends = await webhookBackends(ctx.kube);
  if (backends.size > 0) {
    const nodes = [...backends.keys()].sort();
    ctx.log.info(
      `nodes (default): ${nodes.join(', ')}: ${nodes.length === 1 ? 'it runs' : 'they run'} the admission webhooks' pods (${[...backends.values()].flat().join(', ')}); saturating them is the incident's case (set --opt nodes=[…] for others)`,
    );
    return nodes;
  }
  const node = await busiestNode(ctx.kube);
  ctx.log.info(
    `nodes (default): ${node}: no admission webhook has pods in the cluster, so the node running the most pods`,
  );
  return [node];
}

/** "CPU obsy 97 %, rpi5 ?" for a progress line. */
export async function utilisationText(kc: k8s.KubeConfig, nodes: readonly string[]): Promise<string> {
  const parts = await Promise.all(
    nodes.map(async (n) => {
      const busy = await nodeUtilisation(kc, n).catch(() => undefined);
      return `${n} ${busy ? `${Math.round(busy.utilisation * 100)} %` : '?'}`;
    }),
  );
  return `CPU ${parts.join(', ')}`;
}

/** Whether every node is back under `saturation` (a node without figures counts as back). */
export async function belowSaturation(kc: k8s.KubeConfig, nodes: readonly string[], saturation: number) {
  const u = await Promise.all(nodes.map((n) => nodeUtilisation(kc, n)));
  return u.every((x) => !x || x.utilisation < saturation);
}
