import type * as k8s from '@kubernetes/client-node';
import { KubeHttpError, kubeRequest } from '../cluster/http.ts';
import { readyPodCount } from '../cluster/ready-pods.ts';
import { sleep, waitFor } from '../core/abortable.ts';
import { errorMessage } from '../core/errors.ts';
import type { Fault, FaultEnv, FaultType } from './types.ts';

export interface DeletePodsParams {
  namespace: string;
  /** Label selector of the pods to delete, e.g. app.kubernetes.io/name=web. */
  selector: string;
  /** Delete at most this many of the matching pods (default: all), taken in name order. */
  max?: number;
  /** Deletions per second (default 1): they are spaced 1/rate seconds apart. */
  ratePerSecond?: number;
  /** Grace period of each deletion (default: the pod's own terminationGracePeriodSeconds). */
  gracePeriodSeconds?: number;
  /** Force deletion: grace period 0, the pod object goes at once whatever the kubelet is doing. */
  force?: boolean;
  /** How long revert waits for the owners to be ready again (default 120 s; never fails on timeout). */
  readyTimeoutMs?: number;
}

export interface PodOwner {
  apiVersion: string;
  kind: string;
  name: string;
}

export interface DeletePodsRollback {
  namespace: string;
  /** The pods apply deletes (uid: a pod recreated under the same name is never deleted). */
  pods: Array<{ name: string; uid: string }>;
  /** Their controllers, whose ready replicas revert waits for. */
  owners: PodOwner[];
  readyTimeoutMs: number;
}

interface KPod {
  metadata: {
    name: string;
    uid: string;
    deletionTimestamp?: string;
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid?: string; controller?: boolean }>;
  };
  spec?: { volumes?: Array<{ name: string; persistentVolumeClaim?: { claimName: string }; ephemeral?: object }> };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

const enc = encodeURIComponent;

/** Names of the PersistentVolumeClaims a pod mounts (generic ephemeral volumes are PVCs too). */
export function podClaims(p: KPod): string[] {
  return (p.spec?.volumes ?? []).flatMap((v) =>
    v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : v.ephemeral ? [`${p.metadata.name}-${v.name}`] : [],
  );
}

/**
 * The force guard. Force-deleting (grace 0) removes the pod object while its volume is still
 * attached to the old node. A real incident came from bulk force-deleting pods backed by network
 * block storage (Longhorn, Ceph RBD): the replacement pods hung on a volume still attached
 * elsewhere (Multi-Attach) or, once forced through, two writers corrupted the data. So a
 * force deletion may touch at most one pod that mounts a PersistentVolumeClaim; more is refused
 * before anything is deleted.
 */
export function checkForceGuard(p: DeletePodsParams, pods: KPod[]): void {
  const force = p.force === true || p.gracePeriodSeconds === 0;
  if (!force) return;
  const withClaims = pods
    .map((x) => ({ name: x.metadata.name, claims: podClaims(x) }))
    .filter((x) => x.claims.length > 0);
  if (withClaims.length <= 1) return;
  const list = withClaims.map((x) => `${p.namespace}/${x.name} (pvc ${x.claims.join(', ')})`).join(', ');
  throw new Error(
    `delete-pods: refusing to force-delete ${withClaims.length} pods that mount PersistentVolumeClaims: ${list}. ` +
      'With network block storage (Longhorn, Ceph RBD) the volume stays attached to the old node and the replacement pods hang or corrupt data. ' +
      'Delete them gracefully (no force, gracePeriodSeconds > 0) or force one at a time (max: 1). Nothing was deleted.',
  );
}

function validate(p: DeletePodsParams): void {
  if (!p.namespace) throw new Error('delete-pods: namespace is required');
  if (!p.selector?.trim())
    throw new Error('delete-pods: selector is required (refusing to delete every pod of a namespace)');
  if (p.max !== undefined && !(Number.isInteger(p.max) && p.max >= 1))
    throw new Error(`delete-pods: max must be an integer ≥ 1, got ${p.max}`);
  if (p.ratePerSecond !== undefined && !(p.ratePerSecond > 0))
    throw new Error(`delete-pods: ratePerSecond must be > 0, got ${p.ratePerSecond}`);
  if (p.gracePeriodSeconds !== undefined && !(Number.isInteger(p.gracePeriodSeconds) && p.gracePeriodSeconds >= 0)) {
    throw new Error(`delete-pods: gracePeriodSeconds must be an integer ≥ 0, got ${p.gracePeriodSeconds}`);
  }
}

const ownerPath: Record<string, (ns: string, name: string) => string> = {
  ReplicaSet: (ns, n) => `/apis/apps/v1/namespaces/${enc(ns)}/replicasets/${enc(n)}`,
  StatefulSet: (ns, n) => `/apis/apps/v1/namespaces/${enc(ns)}/statefulsets/${enc(n)}`,
  DaemonSet: (ns, n) => `/apis/apps/v1/namespaces/${enc(ns)}/daemonsets/${enc(n)}`,
};

interface KOwner {
  metadata: { uid: string };
  spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  status?: { readyReplicas?: number; numberReady?: number; desiredNumberScheduled?: number };
}

/**
 * ready/wanted of a supported owner, or undefined when it no longer exists. Ready is the lower of
 * the controller's status and a count of its Ready, not terminating pods: right after a deletion
 * the status can still show the old count until the controller has synced.
 */
