import type * as k8s from '@kubernetes/client-node';
import { kubeGetOrNull, kubeRequest } from '../cluster/http.ts';
import { readyPodCount } from '../cluster/ready-pods.ts';
import { sleep } from '../core/abortable.ts';
import { errorMessage } from '../core/errors.ts';
import type { Fault, FaultEnv, FaultType } from './types.ts';
import { applicationPath, ARGOCD_NAMESPACE, INSTANCE_LABEL, TRACKING_ANNOTATION } from '../gitops/argocd.ts';

export type ScalableKind = 'Deployment' | 'StatefulSet';

export interface ScaleParams {
  kind: ScalableKind;
  namespace: string;
  name: string;
  /** Replica count while the fault holds (default 0). */
  replicas?: number;
  /** Namespace of the Argo CD Applications (default argocd). */
  argocdNamespace?: string;
  /** How long verify() waits for the ready replicas to reach the target (default 60 s). */
  verifyTimeoutSeconds?: number;
  /**
   * When an Argo CD Application with self-heal manages the workload, pause it for the fault
   * (`argocd.argoproj.io/skip-reconcile`, removed on revert) so self-heal does not undo it
   * (default true). false lets Argo CD fight back, which is itself worth measuring.
   */
  pauseSelfHeal?: boolean;
}

/** The Argo CD Application that manages the workload, as found at prepare time. */
export interface ArgoManager {
  namespace: string;
  name: string;
  /** syncPolicy.automated with selfHeal: Argo CD will undo a drift such as this fault. */
  selfHeal: boolean;
}

export interface ScaleRollback {
  kind: ScalableKind;
  namespace: string;
  name: string;
  /** spec.replicas before the fault: what revert restores. */
  previousReplicas: number;
  /** spec.replicas the fault sets. */
  faultedReplicas: number;
  /** metadata.generation at prepare: unchanged at revert means nobody touched the spec since. */
  generation: number;
  argocd: ArgoManager | null;
  /** The Application paused for the fault (skip-reconcile set by us), to unpause on revert. */
  paused?: { namespace: string; name: string } | null;
}

/**
 * Field managers. The revert's write makes SCALE_REVERT_MANAGER the owner of spec.replicas in
 * managedFields; a self-heal (Argo CD's apply) or anyone's later write takes that ownership away,
 * which is how a repeated revert tells "already restored by us" from "someone fought back".
 */
export const SCALE_FAULT_MANAGER = 'rebuild-bench-fault';

/** A workload whose spec.replicas is no longer the fault's: who undid it, when we know. */
function replicasUndone(what: string, spec: number, target: number, argocd?: ArgoManager | null): string {
  const by = argocd?.selfHeal
    ? `the self-heal of Argo CD Application ${argocd.namespace}/${argocd.name}`
    : 'Argo CD self-heal (or someone)';
  return `${what}: spec.replicas is ${spec} again, not ${target}: ${by} undid the fault`;
}

/** Argo CD skips reconciling (and so self-healing) an Application with this annotation set to "true". */
export const SKIP_RECONCILE_ANNOTATION = 'argocd.argoproj.io/skip-reconcile';

async function setSkipReconcile(env: FaultEnv, app: { namespace: string; name: string }, on: boolean): Promise<void> {
  await kubeRequest(env.kube(), 'PATCH', applicationPath(app.namespace, app.name), {
    body: { metadata: { annotations: { [SKIP_RECONCILE_ANNOTATION]: on ? 'true' : null } } },
    contentType: 'application/merge-patch+json',
  });
}
/**
 * skip-reconcile stops new refreshes and syncs, not a sync operation already started (a self-heal
 * under way re-applies the replicas), and the controller acts on its cached copy of the Application,
 * which may not show the annotation yet. So: wait, bounded, until the Application has shown no sync
 * operation for `quietMs` in a row, which also gives the controller's cache time to catch up.
 */
async function syncFinished(
  env: FaultEnv,
  app: { namespace: string; name: string },
  timeoutMs = 60_000,
  quietMs = 3000,
): Promise<void> {
  const started = Date.now();
  let quietSince: number | undefined;
  for (;;) {
    const a = await kubeGetOrNull<{ operation?: unknown; status?: { operationState?: { phase?: string } } }>(
      env.kube(),
      applicationPath(app.namespace, app.name),
    );
    if (!a) return;
    const busy = a.operation !== undefined || a.status?.operationState?.phase === 'Running';
    if (busy) quietSince = undefined;
    else {
      quietSince ??= Date.now();
      if (Date.now() - quietSince >= quietMs) return;
    }
    if (Date.now() - started > timeoutMs) {
      env.log.warn(
        `Argo CD Application ${app.namespace}/${app.name} still has a sync running after ${timeoutMs / 1000} s: it may undo the fault`,
      );
      return;
    }
    await sleep(250);
  }
}

