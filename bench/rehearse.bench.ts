/**
 * `rehearse` on a synthetic 100-Application repository (kustomize overlay, 10 CNPG databases and 90
 * consumers naming them, waves 0…9) on the real Argo CD at time scale 0.25: wall time from the
 * command to all settled (goal ≤ 5 min on 2 cores; settled = all Healthy, or 60 s without a change), and the peak memory of everything the sandbox
 * runs (the sum over its processes and the command, sampled every 2 s).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { stopSandbox } from '../sandbox/control-plane.ts';
import { defaultSandboxDir } from '../sandbox/paths.ts';
import { memoryKiB } from '../sandbox/processes.ts';
import { cnpgClusterCrd } from '../sandbox/twin/crds.ts';
import type { BenchResult } from './run.ts';

const APPS = Number(process.env.REHEARSE_APPS ?? 100);
const URL = 'https://git.example.invalid/bench/fleet.git';

function app(name: string, wave: number, ns: string): string {
  return stringify({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'argocd', annotations: { 'argocd.argoproj.io/sync-wave': String(wave) } },
    spec: {
      project: 'default',
      source: { repoURL: URL, targetRevision: 'main', path: `workloads/${name}` },
      destination: { server: 'https://kubernetes.default.svc', namespace: ns },
      syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'] },
    },
  });
}

async function writeFleet(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'rb-fleet-'));
  const put = (f: string, text: string) => {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
  };
  const names: string[] = ['cnpg-crd'];
  put('overlays/bench/apps/cnpg-crd.yaml', app('cnpg-crd', -1, 'default'));
  put('workloads/cnpg-crd/crd.yaml', stringify(cnpgClusterCrd));
  for (let i = 0; i < APPS - 1; i++) {
    const ns = `team-${i % 10}`;
    const name = `svc-${String(i).padStart(3, '0')}`;
    names.push(name);
    put(`overlays/bench/apps/${name}.yaml`, app(name, Math.floor(i / 10), ns));
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

function sandboxPids(home: string): number[] {
  const state = join(defaultSandboxDir(home), 'state.json');
  if (!existsSync(state)) return [];
  return (JSON.parse(readFileSync(state, 'utf8')) as { processes: Array<{ pid: number }> }).processes.map((p) => p.pid);
}

export async function run(): Promise<BenchResult[]> {
  const repo = await writeFleet();
  const home = mkdtempSync(join(tmpdir(), 'rb-fleet-home-'));
  const bin = join(import.meta.dirname, '..', 'bin', 'rebuild-bench.js');
  const started = Date.now();
  const child = execa(
    'node',
    [
      bin,
      'rehearse',
      repo,
      '--overlay',
      'overlays/bench',
      '--time-scale',
      '0.25',
      '--settle-seconds',
      '60',
      '--home',
      home,
      '--quiet',
    ],
    { reject: false, all: true, env: { KUBECONFIG: join(home, 'none'), REBUILD_BENCH_CONFIG: '' }, stdin: 'ignore' },
  );
  let peakKiB = 0;
  const sampler = setInterval(() => {
    const pids = [...sandboxPids(home), ...(child.pid ? [child.pid] : [])];
    peakKiB = Math.max(
      peakKiB,
      pids.reduce((s, p) => s + (memoryKiB(p)?.rss ?? 0), 0),
    );
  }, 2000);
  const r = await child;
  clearInterval(sampler);
  const seconds = Math.round((Date.now() - started) / 1000);
  const healthy = /(\d+)\/(\d+) Applications Synced and Healthy/.exec(r.stdout);
  const notHealthy = /not Healthy:\n((?: {4}.*\n?)+)/
    .exec(r.stdout)?.[1]
    ?.split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('; ');
  try {
    return [
      {
        name: `${APPS} Applications rehearsed, all Synced and Healthy${notHealthy ? ` (not: ${notHealthy})` : ''}`,
        value: healthy && healthy[1] === healthy[2] ? 1 : 0,
        unit: 'bool',
        goal: { op: '>=', value: 1 },
      },
      {
        name: `${APPS} Applications: command to settled (${healthy ? `${healthy[1]}/${healthy[2]} Healthy` : `exit ${r.exitCode}: ${(r.all ?? '').slice(-300)}`})`,
        value: seconds,
        unit: 's',
        goal: { op: '<=', value: 300 },
      },
      {
        name: 'peak memory of the sandbox and the command (sum of RSS)',
        value: Math.round(peakKiB / 1024),
        unit: 'MiB',
      },
    ];
  } finally {
    await stopSandbox(defaultSandboxDir(home), { wipe: true });
    rmSync(repo, { recursive: true, force: true });
  }
}
