import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { APP_HEALTH_KEY, APP_HEALTH_LUA } from '../../gitops/argocd.ts';
import { type DependencyEdge, type K8sObject, inferDependencies } from '../../gitops/dependencies.ts';
import type { Finding, LintApp, LintModel, Rule } from '../../gitops/lint/model.ts';
import { rules } from '../../gitops/lint/rules/index.ts';

type Chart = LintApp['charts'][number];

/** One app of a test model: manifests as multi-document YAML, Helm values as YAML. */
interface AppSpec {
  name: string;
  wave: number;
  namespace: string;
  yaml?: string;
  emulated?: string;
  charts?: (Partial<Omit<Chart, 'values'>> & { name: string; values?: string })[];
  syncOptions?: string[];
  automated?: boolean;
}

const appFile = (name: string) => `argocd/apps/${name}.yaml`;
const objectsFile = (name: string) => `apps/${name}/manifests.yaml`;
const HEALTHY_CM = { file: 'argocd/argocd-cm.yaml', data: { [APP_HEALTH_KEY]: APP_HEALTH_LUA } };

function modelOf(
  specs: AppSpec[],
  opts: { argocdCm?: LintModel['argocdCm'] | null; edges?: DependencyEdge[] } = {},
): LintModel {
  const apps: LintApp[] = specs.map((s) => {
    const objects = parseAllDocuments(s.yaml ?? '')
      .map((d) => d.toJS() as K8sObject | null)
      .filter((o): o is K8sObject => o !== null);
    return {
      name: s.name,
      wave: s.wave,
      namespace: s.namespace,
      file: appFile(s.name),
      line: 5,
      manifest: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: s.name } },
      objects,
      objectFiles: new Map(objects.map((o) => [o, objectsFile(s.name)])),
      emulated: s.emulated,
      charts: (s.charts ?? []).map((c) => ({
        version: undefined,
        repoURL: undefined,
        releaseName: c.name,
        valuesFile: undefined,
        rendered: false,
        ...c,
        values: (parse(c.values ?? '{}') ?? {}) as Record<string, unknown>,
      })),
      syncOptions: s.syncOptions ?? ['CreateNamespace=true'],
      automated: s.automated ?? true,
    };
  });
  const edges =
    opts.edges ??
    inferDependencies(
      apps.map((a) => ({ app: a.name, namespace: a.namespace, objects: a.objects, objectFiles: a.objectFiles })),
    );
  return {
    repoDir: '/repo',
    overlay: 'argocd/overlays/dev',
    apps,
    edges,
    argocdCm: opts.argocdCm === null ? undefined : (opts.argocdCm ?? HEALTHY_CM),
  };
}

const rule = (id: string): Rule => {
  const r = rules.find((x) => x.id === id);
  if (!r) throw new Error(`no rule ${id}`);
  return r;
};
const run = (id: string, model: LintModel): Finding[] => rule(id).check(model);

// ---- A clean estate: every rule must stay silent on it. ----

const KYVERNO_SAFE = `
features:
  forceFailurePolicyIgnore:
    enabled: true
admissionController:
  replicas: 3
  container:
    extraArgs:
      webhookTimeout: 30
`;

// The team's sizing policy (seed 004): resources from the pod label vixens.io/sizing, profile micro (128 Mi) by default.
const SIZING_POLICY = `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: vixens-sizing
spec:
  rules:
    - name: apply-sizing-profile
      match:
        any:
          - resources:
              kinds: [Pod]
      exclude:
        any:
          - resources:
              namespaces: [kube-system, kyverno]
      context:
        - name: size
          variable:
            value: "{{ request.object.metadata.labels.\\"vixens.io/sizing\\" || 'micro' }}"
      mutate:
        foreach:
          - list: request.object.spec.containers
            patchStrategicMerge:
              spec:
                containers:
                  - (name): "{{ element.name }}"
                    resources:
                      limits:
                        memory: "{{ size == 'micro' && '128Mi' || '1Gi' }}"
`;

const DATABASE = `
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: pg-main
spec:
  instances: 1
`;

const billingDeployment = (opts: { label?: boolean; secret?: string; optional?: boolean; pg?: string } = {}) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: billing-api
spec:
  template:
    metadata:
      labels:
        app: billing-api
