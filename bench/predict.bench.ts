/**
 * `npm run bench -- predict`: `predict`'s error on a held-out wave plan. A repository unlike the
 * homelab (test/fixtures/platform-repo.ts: a CNPG database, consumers that crash-loop on it, an
 * emulated operator chart) is rebuilt by `rehearse --rebuild` with the health check at time scale
 * 0.25, twice (plan A, the calibration runs); ledger then moves a wave later, as `lint --fix` moves
 * it (plan B, held out), and is rebuilt the same way, twice. `predict` computes plan B from the two
 * runs of plan A and is set beside each run of plan B. Goal: |error| ≤ 10 % on the waves (first
 * child Application → all Healthy) against the mean of plan B's runs: the real Argo CD stalls now and
 * then for ~12 s after an app creates a CRD, which on spans this short moves one run by a third.
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
    const v = JSON.parse(r.stdout) as {
      predicted: { wavesMs: number };
      measured: { wavesMs: number; errorPct: number; wavesErrorPct: number };
    };
    return { predicted: v.predicted, ...v.measured, seconds: (Date.now() - started) / 1000 };
  };
  try {
    const a = [await rebuild(), await rebuild()].join(',');
    const ledger = join(repo, overlay, 'apps/ledger.yaml');
    writeFileSync(ledger, readFileSync(ledger, 'utf8').replace('sync-wave: "1"', 'sync-wave: "2"'));
    const b = [await rebuild(), await rebuild()];
    const each = [await predict(a, b[0]!), await predict(a, b[1]!)];
    const measured = (each[0]!.wavesMs + each[1]!.wavesMs) / 2;
    const error = Math.round(((each[0]!.predicted.wavesMs - measured) / measured) * 1000) / 10;
    const s = (ms: number) => Math.round(ms / 100) / 10;
    return [
      {
        name: `predict, held-out plan (ledger a wave later), waves: |predicted − rehearsed| / rehearsed, against the mean of 2 runs (predicted ${s(each[0]!.predicted.wavesMs)} s, rehearsed ${s(each[0]!.wavesMs)} s and ${s(each[1]!.wavesMs)} s)`,
        value: Math.abs(error),
        unit: '%',
        goal: { op: '<=', value: 10 },
      },
      {
        name: 'predict, held-out plan, waves: error against each run (worst)',
        value: Math.max(...each.map((e) => Math.abs(e.wavesErrorPct))),
        unit: '%',
      },
      {
        name: 'predict, held-out plan, whole rebuild: error against the first run',
        value: each[0]!.errorPct,
        unit: '%',
      },
      {
        name: 'predict: command wall time (render and model)',
        value: Math.round(each[0]!.seconds * 10) / 10,
        unit: 's',
      },
    ];
  } finally {
    await stopSandbox(defaultSandboxDir(home), { wipe: true });
  }
}
