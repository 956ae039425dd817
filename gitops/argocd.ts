/**
 * What is true of Argo CD, in one place: the annotation and label names it reads and writes, the
 * argocd-cm key that makes sync waves wait for health, and its retry back-off. The collectors, the
 * faults, the suites and the twin (sandbox/twin) all read these.
 */

/** Where Argo CD runs and what a cluster's config says when it says nothing (config `argocd:`). */
export const ARGOCD_NAMESPACE = 'argocd';
export const ROOT_APP = 'root';

export const APPLICATION_API_VERSION = 'argoproj.io/v1alpha1';

/** The Applications of a namespace, or one of them. */
export const applicationPath = (ns: string, name?: string) =>
  `/apis/${APPLICATION_API_VERSION}/namespaces/${ns}/applications${name ? `/${name}` : ''}`;

/** The sync wave of an Application (an integer; absent is wave 0). */
export const WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

/** Set by Argo CD on every resource it manages: `<app>:<group>/<kind>:<namespace>/<name>` (`<ns>_<app>` for apps in any namespace). */
export const TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';

/** Label-based tracking (and Helm's release name): the managing Application's name. */
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';

/** The Application name in a tracking-id annotation value, without its `<namespace>_` prefix. */
export function trackedApp(trackingId: string | undefined): string | undefined {
  const app = trackingId?.split(':')[0];
  if (!app) return undefined;
  // Application names are DNS-1123 (no underscore): an underscore separates an apps-in-any-namespace prefix.
  return app.includes('_') ? app.slice(app.indexOf('_') + 1) : app;
}

/**
 * The Application that manages an object: the tracking annotation (Argo CD 3.x default), else the
 * instance label (label tracking, and what Helm charts put on their objects).
 */
export function managingApp(
  obj:
    | { metadata?: { annotations?: Record<string, string>; labels?: Record<string, string>; [k: string]: unknown } }
    | undefined,
): string | undefined {
  return trackedApp(obj?.metadata?.annotations?.[TRACKING_ANNOTATION]) ?? obj?.metadata?.labels?.[INSTANCE_LABEL];
}

/** The Application an Application belongs to (app-of-apps parent): the same rule as any managed object. */
export const parentApp = managingApp;

/** Labels Argo CD's installation puts on argocd-cm: part-of selects it for the settings informer; version says the release. */
export const ARGOCD_PART_OF_LABEL = 'app.kubernetes.io/part-of';
export const ARGOCD_VERSION_LABEL = 'app.kubernetes.io/version';

/** Argo CD's delay between sync waves (ARGOCD_SYNC_WAVE_DELAY, whole seconds). */
export const DEFAULT_WAVE_DELAY_SECONDS = 2;

/** Argo CD's 2 s delay between waves, scaled (the sandbox's time scale), in the whole seconds ARGOCD_SYNC_WAVE_DELAY takes. */
export function scaledWaveDelaySeconds(timeScale: number): number {
  return Math.max(0, Math.round(DEFAULT_WAVE_DELAY_SECONDS * timeScale));
}

/** The Application health customization key Argo CD reads from argocd-cm. */
export const APP_HEALTH_KEY = 'resource.customizations.health.argoproj.io_Application';

/** The Application health check from the Argo CD documentation (Lua, in argocd-cm). */
export const APP_HEALTH_LUA = `hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil then
  if obj.status.health ~= nil then
    hs.status = obj.status.health.status
    if obj.status.health.message ~= nil then
      hs.message = obj.status.health.message
    end
  end
end
return hs
`;

/**
 * Whether waves gate on child health: only when argocd-cm holds a Lua health check for
 * Applications (Argo CD ≥ 1.8 removed the built-in one). Also accepts the older combined
 * `resource.customizations` block that nests `argoproj.io/Application: health.lua`.
 */
export function appHealthCheckEnabled(data: Record<string, string> | undefined): boolean {
  if (!data) return false;
  if ((data[APP_HEALTH_KEY] ?? '').trim()) return true;
  const legacy = data['resource.customizations'] ?? '';
  return /argoproj\.io\/Application:\s*\n\s+health\.lua:/.test(legacy);
}

/** The finding recorded when argocd-cm has no Application health check. */
export const WAVES_DO_NOT_GATE =
  `argocd-cm has no ${APP_HEALTH_KEY}: sync waves of child Applications do not wait for health ` +
  '(Argo CD ≥ 1.8). Add the Lua health check to argocd-cm so each wave waits for the previous one to be Healthy.';

/** Argo CD sync retry back-off: duration × factor^(n−1), capped at maxDuration. */
export function retryDelayMs(
  attempt: number,
  r: { durationMs: number; factor: number; maxDurationMs: number },
): number {
  return Math.min(r.maxDurationMs, r.durationMs * r.factor ** Math.max(0, attempt - 1));
}

/** Set by `rehearse` on an Application it replaced by a placeholder workload: the reason (a chart not available offline). */
export const EMULATED_ANNOTATION = 'rebuild-bench.io/emulated';
