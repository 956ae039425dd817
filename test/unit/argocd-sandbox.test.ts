import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { imageTag } from '../../collectors/argocd-version.ts';
import { CNPG_PHASE_HEALTH, cnpgClusterHealth, worstHealth } from '../../gitops/health.ts';
import { managingApp, trackedApp } from '../../gitops/argocd.ts';
import { appResyncFlags } from '../../sandbox/argocd/launch.ts';
import { rewriteText, urlVariants } from '../../sandbox/repo/mirror.ts';
import { argocdLdflags, argocdWrapperGoMod } from '../../sandbox/toolchain/argocd-wrapper.ts';
import { parseVersionOutput } from '../../sandbox/toolchain/probe.ts';
import { kwokStagesFor } from '../../sandbox/twin/kwok-stages.ts';
import { scaledWaveDelaySeconds } from '../../gitops/argocd.ts';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'argocd');

// The shape of Argo CD v3.2.11's go.mod tail (recorded), and of v3.3+'s local gitops-engine replace.
const argocd32 = `module github.com/argoproj/argo-cd/v3

go 1.25.5

require (
	github.com/argoproj/gitops-engine v0.7.1-0.20251217140045-5baed5604d2d
	k8s.io/api v0.34.0
)

replace (
	github.com/golang/protobuf => github.com/golang/protobuf v1.5.4
	golang.org/x/tools => golang.org/x/tools v0.35.0

	// Avoid CVE-2022-3064
	gopkg.in/yaml.v2 => gopkg.in/yaml.v2 v2.4.0

	k8s.io/api => k8s.io/api v0.34.0
)
`;
const argocd34 = `${argocd32}
replace github.com/argoproj/argo-cd/gitops-engine => ./gitops-engine
`;

describe('Argo CD from Go modules', () => {
  it('the wrapper requires the release and copies every versioned replace', () => {
    const mod = argocdWrapperGoMod(argocd32, 'v3.2.11', '1.25.5');
    expect(mod).toContain('module rebuildbench.local/argocd');
    expect(mod).toContain('\tgithub.com/argoproj/argo-cd/v3 v3.2.11');
    for (const line of [
      'github.com/golang/protobuf => github.com/golang/protobuf v1.5.4',
      'golang.org/x/tools => golang.org/x/tools v0.35.0',
      'gopkg.in/yaml.v2 => gopkg.in/yaml.v2 v2.4.0',
      'k8s.io/api => k8s.io/api v0.34.0',
    ])
      expect(mod).toContain(`\t${line}`);
  });

  it('refuses a release whose go.mod replaces a module with a directory of its own repository', () => {
    expect(() => argocdWrapperGoMod(argocd34, 'v3.4.13', '1.26.0')).toThrow(
      /gitops-engine => \.\/gitops-engine.*pick a release that uses published modules only/,
    );
  });

  it('stamps the version the binary reports, and probes it back', () => {
    expect(argocdLdflags('v3.2.11')).toContain('-X github.com/argoproj/argo-cd/v3/common.gitTag=v3.2.11');
    expect(parseVersionOutput('argocd', 'argocd v3.2.11\n')).toBe('v3.2.11');
    expect(parseVersionOutput('kustomize', 'v5.8.2\n')).toBe('v5.8.2');
    expect(parseVersionOutput('helm', 'v3.22.0+gabc123\n')).toBe('v3.22.0');
    expect(parseVersionOutput('argocd', 'unknown command "argocd"')).toBeUndefined();
  });
});

