import type * as k8s from '@kubernetes/client-node';
import { sleep } from '../../core/abortable.ts';
import { arr, at, obj, str, type Json } from '../../core/fields.ts';
import type { Logger } from '../../core/logger.ts';
import { kubeRequest } from '../../cluster/http.ts';
import { applicationPath, ARGOCD_NAMESPACE, managingApp, WAVE_ANNOTATION } from '../../gitops/argocd.ts';
import { waveLine } from '../../gitops/waves.ts';

/** A pod that did not start cleanly: it crash-looped (restarts, why) or is held before its container starts. */
export interface PodTrouble {
  app: string;
  pod: string;
  namespace: string;
  restarts: number;
  /** CrashLoopBackOff, CreateContainerConfigError, … (the container's waiting reason now). */
  reason: string;
  message: string;
}

export interface Settled {
  seconds: number;
  /** Every Application Synced and Healthy. */
  healthy: boolean;
  apps: Array<{ name: string; wave: number; sync: string; health: string; message: string }>;
  troubles: PodTrouble[];
}

interface Snapshot {
  apps: Settled['apps'];
  troubles: PodTrouble[];
}

/** What owns pods, by kind (list items do not carry their kind). */
const OWNERS: Array<[string, string]> = [
  ['ReplicaSet', '/apis/apps/v1/replicasets'],
  ['Deployment', '/apis/apps/v1/deployments'],
  ['StatefulSet', '/apis/apps/v1/statefulsets'],
  ['DaemonSet', '/apis/apps/v1/daemonsets'],
  ['Job', '/apis/batch/v1/jobs'],
  ['CronJob', '/apis/batch/v1/cronjobs'],
  ['Cluster', '/apis/postgresql.cnpg.io/v1/clusters'],
];

async function list(kc: k8s.KubeConfig, path: string): Promise<Json[]> {
  const r = await kubeRequest<{ items?: unknown[] }>(kc, 'GET', path).catch(() => ({ body: { items: [] } }));
  return (r.body.items ?? []).map(obj);
}

async function snapshot(kc: k8s.KubeConfig, namespace: string): Promise<Snapshot> {
  const [apps, pods, ...owners] = await Promise.all([
    list(kc, applicationPath(namespace)),
    list(kc, '/api/v1/pods'),
    ...OWNERS.map(async ([kind, p]) => (await list(kc, p)).map((o) => ({ ...o, kind }))),
  ]);
  return {
    apps: apps.map((a) => ({
      name: str(at(a, 'metadata', 'name')) ?? '',
      wave: Number(str(at(a, 'metadata', 'annotations', WAVE_ANNOTATION)) ?? 0) || 0,
      sync: str(at(a, 'status', 'sync', 'status')) ?? 'Unknown',
      health: str(at(a, 'status', 'health', 'status')) ?? 'Unknown',
      message:
        str(at(a, 'status', 'conditions', '0', 'message')) ?? str(at(a, 'status', 'operationState', 'message')) ?? '',
    })),
    troubles: podTroubles(pods, owners.flat()),
  };
}

const ref = (kind: string | undefined, ns: string | undefined, name: string | undefined) =>
  `${kind ?? ''}/${ns ?? ''}/${name ?? ''}`;

/** The Application of an object: Argo CD's tracking on it, else on its controller, up the owner chain. */
function appOf(o: Json, byRef: Map<string, Json>, depth = 0): string {
  const direct = managingApp(o);
  if (direct && str(o.kind) !== 'Pod') return direct;
  const owner = arr(at(o, 'metadata', 'ownerReferences')).map(obj)[0];
  const parent = owner && byRef.get(ref(str(owner.kind), str(at(o, 'metadata', 'namespace')), str(owner.name)));
  if (parent && depth < 4) return appOf(parent, byRef, depth + 1);
  return str(at(o, 'metadata', 'labels', 'app.kubernetes.io/instance')) ?? '';
}

/** Pods with restarts or a container held before start, with the Application that manages them. */
export function podTroubles(pods: Json[], owners: Json[] = []): PodTrouble[] {
  const byRef = new Map(
    owners.map((o) => [ref(str(o.kind), str(at(o, 'metadata', 'namespace')), str(at(o, 'metadata', 'name'))), o]),
  );
  const out: PodTrouble[] = [];
  for (const p of pods) {
    for (const c of arr(at(p, 'status', 'containerStatuses')).map(obj)) {
      const restarts = Number(c.restartCount ?? 0);
      const waiting = obj(at(c, 'state', 'waiting'));
      const reason = str(waiting.reason) ?? '';
      if (restarts === 0 && !/Error|BackOff/.test(reason)) continue;
      const lastMessage = str(at(c, 'lastState', 'terminated', 'message')) ?? '';
      out.push({
        app: appOf({ ...p, kind: 'Pod' }, byRef),
        pod: str(at(p, 'metadata', 'name')) ?? '',
        namespace: str(at(p, 'metadata', 'namespace')) ?? '',
        restarts,
        reason: reason || 'restarted',
        message: reason === 'CrashLoopBackOff' || !reason ? lastMessage : (str(waiting.message) ?? lastMessage),
      });
      break;
    }
  }
  return out;
}

const key = (s: Snapshot) =>
  JSON.stringify([s.apps.map((a) => [a.name, a.sync, a.health]), s.troubles.map((t) => [t.pod, t.restarts, t.reason])]);

/**
 * Follows the Applications until they settle: every one Synced and Healthy, or nothing changed
 * (sync, health, restarts, waiting reasons) for `quietSeconds`, or the timeout. Prints a line per change.
 */
export async function waitUntilSettled(
  kc: k8s.KubeConfig,
  log: Logger,
  o: { expected: number; quietSeconds: number; timeoutMs: number; namespace?: string; everyMs?: number },
): Promise<Settled> {
  const started = Date.now();
  let lastKey = '';
  let lastChange = Date.now();
  let lastLine = '';
  for (;;) {
    const s = await snapshot(kc, o.namespace ?? ARGOCD_NAMESPACE);
    const seconds = Math.round((Date.now() - started) / 1000);
    const healthyApps = s.apps.filter((a) => a.sync === 'Synced' && a.health === 'Healthy').length;
    const crashing = s.troubles.filter((t) => t.reason === 'CrashLoopBackOff').length;
    const held = s.troubles.filter((t) => t.reason === 'CreateContainerConfigError').length;
    const line = `apps healthy ${healthyApps}/${Math.max(s.apps.length, o.expected)} · waves ${waveLine(
      s.apps.map((a) => ({ wave: a.wave, ok: a.sync === 'Synced' && a.health === 'Healthy' })),
    )}${crashing ? ` · ${crashing} pod(s) in CrashLoopBackOff` : ''}${held ? ` · ${held} held (CreateContainerConfigError)` : ''}`;
    if (line !== lastLine) log.info(`${seconds}s ${line}`);
    lastLine = line;
    const k = key(s);
    if (k !== lastKey) lastChange = Date.now();
    lastKey = k;
    const healthy = s.apps.length >= o.expected && healthyApps === s.apps.length;
    const quiet = s.apps.length > 0 && Date.now() - lastChange >= o.quietSeconds * 1000;
    if (healthy || quiet || Date.now() - started > o.timeoutMs)
      return { seconds, healthy, apps: s.apps, troubles: s.troubles };
    await sleep(o.everyMs ?? 2000);
  }
}
