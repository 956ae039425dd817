/**
 * What rebuild-bench knows of the Helm charts GitOps repositories commonly install, as data. Each fact names the
 * chart file and the versions it was checked against; a lint rule computes the effective setting from the values an
 * Application gives, falling back to these defaults when the chart itself is not available offline.
 */

/** A chart value given as a dotted path (`features.forceFailurePolicyIgnore.enabled`) and the chart's default for it. */
export interface ValueFact<T> {
  key: string;
  default: T;
}

export interface OperatorChartFacts {
  /** Chart names as Applications reference them (`spec.source.chart`, or the last path segment of a chart directory). */
  names: string[];
  /** The value that switches the chart's CRDs on, and its default. */
  crds: ValueFact<boolean>;
  /** API groups whose CRDs the chart installs. */
  crdGroups: string[];
  /** Where the fact was checked. */
  checked: string;
}

/**
 * Kyverno's chart (https://kyverno.github.io/kyverno, chart `kyverno`), v3.x.
 *
 * Checked against kyverno/kyverno:
 * - charts/kyverno/Chart.yaml, chart 3.3.2 (appVersion v1.13.0): the `crds` subchart has `condition: crds.install`.
 * - charts/kyverno/README.md (values table), chart 3.0.x (3.0.1 as vendored by openreplay, 3.0.2 as Nirmata's fork
 *   publishes it) and the development tip after 3.x (README at commit 0034ea04, "Version: v0.0.0"):
 *   `features.forceFailurePolicyIgnore.enabled` bool, default `false`; `crds.install` default `true`;
 *   `admissionController.replicas` default `nil`; `config.webhooks` only sets namespace/object selectors.
 * - charts/kyverno/templates/admission-controller/deployment.yaml (commit 01c974bf): the admission controller's
 *   flags come from `mergeOverwrite .Values.features .Values.admissionController.featuresOverride` (so
 *   `admissionController.featuresOverride.forceFailurePolicyIgnore.enabled` overrides the root feature), and every
 *   entry of `admissionController.container.extraArgs` becomes `--<key>=<value>`.
 * - cmd/kyverno/main.go: flag `--webhookTimeout` ("Timeout for webhook configurations (number of seconds, integer)"),
 *   default `webhookcontroller.DefaultWebhookTimeout`, 10 s (DOMAIN.md: default failurePolicy Fail, timeout 10 s).
 * There is no chart value named `webhookTimeoutSeconds`, and `admissionController.forceFailurePolicyIgnore` does nothing.
 */
