import { arr, obj, str } from '../../../core/fields.ts';
import { KYVERNO_CHART, boolValue, valueAt } from '../../chart-facts.ts';
import type { K8sObject } from '../../dependencies.ts';
import type { Finding, LintApp, Rule } from '../model.ts';
import { appFinding, objectFinding, ref } from './shared.ts';

const ID = 'fail-closed-admission';
type Chart = LintApp['charts'][number];

/** Kyverno's effective webhook settings and where they were read. */
interface Effective {
  failurePolicy: 'Fail' | 'Ignore';
  timeoutSeconds: number;
  replicas: number | undefined;
  evidence: string;
  /** The object the settings were read from, when rendered. */
  from?: K8sObject;
}

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};

/** From rendered webhook configurations of Kyverno (admissionregistration/v1 defaults: Fail, 10 s). */
function fromWebhookConfigs(configs: K8sObject[]): Effective | undefined {
  const hooks = configs.flatMap((c) => arr(c.webhooks).map((w) => ({ c, w: obj(w) })));
  if (!hooks.length) return undefined;
  const failing = hooks.find(({ w }) => (str(w.failurePolicy) ?? 'Fail') === 'Fail');
  const timeouts = hooks.map(({ w }) => num(w.timeoutSeconds) ?? 10);
  const shown = failing ?? hooks[0]!;
  return {
    failurePolicy: failing ? 'Fail' : 'Ignore',
    timeoutSeconds: Math.max(...timeouts),
    replicas: undefined,
    evidence: `${ref(shown.c)} webhooks[${str(shown.w.name) ?? '?'}].failurePolicy: ${str(shown.w.failurePolicy) ?? 'unset (Fail)'}`,
    from: shown.c,
  };
}

/** From the rendered admission controller Deployment's flags. */
function fromDeployment(d: K8sObject): Effective {
  const containers = arr(obj(obj(obj(d.spec).template).spec).containers).map(obj);
  const c = containers.find((x) => str(x.name) === 'kyverno') ?? containers[0] ?? {};
  const args = arr(c.args).flatMap((a) => (str(a) === undefined ? [] : [str(a)!]));
  const flag = (name: string) => {
    const a = args.find((x) => x === name || x.startsWith(`${name}=`));
    return a === undefined ? undefined : a === name ? 'true' : a.slice(name.length + 1);
  };
  const ignore = boolValue(flag(KYVERNO_CHART.forceIgnoreFlag)) ?? KYVERNO_CHART.forceFailurePolicyIgnoreDefault;
  const timeout = num(flag(KYVERNO_CHART.timeoutFlag));
  return {
    failurePolicy: ignore ? 'Ignore' : 'Fail',
    timeoutSeconds: timeout ?? KYVERNO_CHART.webhookTimeout.default,
    replicas: num(obj(d.spec).replicas) ?? 1,
    evidence: `${ref(d)} args: ${KYVERNO_CHART.forceIgnoreFlag}${flag(KYVERNO_CHART.forceIgnoreFlag) === undefined ? ' absent (default false)' : `=${flag(KYVERNO_CHART.forceIgnoreFlag)!}`}`,
    from: d,
  };
}

/** From the values the Application gives the chart, the chart's values.yaml when known, then the chart facts. */
function fromValues(chart: Chart): Effective {
  const given = (key: string) => valueAt(chart.values, key) ?? (chart.chartValues && valueAt(chart.chartValues, key));
  const key = KYVERNO_CHART.forceFailurePolicyIgnore.find((k) => boolValue(given(k)) !== undefined);
  const ignore = key === undefined ? KYVERNO_CHART.forceFailurePolicyIgnoreDefault : boolValue(given(key))!;
  const timeout = num(given(KYVERNO_CHART.webhookTimeout.key)) ?? KYVERNO_CHART.webhookTimeout.default;
  const replicas = num(given(KYVERNO_CHART.replicas.key)) ?? KYVERNO_CHART.replicas.default;
  const shownKey = key ?? KYVERNO_CHART.forceFailurePolicyIgnore[1]!;
  return {
    failurePolicy: ignore ? 'Ignore' : 'Fail',
    timeoutSeconds: timeout,
    replicas,
    evidence:
      key === undefined
        ? `values: ${shownKey} not set (chart default ${String(KYVERNO_CHART.forceFailurePolicyIgnoreDefault)})`
        : `values: ${shownKey}: ${String(given(key))}`,
  };
}

/** Where an unknown key should go instead, when we can tell. */
function betterKey(path: string): string | undefined {
  const top = path.split('.')[0]!;
  if (KYVERNO_CHART.movedInV3[top] && path === top) return KYVERNO_CHART.movedInV3[top];
  if (/forceFailurePolicyIgnore/i.test(path)) return 'features.forceFailurePolicyIgnore.enabled';
  if (/timeout/i.test(path)) return KYVERNO_CHART.webhookTimeout.key;
  if (/replica/i.test(path)) return KYVERNO_CHART.replicas.key;
  return KYVERNO_CHART.movedInV3[top];
}

const underFreeForm = (path: string) => KYVERNO_CHART.freeForm.some((f) => path === f || path.startsWith(`${f}.`));