${opts.label === false ? '' : '        vixens.io/sizing: small\n'}    spec:
      containers:
        - name: api
          env:
            - name: DATABASE_URL
              value: postgres://billing@${opts.pg ?? 'pg-main-rw.data.svc'}:5432/billing
            - name: API_KEY
              valueFrom:
                secretKeyRef:
                  name: ${opts.secret ?? 'billing-api-keys'}
                  key: API_KEY
${opts.optional ? '                  optional: true\n' : ''}`;

const INFISICAL_OK = `
apiVersion: secrets.infisical.com/v1alpha1
kind: InfisicalSecret
metadata:
  name: billing-api-keys
spec:
  authentication:
    universalAuth:
      credentialsRef:
        secretName: infisical-universal-auth
        secretNamespace: argocd
      secretsScope:
        projectSlug: vixens
        envSlug: dev
        secretsPath: /apps/billing
  managedSecretReference:
    secretName: billing-api-keys
    secretNamespace: billing
`;

const billing = (over: Partial<AppSpec> = {}, deployment = billingDeployment()): AppSpec => ({
  name: 'billing',
  wave: 1,
  namespace: 'billing',
  yaml: `${INFISICAL_OK}---${deployment}`,
  ...over,
});

const clean = (): AppSpec[] => [
  {
    name: 'kyverno',
    wave: -3,
    namespace: 'kyverno',
    charts: [{ name: 'kyverno', version: '3.3.2', values: KYVERNO_SAFE }],
  },
  { name: 'cloudnative-pg', wave: -3, namespace: 'cnpg-system', charts: [{ name: 'cloudnative-pg', values: '' }] },
  { name: 'kyverno-policies', wave: -2, namespace: 'kyverno', yaml: SIZING_POLICY },
  { name: 'database', wave: 0, namespace: 'data', yaml: DATABASE },
  billing(),
];

const replace = (specs: AppSpec[], name: string, over: Partial<AppSpec>): AppSpec[] =>
  specs.map((s) => (s.name === name ? { ...s, ...over } : s));

describe('lint rules', () => {
  it('have unique ids in a stable order, each with a one-line summary and a domain paragraph', () => {
    expect(rules.map((r) => r.id)).toEqual([
      'wave-inversion',
      'waves-do-not-gate',
      'fail-closed-admission',
      'namespace-never-created',
      'not-automated',
      'operator-crds-missing',
      'secret-never-created',
      'infisical-credentials-ref',
      'sizing-label-missing',
      'unreachable-source',
    ]);
    for (const r of rules) {
      expect(r.summary.length).toBeGreaterThan(10);
      expect(r.doc.length).toBeGreaterThan(120);
    }
  });

  it('find nothing in a clean estate', () => {
    const model = modelOf(clean());
    expect(model.edges.map((e) => `${e.from}->${e.to}`)).toEqual(['billing->database']);
    expect(rules.flatMap((r) => r.check(model))).toEqual([]);
  });
});

describe('wave-inversion', () => {
  it('flags an app in the same wave as the app making its Service, with both waves, the Service and the evidence', () => {
    const [f, ...rest] = run('wave-inversion', modelOf([...clean().slice(0, 4), billing({ wave: 0 })]));
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      rule: 'wave-inversion',
      severity: 'error',
      app: 'billing',
      file: appFile('billing'),
      line: 5,
      fix: 'move billing to wave 1 or later',
    });
    expect(f!.message).toContain('billing (wave 0)');
    expect(f!.message).toContain('database (wave 0)');
    expect(f!.message).toContain('pg-main-rw.data');
    expect(f!.evidence).toBe(
      `${objectsFile('billing')}: Deployment/billing-api spec.template.spec.containers[api].env[DATABASE_URL]: pg-main-rw.data.svc:5432`,
    );
  });

  it('flags a dependency in a later wave and proposes the wave after it', () => {
    const specs = replace(clean(), 'database', { wave: 4 });
    const findings = run('wave-inversion', modelOf(specs));
    expect(findings.map((f) => f.fix)).toEqual(['move billing to wave 5 or later']);
  });

  it('accepts a dependency in an earlier wave and ignores edges to apps outside the model', () => {
    expect(run('wave-inversion', modelOf(clean()))).toEqual([]);
    const edge: DependencyEdge = {
      from: 'billing',
      to: 'elsewhere',
      service: 'x',
      namespace: 'y',
      weak: false,
      evidence: { file: 'f', field: 'g', text: 'x.y' },
    };
    expect(run('wave-inversion', modelOf(clean(), { edges: [edge] }))).toEqual([]);
  });
});

describe('waves-do-not-gate', () => {
  it('warns when the repository installs argocd-cm without the Application health check', () => {
    const findings = run('waves-do-not-gate', modelOf(clean(), { argocdCm: { file: 'argocd/cm.yaml', data: {} } }));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'warning', file: 'argocd/cm.yaml', app: undefined });
    expect(findings[0]!.message).toContain('4 sync waves (-3, -2, 0, 1)');
    expect(findings[0]!.fix).toContain(`"${APP_HEALTH_KEY}"`);
  });

  it('says it could not check when the repository does not install argocd-cm', () => {
    const findings = run('waves-do-not-gate', modelOf(clean(), { argocdCm: null }));
    expect(findings.map((f) => f.severity)).toEqual(['info']);
    expect(findings[0]!.message).toContain('could not be checked');
  });

  it('is silent with the health check, or when every child is in one wave', () => {
    expect(run('waves-do-not-gate', modelOf(clean()))).toEqual([]);
    const oneWave = clean().map((s) => ({ ...s, wave: 0 }));
    expect(run('waves-do-not-gate', modelOf(oneWave, { argocdCm: { file: undefined, data: {} } }))).toEqual([]);
  });
});

describe('fail-closed-admission', () => {
  const kyverno = (values: string, over: Partial<Omit<Chart, 'values'>> = {}): AppSpec => ({
    name: 'kyverno',
    wave: -3,
    namespace: 'kyverno',
    charts: [{ name: 'kyverno', version: '3.3.2', values, ...over }],
  });
  const errors = (fs: Finding[]) => fs.filter((f) => f.severity === 'error');
  const warnings = (fs: Finding[]) => fs.filter((f) => f.severity === 'warning');

  it('flags chart defaults: failurePolicy Fail, 10 s, one replica, with the seed incident', () => {
    const findings = run('fail-closed-admission', modelOf([kyverno('')]));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'error', app: 'kyverno', file: appFile('kyverno'), line: 5 });
    expect(findings[0]!.message).toContain('failurePolicy Fail, timeout 10s, 1 admission controller replica:');
    expect(findings[0]!.message).toContain('CPU-saturated node');
    expect(findings[0]!.evidence).toContain('features.forceFailurePolicyIgnore.enabled not set');
    expect(findings[0]!.fix).toBe('set features.forceFailurePolicyIgnore.enabled: true in the kyverno chart values');
  });

  it('flags a fix written under keys the chart does not have, and stays Fail', () => {
    const values = `
