import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration, readAppsDir } from '../../gitops/applications.ts';
import { applicationPath, trackedApp } from '../../gitops/argocd.ts';
import { cnpgClusterPath, isFenced, isHibernated } from '../../gitops/cnpg.ts';
import { waveLine } from '../../gitops/waves.ts';

const app = (name: string, extra = '') => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
  namespace: argocd
${extra}spec:
  project: default
  source:
    repoURL: https://git.example/repo.git
    path: apps/${name}
  destination:
    server: https://kubernetes.default.svc
    namespace: ${name}
  syncPolicy:
    automated: {}
`;

function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rb-gitops-'));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

describe('reading a GitOps directory', () => {
  it('reads waves (with trailing comments), defaults to wave 0, skips other kinds', () => {
    const dir = repo({
      'a.yaml': app('a', '  annotations:\n    argocd.argoproj.io/sync-wave: "-2"  # early\n'),
      'sub/b.yml': `${app('b')}---\napiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: { name: p }\n`,
      'notes.txt': 'ignored',
    });
    const apps = readAppsDir(dir);
    expect(apps.map((a) => [a.name, a.wave, a.destinationNamespace, a.automated])).toEqual([
      ['a', -2, 'a', true],
      ['b', 0, 'b', true],
    ]);
  });

  it('reads only what kustomization.yaml lists, and multi-source apps with retry', () => {
    const multi = app('m')
      .replace(
        / {2}source:\n {4}repoURL: \S+\n {4}path: \S+\n/,
        '  sources:\n    - repoURL: https://charts.example\n      chart: m\n      targetRevision: 1.2.3\n    - repoURL: https://git.example/repo.git\n      ref: values\n',
      )
      .replace(
        '    automated: {}\n',
        '    automated: {}\n    retry:\n      limit: 3\n      backoff: { duration: 10s, factor: 3, maxDuration: 2m }\n',
      );
    const dir = repo({ 'kustomization.yaml': 'resources:\n  - m.yaml\n', 'm.yaml': multi, 'unlisted.yaml': app('u') });
    const [m, ...rest] = readAppsDir(dir);
    expect(rest).toEqual([]);
    expect(m!.sources).toEqual([
      { repoURL: 'https://charts.example', chart: 'm', targetRevision: '1.2.3' },
      { repoURL: 'https://git.example/repo.git', ref: 'values' },
    ]);
    expect(m!.retry).toEqual({ limit: 3, durationMs: 10_000, factor: 3, maxDurationMs: 120_000 });
  });

  it('names the file and field of a malformed Application', () => {
    const bad = repo({ 'x.yaml': app('x', '  annotations:\n    argocd.argoproj.io/sync-wave: "soon"\n') });
    expect(() => readAppsDir(bad)).toThrow(
      /x\.yaml: Application x: metadata\.annotations\["argocd\.argoproj\.io\/sync-wave"\]: expected an integer, got "soon"/,
    );
    const noSource = repo({ 'y.yaml': app('y').replace(/ {2}source:\n( {4}.*\n){2}/, '') });
    expect(() => readAppsDir(noSource)).toThrow(
      /y\.yaml: Application y: spec\.source: expected spec\.source or spec\.sources/,
    );
    const missing = repo({ 'kustomization.yaml': 'resources:\n  - gone.yaml\n' });
    expect(() => readAppsDir(missing)).toThrow(/kustomization\.yaml: resources: gone\.yaml does not exist/);
    const dup = repo({ 'a.yaml': app('a'), 'b.yaml': app('a') });
    expect(() => readAppsDir(dup)).toThrow(/also defined in/);
  });

  it('parses Argo CD durations', () => {
    expect([
      parseDuration('5s', 'f', 'd'),
      parseDuration('3m', 'f', 'd'),
      parseDuration('1m30s', 'f', 'd'),
      parseDuration(7, 'f', 'd'),
    ]).toEqual([5000, 180_000, 90_000, 7000]);
    expect(() => parseDuration('soon', 'f.yaml', 'spec.x')).toThrow('f.yaml: spec.x: expected a duration');
  });

  it('reads the homelab fixture: the kustomization leaves legacy-wiki out', () => {
    const apps = readAppsDir(join(import.meta.dirname, '..', '..', 'examples', 'homelab', 'apps'));
    expect(apps).toHaveLength(64);
    expect(apps.some((a) => a.name === 'legacy-wiki')).toBe(false);
  });
});

describe('gitops/: what is true of Argo CD and CloudNativePG', () => {
  it('names an Application from its tracking id, and builds API paths', () => {
    expect([
      trackedApp('linkwarden:apps/Deployment:tools/linkwarden'),
      trackedApp('tools_linkwarden:apps/Deployment:tools/x'),
      trackedApp(undefined),
    ]).toEqual(['linkwarden', 'linkwarden', undefined]); // `<app-namespace>_<app>` for apps in any namespace
    expect(applicationPath('argocd')).toBe('/apis/argoproj.io/v1alpha1/namespaces/argocd/applications');
    expect(applicationPath('argocd', 'root')).toBe('/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/root');
    expect(cnpgClusterPath('databases', 'pg')).toBe('/apis/postgresql.cnpg.io/v1/namespaces/databases/clusters/pg');
  });

  it('reads CNPG fencing and hibernation annotations', () => {
    const c = (annotations: Record<string, string>) => ({ metadata: { annotations } });
    expect(isFenced(c({ 'cnpg.io/fencedInstances': '["*"]' }), 'pg-1')).toBe(true);
    expect(isFenced(c({ 'cnpg.io/fencedInstances': '["pg-2"]' }), 'pg-1')).toBe(false);
    expect(isFenced(c({ 'cnpg.io/fencedInstances': '["pg-2"]' }), undefined)).toBe(true);
    expect(isFenced(c({ 'cnpg.io/fencedInstances': 'not json' }), 'pg-1')).toBe(false);
    expect([
      isHibernated(c({ 'cnpg.io/hibernation': 'on' })),
      isHibernated(c({ 'cnpg.io/hibernation': 'off' })),
      isHibernated({}),
    ]).toEqual([true, false, false]);
  });

  it('summarises healthy/total per wave', () => {
    expect(
      waveLine([
        { wave: 10, ok: true },
        { wave: -5, ok: true },
        { wave: 10, ok: false },
        { wave: 0, ok: false },
      ]),
    ).toBe('-5:1/1 0:0/1 10:1/2');
  });
});
