/**
 * The twin at 500 Applications / 5,000 pods on this machine: time to converge, and the twin's
 * CPU seconds and peak memory (plus the control plane's), read from /proc.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { createLogger } from '../core/logger.ts';
import { readState, startSandbox, stopSandbox } from '../sandbox/control-plane.ts';
import { memoryKiB } from '../sandbox/processes.ts';
import { launchTwin } from '../sandbox/twin/launch.ts';
import { waitForConvergence } from '../sandbox/twin/progress.ts';
import type { BenchResult } from './run.ts';
import { nodesFor, writeScaleRepo } from './scale-repo.ts';

const APPS = Number(process.env.TWIN_SCALE_APPS ?? 500);
const REPLICAS = Number(process.env.TWIN_SCALE_REPLICAS ?? 10);

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function run(): Promise<BenchResult[]> {
  const repo = writeScaleRepo(APPS, REPLICAS);
  const dir = mkdtempSync(join(tmpdir(), 'rb-scale-'));
  const log = createLogger({ level: 'warn' });
  const nodes = nodesFor(APPS * REPLICAS);
  const sb = await startSandbox({ dir, nodes, install: false, log });
  try {
    const started = Date.now();
    const { pid, apps } = await launchTwin(dir, { dir: repo }, log);
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(sb.kubeconfigPath);
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, memoryKiB(pid)?.peak ?? 0)), 1000);
    const c = await waitForConvergence(kc, log, { expected: apps + 1, timeoutMs: 30 * 60_000, everyMs: 5000 });
    clearInterval(sampler);
    const seconds = (Date.now() - started) / 1000;
    const twinCpu = cpuSeconds(pid);
    const state = readState(dir)!;
    const cp = state.processes.filter((p) => p.name !== 'twin');
    const cpRss = cp.reduce((s, p) => s + (memoryKiB(p.pid)?.peak ?? 0), 0);
    const cpCpu = cp.reduce((s, p) => s + cpuSeconds(p.pid), 0);
    return [
      {
        name: `converged (${c.healthy}/${c.total} apps, ${APPS * REPLICAS} pods, ${nodes} nodes)`,
        value: c.converged ? 1 : 0,
        unit: 'bool',
        goal: { op: '>=', value: 1 },
      },
      { name: 'time to all Synced+Healthy', value: Math.round(seconds), unit: 's' },
      { name: 'twin CPU', value: Math.round(twinCpu), unit: 'cpu-s' },
      { name: 'twin CPU average', value: Math.round((twinCpu / seconds) * 100), unit: '% of one core' },
      { name: 'twin peak RSS', value: Math.round(peak / 1024), unit: 'MiB' },
      { name: 'control plane CPU', value: Math.round(cpCpu), unit: 'cpu-s' },
      { name: 'control plane peak RSS (sum)', value: Math.round(cpRss / 1024), unit: 'MiB' },
    ];
  } finally {
    await stopSandbox(dir, { wipe: true });
  }
}
