import { cnpgClusterCrd } from '../twin/crds.ts';
import type { Json } from '../../core/fields.ts';

export const PLACEHOLDER_LABEL = 'rebuild-bench.io/placeholder';

/**
 * What stands in for an app whose source cannot be fetched here: one Deployment named after the
 * release, and the Services other apps reach it by (its release name, and the names they use), so
 * its consumers wait for it as they would for the real chart. A CloudNativePG operator chart also
 * brings the Cluster CRD (the twin plays the operator).
 */
export function placeholderManifests(o: {
  release: string;
  namespace: string;
  chart: string | undefined;
  services: string[];
}): Json[] {
  const labels = { 'app.kubernetes.io/name': o.release, [PLACEHOLDER_LABEL]: 'true' };
  const deployment: Json = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: o.release, namespace: o.namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': o.release } },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'placeholder',
              image: `registry.invalid/rebuild-bench/placeholder/${o.chart ?? o.release}:emulated`,
            },
          ],
        },
      },
    },
  };
  const services = [...new Set([o.release, ...o.services])].sort().map((name) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: o.namespace, labels },
    spec: { selector: { 'app.kubernetes.io/name': o.release }, ports: [{ name: 'main', port: 80 }] },
  }));
  const crds = /cloudnative-pg|cnpg/.test(o.chart ?? '') ? [cnpgClusterCrd as Json] : [];
  return [...crds, deployment, ...services];
}
