import type * as k8s from '@kubernetes/client-node';
import { KubeHttpError, kubeRequest } from '../cluster/http.ts';
import { sleep, waitFor, WaitTimeoutError } from '../core/abortable.ts';
import { errorMessage } from '../core/errors.ts';
import { BURNER_LABEL, CPU_UTILISATION_ANNOTATION, labelSelector, RUN_LABEL } from '../cluster/labels.ts';
import type { Fault, FaultEnv, FaultType } from './types.ts';

export interface CpuHogParams {
  /** Target nodes by name. With `nodeSelector` too, only the named nodes that match it. */
  nodes?: string[];
  /** Target nodes by label. At least one node must match. */
  nodeSelector?: Record<string, string>;
  /** Namespace of the burner pods (default rebuild-bench; created, and then deleted, when missing). */
  namespace?: string;
  /** CPU to burn per node in millicores (default: the node's allocatable CPU). */
  millicores?: number;
  /** How long the burn lasts; the pods also die on their own 60 s after it (activeDeadlineSeconds). */
  durationSeconds: number;
  /** Burner image: needs sh and seq (default busybox:1.36). */
  image?: string;
  /** Utilisation verify() waits for on every target node (default 0.9). */
  saturation?: number;
  /** How long verify() waits for saturation (default 60 s). */
  verifyTimeoutMs?: number;
  /** How long apply() waits for the burners to run (default 120 s). */
  startTimeoutMs?: number;
}

export interface CpuHogRollback {
  runId: string;
  namespace: string;
  /** The namespace was missing at prepare: apply creates it (marked), revert deletes it. */
  namespaceCreated: boolean;
  nodes: string[];
}

export const DEFAULT_NAMESPACE = 'rebuild-bench';
export const DEFAULT_IMAGE = 'busybox:1.36';
/** Marks a namespace the cpu-hog fault created (with the run label), so revert never deletes another. */
const CREATED_BY = 'rebuild-bench/created-by';
const CONTROL_PLANE_TOLERATIONS = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'];

interface KNode {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  status?: { allocatable?: Record<string, string> };
}
interface KPod {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec?: {
    nodeName?: string;
    containers?: Array<{ resources?: { requests?: Record<string, string> } }>;
    initContainers?: Array<{ resources?: { requests?: Record<string, string> } }>;
  };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}
interface KNamespace {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  status?: { phase?: string };
}

