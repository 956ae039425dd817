/**
 * What is true of CloudNativePG: the names of its annotations, labels and conditions, the phase
 * strings of a Cluster, and what fencing and hibernation annotations mean. The CNPG faults and the
 * twin's CNPG operator both read these.
 */

export const CNPG_GROUP = 'postgresql.cnpg.io';
export const CNPG_GROUP_VERSION = `${CNPG_GROUP}/v1`;

/** A Cluster's API path (all Clusters of a namespace without a name). */
export const cnpgClusterPath = (ns: string, name?: string) =>
  `/apis/${CNPG_GROUP_VERSION}/namespaces/${ns}/clusters${name ? `/${name}` : ''}`;

/** Labels on an instance pod. */
export const CNPG_CLUSTER_LABEL = 'cnpg.io/cluster';
export const CNPG_INSTANCE_NAME_LABEL = 'cnpg.io/instanceName';
export const CNPG_INSTANCE_ROLE_LABEL = 'cnpg.io/instanceRole';

/** Fencing: a JSON list of instance names, or ["*"] for all; fenced instances stop Postgres and are not Ready. */
export const FENCED_ANNOTATION = 'cnpg.io/fencedInstances';
/** Hibernation: "on" deletes the instance pods and keeps the volumes. */
export const HIBERNATION_ANNOTATION = 'cnpg.io/hibernation';
/** The condition a hibernated Cluster reports. */
export const HIBERNATION_CONDITION = 'cnpg.io/hibernation';

/** status.phase strings. */
export const CNPG_HEALTHY_PHASE = 'Cluster in healthy state';
export const CNPG_SETTING_UP_PHASE = 'Setting up primary';
export const CNPG_WAITING_PHASE = 'Waiting for the instances to become active';
export const CNPG_HIBERNATED_PHASE = 'Cluster in hibernation';

/** A Cluster as the API returns it (only its annotations are read here). */
export interface CnpgClusterObject {
  metadata?: { annotations?: Record<string, string>; [key: string]: unknown };
}

/** Whether a Cluster's fencing annotation covers `instance` (any instance when undefined). */
export function isFenced(cluster: CnpgClusterObject, instance: string | undefined): boolean {
  const raw = cluster.metadata?.annotations?.[FENCED_ANNOTATION];
  if (!raw) return false;
  try {
    const list = JSON.parse(raw) as string[];
    return list.includes('*') || (instance !== undefined ? list.includes(instance) : list.length > 0);
  } catch {
    return false;
  }
}

export function isHibernated(cluster: CnpgClusterObject): boolean {
  return cluster.metadata?.annotations?.[HIBERNATION_ANNOTATION] === 'on';
}
