import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { arr, at, obj, str } from '../../core/fields.ts';
import type { K8sObject } from '../../gitops/dependencies.ts';
import type { LintApp, LintModel } from '../../gitops/lint/model.ts';
import { repoFiles } from './files.ts';
import { locateApplications, type AppLocation } from './locate.ts';
import type { RenderedRepository } from './repository.ts';
import { yamlObjects } from './tools.ts';

const stringMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(
    Object.entries(obj(v))
      .map(([k, x]) => [k, str(x)] as const)
      .filter((e): e is readonly [string, string] => e[1] !== undefined),
  );

const isArgocdCm = (o: K8sObject) => o.kind === 'ConfigMap' && o.metadata?.name === 'argocd-cm';

/** argocd-cm as the repository installs Argo CD: rendered by an app, an argo-cd chart's `configs.cm`, a file, or --argocd-cm. */
function findArgocdCm(r: RenderedRepository, argocdCmFile: string | undefined): LintModel['argocdCm'] {
  for (const a of r.apps) {
    const cm = a.rendering.objects.find(isArgocdCm);
    if (cm) return { file: a.rendering.objectFiles?.get(cm), data: stringMap(cm.data) };
    const chart = a.charts.find((c) => c.name === 'argo-cd');
    if (chart && at(chart.values, 'configs', 'cm') !== undefined)
      return { file: chart.valuesFile ?? `Application ${a.name}`, data: stringMap(at(chart.values, 'configs', 'cm')) };
  }
  // A file named argocd-cm.yaml before variants (argocd-cm-health.yaml), shallow paths first.
  const rank = (f: string) => [/(^|\/)argocd-cm\.ya?ml$/.test(f) ? 0 : 1, f.split('/').length] as const;
  const files = argocdCmFile
    ? [argocdCmFile]
    : repoFiles(r.source.dir, /\.ya?ml$/).sort(
        (a, b) => rank(a)[0] - rank(b)[0] || rank(a)[1] - rank(b)[1] || a.localeCompare(b),
      );
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    if (!text.includes('argocd-cm')) continue;
    try {
      const cm = yamlObjects(text, f).find((o) => isArgocdCm(o as K8sObject));
      if (cm) return { file: relative(r.source.dir, f), data: stringMap(cm.data) };
    } catch {
      /* not YAML we can read: not argocd-cm */
    }
  }
  return undefined;
}

/** What the lint rules read: each child Application where it is written, its rendered manifests and charts, the graph. */
export function lintModelOf(
  r: RenderedRepository,
  o: { argocdCm?: string | undefined } = {},
): { model: LintModel; locations: Map<string, AppLocation> } {
  const locations = locateApplications(r.source.dir, r.overlay);
  const apps: LintApp[] = r.apps.map((a) => {
    const loc = locations.get(a.name);
    const policy = obj(at(a.manifest, 'spec', 'syncPolicy'));
    return {
      name: a.name,
      wave: a.wave,
      namespace: a.namespace,
      file: loc?.file,
      line: loc?.line,
      manifest: a.manifest,
      objects: a.rendering.objects,
      objectFiles: a.rendering.objectFiles ?? new Map(),
      emulated: a.emulated,
      charts: a.charts,
      syncOptions: arr(policy.syncOptions)
        .map(str)
        .filter((x): x is string => x !== undefined),
      automated: policy.automated !== undefined && policy.automated !== null,
    };
  });
  return {
    model: { repoDir: r.source.dir, overlay: r.overlay, apps, edges: r.edges, argocdCm: findArgocdCm(r, o.argocdCm) },
    locations,
  };
}