/** A Kubernetes CPU quantity ("250m", "4", "1.5", "123456789n" from metrics-server) in millicores. */
export function cpuQuantityMillis(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const m = /^([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)(n|u|m|k|M|G)?$/.exec(String(q).trim());
  if (!m) return Number.NaN;
  const scale = { n: 1e-6, u: 1e-3, m: 1, '': 1000, k: 1e6, M: 1e9, G: 1e12 }[m[2] ?? '']!;
  return Number(m[1]) * scale;
}

const enc = encodeURIComponent;

async function getOrUndefined<T>(kc: k8s.KubeConfig, path: string, signal?: AbortSignal): Promise<T | undefined> {
  try {
    return (await kubeRequest<T>(kc, 'GET', path, signal ? { signal } : {})).body;
  } catch (err) {
    if (err instanceof KubeHttpError && err.status === 404) return undefined;
    throw err;
  }
}

/** The nodes named by the params, checked to exist and to match the selector. */
async function targetNodes(kc: k8s.KubeConfig, p: CpuHogParams): Promise<KNode[]> {
  if (!p.nodes?.length && !p.nodeSelector)
    throw new Error('cpu-hog: give nodes and/or nodeSelector (the fault never targets every node implicitly)');
  const sel = p.nodeSelector && Object.keys(p.nodeSelector).length ? labelSelector(p.nodeSelector) : '';
  const listed = (
    await kubeRequest<{ items: KNode[] }>(kc, 'GET', `/api/v1/nodes${sel ? `?labelSelector=${enc(sel)}` : ''}`)
  ).body.items;
  if (!p.nodes?.length) {
    if (listed.length === 0) throw new Error(`cpu-hog: no node matches nodeSelector ${sel}`);
    return listed;
  }
  const byName = new Map(listed.map((n) => [n.metadata.name, n]));
  const missing = p.nodes.filter((n) => !byName.has(n));
  if (missing.length) {
    const all = sel
      ? (await kubeRequest<{ items: KNode[] }>(kc, 'GET', '/api/v1/nodes')).body.items.map((n) => n.metadata.name)
      : [...byName.keys()];
    const what = sel ? `not found or not matching nodeSelector ${sel}` : 'not found';
    throw new Error(`cpu-hog: node(s) ${missing.join(', ')} ${what} (cluster nodes: ${all.join(', ') || 'none'})`);
  }
  return [...new Set(p.nodes)].map((n) => byName.get(n)!);
}

function validate(p: CpuHogParams): void {
  if (!Number.isFinite(p.durationSeconds) || p.durationSeconds <= 0)
    throw new Error(`cpu-hog: durationSeconds must be > 0, got ${p.durationSeconds}`);
  if (p.millicores !== undefined && (!Number.isFinite(p.millicores) || p.millicores < 1))
    throw new Error(`cpu-hog: millicores must be ≥ 1, got ${p.millicores}`);
  if (p.saturation !== undefined && !(p.saturation > 0 && p.saturation <= 1))
    throw new Error(`cpu-hog: saturation must be in (0, 1], got ${p.saturation}`);
}

/** CPU requested by the pods still holding resources on `node`, in millicores. */
async function requestedOn(kc: k8s.KubeConfig, node: string): Promise<number> {
  const pods = (
    await kubeRequest<{ items: KPod[] }>(kc, 'GET', `/api/v1/pods?fieldSelector=${enc(`spec.nodeName=${node}`)}`)
  ).body.items;
  let sum = 0;
  for (const p of pods) {
    if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    const main = (p.spec?.containers ?? []).reduce((a, c) => a + cpuQuantityMillis(c.resources?.requests?.cpu), 0);
    const init = Math.max(
      0,
      ...(p.spec?.initContainers ?? []).map((c) => cpuQuantityMillis(c.resources?.requests?.cpu)),
    );
    sum += Math.max(main, init) || 0;
  }
  return sum;
}

/** The burner pod for one node (exported for the docs and tests). */
export function burnerPod(o: {
  node: KNode;
  runId: string;
  namespace: string;
  burnMillis: number;
  requestMillis: number;
  durationSeconds: number;
  image: string;
}): object {
  const name = o.node.metadata.name;
  const cores = Math.max(1, Math.ceil(o.burnMillis / 1000));
  const hostname = o.node.metadata.labels?.['kubernetes.io/hostname'];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `rb-cpu-burner-${name
        .slice(0, 40)
        .replace(/[^a-z0-9.-]/g, '-')
        .replace(/[^a-z0-9]+$/, '')}-`,
      namespace: o.namespace,
      labels: { [RUN_LABEL]: o.runId, [BURNER_LABEL]: o.runId, 'app.kubernetes.io/managed-by': 'rebuild-bench' },
      annotations: { 'rebuild-bench/target-node': name },
    },
    spec: {
      // nodeSelector on the hostname label, as asked; plus an affinity on metadata.name (as the
      // DaemonSet controller does), because the hostname label may differ from the node name on
      // some providers. Not nodeName: that skips the scheduler, so no resource accounting, no
      // taint check, and a kubelet that rejects the pod (OutOfcpu) instead of a visible Pending.
      ...(hostname ? { nodeSelector: { 'kubernetes.io/hostname': hostname } } : {}),
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [name] }] }],
          },
        },
      },
      tolerations: CONTROL_PLANE_TOLERATIONS.map((key) => ({ key, operator: 'Exists', effect: 'NoSchedule' })),
      restartPolicy: 'Never',
      activeDeadlineSeconds: Math.ceil(o.durationSeconds) + 60,
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65534,
        runAsGroup: 65534,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'burn',
          image: o.image,
          command: ['sh', '-c', `for i in $(seq 1 ${cores}); do (while :; do :; done) & done; wait`],
          resources: { requests: { cpu: `${o.requestMillis}m` }, limits: { cpu: `${o.burnMillis}m` } },
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          },
        },
      ],
    },
  };
}

const burnerSelector = (runId: string) => `${BURNER_LABEL}=${runId}`;

async function listBurners(
  kc: k8s.KubeConfig,
  namespace: string,
  runId: string,
  signal?: AbortSignal,
): Promise<KPod[]> {
  try {
    const r = await kubeRequest<{ items: KPod[] }>(
      kc,
      'GET',
      `/api/v1/namespaces/${enc(namespace)}/pods?labelSelector=${enc(burnerSelector(runId))}`,
      signal ? { signal } : {},
    );
    return r.body.items;
  } catch (err) {
    if (err instanceof KubeHttpError && err.status === 404) return [];
    throw err;
  }
}

