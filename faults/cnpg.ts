import type * as k8s from '@kubernetes/client-node';
import { kubeGetOrNull, kubeRequest } from '../cluster/http.ts';
import { sleep } from '../core/abortable.ts';
import type { Fault, FaultEnv, FaultType } from './types.ts';
import {
  CNPG_HEALTHY_PHASE,
  CNPG_HIBERNATED_PHASE,
  cnpgClusterPath,
  FENCED_ANNOTATION,
  HIBERNATION_ANNOTATION,
  HIBERNATION_CONDITION,
} from '../gitops/cnpg.ts';

const FIELD_MANAGER = 'rebuild-bench-fault';

export interface CnpgFenceParams {
  namespace: string;
  name: string;
  /** Instance names to fence (default ['*']: all of them). */
  instances?: string[];
  /** How long verify() waits for the Cluster to report not Ready (default 60 s). */
  verifyTimeoutSeconds?: number;
}

export interface CnpgHibernateParams {
  namespace: string;
  name: string;
  verifyTimeoutSeconds?: number;
}

/** Rollback of both CNPG faults: one annotation's previous value (null: absent). */
export interface CnpgAnnotationRollback {
  namespace: string;
  name: string;
  annotation: string;
  /** The value the fault sets. */
  value: string;
  previous: string | null;
}

async function getCluster(kc: k8s.KubeConfig, ns: string, name: string): Promise<any> {
  return kubeGetOrNull<any>(kc, cnpgClusterPath(ns, name));
}

function readyOf(c: any): { ready: boolean; phase: string } {
  const phase: string = c?.status?.phase ?? '';
  const cond = (c?.status?.conditions ?? []).find((x: any) => x?.type === 'Ready');
  const ready = cond
    ? cond.status === 'True'
    : (c?.status?.readyInstances ?? 0) >= (c?.spec?.instances ?? 1) && phase === CNPG_HEALTHY_PHASE;
  return { ready, phase };
}

/** Whether a CNPG Cluster reports Ready (its Ready condition, else all instances ready and the healthy phase). */
export async function cnpgReady(
  kc: k8s.KubeConfig,
  ns: string,
  name: string,
): Promise<{ ready: boolean; phase: string }> {
  const c = await getCluster(kc, ns, name);
  if (!c) throw new Error(`CNPG Cluster ${ns}/${name} not found`);
  return readyOf(c);
}

async function setAnnotation(
  env: FaultEnv,
  ns: string,
  name: string,
  key: string,
  value: string | null,
): Promise<void> {
  await kubeRequest(env.kube(), 'PATCH', `${cnpgClusterPath(ns, name)}?fieldManager=${FIELD_MANAGER}`, {
    body: { metadata: { annotations: { [key]: value } } },
    contentType: 'application/merge-patch+json',
  });
}

async function prepareAnnotation(
  env: FaultEnv,
  ns: string,
  name: string,
  annotation: string,
  value: string,
): Promise<CnpgAnnotationRollback> {
  const c = await getCluster(env.kube(), ns, name);
  if (!c) throw new Error(`CNPG Cluster ${ns}/${name} not found`);
  const previous: string | undefined = c.metadata?.annotations?.[annotation];
  return { namespace: ns, name, annotation, value, previous: previous ?? null };
}

async function revertAnnotation(env: FaultEnv, rb: CnpgAnnotationRollback): Promise<void> {
  const what = `CNPG Cluster ${rb.namespace}/${rb.name}`;
  const c = await getCluster(env.kube(), rb.namespace, rb.name);
  if (!c) {
    env.log.warn(`${what} no longer exists: nothing to restore`);
    return;
  }
  const current: string | null = c.metadata?.annotations?.[rb.annotation] ?? null;
  if (current === rb.previous) {
    env.log.debug(`${what}: ${rb.annotation} already ${rb.previous === null ? 'absent' : `"${rb.previous}"`}`);
    return;
  }
  if (current !== rb.value)
    env.log.warn(
      `${what}: ${rb.annotation} was changed since the fault (now "${current}"); restoring the value from before it`,
    );
  // A merge patch with null removes the annotation.
  await setAnnotation(env, rb.namespace, rb.name, rb.annotation, rb.previous);
  env.log.info(`${what}: ${rb.annotation} ${rb.previous === null ? 'removed' : `restored to "${rb.previous}"`}`);
}

