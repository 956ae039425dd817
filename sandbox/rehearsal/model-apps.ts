import { CNPG_GROUP } from '../../gitops/cnpg.ts';
import type { K8sObject } from '../../gitops/dependencies.ts';
import type { ModelApp } from '../../gitops/rebuild-model.ts';
import type { Calibration } from '../../record/calibration.ts';
import type { TwinProfile } from '../twin/profile.ts';
import type { AppPlan } from './render.ts';
import type { RenderedRepository } from './repository.ts';

/** Kinds whose sync starts pods right away (a CronJob waits for its schedule). */
const POD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'Pod']);

function makesPods(o: K8sObject): boolean {
  if (o.kind === 'Cluster' && (o.apiVersion ?? '').startsWith(`${CNPG_GROUP}/`)) return true;
  if (!POD_KINDS.has(o.kind ?? '')) return false;
  const replicas = (o.spec as { replicas?: unknown } | undefined)?.replicas;
  return replicas !== 0;
}

/** Whether the app's sync makes pods: its manifests, a placeholder's Deployment, or the profile's kind. */
function appMakesPods(a: AppPlan, profile: TwinProfile): boolean {
  const b = profile.behaviourOf(a.name);
  if (b.replicas === 0) return false;
  return a.emulated !== undefined || b.kind !== 'deployment' || a.rendering.objects.some(makesPods);
}

/**
 * An app's Ready → Healthy at another time scale: the run's usual lag is Argo CD's processing (full
 * speed at any scale); what exceeds it waited for a resync, whose period the sandbox scales.
 */
function scaledLag(lagMs: number, c: Calibration, timeScale: number): number {
  const usual = c.pace.readyToHealthyMs ?? 0;
  if (lagMs <= usual) return lagMs;
  return Math.round(usual + ((lagMs - usual) * timeScale) / c.timeScale);
}

/**
 * The rendered repository as `predict`'s model sees it: each app's wave, whether it makes pods,
 * its durations from the (calibrated) profile at the given time scale, and what it waits for: the
 * inferred edges (weak ones, matched on a release name, left out as the twin's kubelet does) and the
 * profile's dependsOn, less its ignoreDependencies; Argo CD's sync and health times for it from the
 * calibration run when that run had it. An app Argo CD held Healthy in that run (stale CRD health,
 * random from run to run) gets the run's usual Ready → Healthy unless `heldAgain`.
 */
export function modelApps(
  r: RenderedRepository,
  profile: TwinProfile,
  timeScale: number,
  calibration?: Calibration,
  o: { heldAgain?: boolean } = {},
): ModelApp[] {
  return r.apps.map((a) => {
    const b = profile.behaviourOf(a.name);
    const pods = appMakesPods(a, profile);
    const measured = calibration?.apps[a.name];
    // Argo CD's own times for it, when the run saw it make pods as it does here (else the pace's medians).
    const own = measured && measured.pods > 0 === pods ? measured : undefined;
    const ignored = new Set(b.ignoreDependencies);
    const inferred = r.edges.filter((e) => e.from === a.name && !e.weak).map((e) => e.to);
    const needs = [...new Set([...inferred, ...b.dependsOn])].filter((n) => !ignored.has(n) && n !== a.name);
    const never = a.renderError
      ? `its manifests do not render: ${a.renderError}`
      : b.failureMode !== 'none'
        ? `the profile makes it fail (${b.failureMode})`
        : undefined;
    return {
      name: a.name,
      wave: a.wave,
      pods,
      pullMs: b.imagePullSeconds * 1000 * timeScale,
      startupMs: b.startupSeconds * 1000 * timeScale,
      needs: needs.sort(),
      ...(own?.syncMs != null ? { syncMs: own.syncMs } : {}),
      ...(own?.healthLagMs != null && (o.heldAgain || !own.healthHeld)
        ? { healthLagMs: scaledLag(own.healthLagMs, calibration!, timeScale) }
        : {}),
      ...(own?.syncedMs != null && !pods ? { syncedMs: own.syncedMs } : {}),
      ...(never ? { neverHealthy: never } : {}),
    };
  });
}