function podProblem(p: KPod): string {
  const c = p.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False');
  const where = p.spec?.nodeName ? ` on ${p.spec.nodeName}` : '';
  return `${p.metadata.name}${where} ${p.status?.phase ?? 'Pending'}${c ? ` (${c.reason}: ${c.message})` : p.status?.reason ? ` (${p.status.reason}: ${p.status.message ?? ''})` : ''}`;
}

async function ensureNamespace(
  env: FaultEnv,
  kc: k8s.KubeConfig,
  rb: CpuHogRollback,
  timeoutMs: number,
): Promise<void> {
  const path = `/api/v1/namespaces/${enc(rb.namespace)}`;
  const existing = await getOrUndefined<KNamespace>(kc, path, env.signal);
  if (existing?.status?.phase === 'Terminating') {
    env.log.info(`namespace ${rb.namespace} is being deleted: waiting for it to go before recreating it`);
    await waitFor(`namespace ${rb.namespace} deleted`, async () => (await getOrUndefined(kc, path)) === undefined, {
      timeoutMs,
      signal: env.signal,
    });
  } else if (existing) {
    return;
  }
  try {
    await kubeRequest(kc, 'POST', '/api/v1/namespaces', {
      body: {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: rb.namespace,
          labels: { 'app.kubernetes.io/managed-by': 'rebuild-bench', [RUN_LABEL]: rb.runId },
          annotations: { [CREATED_BY]: 'cpu-hog' },
        },
      },
      signal: env.signal,
    });
    env.log.info(`created namespace ${rb.namespace}`);
  } catch (err) {
    // Someone else created it between prepare and now: it is theirs, revert will leave it alone.
    if (!(err instanceof KubeHttpError && err.status === 409)) throw err;
  }
}

async function apply(env: FaultEnv, p: CpuHogParams, rb: CpuHogRollback): Promise<void> {
  const kc = env.kube();
  const startTimeoutMs = p.startTimeoutMs ?? 120_000;
  await ensureNamespace(env, kc, rb, startTimeoutMs);
  for (const name of rb.nodes) {
    const node = await getOrUndefined<KNode>(kc, `/api/v1/nodes/${enc(name)}`, env.signal);
    if (!node) throw new Error(`cpu-hog: node ${name} disappeared before the burner was created`);
    const allocatable = cpuQuantityMillis(node.status?.allocatable?.cpu);
    if (!(allocatable > 0)) throw new Error(`cpu-hog: node ${name} reports no allocatable CPU`);
    const burn = Math.round(p.millicores ?? allocatable);
    // Real requests, so the scheduler accounts for the burn; capped to what is free so it fits.
    const request = Math.max(0, Math.min(burn, Math.floor(allocatable - (await requestedOn(kc, name)))));
    const body = burnerPod({
      node,
      runId: rb.runId,
      namespace: rb.namespace,
      burnMillis: burn,
      requestMillis: request,
      durationSeconds: p.durationSeconds,
      image: p.image ?? DEFAULT_IMAGE,
    });
    const created = (
      await kubeRequest<KPod>(kc, 'POST', `/api/v1/namespaces/${enc(rb.namespace)}/pods`, { body, signal: env.signal })
    ).body;
    env.log.info(
      `burner ${created.metadata.name} on ${name}: burns ${burn}m (requests ${request}m of ${allocatable}m allocatable) for ${p.durationSeconds}s`,
    );
  }
  let last: KPod[] = [];
  try {
    await waitFor(
      `cpu burners running on ${rb.nodes.join(', ')}`,
      async () => {
        last = (await listBurners(kc, rb.namespace, rb.runId, env.signal)).filter((x) => !x.metadata.deletionTimestamp);
        const dead = last.find((x) => x.status?.phase === 'Failed' || x.status?.phase === 'Succeeded');
        if (dead) throw new FatalApply(`cpu-hog: burner ${podProblem(dead)}`);
        const running = new Set(last.filter((x) => x.status?.phase === 'Running').map((x) => x.spec?.nodeName));
        const waiting = rb.nodes.filter((n) => !running.has(n));
        return { ok: waiting.length === 0, detail: `waiting for ${waiting.join(', ')}` };
      },
      { timeoutMs: startTimeoutMs, intervalMs: 500, signal: env.signal },
    );
  } catch (err) {
    if (err instanceof FatalApply) throw new Error(err.message);
    if (err instanceof WaitTimeoutError) {
      const stuck = last.filter((x) => x.status?.phase !== 'Running').map(podProblem);
      throw new Error(
        `cpu-hog: burners not running after ${Math.round(startTimeoutMs / 1000)} s: ${stuck.join('; ') || 'no burner pod found'}`,
      );
    }
    throw err;
  }
}

