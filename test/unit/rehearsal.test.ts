import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../core/errors.ts';
import { findChart } from '../../sandbox/rehearsal/charts.ts';
import { fillTemplate, findRootFor, parseSets, rehearsalRoot, templateVars } from '../../sandbox/rehearsal/root.ts';
import { podTroubles } from '../../sandbox/rehearsal/settle.ts';
import { urlSpellings } from '../../sandbox/rehearsal/source.ts';
import { placeholderManifests } from '../../sandbox/rehearsal/placeholder.ts';
import { platformFiles, writeTree } from '../fixtures/platform-repo.ts';

describe('rehearsal: the root', () => {
  it('fills a Terraform template from --set, keeps $${ literal, and names every missing variable', () => {
    expect(templateVars('a: ${x}\nb: ${ y }\nc: $${z}')).toEqual(['x', 'y']);
    expect(fillTemplate('name: ${x}-apps\nlit: $${keep}', { x: 'lab' }, 'f')).toBe('name: lab-apps\nlit: ${keep}');
    expect(() => fillTemplate('${a} ${b}', { a: '1' }, '--root r.tftpl')).toThrow(/give --set b=… \(it uses a, b\)/);
    expect(parseSets(['a=b=c', 'x='])).toEqual({ a: 'b=c', x: '' });
    expect(() => parseSets(['novalue'])).toThrow(BadInputError);
  });

  it("finds the repository's root manifest that points at the overlay, by name once its template is filled", () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-root-'));
    writeTree(dir, platformFiles);
    const filled = findRootFor(dir, 'argocd/overlays/dev/', { cluster_name: 'lab', repo_url: 'u', revision: 'main' });
    expect(filled).toMatchObject({ file: 'clusters/dev/root.yaml.tftpl', name: 'lab-app-of-apps' });
    expect(filled?.manifest).toBeDefined();
    // Without the variables the manifest is found but its name is not a name yet.
    expect(findRootFor(dir, 'argocd/overlays/dev', {})).toMatchObject({ name: undefined, manifest: undefined });
    expect(findRootFor(dir, 'argocd/overlays/prod', {})).toBeUndefined();
  });

  it('points the root at the rendered Applications and keeps its name, sync policy and the overlay it stands for', () => {
    const root = rehearsalRoot({
      manifest: {
        kind: 'Application',
        metadata: { name: 'lab-app-of-apps', namespace: 'ops' },
        spec: { sources: [{ repoURL: 'x' }], syncPolicy: { automated: {} } },
      },
      name: undefined,
      repoURL: 'https://git.example.invalid/r.git',
      appsPath: '.rebuild-bench/apps',
      overlay: 'argocd/overlays/dev',
    });
    expect(root).toMatchObject({
      metadata: {
        name: 'lab-app-of-apps',
        namespace: 'argocd',
        annotations: { 'rebuild-bench.io/rehearses': 'argocd/overlays/dev' },
      },
      spec: {
        source: { repoURL: 'https://git.example.invalid/r.git', path: '.rebuild-bench/apps' },
        syncPolicy: { automated: {} },
      },
    });
    expect((root.spec as Record<string, unknown>).sources).toBeUndefined();
  });
});

describe('rehearsal: sources', () => {
  it('finds a chart by exact version or constraint, and says what --charts has when it does not match', () => {
    const catalog = [
      { name: 'mailer', version: '1.2.0', path: '/c/mailer' },
      { name: 'mailer', version: '1.3.0', path: '/c/mailer-1.3.0.tgz' },
    ];
    expect(findChart(catalog, 'mailer', '1.2.0')).toEqual({ chart: catalog[0] });
    expect(findChart(catalog, 'mailer', 'v1.2.0')).toEqual({ chart: catalog[0] });
    expect(findChart(catalog, 'mailer', '1.*')).toEqual({ chart: catalog[1] });
    expect(findChart(catalog, 'mailer', '2.0.0')).toEqual({
      reason: 'chart mailer 2.0.0 is not in --charts (it has 1.2.0, 1.3.0)',
    });
    expect(findChart(catalog, 'loki', '6.0.0')).toEqual({ reason: 'chart loki 6.0.0 is not in --charts' });
  });

  it('knows both spellings of a repository URL', () => {
    expect(urlSpellings('git@github.com:team/gitops.git')).toContain('https://github.com/team/gitops.git');
    expect(urlSpellings('https://github.com/team/gitops.git')).toContain('git@github.com:team/gitops.git');
  });

  it('a placeholder serves the names consumers use and brings the CNPG CRD for a CNPG operator chart', () => {
    const m = placeholderManifests({
      release: 'cnpg',
      namespace: 'cnpg-system',
      chart: 'cloudnative-pg',
      services: ['cnpg-webhook'],
    });
    expect(m.map((o) => `${String(o.kind)}/${(o.metadata as { name: string }).name}`)).toEqual([
      'CustomResourceDefinition/clusters.postgresql.cnpg.io',
      'Deployment/cnpg',
      'Service/cnpg',
      'Service/cnpg-webhook',
    ]);
    expect(placeholderManifests({ release: 'loki', namespace: 'logs', chart: 'loki', services: [] })).toHaveLength(2);
  });
});

describe('rehearsal: what it reports of pods', () => {
  const rs = {
    kind: 'ReplicaSet',
    metadata: {
      name: 'billing-7d9',
      namespace: 'payments',
      ownerReferences: [{ kind: 'Deployment', name: 'billing' }],
    },
  };
  const deploy = {
    kind: 'Deployment',
    metadata: {
      name: 'billing',
      namespace: 'payments',
      annotations: { 'argocd.argoproj.io/tracking-id': 'billing:apps/Deployment:payments/billing' },
    },
  };
  it('names the Application through the owner chain, the restarts and why (last exit or waiting message)', () => {
    const pods = [
      {
        metadata: {
          name: 'billing-7d9-x',
          namespace: 'payments',
          ownerReferences: [{ kind: 'ReplicaSet', name: 'billing-7d9' }],
        },
        status: {
          containerStatuses: [
            {
              restartCount: 3,
              state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } },
              lastState: { terminated: { message: 'cannot reach data/pg-main-rw' } },
            },
          ],
        },
      },
      {
        metadata: { name: 'notifier-1', namespace: 'comms', labels: { 'app.kubernetes.io/instance': 'notifier' } },
        status: {
          containerStatuses: [
            {
              restartCount: 0,
              state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "s" not found' } },
            },
          ],
        },
      },
      { metadata: { name: 'fine' }, status: { containerStatuses: [{ restartCount: 0, state: { running: {} } }] } },
    ];
    expect(podTroubles(pods, [rs, deploy])).toEqual([
      {
        app: 'billing',
        pod: 'billing-7d9-x',
        namespace: 'payments',
        restarts: 3,
        reason: 'CrashLoopBackOff',
        message: 'cannot reach data/pg-main-rw',
      },
      {
        app: 'notifier',
        pod: 'notifier-1',
        namespace: 'comms',
        restarts: 0,
        reason: 'CreateContainerConfigError',
        message: 'secret "s" not found',
      },
    ]);
  });
});
