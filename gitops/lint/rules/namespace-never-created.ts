import type { Finding, LintApp, Rule } from '../model.ts';
import { appFinding, isNamespaced, namespaceOf } from './shared.ts';

const ID = 'namespace-never-created';
/** Namespaces every cluster has. */
const BUILT_IN = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

const createsNamespace = (app: LintApp) =>
  app.syncOptions.some((o) => o.replace(/\s+/g, '').toLowerCase() === 'createnamespace=true');

export const namespaceNeverCreated: Rule = {
  id: ID,
  severity: 'error',
  summary: 'An app deploys into a namespace that neither it nor an app of an earlier wave creates.',
  doc:
    "Argo CD creates an Application's destination namespace only with the sync option CreateNamespace=true; it is " +
    'false by default. On a fresh cluster an app whose namespace is made by nobody (or by an app of the same or a ' +
    'later wave) fails its sync with "namespaces not found" and, without retry, stays failed: the dev runbook\'s ' +
    '"create missing namespaces" manual step after each rebuild.',
  check(model) {
    const makers = new Map<string, LintApp[]>();
    for (const a of model.apps)
      for (const o of a.objects) {
        const name = o.kind === 'Namespace' && o.apiVersion === 'v1' ? o.metadata?.name : undefined;
        if (name) makers.set(name, [...(makers.get(name) ?? []), a]);
      }
    const findings: Finding[] = [];
    for (const app of model.apps) {
      const ns = app.namespace;
      if (!ns || BUILT_IN.has(ns) || createsNamespace(app)) continue;
      const deploys = app.objects.some((o) => isNamespaced(o) && namespaceOf(o, app) === ns);
      if (!deploys && app.emulated === undefined) continue;
      const by = makers.get(ns) ?? [];
      if (by.some((m) => m === app || m.wave < app.wave)) continue;
      const late = by.map((m) => `${m.name} (wave ${m.wave})`).join(', ');
      const why = late
        ? `namespace ${ns} is created only by ${late}, not in an earlier wave than ${app.name} (wave ${app.wave})`
        : `no app creates namespace ${ns}`;
      const fix = late
        ? `add CreateNamespace=true to ${app.name}'s syncOptions, or move ${app.name} to wave ${Math.max(...by.map((m) => m.wave)) + 1} or later`
        : `add CreateNamespace=true to ${app.name}'s syncOptions (or a Namespace ${ns} to an app of an earlier wave)`;
      if (deploys)
        findings.push(
          appFinding(
            ID,
            'error',
            app,
            `${app.name} deploys into ${ns} without CreateNamespace=true (Argo CD's default is false) and ${why}: its sync fails on a fresh cluster`,
            fix,
          ),
        );
      else
        findings.push(
          appFinding(
            ID,
            'info',
            app,
            `${app.name} targets ${ns} without CreateNamespace=true and ${why}; its manifests could not be rendered, so whether it deploys there was not checked`,
            fix,
          ),
        );
    }
    return findings;
  },
};