/** Polls the Cluster until `done` holds (bounded), returning the phase and how long it took. */
async function waitForCluster(
  env: FaultEnv,
  ns: string,
  name: string,
  timeoutSeconds: number,
  what: string,
  done: (c: any) => boolean,
): Promise<string> {
  const started = Date.now();
  let last = '';
  for (;;) {
    const c = await getCluster(env.kube(), ns, name);
    if (!c) throw new Error(`CNPG Cluster ${ns}/${name} disappeared`);
    const phase: string = c.status?.phase ?? '';
    if (done(c))
      return `CNPG Cluster ${ns}/${name} ${what} after ${((Date.now() - started) / 1000).toFixed(1)} s: phase "${phase}", ${c.status?.readyInstances ?? 0} ready instance(s)`;
    last = `phase "${phase}", ${c.status?.readyInstances ?? 0} ready`;
    if (Date.now() - started >= timeoutSeconds * 1000)
      throw new Error(`CNPG Cluster ${ns}/${name} not ${what} within ${timeoutSeconds} s (last: ${last})`);
    await sleep(500, env.signal);
  }
}

const fenceValue = (p: CnpgFenceParams) => JSON.stringify(p.instances?.length ? p.instances : ['*']);

export const cnpgFenceFault: FaultType<CnpgFenceParams, CnpgAnnotationRollback> = {
  kind: 'cnpg-fence',
  describe: (p) =>
    `fence CNPG Cluster ${p.namespace}/${p.name} (${p.instances?.length && !p.instances.includes('*') ? p.instances.join(', ') : 'all instances'})`,
  prepare: (env, p) => prepareAnnotation(env, p.namespace, p.name, FENCED_ANNOTATION, fenceValue(p)),
  async apply(env, p, rb) {
    await setAnnotation(env, p.namespace, p.name, FENCED_ANNOTATION, rb.value);
  },
  verify(env, p) {
    const all = !p.instances?.length || p.instances.includes('*');
    return waitForCluster(env, p.namespace, p.name, p.verifyTimeoutSeconds ?? 60, 'not Ready', (c) => {
      const ready = c.status?.readyInstances ?? 0;
      // All fenced: no instance may be ready. Some fenced: at most the unfenced ones may be.
      const maxReady = all ? 0 : Math.max(0, (c.spec?.instances ?? 1) - p.instances!.length);
      return ready <= maxReady && (all ? !readyOf(c).ready : true);
    });
  },
  revert: revertAnnotation,
};

export const cnpgHibernateFault: FaultType<CnpgHibernateParams, CnpgAnnotationRollback> = {
  kind: 'cnpg-hibernate',
  describe: (p) => `hibernate CNPG Cluster ${p.namespace}/${p.name}`,
  prepare: (env, p) => prepareAnnotation(env, p.namespace, p.name, HIBERNATION_ANNOTATION, 'on'),
  async apply(env, p, rb) {
    await setAnnotation(env, p.namespace, p.name, HIBERNATION_ANNOTATION, rb.value);
  },
  verify(env, p) {
    return waitForCluster(
      env,
      p.namespace,
      p.name,
      p.verifyTimeoutSeconds ?? 60,
      'hibernated',
      (c) =>
        (c.status?.readyInstances ?? 0) === 0 &&
        (c.status?.phase === CNPG_HIBERNATED_PHASE ||
          (c.status?.conditions ?? []).some((x: any) => x?.type === HIBERNATION_CONDITION && x?.status === 'True')),
    );
  },
  revert: revertAnnotation,
};

/** Fences a CNPG Cluster's instances (Postgres stops, pods stay, not Ready): annotation cnpg.io/fencedInstances. */
export function cnpgFence(p: {
  namespace: string;
  name: string;
  instances?: string[];
  verifyTimeoutSeconds?: number;
  title?: string;
}): Fault<CnpgFenceParams, CnpgAnnotationRollback> {
  const { title, ...params } = p;
  return { type: cnpgFenceFault, params, ...(title ? { title } : {}) };
}

/** Hibernates a CNPG Cluster (pods deleted, volumes kept): annotation cnpg.io/hibernation=on. */
export function cnpgHibernate(p: {
  namespace: string;
  name: string;
  verifyTimeoutSeconds?: number;
  title?: string;
}): Fault<CnpgHibernateParams, CnpgAnnotationRollback> {
  const { title, ...params } = p;
  return { type: cnpgHibernateFault, params, ...(title ? { title } : {}) };
}
