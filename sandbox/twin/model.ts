/**
 * The twin's pure models: the node CPU model (Argo CD's own rules and the kubelet's back-off are
 * in gitops/). Documented in docs/twin.md.
 */

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

/** RFC 3339 with one-second precision, as Kubernetes and Argo CD write timestamps. */
export function secondsTimestamp(ms = Date.now()): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