admissionController:
  replicas: 3
  forceFailurePolicyIgnore:
    enabled: true
webhookTimeoutSeconds: 30
`;
    const findings = run(
      'fail-closed-admission',
      modelOf([kyverno(values, { valuesFile: 'apps/kyverno/values.yaml' })]),
    );
    expect(errors(findings)).toHaveLength(1);
    expect(errors(findings)[0]!.message).toContain('failurePolicy Fail, timeout 10s, 3 admission controller replicas');
    expect(errors(findings)[0]!.file).toBe('apps/kyverno/values.yaml');
    expect(warnings(findings).map((f) => f.message.split(' given')[0])).toEqual([
      'values key admissionController.forceFailurePolicyIgnore',
      'values key webhookTimeoutSeconds',
    ]);
    expect(warnings(findings)[0]!.fix).toContain('features.forceFailurePolicyIgnore.enabled');
    expect(warnings(findings)[1]!.fix).toContain('admissionController.container.extraArgs.webhookTimeout');
    expect(warnings(findings)[0]!.file).toBe('apps/kyverno/values.yaml');
  });

  it("checks given keys against the chart's own values.yaml when it is known", () => {
    const chartValues = {
      features: { forceFailurePolicyIgnore: { enabled: false } },
      admissionController: { replicas: null },
    };
    const values =
      'features:\n  forceFailurePolicyIgnore:\n    enabled: true\n  forceFailurePolicyIgnor:\n    enabled: true\n';
    const findings = run('fail-closed-admission', modelOf([kyverno(values, { chartValues })]));
    expect(findings.map((f) => [f.severity, f.message.split(' given')[0]])).toEqual([
      ['warning', 'values key features.forceFailurePolicyIgnor'],
    ]);
  });

  it('reads rendered webhook configurations when present', () => {
    const yaml = `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: kyverno-resource-validating-webhook-cfg
