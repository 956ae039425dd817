/**
 * Labels and annotations rebuild-bench and the cluster agree on: what a run marks its objects
 * with, and the conventions between the cpuHog fault and the cluster (a real one, or the twin's
 * node CPU model in sandbox/twin/cpu.ts, which publishes what a real cluster's metrics.k8s.io would).
 */

/** Every object a run creates carries `rebuild-bench/run=<run-id>`, so `cleanup` can find leftovers. */
export const RUN_LABEL = 'rebuild-bench/run';

/** Pods of the cpuHog fault carry this label; they burn their CPU limit (else request). */
export const BURNER_LABEL = 'rebuild-bench/cpu-burner';

/**
 * Node annotation holding a node's CPU utilisation (0…1, three decimals): what the cpuHog fault's
 * verify() reads where a cluster has no metrics.k8s.io (the twin publishes it).
 */
export const CPU_UTILISATION_ANNOTATION = 'twin.rebuild-bench/cpu-utilisation';

/** A label selector (`a=1,b=2`) matching exactly these labels (a matchLabels or a Service selector). */
export function labelSelector(labels: Record<string, unknown> | undefined): string {
  return Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(',');
}
