import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A synthetic GitOps bundle for scale runs: `apps` Applications over waves 0…9 in 20 namespaces,
 * each a Deployment of `replicas` pods (5 s start-up, 10 m CPU so 100 pods fit a fake node).
 */
export function writeScaleRepo(apps: number, replicas: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'rb-scale-repo-'));
  mkdirSync(join(dir, 'apps'));
  for (let i = 0; i < apps; i++) {
    const name = `app-${String(i).padStart(3, '0')}`;
    writeFileSync(
      join(dir, 'apps', `${name}.yaml`),
      `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: argocd\n  annotations:\n    argocd.argoproj.io/sync-wave: "${i % 10}"\nspec:\n  project: default\n  source: { repoURL: https://git.example/scale.git, path: apps/${name} }\n  destination: { server: https://kubernetes.default.svc, namespace: scale-${i % 20} }\n  syncPolicy:\n    automated: {}\n    syncOptions: [CreateNamespace=true]\n`,
    );
  }
  writeFileSync(
    join(dir, 'twin-profile.yaml'),
    `defaults:\n  replicas: ${replicas}\n  startupSeconds: 5\n  imagePullSeconds: 1\n  cpuMillis: 10\n`,
  );
  return dir;
}

/** 8 GiB per fake node / 64 MiB requests = 128 pods a node: keep headroom. */
export function nodesFor(pods: number): number {
  return Math.ceil(pods / 100);
}
