import { HIBERNATION_CONDITION } from './cnpg.ts';

/** Argo CD's health rules: the statuses, how they aggregate, and the built-in checks the twin needs. */
export type HealthStatus = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';

/** gitops-engine's healthOrder (pkg/health/health.go): Unknown is the worst. */
const severity: Record<HealthStatus, number> = {
  Healthy: 0,
  Suspended: 1,
  Progressing: 2,
  Missing: 3,
  Degraded: 4,
  Unknown: 5,
};

/** Argo CD's aggregation: the worst health of the resources wins. */
export function worstHealth(statuses: HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>((worst, s) => (severity[s] > severity[worst] ? s : worst), 'Healthy');
}

/** Argo CD's built-in health for apps/Deployment. */
export function deploymentHealth(d: any): HealthStatus {
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

/**
 * Argo CD's built-in health for postgresql.cnpg.io/Cluster (resource_customizations/
 * postgresql.cnpg.io/Cluster/health.lua in v3.2): the phase string through this table, a
 * hibernation condition first (True: Suspended, False: Degraded), an unlisted phase Unknown.
 */
export const CNPG_PHASE_HEALTH: Record<string, HealthStatus> = {
  'Cluster in healthy state': 'Healthy',
  'Setting up primary': 'Progressing',
  'Creating a new replica': 'Progressing',
  'Upgrading cluster': 'Progressing',
  'Waiting for the instances to become active': 'Progressing',
  'Promoting to primary cluster': 'Progressing',
  'Switchover in progress': 'Degraded',
  'Failing over': 'Degraded',
  'Upgrading Postgres major version': 'Degraded',
  'Cluster upgrade delayed': 'Degraded',
  'Waiting for user action': 'Degraded',
  'Primary instance is being restarted in-place': 'Degraded',
  'Primary instance is being restarted without a switchover': 'Degraded',
  'Online upgrade in progress': 'Degraded',
  'Applying configuration': 'Degraded',
  'Unable to create required cluster objects': 'Suspended',
  'Cluster is unrecoverable and needs manual intervention': 'Suspended',
};

export function cnpgClusterHealth(c: any): HealthStatus {
  if (!c) return 'Missing';
  if (!c.status?.conditions) return 'Progressing';
  const hibernation = (c.status.conditions as any[]).find((x) => x.type === HIBERNATION_CONDITION);
  if (hibernation) return hibernation.status === 'True' ? 'Suspended' : 'Degraded';
  return CNPG_PHASE_HEALTH[c.status.phase ?? ''] ?? 'Unknown';
}
