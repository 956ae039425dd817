import type { AppManifest } from '../../gitops/applications.ts';
import type { AppBehaviour } from './profile.ts';
import { INSTANCE_LABEL, TRACKING_ANNOTATION } from '../../gitops/argocd.ts';
import { CNPG_GROUP, CNPG_GROUP_VERSION } from '../../gitops/cnpg.ts';
import { KYVERNO_ADMISSION_DEPLOYMENT, KYVERNO_DEPLOYMENTS } from '../../gitops/kyverno.ts';

/** Labels and annotations every object the twin's "sync" creates carries. */
export const TWIN_APP_LABEL = 'rebuild-bench/twin-app';
export const TWIN_POD_LABEL = 'rebuild-bench/twin';
export const A = {
  app: 'twin.rebuild-bench/app',
  wave: 'twin.rebuild-bench/wave',
  startup: 'twin.rebuild-bench/startup-seconds',
  pull: 'twin.rebuild-bench/image-pull-seconds',
  deps: 'twin.rebuild-bench/depends-on',
  failure: 'twin.rebuild-bench/failure-mode',
  cnpgCluster: 'twin.rebuild-bench/cnpg-cluster',
} as const;

export interface WorkloadRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  path: string;
}

/** Pod-level behaviour, carried in annotations so the twin kubelet needs no other input. */
export function podBehaviourAnnotations(app: AppManifest, b: AppBehaviour): Record<string, string> {
  return {
    [A.app]: app.name,
    [A.wave]: String(app.wave),
    [A.startup]: String(b.startupSeconds),
    [A.pull]: String(b.imagePullSeconds),
    [A.deps]: b.dependsOn.join(','),
    [A.failure]: b.failureMode,
  };
}

function tracking(app: string, group: string, kind: string, ns: string, name: string): string {
  return `${app}:${group}/${kind}:${ns}/${name}`;
}

function deployment(app: AppManifest, b: AppBehaviour, name: string, replicas: number) {
  const ns = app.destinationNamespace;
  const labels = { 'app.kubernetes.io/name': name, [INSTANCE_LABEL]: app.name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: ns,
      labels: { ...labels, [TWIN_APP_LABEL]: app.name },
      annotations: { [TRACKING_ANNOTATION]: tracking(app.name, 'apps', 'Deployment', ns, name), [A.app]: app.name },
    },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels: { ...labels, [TWIN_POD_LABEL]: 'true' }, annotations: podBehaviourAnnotations(app, b) },
        spec: {
          ...(b.node ? { nodeSelector: { 'kubernetes.io/hostname': b.node } } : {}),
          tolerations: [{ operator: 'Exists' }],
          containers: [
            {
              name: 'app',
              image: `registry.example/${app.name}:dev`,
              resources: { requests: { cpu: `${b.cpuMillis}m`, memory: '64Mi' } },
            },
          ],
        },
      },
    },
  };
}

function cnpgCluster(app: AppManifest, b: AppBehaviour) {
  const ns = app.destinationNamespace;
  return {
    apiVersion: CNPG_GROUP_VERSION,
    kind: 'Cluster',
    metadata: {
      name: app.name,
      namespace: ns,
      labels: { [INSTANCE_LABEL]: app.name, [TWIN_APP_LABEL]: app.name },
      annotations: {
        [TRACKING_ANNOTATION]: tracking(app.name, CNPG_GROUP, 'Cluster', ns, app.name),
        ...podBehaviourAnnotations(app, b),
      },
    },
    spec: {
      instances: 1,
      storage: { size: '10Gi' },
      ...(b.node ? { affinity: { nodeSelector: { 'kubernetes.io/hostname': b.node } } } : {}),
    },
  };
}

/** The objects an Application's sync creates in the twin, in apply order. */
export function workloadObjects(app: AppManifest, b: AppBehaviour): object[] {
  const ns = app.destinationNamespace;
  const out: object[] = [];
  if (app.syncOptions.includes('CreateNamespace=true')) {
    out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { [TWIN_APP_LABEL]: app.name } } });
  }
  if (b.kind === 'cnpg-cluster') out.push(cnpgCluster(app, b));
  else if (b.kind === 'kyverno') {
    for (const name of KYVERNO_DEPLOYMENTS)
      out.push(deployment(app, b, name, name === KYVERNO_ADMISSION_DEPLOYMENT ? Math.max(1, b.replicas) : 1));
  } else if (b.replicas >= 0) out.push(deployment(app, b, app.name, b.replicas));
  return out;
}

export function objectPath(o: {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}): string {
  const plural = `${o.kind.toLowerCase()}s`;
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  const ns = o.metadata.namespace ? `/namespaces/${o.metadata.namespace}` : '';
  return `${base}${ns}/${plural}/${o.metadata.name}`;
}

/** References to the objects whose health makes up the app's health (namespaces excluded). */
export function healthRefs(app: AppManifest, b: AppBehaviour): WorkloadRef[] {
  return (
    workloadObjects(app, b) as Array<{
      apiVersion: string;
      kind: string;
      metadata: { name: string; namespace?: string };
    }>
  )
    .filter((o) => o.kind !== 'Namespace')
    .map((o) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      namespace: o.metadata.namespace ?? '',
      name: o.metadata.name,
      path: objectPath(o),
    }));
}