describe('the real Argo CD in the sandbox', () => {
  it("scales Argo CD's refresh period and wave delay like the twin's durations", () => {
    expect(appResyncFlags({ 'timeout.reconciliation': '180s' }, 1)).toEqual([
      '--app-resync',
      '180',
      '--app-resync-jitter',
      '60',
    ]);
    expect(appResyncFlags({ 'timeout.reconciliation': '3m' }, 0.25)).toEqual([
      '--app-resync',
      '45',
      '--app-resync-jitter',
      '15',
    ]);
    expect(appResyncFlags({}, 0.01)[1]).toBe('5');
    expect([scaledWaveDelaySeconds(1), scaledWaveDelaySeconds(0.25), scaledWaveDelaySeconds(0.1)]).toEqual([2, 1, 0]);
  });

  it('kwok leaves the pods controllers make to the twin kubelet, but still deletes them', () => {
    const stages = [
      'apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata: {name: pod-ready}\nspec: {resourceRef: {apiGroup: v1, kind: Pod}, selector: {matchExpressions: []}}',
      'apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata: {name: pod-delete}\nspec: {resourceRef: {apiGroup: v1, kind: Pod}, selector: {matchExpressions: []}}',
      'apiVersion: kwok.x-k8s.io/v1alpha1\nkind: Stage\nmetadata: {name: node-initialize}\nspec: {resourceRef: {apiGroup: v1, kind: Node}, selector: {}}',
    ].join('\n---\n');
    const keysOf = (yaml: string, name: string) =>
      (
        yaml.split('---\n').map((d) => parse(d)) as Array<{
          metadata: { name: string };
          spec: { selector: { matchExpressions?: Array<{ key: string }> } };
        }>
      )
        .find((d) => d.metadata.name === name)!
        .spec.selector.matchExpressions?.map((e) => e.key) ?? [];
    const twin = kwokStagesFor(stages, 'twin');
    expect(keysOf(twin, 'pod-ready')).toEqual(['.metadata.labels["rebuild-bench/twin"]', '.metadata.ownerReferences']);
    expect(keysOf(twin, 'pod-delete')).toEqual([]);
    expect(keysOf(twin, 'node-initialize')).toEqual([]);
    expect(keysOf(kwokStagesFor(stages, 'kwok'), 'pod-ready')).toEqual(['.metadata.labels["rebuild-bench/twin"]']);
  });

  it('rewrites every spelling of the repository URL, and only that repository', () => {
    expect(urlVariants('https://github.com/example/vixens.git')).toEqual([
      'https://github.com/example/vixens.git',
      'https://github.com/example/vixens/',
      'https://github.com/example/vixens',
    ]);
    const text = [
      'repoURL: https://github.com/example/vixens.git',
      'repoURL: https://github.com/example/vixens',
      "- repoURL: 'https://github.com/example/vixens/'",
      'repoURL: https://github.com/example/vixens-secrets.git',
      'repoURL: https://kyverno.github.io/kyverno/',
    ].join('\n');
    const r = rewriteText(text, [
      { from: 'https://github.com/example/vixens.git', to: 'file:///sb/repo.git' },
      { from: 'https://kyverno.github.io/kyverno/', to: 'http://127.0.0.1:9/' },
    ]);
    expect(r.changed).toBe(true);
    expect(r.text.split('\n')).toEqual([
      'repoURL: file:///sb/repo.git',
      'repoURL: file:///sb/repo.git',
      "- repoURL: 'file:///sb/repo.git'",
      'repoURL: https://github.com/example/vixens-secrets.git',
      'repoURL: http://127.0.0.1:9/',
    ]);
  });
});

describe("Argo CD's health rules, as v3.2.11 ships them", () => {
  it('the CloudNativePG Cluster table equals the built-in Lua check (recorded from the module)', () => {
    const lua = readFileSync(join(fixtures, 'cnpg-cluster-health.lua'), 'utf8');
    const fromLua = Object.fromEntries([...lua.matchAll(/\["([^"]+)"\] = "(\w+)"/g)].map((m) => [m[1], m[2]]));
    for (const [phase, status] of Object.entries(CNPG_PHASE_HEALTH)) expect(fromLua[phase], phase).toBe(status);
    expect(Object.keys(CNPG_PHASE_HEALTH).length).toBeGreaterThanOrEqual(Object.keys(fromLua).length - 3);
    const cond = (type: string, status: string) => ({
      status: { phase: 'Cluster in healthy state', conditions: [{ type, status }] },
    });
    expect(cnpgClusterHealth(cond('cnpg.io/hibernation', 'True'))).toBe('Suspended');
    expect(cnpgClusterHealth(cond('cnpg.io/hibernation', 'False'))).toBe('Degraded');
    expect(cnpgClusterHealth({ status: { phase: 'Some phase nobody knows', conditions: [] } })).toBe('Unknown');
  });

  it('Unknown is the worst health (gitops-engine healthOrder)', () => {
    expect(worstHealth(['Healthy', 'Degraded', 'Unknown'])).toBe('Unknown');
    expect(worstHealth(['Progressing', 'Missing'])).toBe('Missing');
  });

  it('finds the managing Application by annotation first, then the instance label', () => {
    const o = (annotations: Record<string, string>, labels: Record<string, string>) => ({
      metadata: { annotations, labels },
    });
    expect(
      managingApp(
        o(
          { 'argocd.argoproj.io/tracking-id': 'lab-app-of-apps:argoproj.io/Application:argocd/db' },
          { 'app.kubernetes.io/instance': 'x' },
        ),
      ),
    ).toBe('lab-app-of-apps');
    expect(managingApp(o({}, { 'app.kubernetes.io/instance': 'root' }))).toBe('root');
    expect(trackedApp('team-a_web:apps/Deployment:web/web')).toBe('web');
    expect([
      imageTag('quay.io/argoproj/argocd:v3.4.1'),
      imageTag('registry:5000/argocd'),
      imageTag('argocd:v3.4.1@sha256:ab'),
    ]).toEqual(['v3.4.1', undefined, 'v3.4.1']);
  });
});