export const SCALE_REVERT_MANAGER = 'rebuild-bench-revert';

const plural = (kind: ScalableKind) => (kind === 'Deployment' ? 'deployments' : 'statefulsets');
export const workloadPath = (kind: ScalableKind, ns: string, name: string) =>
  `/apis/apps/v1/namespaces/${ns}/${plural(kind)}/${name}`;

/** status.readyReplicas of a Deployment or StatefulSet (absent counts as 0: the API omits zero). */
export async function readyReplicas(kc: k8s.KubeConfig, kind: ScalableKind, ns: string, name: string): Promise<number> {
  const w = (await kubeRequest<any>(kc, 'GET', workloadPath(kind, ns, name))).body;
  return w?.status?.readyReplicas ?? 0;
}

/**
 * The Application managing a workload: from its tracking-id annotation (`app:group/kind:ns/name`,
 * `ns_app` with apps in any namespace) or its `app.kubernetes.io/instance` label. Null when none
 * is found, the Application CRD is absent, or we may not read Applications.
 */
export async function findArgoManager(
  env: FaultEnv,
  workload: any,
  argocdNamespace: string,
): Promise<ArgoManager | null> {
  const candidates: Array<{ namespace: string; name: string }> = [];
  const tracking: string | undefined = workload?.metadata?.annotations?.[TRACKING_ANNOTATION];
  if (tracking && tracking.includes(':')) {
    const app = tracking.slice(0, tracking.indexOf(':'));
    const us = app.indexOf('_');
    candidates.push(
      us > 0 ? { namespace: app.slice(0, us), name: app.slice(us + 1) } : { namespace: argocdNamespace, name: app },
    );
  }
  const instance: string | undefined = workload?.metadata?.labels?.[INSTANCE_LABEL];
  if (instance && !candidates.some((c) => c.name === instance && c.namespace === argocdNamespace))
    candidates.push({ namespace: argocdNamespace, name: instance });
  const kind = workload?.kind;
  const ns = workload?.metadata?.namespace;
  const name = workload?.metadata?.name;
  for (const c of candidates) {
    let app: any;
    try {
      // A 404 covers both "no such Application" and "no Application CRD on this cluster".
      app = await kubeGetOrNull<any>(env.kube(), applicationPath(c.namespace, c.name));
    } catch (err) {
      env.log.warn(
        `cannot read Argo CD Application ${c.namespace}/${c.name}: ${errorMessage(err)} (assuming it does not manage ${ns}/${name})`,
      );
      continue;
    }
    if (!app) continue;
    // The instance label is also Helm's release name: trust it only if the Application lists the workload (when it lists anything).
    const resources: any[] | undefined = app.status?.resources;
    if (
      Array.isArray(resources) &&
      resources.length > 0 &&
      !resources.some((r) => r?.kind === kind && r?.name === name && (r?.namespace ?? '') === ns)
    )
      continue;
    const automated = app.spec?.syncPolicy?.automated;
    const selfHeal = !!automated && automated.enabled !== false && automated.selfHeal === true;
    return { namespace: c.namespace, name: c.name, selfHeal };
  }
  return null;
}

function replicasOwners(workload: any): string[] {
  const out: string[] = [];
  for (const m of workload?.metadata?.managedFields ?? []) {
    if (m?.fieldsV1?.['f:spec']?.['f:replicas'] !== undefined && typeof m.manager === 'string') out.push(m.manager);
  }
  return out;
}

async function patchScale(
  env: FaultEnv,
  kind: ScalableKind,
  ns: string,
  name: string,
  replicas: number,
): Promise<void> {
  await kubeRequest(env.kube(), 'PATCH', `${workloadPath(kind, ns, name)}/scale?fieldManager=${SCALE_FAULT_MANAGER}`, {
    body: { spec: { replicas } },
    contentType: 'application/merge-patch+json',
  });
}

const selfHealNote = (a: ArgoManager) =>
  `Argo CD Application ${a.namespace}/${a.name} has automated self-heal: it may restore the replicas`;

