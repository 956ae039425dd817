import type { KubeObject } from '../../cluster/watch.ts';
import { errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { TwinApi } from './api.ts';
import type { TwinCaches } from './caches.ts';
import { cpuMillis, nodeUtilisation, slowdown } from './model.ts';
import type { TruthLog } from './truth.ts';
import { BURNER_LABEL, CPU_UTILISATION_ANNOTATION } from '../../cluster/labels.ts';

function podCpu(p: KubeObject): { requests: number; burn: number } {
  const containers: any[] = p.spec?.containers ?? [];
  const burner = p.metadata?.labels?.[BURNER_LABEL] !== undefined;
  let requests = 0;
  let burn = 0;
  for (const c of containers) {
    const req = cpuMillis(c.resources?.requests?.cpu);
    if (burner) burn += cpuMillis(c.resources?.limits?.cpu) || req;
    else requests += req;
  }
  return { requests, burn };
}

/** Live per-node utilisation from the pods running there (see model.ts for the model). */
export class CpuModel {
  private last = new Map<string, number>();
  /** Value last published on each node's annotation (absent: publish at the next observe). */
  private published = new Map<string, number>();
  private publishing = new Set<string>();

  constructor(
    private readonly caches: TwinCaches,
    private readonly truth: TruthLog,
    /** Where to publish the utilisation annotation (none: ground truth only). */
    private readonly publish?: { api: TwinApi; log: Logger },
  ) {}

  private snapshot: { at: number; byNode: Map<string, number> } | undefined;

  /** Utilisation of every node, recomputed at most every 500 ms (one pass over the pods). */
  private all(): Map<string, number> {
    if (this.snapshot && Date.now() - this.snapshot.at < 500) return this.snapshot.byNode;
    const sums = new Map<string, { requests: number; burn: number }>();
    for (const p of this.caches.pods.items) {
      const node = p.spec?.nodeName;
      if (!node || p.metadata?.deletionTimestamp) continue;
      if (p.status?.phase !== 'Running' && p.status?.phase !== 'Pending') continue;
      const c = podCpu(p);
      const s = sums.get(node) ?? { requests: 0, burn: 0 };
      s.requests += c.requests;
      if (p.status?.phase === 'Running') s.burn += c.burn;
      sums.set(node, s);
    }
    const byNode = new Map<string, number>();
    for (const n of this.caches.nodes.items) {
      const name = n.metadata?.name ?? '';
      const s = sums.get(name) ?? { requests: 0, burn: 0 };
      byNode.set(name, nodeUtilisation(cpuMillis(n.status?.allocatable?.cpu ?? '4'), s.requests, s.burn));
    }
    this.snapshot = { at: Date.now(), byNode };
    return byNode;
  }

  utilisation(node: string): number {
    return this.all().get(node) ?? 0;
  }

  slowdownOf(node: string | undefined): number {
    return node ? slowdown(this.utilisation(node)) : 1;
  }

  /**
   * Records a ground-truth point whenever a node's utilisation moves by 5 points or more, and
   * publishes it on the Node as CPU_UTILISATION_ANNOTATION (merge patch, one in flight per node;
   * a failed patch is logged and retried at the next observe).
   */
  observe(): void {
    for (const n of this.caches.nodes.items) {
      const name = n.metadata?.name ?? '';
      const u = this.utilisation(name);
      const prev = this.last.get(name);
      if (prev === undefined || Math.abs(prev - u) >= 0.05) {
        this.last.set(name, u);
        this.truth.write({
          kind: 'node-saturation',
          node: name,
          utilisation: Math.round(u * 1000) / 1000,
          t: Date.now(),
        });
      }
      const shown = this.published.get(name);
      if (this.publish && name && !this.publishing.has(name) && (shown === undefined || Math.abs(shown - u) >= 0.05))
        this.annotate(name, u);
    }
  }

  private annotate(node: string, u: number): void {
    const { api, log } = this.publish!;
    this.publishing.add(node);
    this.published.set(node, u);
    api
      .mergePatch(`/api/v1/nodes/${node}`, {
        metadata: { annotations: { [CPU_UTILISATION_ANNOTATION]: u.toFixed(3) } },
      })
      .catch((err: unknown) => {
        this.published.delete(node);
        log.warn(`cpu: annotating node ${node}: ${errorMessage(err)}`);
      })
      .finally(() => this.publishing.delete(node));
  }
}
