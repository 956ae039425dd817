import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadProfile } from '../../sandbox/twin/profile.ts';

const dir = fileURLToPath(new URL('../../examples/homelab/', import.meta.url));
const appsDir = join(dir, 'apps');
const waveKey = 'argocd.argoproj.io/sync-wave';

interface App {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec: {
    project: string;
    source?: { repoURL: string; path?: string; chart?: string };
    sources?: { repoURL: string; chart?: string; ref?: string; helm?: { valueFiles?: string[] } }[];
    destination: { server: string; namespace: string };
    syncPolicy?: { automated?: { prune?: boolean; selfHeal?: boolean }; syncOptions?: string[] };
  };
}

/** Parses a file that must hold exactly one YAML document, failing on any YAML error. */
function readOne(file: string): unknown {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  if (!Array.isArray(docs)) throw new Error(`${file}: not a YAML stream`);
  expect(docs, file).toHaveLength(1);
  const doc = docs[0]!;
  expect(doc.errors, file).toEqual([]);
  return doc.toJS();
}

const waveOf = (a: App) => Number(a.metadata.annotations?.[waveKey] ?? '0');

const kustomization = parse(readFileSync(join(appsDir, 'kustomization.yaml'), 'utf8')) as {
  kind: string;
  resources: string[];
};
const listed = kustomization.resources;
const apps = listed.map((f) => readOne(join(appsDir, f)) as App);
const byName = new Map(apps.map((a) => [a.metadata.name, a]));

