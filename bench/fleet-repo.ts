/**
 * A synthetic fleet for the real Argo CD: a kustomize overlay (overlays/bench) of `apps` Applications,
 * one installing the CNPG Cluster CRD, 10 CNPG databases and consumers naming them, waves 0…9,
 * committed to a git repository whose origin is an example.invalid URL (rehearse serves it locally).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { cnpgClusterCrd } from '../sandbox/twin/crds.ts';

const URL = 'https://git.example.invalid/bench/fleet.git';

/** An automated Application of `wave` syncing `workloads/<name>` of `repoURL` into `ns`, as YAML. */
export function fleetApplication(name: string, wave: number, ns: string, repoURL = URL): string {
  return stringify({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'argocd', annotations: { 'argocd.argoproj.io/sync-wave': String(wave) } },
    spec: {
      project: 'default',
      source: { repoURL, targetRevision: 'main', path: `workloads/${name}` },
      destination: { server: 'https://kubernetes.default.svc', namespace: ns },
      syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
    },
  });
}

/** Writes the fleet as a git repository in a temporary directory; `apps` counts the CRD app too. */
export async function writeFleet(apps: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'rb-fleet-'));
  const put = (f: string, text: string) => {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
  };
  const names: string[] = ['cnpg-crd'];
  put('overlays/bench/apps/cnpg-crd.yaml', fleetApplication('cnpg-crd', -1, 'default'));
  put('workloads/cnpg-crd/crd.yaml', stringify(cnpgClusterCrd));
  for (let i = 0; i < apps - 1; i++) {
    const ns = `team-${i % 10}`;
    const name = `svc-${String(i).padStart(3, '0')}`;
    names.push(name);
    put(`overlays/bench/apps/${name}.yaml`, fleetApplication(name, Math.floor(i / 10), ns));
    if (i < 10) {
      put(
        `workloads/${name}/cluster.yaml`,
        stringify({
          apiVersion: 'postgresql.cnpg.io/v1',
          kind: 'Cluster',
          metadata: { name: `pg-${i}`, namespace: ns },
          spec: { instances: 1 },
        }),
      );
      continue;
    }
    put(
      `workloads/${name}/deployment.yaml`,
      stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace: ns },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: {
              containers: [
                {
                  name: 'app',
                  image: `registry.example.invalid/${name}:1`,
                  env: [{ name: 'DB', value: `postgres://u@pg-${i % 10}-rw.${ns}.svc:5432/app` }],
                },
              ],
            },
          },
        },
      }),
    );
  }
  put('overlays/bench/kustomization.yaml', stringify({ resources: names.map((n) => `apps/${n}.yaml`) }));
  const env = { GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['remote', 'add', 'origin', URL],
    ['add', '-A'],
    ['commit', '-qm', 'fleet'],
  ])
    await execa('git', args, { cwd: dir, env });
  return dir;
}