/** Value keys given to the chart that the chart does not have. */
function unknownKeys(chart: Chart): string[] {
  const out: string[] = [];
  if (chart.chartValues) {
    const walk = (given: Record<string, unknown>, defaults: Record<string, unknown>, prefix: string) => {
      for (const [k, v] of Object.entries(given)) {
        const path = prefix ? `${prefix}.${k}` : k;
        if (underFreeForm(path)) continue;
        if (!(k in defaults)) {
          if (Object.keys(defaults).length) out.push(path);
          continue;
        }
        const d = defaults[k];
        if (isPlain(v) && isPlain(d) && Object.keys(d).length) walk(v, d, path);
      }
    };
    walk(chart.values, chart.chartValues, '');
    return out;
  }
  for (const [k, v] of Object.entries(chart.values)) {
    if (!KYVERNO_CHART.topLevelKeys.includes(k)) {
      out.push(k);
      continue;
    }
    const known = KYVERNO_CHART.sectionKeys[k];
    if (known && isPlain(v)) for (const sub of Object.keys(v)) if (!known.includes(sub)) out.push(`${k}.${sub}`);
  }
  return out;
}

const isKyvernoWebhookConfig = (o: K8sObject) =>
  (o.kind === 'ValidatingWebhookConfiguration' || o.kind === 'MutatingWebhookConfiguration') &&
  (o.metadata?.name ?? '').startsWith('kyverno');

export const failClosedAdmission: Rule = {
  id: ID,
  severity: 'error',
  summary: "Kyverno's admission webhooks will be failurePolicy Fail (and chart values that do nothing).",
  doc:
    'Kyverno registers mutating and validating webhooks for pods and most resources, with failurePolicy Fail and a ' +
    '10 s timeout by default. When Kyverno is down every matching create is rejected; when it is slow (one node at ' +
    "99 % CPU) each request waits for the timeout, then fails. In the team's incident (seed 004) no pod could be " +
    'created anywhere, Argo CD and DNS included, until someone deleted the webhook configurations by hand; a rebuild ' +
    'hits the same wall whenever Kyverno comes up after the apps. The chart switch ' +
    'features.forceFailurePolicyIgnore.enabled makes the webhooks Ignore (requests admitted unmutated). A values key ' +
    'the chart does not have is silently ignored by Helm, so a fix written under the wrong key does nothing.',
  check(model) {
    const findings: Finding[] = [];
    for (const app of model.apps) {
      const charts = app.charts.filter((c) => KYVERNO_CHART.names.includes(c.name));
      const deployment = app.objects.find(
        (o) => o.kind === 'Deployment' && o.metadata?.name === KYVERNO_CHART.admissionDeployment,
      );
      const hooks = app.objects.filter(isKyvernoWebhookConfig);
      if (!charts.length && !deployment && !hooks.length) continue;

      for (const chart of charts)
        for (const path of unknownKeys(chart)) {
          const better = betterKey(path);
          const where = `chart ${chart.name}${chart.version ? ` ${chart.version}` : ''}`;
          findings.push({
            rule: ID,
            severity: 'warning',
            app: app.name,
            file: chart.valuesFile ?? app.file,
            line: chart.valuesFile === undefined ? app.line : undefined,
            message: `values key ${path} given to ${where} does nothing: the chart has no such key (a key that does nothing)`,
            fix: better ? `remove ${path}; set ${better} instead` : `remove ${path} (check the chart's values.yaml)`,
            evidence: `${chart.valuesFile ?? app.file ?? app.name}: ${path}`,
          });
        }

      const chart = charts[0];
      const eff =
        fromWebhookConfigs(hooks) ??
        (deployment ? fromDeployment(deployment) : undefined) ??
        (chart ? fromValues(chart) : undefined);
      if (!eff || eff.failurePolicy !== 'Fail') continue;
      const replicas =
        eff.replicas ?? (deployment ? (num(obj(deployment.spec).replicas) ?? 1) : chart && fromValues(chart).replicas);
      const what = chart ? `chart ${chart.name}${chart.version ? ` ${chart.version}` : ''}` : 'rendered manifests';
      const message =
        `Kyverno (${what}) registers its admission webhooks with failurePolicy Fail, timeout ${eff.timeoutSeconds}s, ` +
        `${replicas === undefined ? 'an unknown number of' : String(replicas)} admission controller replica${replicas === 1 ? '' : 's'}: ` +
        `when Kyverno is down or slow (one CPU-saturated node), every matching create waits ${eff.timeoutSeconds}s then is rejected, ` +
        'and no pod can be created anywhere, Argo CD and DNS included (incident of seed 004)';
      const fix = chart
        ? 'set features.forceFailurePolicyIgnore.enabled: true in the kyverno chart values'
        : `pass ${KYVERNO_CHART.forceIgnoreFlag}=true to the ${KYVERNO_CHART.admissionDeployment} container`;
      if (eff.from) findings.push(objectFinding(ID, 'error', app, eff.from, message, fix, eff.evidence));
      else if (chart?.valuesFile)
        findings.push({
          rule: ID,
          severity: 'error',
          app: app.name,
          file: chart.valuesFile,
          line: undefined,
          message,
          fix,
          evidence: eff.evidence,
        });
      else findings.push(appFinding(ID, 'error', app, message, fix, eff.evidence));
    }
    return findings;
  },
};
