/** What is true of a Kyverno installation: its namespace, Deployments and webhook configurations. */

export const KYVERNO_NAMESPACE = 'kyverno';

/** The Deployment that serves the admission webhooks. */
export const KYVERNO_ADMISSION_DEPLOYMENT = 'kyverno-admission-controller';

export const KYVERNO_DEPLOYMENTS = [
  KYVERNO_ADMISSION_DEPLOYMENT,
  'kyverno-background-controller',
  'kyverno-cleanup-controller',
  'kyverno-reports-controller',
];

/** The webhook configurations Kyverno registers for resources. */
export const KYVERNO_VALIDATING_WEBHOOK = 'kyverno-resource-validating-webhook-cfg';
export const KYVERNO_MUTATING_WEBHOOK = 'kyverno-resource-mutating-webhook-cfg';