webhooks:
  - name: validate.kyverno.svc-fail
    failurePolicy: Fail
    timeoutSeconds: 30
`;
    const findings = run('fail-closed-admission', modelOf([{ ...kyverno(KYVERNO_SAFE), yaml }]));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain('timeout 30s');
    expect(findings[0]!.file).toBe(objectsFile('kyverno'));
    expect(findings[0]!.evidence).toContain('webhooks[validate.kyverno.svc-fail].failurePolicy: Fail');
  });

  it('reads the rendered admission controller flags, and accepts Ignore however it is set', () => {
    const deployment = (args: string) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: kyverno-admission-controller
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: kyverno
          args: [${args}]
`;
    const rendered = (args: string): AppSpec => ({
      name: 'kyverno',
      wave: -3,
      namespace: 'kyverno',
      yaml: deployment(args),
    });
    const fail = run('fail-closed-admission', modelOf([rendered('--webhookTimeout=15')]));
    expect(fail.map((f) => f.severity)).toEqual(['error']);
    expect(fail[0]!.message).toContain('timeout 15s, 2 admission controller replicas');
    expect(fail[0]!.fix).toContain('--forceFailurePolicyIgnore=true');
    expect(run('fail-closed-admission', modelOf([rendered('--forceFailurePolicyIgnore=true')]))).toEqual([]);
    const override = 'admissionController:\n  featuresOverride:\n    forceFailurePolicyIgnore:\n      enabled: true\n';
    expect(run('fail-closed-admission', modelOf([kyverno(override)]))).toEqual([]);
    expect(run('fail-closed-admission', modelOf([kyverno(KYVERNO_SAFE)]))).toEqual([]);
  });
});

describe('namespace-never-created', () => {
  it('flags an app deploying into a namespace nobody creates (CreateNamespace defaults to false)', () => {
    const findings = run('namespace-never-created', modelOf(replace(clean(), 'billing', { syncOptions: [] })));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'error', app: 'billing', file: appFile('billing'), line: 5 });
    expect(findings[0]!.message).toContain('no app creates namespace billing');
  });

  it('flags a namespace created only in the same wave, and accepts one created earlier', () => {
    const ns = (wave: number): AppSpec => ({
      name: 'namespaces',
      wave,
      namespace: 'default',
      yaml: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: billing\n',
    });
    const specs = replace(clean(), 'billing', { syncOptions: ['ServerSideApply=true'] });
    const same = run('namespace-never-created', modelOf([...specs, ns(1)]));
    expect(same.map((f) => f.severity)).toEqual(['error']);
    expect(same[0]!.message).toContain('created only by namespaces (wave 1)');
    expect(same[0]!.fix).toContain('move billing to wave 2 or later');
    expect(run('namespace-never-created', modelOf([...specs, ns(0)]))).toEqual([]);
  });

  it('accepts an app that creates its own namespace, built-in namespaces, and CreateNamespace=true', () => {
    const own = billing({
      syncOptions: [],
      yaml: `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: billing\n---${INFISICAL_OK}`,
    });
    expect(run('namespace-never-created', modelOf([own]))).toEqual([]);
    const system: AppSpec = {
      name: 'cm',
      wave: 0,
      namespace: 'kube-system',
      syncOptions: [],
      yaml: 'kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: x\n',
    };
    expect(run('namespace-never-created', modelOf([system]))).toEqual([]);
    expect(run('namespace-never-created', modelOf(clean()))).toEqual([]);
  });

  it('only informs for an app whose manifests could not be rendered', () => {
    const emulated: AppSpec = {
      name: 'media',
      wave: 2,
      namespace: 'media',
      syncOptions: [],
      emulated: 'chart not in cache',
    };
    const findings = run('namespace-never-created', modelOf([emulated]));
    expect(findings.map((f) => f.severity)).toEqual(['info']);
  });
});

