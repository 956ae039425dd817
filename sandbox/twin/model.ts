/**
 * The twin's pure models: the kubelet restart back-off, the node CPU model, Argo CD health
 * aggregation and the argocd-cm health-check switch. Documented in docs/twin.md.
 */

/** Kubelet CrashLoopBackOff: 10 s after the first crash, doubling, capped at 300 s. */
export function crashBackoffMs(restartCount: number): number {
  const n = Math.max(1, restartCount);
  return Math.min(300_000, 10_000 * 2 ** (n - 1));
}

/** The Application health customization key Argo CD reads from argocd-cm. */
export const APP_HEALTH_KEY = 'resource.customizations.health.argoproj.io_Application';

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

export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';

const severity: Record<HealthStatus, number> = { Healthy: 0, Suspended: 1, Progressing: 2, Missing: 3, Unknown: 3, Degraded: 4 };

/** Argo CD's aggregation: the worst health of the resources wins. */
export function worstHealth(statuses: HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>((worst, s) => (severity[s] > severity[worst] ? s : worst), 'Healthy');
}

/**
 * Node CPU model. Ordinary pods use a quarter of their CPU request (idle homelab apps); burner
 * pods (the cpuHog fault) use their full limit. Utilisation = use / allocatable, capped at 0.995.
 * A saturated node slows work on it by 1 / (1 − utilisation), capped at 200×: start-up seconds
 * are multiplied by it, and a webhook running there answers in base × slowdown² (queueing under
 * contention), which passes a 10 s timeout from about 97 % utilisation.
 */
export const IDLE_USE_FRACTION = 0.25;
export const MAX_UTILISATION = 0.995;

export function nodeUtilisation(allocatableMillis: number, podRequestsMillis: number, burnMillis: number): number {
  if (allocatableMillis <= 0) return MAX_UTILISATION;
  return Math.min(MAX_UTILISATION, (podRequestsMillis * IDLE_USE_FRACTION + burnMillis) / allocatableMillis);
}

export function slowdown(utilisation: number): number {
  return Math.min(200, 1 / (1 - Math.min(utilisation, MAX_UTILISATION)));
}

export const WEBHOOK_BASE_MS = 15;

export function webhookLatencyMs(utilisation: number): number {
  return WEBHOOK_BASE_MS * slowdown(utilisation) ** 2;
}

/** Kubernetes CPU quantity ("500m", "2", "1.5") to millicores. */
export function cpuMillis(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const s = String(q).trim();
  if (s.endsWith('m')) return Number(s.slice(0, -1));
  return Math.round(Number(s) * 1000);
}

/** Argo CD sync retry back-off: duration × factor^(n−1), capped at maxDuration. */
export function retryDelayMs(attempt: number, r: { durationMs: number; factor: number; maxDurationMs: number }): number {
  return Math.min(r.maxDurationMs, r.durationMs * r.factor ** Math.max(0, attempt - 1));
}