async function ownerReadiness(
  kc: k8s.KubeConfig,
  ns: string,
  o: PodOwner,
): Promise<{ ready: number; wanted: number } | undefined> {
  let obj: KOwner;
  try {
    obj = (await kubeRequest<KOwner>(kc, 'GET', ownerPath[o.kind]!(ns, o.name))).body;
  } catch (err) {
    if (err instanceof KubeHttpError && err.status === 404) return undefined;
    throw err;
  }
  const readyPods = await readyPodCount(kc, ns, obj.spec?.selector?.matchLabels, (x) =>
    (x.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === obj.metadata.uid),
  );
  if (o.kind === 'DaemonSet')
    return {
      ready: Math.min(readyPods, obj.status?.numberReady ?? 0),
      wanted: obj.status?.desiredNumberScheduled ?? 0,
    };
  return { ready: Math.min(readyPods, obj.status?.readyReplicas ?? 0), wanted: obj.spec?.replicas ?? 1 };
}

async function prepare(env: FaultEnv, p: DeletePodsParams): Promise<DeletePodsRollback> {
  validate(p);
  const kc = env.kube();
  const listed = (
    await kubeRequest<{ items: KPod[] }>(
      kc,
      'GET',
      `/api/v1/namespaces/${enc(p.namespace)}/pods?labelSelector=${enc(p.selector)}`,
    )
  ).body.items;
  const pods = listed
    .filter((x) => !x.metadata.deletionTimestamp)
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .slice(0, p.max ?? Infinity);
  if (pods.length === 0) throw new Error(`delete-pods: no pod matches ${p.selector} in namespace ${p.namespace}`);
  checkForceGuard(p, pods);
  const owners = new Map<string, PodOwner>();
  for (const pod of pods) {
    const ref = pod.metadata.ownerReferences?.find((r) => r.controller);
    if (!ref)
      env.log.warn(`pod ${p.namespace}/${pod.metadata.name} has no controller: once deleted it will not come back`);
    else owners.set(`${ref.kind}/${ref.name}`, { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name });
  }
  return {
    namespace: p.namespace,
    pods: pods.map((x) => ({ name: x.metadata.name, uid: x.metadata.uid })),
    owners: [...owners.values()],
    readyTimeoutMs: p.readyTimeoutMs ?? 120_000,
  };
}

async function apply(env: FaultEnv, p: DeletePodsParams, rb: DeletePodsRollback): Promise<void> {
  const kc = env.kube();
  const gap = 1000 / (p.ratePerSecond ?? 1);
  const grace = p.force ? 0 : p.gracePeriodSeconds;
  for (const [i, pod] of rb.pods.entries()) {
    if (i > 0) await sleep(gap, env.signal);
    try {
      await kubeRequest(kc, 'DELETE', `/api/v1/namespaces/${enc(rb.namespace)}/pods/${enc(pod.name)}`, {
        body: {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          preconditions: { uid: pod.uid },
          ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
        },
        signal: env.signal,
      });
      env.log.info(`deleted pod ${rb.namespace}/${pod.name}${grace !== undefined ? ` (grace ${grace}s)` : ''}`);
    } catch (err) {
      // 404: already gone; 409: the uid precondition failed, a new pod took the name.
      if (err instanceof KubeHttpError && (err.status === 404 || err.status === 409))
        env.log.info(`pod ${rb.namespace}/${pod.name} already gone`);
      else throw err;
    }
  }
}

/** Waits (bounded, never throws) for the owners to have their ready replicas back; idempotent. */
async function revert(env: FaultEnv, rb: DeletePodsRollback): Promise<void> {
  const kc = env.kube();
  const watched = rb.owners.filter((o) => {
    if (ownerPath[o.kind]) return true;
    env.log.info(
      `${o.kind} ${rb.namespace}/${o.name}: readiness not checked (only ReplicaSets, StatefulSets and DaemonSets are)`,
    );
    return false;
  });
  if (watched.length === 0) return;
  const what = watched.map((o) => `${o.kind} ${o.name}`).join(', ');
  try {
    const ms = await waitFor(
      `${what} ready in ${rb.namespace}`,
      async () => {
        const behind: string[] = [];
        for (const o of watched) {
          const r = await ownerReadiness(kc, rb.namespace, o);
          if (r && r.ready < r.wanted) behind.push(`${o.kind} ${o.name} ${r.ready}/${r.wanted}`);
        }
        return { ok: behind.length === 0, detail: behind.join(', ') };
      },
      { timeoutMs: rb.readyTimeoutMs, intervalMs: 500 },
    );
    env.log.info(`${what} ready in ${rb.namespace} (${(ms / 1000).toFixed(1)} s)`);
  } catch (err) {
    env.log.warn(
      `delete-pods revert: ${errorMessage(err)}; the controllers keep recreating the pods, not waiting longer`,
    );
  }
}

export const deletePodsFault: FaultType<DeletePodsParams, DeletePodsRollback> = {
  kind: 'delete-pods',
  describe: (p) =>
    `delete-pods: ${p.max ?? 'all'} pod(s) ${p.selector} in ${p.namespace}, ${p.ratePerSecond ?? 1}/s${p.force || p.gracePeriodSeconds === 0 ? ', forced' : p.gracePeriodSeconds !== undefined ? `, grace ${p.gracePeriodSeconds}s` : ''}`,
  prepare,
  apply,
  revert,
};

/** Deletes pods matching a selector, spaced by a rate; revert waits for their controllers to recover. */
export function deletePods(p: DeletePodsParams & { title?: string }): Fault<DeletePodsParams, DeletePodsRollback> {
  const { title, ...params } = p;
  return { type: deletePodsFault, params, ...(title ? { title } : {}) };
}