describe('homelab fixture: child Applications', () => {
  it('kustomization lists 55-65 existing files, without legacy-wiki', () => {
    expect(kustomization.kind).toBe('Kustomization');
    expect(listed.length).toBeGreaterThanOrEqual(55);
    expect(listed.length).toBeLessThanOrEqual(65);
    expect(new Set(listed).size).toBe(listed.length);
    for (const f of listed) expect(existsSync(join(appsDir, f)), f).toBe(true);
    expect(listed).not.toContain('legacy-wiki.yaml');
    expect(existsSync(join(appsDir, 'legacy-wiki.yaml'))).toBe(true);
  });

  it('every other file in apps/ is listed (only legacy-wiki is left out)', () => {
    const files = readdirSync(appsDir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect(files.filter((f) => !listed.includes(f))).toEqual(['legacy-wiki.yaml']);
  });

  it('every listed file is an Application in argocd with a unique name matching its file', () => {
    listed.forEach((f, i) => {
      const a = apps[i]!;
      expect(a.apiVersion, f).toBe('argoproj.io/v1alpha1');
      expect(a.kind, f).toBe('Application');
      expect(a.metadata.namespace, f).toBe('argocd');
      expect(`${a.metadata.name}.yaml`).toBe(f);
      expect(a.spec.project, f).toBe('default');
      expect(a.spec.destination.server, f).toBe('https://kubernetes.default.svc');
      expect(a.spec.destination.namespace, f).toMatch(/^[a-z0-9-]+$/);
      expect(a.spec.syncPolicy?.automated, f).toEqual({ prune: true, selfHeal: true });
      expect(a.spec.syncPolicy?.syncOptions, f).toContain('CreateNamespace=true');
      expect(Boolean(a.spec.source) !== Boolean(a.spec.sources), `${f}: exactly one of source/sources`).toBe(true);
    });
    expect(byName.size).toBe(apps.length);
    expect(byName.has('root')).toBe(false);
  });

  it("waves are integers within -5..10, a few apps have no annotation, and the seeds' plan holds", () => {
    for (const a of apps) {
      const w = waveOf(a);
      expect(Number.isInteger(w), a.metadata.name).toBe(true);
      expect(w).toBeGreaterThanOrEqual(-5);
      expect(w).toBeLessThanOrEqual(10);
    }
    const unannotated = apps.filter((a) => a.metadata.annotations?.[waveKey] === undefined);
    expect(unannotated.length).toBeGreaterThanOrEqual(2);
    const plan: Record<string, number> = {
      'prometheus-operator-crds': -5,
      kyverno: -4,
      'infisical-operator': -3,
      'cilium-lb': -2,
      'redis-shared': -1,
      'cert-manager': 0,
      'cert-manager-webhook-gandi': 1,
      'cloudnative-pg-crds': 2,
      'cloudnative-pg': 3,
      'postgresql-shared': 4,
      linkwarden: 5,
      netbox: 5,
      grafana: 6,
      'docspell-native': 7,
      jellyfin: 10,
    };
    for (const [name, wave] of Object.entries(plan)) expect(waveOf(byName.get(name)!), name).toBe(wave);
  });

  it('has multi-source apps with a $values ref and ServerSideApply on cloudnative-pg-crds', () => {
    const multi = apps.filter((a) => a.spec.sources);
    expect(multi.length).toBeGreaterThanOrEqual(3);
    for (const a of multi) {
      const ref = a.spec.sources!.find((s) => s.ref)?.ref;
      expect(ref, a.metadata.name).toBe('values');
      expect(
        a.spec.sources!.some((s) => s.chart && s.helm?.valueFiles?.some((v) => v.startsWith('$values/'))),
        a.metadata.name,
      ).toBe(true);
    }
    expect(byName.get('cloudnative-pg-crds')!.spec.syncPolicy?.syncOptions).toContain('ServerSideApply=true');
  });

  it('legacy-wiki is itself a valid Application', () => {
    const a = readOne(join(appsDir, 'legacy-wiki.yaml')) as App;
    expect(a.kind).toBe('Application');
    expect(byName.has(a.metadata.name)).toBe(false);
  });
});

describe('homelab fixture: root app and argocd-cm', () => {
  it('root is an unwaved app-of-apps over apps/ of the fixture repository (examples/homelab is its root)', () => {
    const root = readOne(join(dir, 'root-app.yaml')) as App;
    expect(root.kind).toBe('Application');
    expect(root.metadata).toMatchObject({ name: 'root', namespace: 'argocd' });
    expect(root.metadata.annotations?.[waveKey]).toBeUndefined();
    expect(root.spec.source?.path).toBe('apps');
  });

  it('argocd-cm-health has the Application health check, argocd-cm does not', () => {
    const key = 'resource.customizations.health.argoproj.io_Application';
    type Cm = { kind: string; metadata: { name: string; namespace: string }; data: Record<string, string> };
    const plain = readOne(join(dir, 'argocd-cm.yaml')) as Cm;
    const health = readOne(join(dir, 'argocd-cm-health.yaml')) as Cm;
    for (const cm of [plain, health]) {
      expect(cm.kind).toBe('ConfigMap');
      expect(cm.metadata).toMatchObject({ name: 'argocd-cm', namespace: 'argocd' });
      expect(cm.data['timeout.reconciliation']).toBe('180s');
    }
    expect(Object.keys(plain.data).some((k) => k.startsWith('resource.customizations'))).toBe(false);
    const lua = health.data[key]!;
    expect(lua).toContain('hs.status = "Progressing"');
    expect(lua).toContain('hs.status = obj.status.health.status');
    expect(lua).toContain('hs.message = obj.status.health.message');
    expect(lua.trim().endsWith('return hs')).toBe(true);
    const { [key]: _lua, ...rest } = health.data;
    expect(rest).toEqual(plain.data);
  });
});

describe('homelab fixture: twin profile', () => {
  const profile = loadProfile(join(dir, 'twin-profile.yaml'));

  it('validates and only mentions apps of the kustomization', () => {
    expect(profile.mentioned.length).toBeGreaterThan(0);
    for (const name of profile.mentioned) expect(byName.has(name), name).toBe(true);
    expect(profile.behaviourOf('postgresql-shared')).toMatchObject({ kind: 'cnpg-cluster', startupSeconds: 60 });
    expect(profile.behaviourOf('kyverno')).toMatchObject({ kind: 'kyverno', startupSeconds: 8 });
  });

  it('every dependsOn target is a listed app of a strictly lower wave', () => {
    for (const a of apps) {
      for (const dep of profile.behaviourOf(a.metadata.name).dependsOn) {
        const target = byName.get(dep);
        expect(target, `${a.metadata.name} -> ${dep}`).toBeDefined();
        expect(waveOf(target!), `${a.metadata.name} (wave ${waveOf(a)}) -> ${dep}`).toBeLessThan(waveOf(a));
      }
    }
  });

  it('15-20 apps depend on postgresql-shared, grafana on prometheus', () => {
    const pg = apps.filter((a) => profile.behaviourOf(a.metadata.name).dependsOn.includes('postgresql-shared'));
    expect(pg.length).toBeGreaterThanOrEqual(15);
    expect(pg.length).toBeLessThanOrEqual(20);
    expect(profile.behaviourOf('grafana').dependsOn).toContain('prometheus');
  });
});
