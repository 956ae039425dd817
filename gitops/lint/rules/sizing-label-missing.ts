import { arr, obj, str } from '../../../core/fields.ts';
import { KYVERNO_NAMESPACE } from '../../kyverno.ts';
import type { K8sObject } from '../../dependencies.ts';
import type { Finding, Rule } from '../model.ts';
import { allObjects, groupOf, namespaceOf, objectFinding, podTemplate, ref, strings } from './shared.ts';

const ID = 'sizing-label-missing';

/** A mutate rule that sets container resources from a pod label. */
export interface SizingRule {
  policy: string;
  rule: string;
  label: string;
  /** The profile applied when the label is absent (`|| 'micro'`), when the policy says. */
  fallback: string | undefined;
  kinds: string[];
  namespaces: string[];
  excludeNamespaces: string[];
  policyObject: K8sObject;
  /** What the mutation sets (`limits.memory 128Mi`), when it writes literal resources. */
  sets: string | undefined;
}

/** The literal resources a mutation writes, as `limits.memory 128Mi, requests.cpu 50m`. */
function resourcesSet(mutate: unknown): string | undefined {
  const found: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k !== 'resources') walk(x);
      else
        for (const [kind, q] of Object.entries(obj(x)))
          for (const [res, val] of Object.entries(obj(q))) {
            const text = str(val);
            if (text && !text.includes('{{')) found.push(`${kind}.${res} ${text}`);
          }
    }
  };
  walk(mutate);
  return found.length ? [...new Set(found)].join(', ') : undefined;
}

/** Every string leaf of a value. */
function texts(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(texts);
  if (v !== null && typeof v === 'object') return Object.values(v).flatMap(texts);
  return [];
}

/** `metadata.labels."k"`, `metadata.labels.k`, `metadata.labels['k']` in a JMESPath/Kyverno variable. */
const LABEL_REF =
  /metadata\.labels\s*(?:\.\s*"([^"]+)"|\.\s*'([^']+)'|\[\s*'([^']+)'\s*\]|\[\s*"([^"]+)"\s*\]|\.([A-Za-z0-9_-]+))(\s*\|\|\s*'([^']*)')?/g;

function resourceFilters(block: unknown): Record<string, unknown>[] {
  const b = obj(block);
  return [...arr(b.any), ...arr(b.all)].map((x) => obj(obj(x).resources)).concat(b.resources ? [obj(b.resources)] : []);
}

/** The sizing rules of the repository's Kyverno policies. */
export function sizingRules(objects: K8sObject[]): SizingRule[] {
  const out: SizingRule[] = [];
  for (const p of objects) {
    if ((p.kind !== 'ClusterPolicy' && p.kind !== 'Policy') || groupOf(p) !== 'kyverno.io') continue;
    for (const r of arr(obj(p.spec).rules).map(obj)) {
      const mutate = r.mutate;
      if (mutate === undefined || !JSON.stringify(mutate).includes('"resources"')) continue;
      const match = resourceFilters(r.match);
      const labels = new Map<string, string | undefined>();
      for (const m of match) {
        const sel = obj(m.selector);
        for (const k of Object.keys(obj(sel.matchLabels))) labels.set(k, undefined);
        for (const e of arr(sel.matchExpressions)) {
          const k = str(obj(e).key);
          if (k) labels.set(k, undefined);
        }
      }
      for (const t of texts({ preconditions: r.preconditions, context: r.context, mutate }))
        for (const m of t.matchAll(LABEL_REF)) {
          const key = m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5];
          if (key && (!labels.has(key) || labels.get(key) === undefined)) labels.set(key, m[7]);
        }
      const kinds = match.flatMap((m) => strings(m.kinds));
      for (const [label, fallback] of labels)
        out.push({
          policy: p.metadata?.name ?? '?',
          rule: str(r.name) ?? '?',
          label,
          fallback,
          kinds,
          namespaces: match.flatMap((m) => strings(m.namespaces)),
          excludeNamespaces: resourceFilters(r.exclude).flatMap((m) => strings(m.namespaces)),
          policyObject: p,
          sets: resourcesSet(mutate),
        });
    }
  }
  return out;
}

const glob = (pattern: string, s: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(s);

/** Whether a sizing rule applies to a workload (kinds: Pod autogenerates to controllers; namespaces include/exclude). */
function applies(r: SizingRule, o: K8sObject, ns: string): boolean {
  const kinds = r.kinds.map((k) => k.split('/').pop()!);
  if (kinds.length && !kinds.some((k) => k === '*' || k === 'Pod' || k === o.kind)) return false;
  if (r.namespaces.length && !r.namespaces.some((n) => glob(n, ns))) return false;
  return !r.excludeNamespaces.some((n) => glob(n, ns));
}

export const sizingLabelMissing: Rule = {
  id: ID,
  severity: 'warning',
  summary: "A workload lacks the label the repository's Kyverno policy sizes containers from.",
  doc:
    "The team's Kyverno mutate policy sets container requests and limits from a pod label (vixens.io/sizing), and " +
    'applies a default profile (micro, 128 Mi) to pods without it. In the February 2026 incident Home Assistant had ' +
    'no sizing label, got 128 Mi, was OOMKilled in a loop and the load that followed saturated a node and Kyverno ' +
    'with it. Every workload template the policy matches should carry the label explicitly in Git.',
  check(model) {
    const objects = allObjects(model);
    const rulesFound = sizingRules(objects.map(({ o }) => o));
    if (!rulesFound.length) return [];
    const findings: Finding[] = [];
    for (const { app, o } of objects) {
      const t = podTemplate(o);
      if (!t) continue;
      const ns = namespaceOf(o, app);
      if (ns === 'kube-system' || ns === KYVERNO_NAMESPACE) continue;
      const done = new Set<string>();
      for (const r of rulesFound) {
        if (done.has(r.label) || r.label in t.labels || !applies(r, o, ns)) continue;
        done.add(r.label);
        const profile = r.fallback
          ? `, so it gets the default profile '${r.fallback}'${r.sets ? ` (${r.sets})` : ''}`
          : r.sets
            ? `, and without it sets ${r.sets}`
            : '';
        findings.push(
          objectFinding(
            ID,
            'warning',
            app,
            o,
            `${ref(o)} in ${ns} has no pod label ${r.label}: Kyverno ${r.policyObject.kind ?? 'policy'} ${r.policy} ` +
              `(rule ${r.rule}) sets its containers' resources from that label${profile}`,
            `add the label ${r.label} to ${ref(o)}'s pod template (${t.path === 'spec' ? 'metadata.labels' : t.path.replace(/\.spec$/, '.metadata.labels')})`,
            `${r.policy}/${r.rule} reads ${r.label}`,
          ),
        );
      }
    }
    return findings;
  },
};