export const scaleFault: FaultType<ScaleParams, ScaleRollback> = {
  kind: 'scale',
  describe: (p) => `scale ${p.kind} ${p.namespace}/${p.name} to ${p.replicas ?? 0}`,

  async prepare(env, p) {
    const w = await kubeGetOrNull<any>(env.kube(), workloadPath(p.kind, p.namespace, p.name));
    if (!w) throw new Error(`${p.kind} ${p.namespace}/${p.name} not found`);
    const argocd = await findArgoManager(env, w, p.argocdNamespace ?? ARGOCD_NAMESPACE);
    const pause = argocd?.selfHeal === true && p.pauseSelfHeal !== false;
    if (argocd?.selfHeal && !pause) env.log.info(selfHealNote(argocd));
    const app = pause ? await kubeGetOrNull<any>(env.kube(), applicationPath(argocd.namespace, argocd.name)) : null;
    const alreadyPaused = app?.metadata?.annotations?.[SKIP_RECONCILE_ANNOTATION] === 'true';
    return {
      kind: p.kind,
      namespace: p.namespace,
      name: p.name,
      previousReplicas: w.spec?.replicas ?? 1,
      faultedReplicas: p.replicas ?? 0,
      generation: w.metadata?.generation ?? 0,
      argocd,
      paused: pause && !alreadyPaused ? { namespace: argocd.namespace, name: argocd.name } : null,
    };
  },

  async apply(env, p, rb) {
    if (rb.paused) {
      await setSkipReconcile(env, rb.paused, true);
      await syncFinished(env, rb.paused);
      env.log.info(
        `Argo CD Application ${rb.paused.namespace}/${rb.paused.name} paused (${SKIP_RECONCILE_ANNOTATION}) so self-heal does not undo the fault`,
      );
    }
    await patchScale(env, p.kind, p.namespace, p.name, rb.faultedReplicas);
  },

  async undoneBy(env, rb) {
    const w = await kubeGetOrNull<{ spec?: { replicas?: number } }>(
      env.kube(),
      workloadPath(rb.kind, rb.namespace, rb.name),
    );
    const spec = w?.spec?.replicas ?? 1;
    if (!w || spec === rb.faultedReplicas) return null;
    return replicasUndone(`${rb.kind} ${rb.namespace}/${rb.name}`, spec, rb.faultedReplicas, rb.argocd);
  },

  async verify(env, p) {
    const target = p.replicas ?? 0;
    const timeoutMs = (p.verifyTimeoutSeconds ?? 60) * 1000;
    const started = Date.now();
    const what = `${p.kind} ${p.namespace}/${p.name}`;
    let last = '';
    for (;;) {
      const w = await kubeGetOrNull<any>(env.kube(), workloadPath(p.kind, p.namespace, p.name));
      if (!w) throw new Error(`${what} disappeared`);
      const spec = w.spec?.replicas ?? 1;
      if (spec !== target) throw new Error(replicasUndone(what, spec, target));
      const ready = w.status?.readyReplicas ?? 0;
      if (ready === target) {
        const argocd = await findArgoManager(env, w, p.argocdNamespace ?? ARGOCD_NAMESPACE);
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        const paused = argocd?.selfHeal && p.pauseSelfHeal !== false;
        const note = !argocd?.selfHeal
          ? ''
          : paused
            ? `; Argo CD Application ${argocd.namespace}/${argocd.name} paused for the fault (its self-heal would undo it)`
            : `; ${selfHealNote(argocd)}`;
        return `${what}: ${ready} ready replica(s) (target ${target}) after ${secs} s${note}`;
      }
      last = `${ready} ready`;
      if (Date.now() - started >= timeoutMs)
        throw new Error(`${what}: ready replicas did not reach ${target} within ${timeoutMs / 1000} s (last: ${last})`);
      await sleep(500, env.signal);
    }
  },

  async revert(env, rb) {
    try {
      await restoreReplicas(env, rb);
    } finally {
      if (rb.paused) {
        await setSkipReconcile(env, rb.paused, false);
        env.log.info(`Argo CD Application ${rb.paused.namespace}/${rb.paused.name} resumed`);
      }
    }
    await untilReady(env, rb);
  },
};

/** How long a revert waits for the restored replicas to be Ready (per attempt). */
const READY_WAIT_MS = 120_000;
/** How long the restored replicas must stay Ready before the revert counts as done. */
const READY_STABLE_MS = 2000;

/**
 * Ready replicas of a workload as a rollback may trust them: 0 until its controller has observed the
 * latest spec, and never more than its Ready, not terminating pods. Right after a scale down and up,
 * status.readyReplicas can still show the pod being deleted.
 */