describe('not-automated', () => {
  it('warns for a child without an automated sync policy, at its Application', () => {
    const findings = run('not-automated', modelOf(replace(clean(), 'database', { automated: false })));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'warning', app: 'database', file: appFile('database'), line: 5 });
  });

  it('is silent when every child syncs automatically', () => {
    expect(run('not-automated', modelOf(clean()))).toEqual([]);
  });
});

describe('operator-crds-missing', () => {
  it('flags CloudNativePG installed with crds.create: false while an app uses Cluster', () => {
    const specs = replace(clean(), 'cloudnative-pg', {
      charts: [{ name: 'cloudnative-pg', values: 'crds:\n  create: false\n', valuesFile: 'apps/cnpg/values.yaml' }],
    });
    const findings = run('operator-crds-missing', modelOf(specs));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'error', app: 'cloudnative-pg', file: 'apps/cnpg/values.yaml' });
    expect(findings[0]!.message).toContain('database use Cluster.postgresql.cnpg.io');
    expect(findings[0]!.evidence).toBe(`${objectsFile('database')}: Cluster/pg-main`);
  });

  it('flags Kyverno installed with crds.install: false while policies exist', () => {
    const specs = replace(clean(), 'kyverno', {
      charts: [{ name: 'kyverno', values: `${KYVERNO_SAFE}crds:\n  install: false\n` }],
    });
    const findings = run('operator-crds-missing', modelOf(specs));
    expect(findings.map((f) => f.fix)).toEqual([
      "set crds.install: true in kyverno's values, or add an app in an earlier wave that installs the kyverno.io/policies.kyverno.io/reports.kyverno.io/wgpolicyk8s.io CRDs",
    ]);
  });

  it('accepts CRDs off when another app renders them', () => {
    const crds: AppSpec = {
      name: 'cloudnative-pg-crds',
      wave: -5,
      namespace: 'cnpg-system',
      yaml: `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: clusters.postgresql.cnpg.io
spec:
  group: postgresql.cnpg.io
  names:
    kind: Cluster
`,
    };
    const specs = replace(clean(), 'cloudnative-pg', {
      charts: [{ name: 'cloudnative-pg', values: 'crds:\n  create: false\n' }],
    });
    expect(run('operator-crds-missing', modelOf([crds, ...specs]))).toEqual([]);
    expect(run('operator-crds-missing', modelOf(clean()))).toEqual([]);
  });
});

describe('secret-never-created', () => {
  it('flags a secretKeyRef to a Secret nothing creates, at the object with the field as evidence', () => {
    const specs = replace(clean(), 'billing', billing({}, billingDeployment({ secret: 'billing-stripe' })));
    const findings = run('secret-never-created', modelOf(specs));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      severity: 'error',
      app: 'billing',
      file: objectsFile('billing'),
      line: undefined,
    });
    expect(findings[0]!.message).toContain('Secret billing-stripe');
    expect(findings[0]!.evidence).toContain(
      'spec.template.spec.containers[api].env[API_KEY].valueFrom.secretKeyRef: billing-stripe',
    );
  });

  it('knows what operators create: CNPG <n>-app (not <n>-superuser by default), ExternalSecret, SealedSecret, Certificate', () => {
    const made = `
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: billing-db
---
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata:
  name: stripe
spec:
  target:
    name: stripe-keys
---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: smtp
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: api
spec:
  secretName: api-tls
`;
    const pod = (secrets: string[]) => `
apiVersion: v1
kind: Pod
metadata:
  name: probe
  labels:
    vixens.io/sizing: micro
spec:
  containers:
    - name: c
      envFrom:
${secrets.map((s) => `        - secretRef:\n            name: ${s}\n`).join('')}`;
    const ok = billing({ yaml: `${made}---${pod(['billing-db-app', 'stripe-keys', 'smtp', 'api-tls'])}` });
    expect(run('secret-never-created', modelOf([ok]))).toEqual([]);
    const superuser = billing({ yaml: `${made}---${pod(['billing-db-superuser', 'stripe'])}` });
    expect(run('secret-never-created', modelOf([superuser])).map((f) => f.message.split(',')[0])).toEqual([
      'Pod/probe in billing needs Secret billing-db-superuser',
      'Pod/probe in billing needs Secret stripe',
    ]);
  });

  it('skips optional references and downgrades to info when an unrendered app shares the namespace', () => {
    const optional = replace(clean(), 'billing', billing({}, billingDeployment({ secret: 'x', optional: true })));
    expect(run('secret-never-created', modelOf(optional))).toEqual([]);
    const missing = replace(clean(), 'billing', billing({}, billingDeployment({ secret: 'x' })));
    const helm: AppSpec = { name: 'billing-extras', wave: 1, namespace: 'billing', emulated: 'chart not in cache' };
    expect(run('secret-never-created', modelOf([...missing, helm])).map((f) => f.severity)).toEqual(['info']);
    expect(run('secret-never-created', modelOf(clean()))).toEqual([]);
  });
});

