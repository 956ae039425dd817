/**
 * `rehearse` on a synthetic 100-Application repository (kustomize overlay, 10 CNPG databases and 90
 * consumers naming them, waves 0…9) on the real Argo CD at time scale 0.25: wall time from the
 * command to all settled (goal ≤ 5 min on 2 cores; settled = all Healthy, or 60 s without a change), and the peak memory of everything the sandbox
 * runs (the sum over its processes and the command, sampled every 2 s).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { stopSandbox } from '../sandbox/control-plane.ts';
import { defaultSandboxDir } from '../sandbox/paths.ts';
import { memoryKiB } from '../sandbox/processes.ts';
import { writeFleet } from './fleet-repo.ts';
import type { BenchResult } from './run.ts';

const APPS = Number(process.env.REHEARSE_APPS ?? 100);
function sandboxPids(home: string): number[] {
  const state = join(defaultSandboxDir(home), 'state.json');
  if (!existsSync(state)) return [];
  return (JSON.parse(readFileSync(state, 'utf8')) as { processes: Array<{ pid: number }> }).processes.map((p) => p.pid);
}

export async function run(): Promise<BenchResult[]> {
  const repo = await writeFleet(APPS);
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
