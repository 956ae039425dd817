import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { kubeRequest } from '../../cluster/http.ts';
import { bin } from '../cli/harness.ts';
import { twinSandbox, type TwinSandbox } from './twin-harness.ts';

const app = (name: string, wave: number) =>
  `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: argocd\n  annotations:\n    argocd.argoproj.io/sync-wave: "${wave}"\nspec:\n  project: default\n  source: { repoURL: https://git.example/hooks.git, path: k8s/${name} }\n  destination: { server: https://kubernetes.default.svc, namespace: hooks-${name} }\n  syncPolicy: { automated: { prune: true }, syncOptions: [CreateNamespace=true] }\n`;

describe('rebuild post-create hooks', () => {
  let tw: TwinSandbox | undefined;
  afterAll(async () => tw?.stop());

  it('creates a namespace, applies a Secret file, runs a command and restarts a deployment, each as a timed phase between nodes Ready and Argo CD', async () => {
    const work = mkdtempSync(join(tmpdir(), 'rb-hooks-'));
    const apps = join(work, 'apps');
    await execa('mkdir', ['-p', apps]);
    writeFileSync(join(apps, 'web.yaml'), app('web', 0));
    writeFileSync(join(apps, 'api.yaml'), app('api', 1));
    writeFileSync(
      join(work, 'secret.yaml'),
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-credentials\n  namespace: hooked\nstringData:\n  password: hunter2-do-not-log\n',
    );
    tw = await twinSandbox({ dir: apps }, 0.25);
    const kubectl = join(inject('sandboxBinDir'), 'kubectl');
    const config = parse(readFileSync(join(tw.dir, 'rebuild-bench.yaml'), 'utf8')) as Record<string, any>;
    config.suites = {
      rebuild: {
        tool: 'commands',
        skipPlan: true,
        workingDir: work,
        commands: {
          destroy: `node ${bin} sandbox down --wipe --dir ${tw.dir} --quiet`,
          apply: `node ${bin} sandbox up --dir ${tw.dir} --twin ${apps} --no-wait --time-scale 0.25 --quiet`,
        },
        hooks: [
          { name: 'namespace', createNamespace: 'hooked' },
          { name: 'secrets', applySecrets: ['secret.yaml'] },
          {
            name: 'deploy',
            run: `${kubectl} -n hooked create deployment web --image=registry.example/web:1 && touch ran-in-workdir`,
          },
          { name: 'restart', restartDeployment: 'hooked/web' },
        ],
      },
    };
    writeFileSync(join(work, 'rebuild-bench.yaml'), stringify(config));
    const home = join(work, 'home');
    const r = await execa(
      'node',
      [bin, 'run', 'rebuild', '--yes', '--config', join(work, 'rebuild-bench.yaml'), '--home', home, '--json'],
      {
        reject: false,
        all: true,
        stdin: 'ignore',
        env: { REBUILD_BENCH_CONFIG: '', KUBECONFIG: '' },
      },
    );
    expect(r.exitCode, r.all).toBe(0);
    const rec = JSON.parse(r.stdout) as {
      id: string;
      startedAt: string;
      phases: Array<{ name: string; status: string; durationMs: number }>;
    };
    const names = rec.phases.map((p) => p.name);
    expect(names).toEqual([
      'destroy',
      'apply',
      'api-reachable',
      'nodes-ready',
      'hook: namespace',
      'hook: secrets',
      'hook: deploy',
      'hook: restart',
      'argocd-ready',
      'root-app-created',
      'waves',
    ]);
    for (const p of rec.phases) expect(p, p.name).toMatchObject({ status: 'ok', durationMs: expect.any(Number) });

    const kc = new k8s.KubeConfig();
    kc.loadFromFile(tw.kubeconfig); // rewritten by the rebuild (new ports, new credentials)
    expect((await kubeRequest(kc, 'GET', '/api/v1/namespaces/hooked')).status).toBe(200);
    const secret = (
      await kubeRequest<{ data: Record<string, string> }>(kc, 'GET', '/api/v1/namespaces/hooked/secrets/db-credentials')
    ).body;
    expect(Buffer.from(secret.data.password!, 'base64').toString()).toBe('hunter2-do-not-log');
    const dep = (await kubeRequest<any>(kc, 'GET', '/apis/apps/v1/namespaces/hooked/deployments/web')).body;
    expect(Date.parse(dep.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'])).toBeGreaterThan(
      Date.parse(rec.startedAt),
    );
    expect(readFileSync(join(work, 'ran-in-workdir'), 'utf8')).toBe('');
    const runLog = readFileSync(join(home, 'runs', rec.id, 'run.log'), 'utf8');
    expect(runLog).toContain('Secret hooked/db-credentials applied');
    expect(runLog).not.toContain('hunter2');
  });
});