describe('infisical-credentials-ref', () => {
  it('flags the old InfisicalSecret syntax without credentialsRef (seed 000)', () => {
    const old = INFISICAL_OK.replace(/ {6}credentialsRef:\n.*\n.*\n/, '');
    expect(old).not.toContain('credentialsRef');
    const findings = run('infisical-credentials-ref', modelOf(replace(clean(), 'billing', { yaml: old })));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'error', app: 'billing', file: objectsFile('billing') });
    expect(findings[0]!.message).toContain('InfisicalSecret/billing-api-keys');
    expect(findings[0]!.message).toContain('CreateContainerConfigError');
  });

  it('accepts credentialsRef, or another authentication method', () => {
    expect(run('infisical-credentials-ref', modelOf(clean()))).toEqual([]);
    const k8sAuth = `
apiVersion: secrets.infisical.com/v1alpha1
kind: InfisicalSecret
metadata:
  name: via-k8s
spec:
  authentication:
    kubernetesAuth:
      identityId: abc
`;
    expect(run('infisical-credentials-ref', modelOf([billing({ yaml: k8sAuth })]))).toEqual([]);
  });
});

describe('sizing-label-missing', () => {
  it("flags a workload without the label the team's policy sizes from, with the default profile", () => {
    const specs = replace(clean(), 'billing', billing({}, billingDeployment({ label: false })));
    const findings = run('sizing-label-missing', modelOf(specs));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'warning', app: 'billing', file: objectsFile('billing') });
    expect(findings[0]!.message).toContain('no pod label vixens.io/sizing');
    expect(findings[0]!.message).toContain("default profile 'micro'");
    expect(findings[0]!.fix).toContain('spec.template.metadata.labels');
  });

  it('reads the label from a match selector too', () => {
    const policy = `
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: size-small
spec:
  rules:
    - name: small
      match:
        any:
          - resources:
              kinds: [Pod]
              selector:
                matchLabels:
                  resources-size: small
      mutate:
        patchStrategicMerge:
          spec:
            containers:
              - (name): "*"
                resources:
                  limits:
                    memory: 256Mi
`;
    const specs = replace(clean(), 'kyverno-policies', { yaml: policy });
    const findings = run('sizing-label-missing', modelOf(specs));
    expect(findings.map((f) => f.message.split(':')[0])).toEqual([
      'Deployment/billing-api in billing has no pod label resources-size',
    ]);
  });

  it('is silent without a sizing policy, for labelled workloads and in excluded namespaces', () => {
    expect(run('sizing-label-missing', modelOf(clean()))).toEqual([]);
    const unlabelled = billing({}, billingDeployment({ label: false }));
    expect(run('sizing-label-missing', modelOf([unlabelled]))).toEqual([]);
    const system = { ...unlabelled, namespace: 'kube-system' };
    expect(run('sizing-label-missing', modelOf([...clean().slice(0, 4), system]))).toEqual([]);
  });
});

describe('unreachable-source', () => {
  it('informs about each app that could not be rendered', () => {
    const media: AppSpec = {
      name: 'media',
      wave: 2,
      namespace: 'media',
      emulated: 'chart jellyfin 2.1.0 not in the helm cache',
    };
    const findings = run('unreachable-source', modelOf([...clean(), media]));
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'info',
        app: 'media',
        file: appFile('media'),
        line: 5,
        message:
          'media not linted: chart jellyfin 2.1.0 not in the helm cache; rules that need its manifests were not applied',
      }),
    ]);
  });

  it('is silent when everything rendered', () => {
    expect(run('unreachable-source', modelOf(clean()))).toEqual([]);
  });
});