async function trustedReady(env: FaultEnv, w: any): Promise<number> {
  const observed = (w.status?.observedGeneration ?? 0) >= (w.metadata?.generation ?? 0);
  if (!observed) return 0;
  const status: number = w.status?.readyReplicas ?? 0;
  if (status === 0) return 0;
  return Math.min(status, await readyPodCount(env.kube(), w.metadata.namespace, w.spec?.selector?.matchLabels));
}

/**
 * A rollback is done when the workload serves again, not when its spec says so: a webhook backend
 * (Kyverno) scaled back but not yet Ready still rejects every pod creation behind failurePolicy Fail.
 * Ready must hold for READY_STABLE_MS, so that a scale down still being carried out cannot pass for it.
 */
async function untilReady(env: FaultEnv, rb: ScaleRollback): Promise<void> {
  const what = `${rb.kind} ${rb.namespace}/${rb.name}`;
  const started = Date.now();
  let said = false;
  let readySince: number | undefined;
  for (;;) {
    const w = await kubeGetOrNull<any>(env.kube(), workloadPath(rb.kind, rb.namespace, rb.name));
    if (!w) return;
    const wanted = Math.min(rb.previousReplicas, w.spec?.replicas ?? rb.previousReplicas);
    const ready = await trustedReady(env, w);
    if (ready >= wanted) {
      readySince ??= Date.now();
      if (Date.now() - readySince >= READY_STABLE_MS || wanted === 0) {
        if (said) env.log.info(`${what}: ${ready} Ready after ${Math.round((Date.now() - started) / 1000)} s`);
        return;
      }
    } else readySince = undefined;
    if (Date.now() - started > READY_WAIT_MS)
      throw new Error(
        `${what}: replicas restored to ${rb.previousReplicas} but ${ready} Ready after ${READY_WAIT_MS / 1000} s`,
      );
    if (!said && readySince === undefined) {
      env.log.info(`${what}: waiting for ${rb.previousReplicas} Ready replica(s) (up to ${READY_WAIT_MS / 1000} s)`);
      said = true;
    }
    await sleep(readySince === undefined ? 1000 : 250);
  }
}

/** Scales a Deployment or StatefulSet down (to zero by default) through its scale subresource. */
export function scaleToZero(p: {
  kind: ScalableKind;
  namespace: string;
  name: string;
  replicas?: number;
  argocdNamespace?: string;
  verifyTimeoutSeconds?: number;
  pauseSelfHeal?: boolean;
  title?: string;
}): Fault<ScaleParams, ScaleRollback> {
  const { title, ...params } = p;
  return { type: scaleFault, params, ...(title ? { title } : {}) };
}

/** Puts spec.replicas back, or says who already did. */
async function restoreReplicas(env: FaultEnv, rb: ScaleRollback): Promise<void> {
  const what = `${rb.kind} ${rb.namespace}/${rb.name}`;
  const w = await kubeGetOrNull<any>(env.kube(), workloadPath(rb.kind, rb.namespace, rb.name));
  if (!w) {
    env.log.warn(`${what} no longer exists: nothing to restore`);
    return;
  }
  const current: number = w.spec?.replicas ?? 1;
  if (current === rb.previousReplicas) {
    // Already as before the fault. Silent when nobody changed the spec since prepare (apply never ran)
    // or our own revert set it (a repeated revert); otherwise someone else put it back first.
    const untouched = (w.metadata?.generation ?? 0) === rb.generation;
    const ours = replicasOwners(w).includes(SCALE_REVERT_MANAGER);
    if (!untouched && !ours && rb.previousReplicas !== rb.faultedReplicas) {
      env.log.warn(`${what}: Argo CD self-heal (or someone) fought back: replicas were ${current}`);
    } else env.log.debug(`${what}: replicas already ${current}: nothing to restore`);
    return;
  }
  if (current !== rb.faultedReplicas)
    env.log.warn(`${what}: Argo CD self-heal (or someone) fought back: replicas were ${current}`);
  // On the object itself, not /scale: an update through /scale records no owner for spec.replicas
  // (it clears it), while this one makes SCALE_REVERT_MANAGER the owner, so a repeated revert can
  // tell its own write from a self-heal's.
  await kubeRequest(
    env.kube(),
    'PATCH',
    `${workloadPath(rb.kind, rb.namespace, rb.name)}?fieldManager=${SCALE_REVERT_MANAGER}`,
    {
      body: { spec: { replicas: rb.previousReplicas } },
      contentType: 'application/merge-patch+json',
    },
  );
  env.log.info(`${what}: replicas restored to ${rb.previousReplicas}`);
}