/** A probe error that must stop the wait at once (waitFor treats probe errors as misses). */
class FatalApply extends Error {}

async function revert(env: FaultEnv, rb: CpuHogRollback): Promise<void> {
  const kc = env.kube();
  const podsPath = `/api/v1/namespaces/${enc(rb.namespace)}/pods`;
  const ns = await getOrUndefined<KNamespace>(kc, `/api/v1/namespaces/${enc(rb.namespace)}`);
  if (ns) {
    // One DELETE per pod (needs only the delete verb, not deletecollection), grace 0: burners
    // have no storage and nothing to flush.
    for (const pod of await listBurners(kc, rb.namespace, rb.runId)) {
      try {
        await kubeRequest(kc, 'DELETE', `${podsPath}/${enc(pod.metadata.name)}`, {
          body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 },
        });
      } catch (err) {
        if (!(err instanceof KubeHttpError && err.status === 404)) throw err;
      }
    }
    await waitFor(
      `cpu burners of ${rb.runId} deleted from ${rb.namespace}`,
      async () => {
        const left = await listBurners(kc, rb.namespace, rb.runId);
        return { ok: left.length === 0, detail: left.map((x) => x.metadata.name).join(', ') };
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    const ours = ns.metadata.labels?.[RUN_LABEL] === rb.runId && ns.metadata.annotations?.[CREATED_BY] === 'cpu-hog';
    if (ours && ns.status?.phase !== 'Terminating') {
      // Another fault of this run may still burn in the namespace: it then stays (and shows as a leftover).
      const others = (await kubeRequest<{ items: KPod[] }>(kc, 'GET', podsPath)).body.items.filter(
        (x) => !x.metadata.deletionTimestamp,
      );
      if (others.length) env.log.warn(`namespace ${rb.namespace} still holds ${others.length} pod(s): not deleting it`);
      else await deleteNamespace(env, kc, rb.namespace);
    } else if (rb.namespaceCreated && !ours) {
      env.log.info(`namespace ${rb.namespace} was not created by this fault: leaving it`);
    }
    if (ours && ns.status?.phase === 'Terminating') await waitNamespaceGone(env, kc, rb.namespace);
  }
  env.log.info(`cpu burners of ${rb.runId} removed from ${rb.namespace}`);
}

async function deleteNamespace(env: FaultEnv, kc: k8s.KubeConfig, name: string): Promise<void> {
  try {
    await kubeRequest(kc, 'DELETE', `/api/v1/namespaces/${enc(name)}`);
  } catch (err) {
    if (!(err instanceof KubeHttpError && err.status === 404)) throw err;
  }
  await waitNamespaceGone(env, kc, name);
}

async function waitNamespaceGone(env: FaultEnv, kc: k8s.KubeConfig, name: string): Promise<void> {
  try {
    await waitFor(
      `namespace ${name} deleted`,
      async () => (await getOrUndefined(kc, `/api/v1/namespaces/${enc(name)}`)) === undefined,
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    env.log.info(`deleted namespace ${name}`);
  } catch (err) {
    // The burners are gone (the fault's effect); a namespace stuck in Terminating is only untidy.
    env.log.warn(`namespace ${name} still terminating: ${errorMessage(err)}`);
  }
}

/**
 * A node's CPU utilisation (0…1): usage/allocatable from metrics.k8s.io when the cluster serves
 * it, else the twin's model from the node annotation; null when neither is available.
 */
export async function nodeUtilisation(
  kc: k8s.KubeConfig,
  node: string,
): Promise<{ utilisation: number; source: 'metrics.k8s.io' | 'twin' } | null> {
  const n = await getOrUndefined<KNode>(kc, `/api/v1/nodes/${enc(node)}`);
  if (!n) return null;
  try {
    const m = await getOrUndefined<{ usage?: { cpu?: string } }>(kc, `/apis/metrics.k8s.io/v1beta1/nodes/${enc(node)}`);
    const usage = cpuQuantityMillis(m?.usage?.cpu);
    const allocatable = cpuQuantityMillis(n.status?.allocatable?.cpu);
    if (m && Number.isFinite(usage) && allocatable > 0)
      return { utilisation: usage / allocatable, source: 'metrics.k8s.io' };
  } catch (err) {
    // 503: the APIService is registered but metrics-server is not answering; use the fallback.
    if (!(err instanceof KubeHttpError)) throw err;
  }
  const raw = n.metadata.annotations?.[CPU_UTILISATION_ANNOTATION];
  const u = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(u) ? { utilisation: u, source: 'twin' } : null;
}

const pct = (u: number) => `${(u * 100).toFixed(1)} %`;
const sourceText = { 'metrics.k8s.io': 'metrics.k8s.io', twin: 'twin model' } as const;

async function verify(env: FaultEnv, p: CpuHogParams): Promise<string> {
  const kc = env.kube();
  const namespace = p.namespace ?? DEFAULT_NAMESPACE;
  const nodes = [
    ...new Set(
      (await listBurners(kc, namespace, env.runId, env.signal))
        .map((x) => x.spec?.nodeName)
        .filter((n): n is string => !!n),
    ),
  ];
  if (nodes.length === 0) throw new Error(`cpu-hog: no burner pod of run ${env.runId} in ${namespace} to verify`);
  const saturation = p.saturation ?? 0.9;
  const timeoutMs = p.verifyTimeoutMs ?? 60_000;
  /** Nothing to measure for this long: report it instead of failing (no metrics.k8s.io, no twin). */
  const unmeasuredMs = Math.min(5000, timeoutMs);
  const started = Date.now();
  let seen = new Map<string, { utilisation: number; source: 'metrics.k8s.io' | 'twin' } | null>();
  for (;;) {
    seen = new Map(
      await Promise.all(nodes.map(async (n) => [n, await nodeUtilisation(kc, n).catch(() => null)] as const)),
    );
    const values = [...seen.values()];
    const detail = () =>
      nodes
        .map((n) =>
          seen.get(n)
            ? `${n} ${pct(seen.get(n)!.utilisation)} (${sourceText[seen.get(n)!.source]})`
            : `${n} unmeasured`,
        )
        .join(', ');
    if (values.every((v) => v && v.utilisation >= saturation)) return detail();
    const elapsed = Date.now() - started;
    if (values.every((v) => v === null) && elapsed >= unmeasuredMs) {
      return `saturation of ${nodes.join(', ')} could not be measured: no metrics.k8s.io and no ${CPU_UTILISATION_ANNOTATION} annotation`;
    }
    if (elapsed >= timeoutMs)
      throw new Error(
        `cpu-hog: nodes not saturated (≥ ${pct(saturation)}) after ${Math.round(timeoutMs / 1000)} s: ${detail()}`,
      );
    await sleep(Math.min(1000, timeoutMs - elapsed), env.signal);
  }
}

export const cpuHogFault: FaultType<CpuHogParams, CpuHogRollback> = {
  kind: 'cpu-hog',
  describe: (p) => {
    const where = p.nodes?.length ? p.nodes.join(', ') : `nodes ${labelSelector(p.nodeSelector ?? {})}`;
    return `cpu-hog: burn ${p.millicores !== undefined ? `${p.millicores}m` : 'all allocatable CPU'} on ${where} for ${p.durationSeconds}s`;
  },
  async prepare(env, p) {
    validate(p);
    const kc = env.kube();
    const nodes = (await targetNodes(kc, p)).map((n) => n.metadata.name);
    const namespace = p.namespace ?? DEFAULT_NAMESPACE;
    const ns = await getOrUndefined<KNamespace>(kc, `/api/v1/namespaces/${enc(namespace)}`);
    return { runId: env.runId, namespace, namespaceCreated: ns === undefined, nodes };
  },
  apply,
  revert,
  verify,
};

/** Burns CPU on the target nodes with one burner pod each, for `durationSeconds`. */
export function cpuHog(p: CpuHogParams & { title?: string }): Fault<CpuHogParams, CpuHogRollback> {
  const { title, ...params } = p;
  return { type: cpuHogFault, params, ...(title ? { title } : {}) };
}
