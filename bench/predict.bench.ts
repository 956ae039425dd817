/**
 * `npm run bench -- predict`: `predict`'s error on a held-out wave plan. A repository unlike the
 * homelab (test/fixtures/platform-repo.ts: a CNPG database, consumers that crash-loop on it, an
 * emulated operator chart) is rebuilt by `rehearse --rebuild` with the health check at time scale
 * 0.25 (plan A, the calibration run); ledger then moves a wave later, as `lint --fix` moves it
 * (plan B, held out), and is rebuilt the same way. `predict` computes plan B from run A alone and is
 * set beside run B. Goal: |error| ≤ 10 % on the waves (first child Application → all Healthy).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { stopSandbox } from '../sandbox/control-plane.ts';
import { defaultSandboxDir } from '../sandbox/paths.ts';
import { createPlatformRepo, mailerChart, PLATFORM_REPO_URL, writeTree } from '../test/fixtures/platform-repo.ts';
import type { BenchResult } from './run.ts';

const bin = join(import.meta.dirname, '..', 'bin', 'rebuild-bench.js');
const overlay = 'argocd/overlays/dev';

export async function run(): Promise<BenchResult[]> {
  const base = mkdtempSync(join(tmpdir(), 'rb-predict-bench-'));
  const repo = join(base, 'gitops');
  const charts = join(base, 'charts');
  const profile = join(base, 'profile.yaml');
  const home = join(base, 'home');
  await createPlatformRepo(repo);
  writeTree(charts, mailerChart);
  writeFileSync(profile, 'apps:\n  database: { startupSeconds: 24 }\n');
  writeFileSync(
    join(repo, 'services/notifier/secret.yaml'),
    'apiVersion: v1\nkind: Secret\nmetadata: { name: notifier-smtp, namespace: comms }\nstringData: { password: x }\n',
  );
  const common = [
    overlay,
    '--charts',
    charts,
    '--profile',
    profile,
    '--home',
    home,
    '--set',
    'cluster_name=lab',
    '--set',
    `repo_url=${PLATFORM_REPO_URL}`,
    '--set',
    'revision=main',
    '--health-check',
  ];
  const env = { KUBECONFIG: join(home, 'none'), REBUILD_BENCH_CONFIG: '' };
  const rebuild = async () => {
    const r = await execa(
      'node',
      [bin, 'rehearse', repo, '--overlay', ...common, '--time-scale', '0.25', '--rebuild', '--quiet'],
      { reject: false, all: true, env, stdin: 'ignore' },
    );
    const id = /^run (\S+): /m.exec(r.stdout)?.[1];
    if (!id) throw new Error(`rehearse --rebuild recorded no run: ${(r.all ?? '').slice(-600)}`);
    return id;
  };
  const predict = async (calibrate: string, against: string) => {
    const started = Date.now();
    const r = await execa(
      'node',
      [bin, 'predict', repo, '--overlay', ...common, '--calibrate', calibrate, '--against', against, '--json'],
      { reject: false, all: true, env },
    );
    if (r.exitCode !== 0) throw new Error(`predict failed: ${(r.all ?? '').slice(-600)}`);
    const v = JSON.parse(r.stdout) as { measured: { errorPct: number; wavesErrorPct: number } };
    return { ...v.measured, seconds: (Date.now() - started) / 1000 };
  };
  try {
    const a = await rebuild();
    const ledger = join(repo, overlay, 'apps/ledger.yaml');
    writeFileSync(ledger, readFileSync(ledger, 'utf8').replace('sync-wave: "1"', 'sync-wave: "2"'));
    const b = await rebuild();
    const heldOut = await predict(a, b);
    return [
      {
        name: 'predict, held-out plan (ledger a wave later), waves: |predicted − rehearsed| / rehearsed',
        value: Math.abs(heldOut.wavesErrorPct),
        unit: '%',
        goal: { op: '<=', value: 10 },
      },
      { name: 'predict, held-out plan, whole rebuild: error', value: heldOut.errorPct, unit: '%' },
      {
        name: 'predict: command wall time (render and model)',
        value: Math.round(heldOut.seconds * 10) / 10,
        unit: 's',
      },
    ];
  } finally {
    await stopSandbox(defaultSandboxDir(home), { wipe: true });
  }
}
