import { CNPG_HEALTHY_PHASE, HIBERNATION_CONDITION } from './cnpg.ts';

/** Argo CD's health rules: the statuses, how they aggregate, and the built-in checks the twin needs. */
export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';

const severity: Record<HealthStatus, number> = {
  Healthy: 0,
  Suspended: 1,
  Progressing: 2,
  Missing: 3,
  Unknown: 3,
  Degraded: 4,
};

/** Argo CD's aggregation: the worst health of the resources wins. */
export function worstHealth(statuses: HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>((worst, s) => (severity[s] > severity[worst] ? s : worst), 'Healthy');
}

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

/** Argo CD's health for postgresql.cnpg.io/Cluster (hibernated clusters show as Suspended). */
export function cnpgClusterHealth(c: any | undefined): HealthStatus {
  if (!c) return 'Missing';
  const conditions: any[] = c.status?.conditions ?? [];
  if (conditions.some((x) => x.type === HIBERNATION_CONDITION && x.status === 'True')) return 'Suspended';
  const phase: string = c.status?.phase ?? '';
  if (phase === CNPG_HEALTHY_PHASE) return 'Healthy';
  if (/fail|error/i.test(phase)) return 'Degraded';
  return 'Progressing';
}
