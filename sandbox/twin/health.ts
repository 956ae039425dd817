import type { HealthStatus } from './model.ts';

/** Argo CD's built-in health for apps/Deployment. */
export function deploymentHealth(d: any | undefined): HealthStatus {
  if (!d) return 'Missing';
  const spec = d.spec ?? {};
  const st = d.status ?? {};
  if (spec.paused) return 'Suspended';
  if ((st.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) return 'Progressing';
  const progressing = (st.conditions ?? []).find((c: any) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return 'Degraded';
  const replicas = spec.replicas ?? 1;
  if ((st.updatedReplicas ?? 0) < replicas) return 'Progressing';
  if ((st.replicas ?? 0) > (st.updatedReplicas ?? 0)) return 'Progressing';
  if ((st.availableReplicas ?? 0) < (st.updatedReplicas ?? 0)) return 'Progressing';
  return 'Healthy';
}

export const CNPG_HEALTHY_PHASE = 'Cluster in healthy state';
export const CNPG_SETTING_UP_PHASE = 'Setting up primary';

/** Argo CD's health for postgresql.cnpg.io/Cluster (hibernated clusters show as Suspended). */
export function cnpgClusterHealth(c: any | undefined): HealthStatus {
  if (!c) return 'Missing';
  const conditions: any[] = c.status?.conditions ?? [];
  if (conditions.some((x) => x.type === 'cnpg.io/hibernation' && x.status === 'True')) return 'Suspended';
  const phase: string = c.status?.phase ?? '';
  if (phase === CNPG_HEALTHY_PHASE) return 'Healthy';
  if (/fail|error/i.test(phase)) return 'Degraded';
  return 'Progressing';
}

/** RFC 3339 with one-second precision, as Kubernetes and Argo CD write timestamps. */
export function secondsTimestamp(ms = Date.now()): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