export const KYVERNO_CHART = {
  names: ['kyverno'],
  crds: { key: 'crds.install', default: true },
  crdGroups: ['kyverno.io', 'policies.kyverno.io', 'reports.kyverno.io', 'wgpolicyk8s.io'],
  checked:
    'kyverno/kyverno charts/kyverno (Chart.yaml 3.3.2; README.md 3.0.x and tip; admission-controller/deployment.yaml)',
  /** When true, Kyverno registers its resource webhooks with failurePolicy Ignore; false (default) means Fail. */
  forceFailurePolicyIgnore: [
    'admissionController.featuresOverride.forceFailurePolicyIgnore.enabled',
    'features.forceFailurePolicyIgnore.enabled',
  ],
  forceFailurePolicyIgnoreDefault: false,
  defaultFailurePolicy: 'Fail' as const,
  /** `--webhookTimeout=<s>` through the admission controller's extra args. */
  webhookTimeout: { key: 'admissionController.container.extraArgs.webhookTimeout', default: 10 },
  /** Chart default nil: the Deployment then has Kubernetes' default of 1 replica. */
  replicas: { key: 'admissionController.replicas', default: 1 },
  /** The admission controller's Deployment and the flags it reads (rendered manifests). */
  admissionDeployment: 'kyverno-admission-controller',
  forceIgnoreFlag: '--forceFailurePolicyIgnore',
  timeoutFlag: '--webhookTimeout',
  /** Top-level values of chart 3.x (README values tables, 3.0.x to tip). */
  topLevelKeys: [
    'global',
    'nameOverride',
    'fullnameOverride',
    'namespaceOverride',
    'upgrade',
    'apiVersionOverride',
    'rbac',
    'openreports',
    'reportsServer',
    'crds',
    'config',
    'metricsConfig',
    'imagePullSecrets',
    'existingImagePullSecrets',
    'customLabels',
    'webhooksCleanup',
    'grafana',
    'features',
    'admissionController',
    'backgroundController',
    'cleanupController',
    'reportsController',
    'test',
    'cleanupJobs',
    'policyReportsCleanup',
    'templating',
  ],
  /** Second-level keys of the sections the admission rule reads (README values tables). */
  sectionKeys: {
    crds: ['install', 'groups', 'annotations', 'customLabels', 'migration', 'reportsServer'],
    features: [
      'admissionReports',
      'aggregateReports',
      'policyReports',
      'validatingAdmissionPolicyReports',
      'mutatingAdmissionPolicyReports',
      'reporting',
      'autoUpdateWebhooks',
      'backgroundScan',
      'configMapCaching',
      'controllerRuntimeMetrics',
      'deferredLoading',
      'dumpPayload',
      'forceFailurePolicyIgnore',
      'generateValidatingAdmissionPolicy',
      'generateMutatingAdmissionPolicy',
      'dumpPatches',
      'globalContext',
      'logging',
      'omitEvents',
      'policyExceptions',
      'protectManagedResources',
      'registryClient',
      'ttlController',
      'tuf',
    ],
    admissionController: [
      'autoscaling',
      'featuresOverride',
      'rbac',
      'createSelfSignedCert',
      'replicas',
      'revisionHistoryLimit',
      'resyncPeriod',
      'crdWatcher',
      'podLabels',
      'podAnnotations',
      'annotations',
      'updateStrategy',
      'priorityClassName',
      'apiPriorityAndFairness',
      'priorityLevelConfigurationSpec',
      'hostNetwork',
      'webhookServer',
      'dnsPolicy',
      'dnsConfig',
      'startupProbe',
      'livenessProbe',
      'readinessProbe',
      'nodeSelector',
      'tolerations',
      'antiAffinity',
      'podAntiAffinity',
      'podAffinity',
      'nodeAffinity',
      'topologySpreadConstraints',
      'podSecurityContext',
      'podDisruptionBudget',
      'tufRootMountPath',
      'sigstoreVolume',
      'caCertificates',
      'imagePullSecrets',
      'initContainer',
      'container',
      'extraInitContainers',
      'extraContainers',
      'service',
      'metricsService',
      'networkPolicy',
      'serviceMonitor',
      'tracing',
      'metering',
      'profiling',
    ],
  } as Record<string, string[]>,
  /** Chart v2 keys that v3 moved ("Migrating from v2 to v3" in the README): given to a v3 chart they do nothing. */
  movedInV3: {
    replicaCount: 'admissionController.replicas',
    installCRDs: 'crds.install',
    extraArgs: 'admissionController.container.extraArgs',
    resources: 'admissionController.container.resources',
    image: 'admissionController.container.image',
    initImage: 'admissionController.initContainer.image',
    podLabels: 'admissionController.podLabels',
    podAnnotations: 'admissionController.podAnnotations',
    priorityClassName: 'admissionController.priorityClassName',
    nodeSelector: 'admissionController.nodeSelector',
    tolerations: 'admissionController.tolerations',
    podDisruptionBudget: 'admissionController.podDisruptionBudget',
    antiAffinity: 'admissionController.antiAffinity',
    hostNetwork: 'admissionController.hostNetwork',
    dnsPolicy: 'admissionController.dnsPolicy',
    livenessProbe: 'admissionController.livenessProbe',
    readinessProbe: 'admissionController.readinessProbe',
    service: 'admissionController.service',
    networkPolicy: 'admissionController.networkPolicy',
    serviceMonitor: 'admissionController.serviceMonitor',
    namespace: 'namespaceOverride',
  } as Record<string, string>,
  /** Free-form maps: any key is meaningful below these paths. */
  freeForm: [
    'config.webhooks',
    'config.webhookAnnotations',
    'config.webhookLabels',
    'metricsConfig.metricsExposure',
    'admissionController.container.extraArgs',
    'admissionController.initContainer.extraArgs',
    'admissionController.featuresOverride',
    'imagePullSecrets',
    'customLabels',
  ],
} satisfies OperatorChartFacts & Record<string, unknown>;

/**
 * CloudNativePG's operator chart (https://cloudnative-pg.github.io/charts, chart `cloudnative-pg`).
 *
 * Checked against cloudnative-pg/charts charts/cloudnative-pg/values.yaml (commit 0029be9b, the 0.16–0.2x line;
 * Chart.yaml 0.16.1 / operator 1.18.1 and later): `crds.create: true` ("Specifies whether the CRDs should be created
 * when installing the chart"), rendered by templates/crds/crds.yaml; the operator's own webhooks default to
 * `webhook.mutating.failurePolicy: Fail` and `webhook.validating.failurePolicy: Fail`.
 */
export const CNPG_CHART = {
  names: ['cloudnative-pg'],
  crds: { key: 'crds.create', default: true },
  crdGroups: ['postgresql.cnpg.io'],
  checked: 'cloudnative-pg/charts charts/cloudnative-pg/values.yaml (chart 0.16.x and later)',
  webhookFailurePolicy: [
    { key: 'webhook.mutating.failurePolicy', default: 'Fail' },
    { key: 'webhook.validating.failurePolicy', default: 'Fail' },
  ],
} satisfies OperatorChartFacts & Record<string, unknown>;

/**
 * Secrets the CloudNativePG operator creates for a `Cluster` named <n> (CNPG documentation, "Connecting from an
 * application" and "Certificates"): <n>-app, <n>-ca, <n>-server, <n>-replication. <n>-superuser only when
 * `spec.enableSuperuserAccess: true` (its default is false since CNPG 1.21).
 */
export const CNPG_CLUSTER_SECRETS = ['app', 'ca', 'server', 'replication'] as const;
export const CNPG_SUPERUSER_SECRET = 'superuser';

/** Operator charts whose CRDs a lint rule checks. */
export const OPERATOR_CHARTS: readonly OperatorChartFacts[] = [KYVERNO_CHART, CNPG_CHART];

/** The chart facts for a chart name, if known. */
export function operatorChart(name: string): OperatorChartFacts | undefined {
  return OPERATOR_CHARTS.find((c) => c.names.includes(name));
}

/** A value at a dotted path of Helm values (`a.b.c`); undefined when any step is missing. */
export function valueAt(values: unknown, dotted: string): unknown {
  let cur: unknown = values;
  for (const k of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** Helm-ish truthiness of a boolean value given as YAML (`true`, `"true"`); undefined when not set. */
export function boolValue(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}
