/** Helpers the lint rules share: where a finding points, object identity, pod templates, API groups. */
import { arr, obj, str } from '../../../core/fields.ts';
import type { K8sObject } from '../../dependencies.ts';
import type { Finding, LintApp, LintModel, Severity } from '../model.ts';

/** A finding about an Application: it points at the Application's file and line. */
export function appFinding(
  rule: string,
  severity: Severity,
  app: LintApp,
  message: string,
  fix: string,
  evidence?: string,
): Finding {
  return { rule, severity, app: app.name, file: app.file, line: app.line, message, fix, evidence };
}

/** A finding about one rendered object: it points at the file the object came from (else the Application). */
export function objectFinding(
  rule: string,
  severity: Severity,
  app: LintApp,
  o: K8sObject,
  message: string,
  fix: string,
  evidence?: string,
): Finding {
  const file = app.objectFiles.get(o);
  return file === undefined
    ? appFinding(rule, severity, app, message, fix, evidence)
    : { rule, severity, app: app.name, file, line: undefined, message, fix, evidence };
}

/** `Kind/name` for messages. */
export const ref = (o: K8sObject) => `${o.kind ?? '?'}/${o.metadata?.name ?? '?'}`;

/** The API group of an object (`""` for the core group). */
export function groupOf(o: K8sObject): string {
  const av = o.apiVersion ?? '';
  const slash = av.indexOf('/');
  return slash < 0 ? '' : av.slice(0, slash);
}

/** Kinds that have no namespace (the common ones; CRD-defined cluster kinds of the operators we know included). */
const CLUSTER_KINDS = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'CSIDriver',
  'CustomResourceDefinition',
  'APIService',
  'ClusterRole',
  'ClusterRoleBinding',
  'PriorityClass',
  'RuntimeClass',
  'IngressClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ClusterPolicy',
  'ClusterCleanupPolicy',
  'ClusterPolicyReport',
  'ClusterIssuer',
  'ClusterSecretStore',
  'ClusterExternalSecret',
  'ClusterImageCatalog',
  'AppProject',
]);

export const isNamespaced = (o: K8sObject) => !CLUSTER_KINDS.has(o.kind ?? '');

/** The namespace a namespaced object lands in: its own, else its app's destination. */
export const namespaceOf = (o: K8sObject, app: LintApp) => o.metadata?.namespace ?? app.namespace;

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

/** The pod template of a workload: its spec, its labels and the locator of the spec; undefined for other kinds. */
export function podTemplate(
  o: K8sObject,
): { spec: Record<string, unknown>; labels: Record<string, unknown>; path: string } | undefined {
  if (!WORKLOAD_KINDS.has(o.kind ?? '')) return undefined;
  const spec = obj(o.spec);
  if (o.kind === 'Pod') return { spec, labels: obj(o.metadata?.labels), path: 'spec' };
  if (o.kind === 'CronJob') {
    const t = obj(obj(obj(spec.jobTemplate).spec).template);
    return { spec: obj(t.spec), labels: obj(obj(t.metadata).labels), path: 'spec.jobTemplate.spec.template.spec' };
  }
  const t = obj(spec.template);
  return { spec: obj(t.spec), labels: obj(obj(t.metadata).labels), path: 'spec.template.spec' };
}

/** Every rendered object with its app. */
export function allObjects(model: LintModel): { app: LintApp; o: K8sObject }[] {
  return model.apps.flatMap((app) => app.objects.map((o) => ({ app, o })));
}

/** Strings of a list field. */
export const strings = (v: unknown): string[] => arr(v).flatMap((x) => (str(x) === undefined ? [] : [str(x)!]));
