/**
 * `lint` on a synthetic 100-Application repository whose apps are kustomize overlays over a shared
 * base (10 CNPG databases, 90 consumers naming them, waves 0…9, a few inversions): wall time of the
 * command, first run (goal ≤ 10 s on 2 cores) and again on the same tree (goal ≤ 2 s, the render cache
 * warm). A random README makes each bench's tree new to the render cache, so the first run is cold.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { fleetApplication } from './fleet-repo.ts';
import type { BenchResult } from './run.ts';

const APPS = Number(process.env.LINT_APPS ?? 100);
const URL = 'https://git.example.invalid/bench/lint.git';

function writeRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rb-lint-bench-'));
  const put = (f: string, text: string) => {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
  };
  put(
    'base/deployment.yaml',
    stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'app' },
      spec: {
        selector: { matchLabels: { app: 'app' } },
        template: { metadata: { labels: { app: 'app' } }, spec: { containers: [{ name: 'app', image: 'x' }] } },
      },
    }),
  );
  put('base/kustomization.yaml', stringify({ resources: ['deployment.yaml'] }));
  put('README.md', `bench repository ${randomUUID()}\n`);
  const names: string[] = [];
  for (let i = 0; i < APPS; i++) {
    const name = `svc-${String(i).padStart(3, '0')}`;
    const ns = `team-${i % 10}`;
    names.push(name);
    // Every 7th consumer sits in its database's wave: an inversion lint must find.
    const wave = i < 10 ? 0 : i % 7 === 0 ? 0 : 1 + Math.floor(i / 10);
    put(`overlays/dev/apps/${name}.yaml`, fleetApplication(name, wave, ns, URL));
    if (i < 10) {
      put(`workloads/${name}/kustomization.yaml`, stringify({ resources: ['cluster.yaml'] }));
      put(
        `workloads/${name}/cluster.yaml`,
        stringify({
          apiVersion: 'postgresql.cnpg.io/v1',
          kind: 'Cluster',
          metadata: { name: `pg-${i}`, namespace: ns },
        }),
      );
      continue;
    }
    put(
      `workloads/${name}/kustomization.yaml`,
      stringify({
        resources: ['../../base'],
        namespace: ns,
        nameSuffix: `-${name}`,
        patches: [
          {
            target: { kind: 'Deployment' },
            patch: stringify([
              {
                op: 'add',
                path: '/spec/template/spec/containers/0/env',
                value: [{ name: 'DB', value: `postgres://u@pg-${i % 10}-rw.${ns}.svc:5432/app` }],
              },
            ]),
          },
        ],
      }),
    );
  }
  put('overlays/dev/kustomization.yaml', stringify({ resources: names.map((n) => `apps/${n}.yaml`) }));
  return dir;
}

async function timed(repo: string): Promise<{ seconds: number; inversions: number; exitCode: number | undefined }> {
  const bin = join(import.meta.dirname, '..', 'bin', 'rebuild-bench.js');
  const started = Date.now();
  const r = await execa(
    'node',
    [bin, 'lint', repo, '--overlay', 'overlays/dev', '--format', 'json', '--fail-on', 'never'],
    {
      reject: false,
      all: true,
    },
  );
  const seconds = (Date.now() - started) / 1000;
  const out = r.exitCode === 0 ? (JSON.parse(r.stdout) as { findings: Array<{ rule: string }> }) : { findings: [] };
  return { seconds, inversions: out.findings.filter((f) => f.rule === 'wave-inversion').length, exitCode: r.exitCode };
}

export async function run(): Promise<BenchResult[]> {
  const repo = writeRepo();
  try {
    const cold = await timed(repo);
    const warm = await timed(repo);
    return [
      {
        name: `${APPS} Applications: wave inversions found (exit ${cold.exitCode})`,
        value: cold.inversions,
        unit: 'findings',
        goal: { op: '>=', value: 1 },
      },
      {
        name: 'lint, first run (kustomize renders every app, render cache cold)',
        value: Math.round(cold.seconds * 10) / 10,
        unit: 's',
        goal: { op: '<=', value: 10 },
      },
      {
        name: 'lint, second run on the same tree (render cache warm)',
        value: Math.round(warm.seconds * 10) / 10,
        unit: 's',
        goal: { op: '<=', value: 2 },
      },
    ];
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}
