import { at, str } from '../../../core/fields.ts';
import { boolValue, operatorChart, valueAt } from '../../chart-facts.ts';
import type { Finding, Rule } from '../model.ts';
import { allObjects, appFinding, groupOf, ref } from './shared.ts';

const ID = 'operator-crds-missing';

export const operatorCrdsMissing: Rule = {
  id: ID,
  severity: 'error',
  summary: 'An operator chart is installed with its CRDs off, apps use its kinds, and no app installs the CRDs.',
  doc:
    'An operator chart installed with its CRDs switched off (CloudNativePG crds.create: false, Kyverno ' +
    'crds.install: false) expects another app to install them first. If none does, every app whose manifests use ' +
    'the operator\'s kinds (Cluster, ClusterPolicy...) fails its sync with "no matches for kind" on a fresh cluster, ' +
    'and the operator itself crash-loops waiting for its API. The CRDs must come from some app, in an earlier wave.',
  check(model) {
    const findings: Finding[] = [];
    const objects = allObjects(model);
    const crds = objects
      .filter(({ o }) => o.kind === 'CustomResourceDefinition')
      .map(({ o }) => ({ group: str(at(o, 'spec', 'group')), kind: str(at(o, 'spec', 'names', 'kind')) }));
    for (const app of model.apps)
      for (const chart of app.charts) {
        const facts = operatorChart(chart.name);
        if (!facts) continue;
        const on =
          boolValue(valueAt(chart.values, facts.crds.key)) ??
          (chart.chartValues && boolValue(valueAt(chart.chartValues, facts.crds.key))) ??
          facts.crds.default;
        if (on) continue;
        const uses = objects.filter(
          ({ o }) =>
            o.kind !== 'CustomResourceDefinition' &&
            facts.crdGroups.includes(groupOf(o)) &&
            !crds.some((c) => c.group === groupOf(o) && (c.kind === undefined || c.kind === o.kind)),
        );
        if (!uses.length) continue;
        const kinds = [...new Set(uses.map(({ o }) => `${o.kind ?? '?'}.${groupOf(o)}`))];
        const users = [...new Set(uses.map(({ app: a }) => a.name))];
        const shown = uses
          .slice(0, 3)
          .map(({ app: a, o }) => `${a.objectFiles.get(o) ?? a.name}: ${ref(o)}`)
          .join('; ');
        const finding = appFinding(
          ID,
          'error',
          app,
          `${chart.name} is installed with ${facts.crds.key}: false, but ${users.join(', ')} use ${kinds.join(', ')} ` +
            'and no app renders those CRDs: their syncs fail with "no matches for kind" on a fresh cluster',
          `set ${facts.crds.key}: true in ${app.name}'s values, or add an app in an earlier wave that installs the ${facts.crdGroups.join('/')} CRDs`,
          shown,
        );
        if (chart.valuesFile) findings.push({ ...finding, file: chart.valuesFile, line: undefined });
        else findings.push(finding);
      }
    return findings;
  },
};
