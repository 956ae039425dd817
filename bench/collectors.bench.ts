/**
 * Collector accuracy and cost against the twin's ground truth:
 *  1. homelab bootstrap: error of each app's Healthy time (collector vs truth), p50/p99, coverage,
 *     side by side with the team's shell approach (polling `kubectl get applications` every 5 s);
 *  2. the collectors' CPU and peak memory while 500 Applications / 5,000 pods bootstrap.
 * What watching costs the API server is bench/api-cost.bench.ts.
 */
import { quantile } from 'simple-statistics';
import { kubeRequest } from '../cluster/http.ts';
import { createCollectors } from '../collectors/registry.ts';
import type { Collector } from '../collectors/types.ts';
import { benchCollectorContext } from './collector-context.ts';
import type { WavesSummary } from '../record/summaries.ts';
import { applicationCrd } from '../sandbox/twin/crds.ts';
import { twinSandbox, homelab, type TwinSandbox } from '../test/cluster/twin-harness.ts';
import type { BenchResult } from './run.ts';
import { nodesFor, writeScaleRepo } from './scale-repo.ts';

const TIME_SCALE = Number(process.env.COLLECTORS_BENCH_TIME_SCALE ?? 0.5);

async function prepare(tw: TwinSandbox): Promise<void> {
  await kubeRequest(tw.kc, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'argocd' } } });
  await kubeRequest(tw.kc, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: applicationCrd });
  await new Promise((r) => setTimeout(r, 1500));
}

function startCollectors(tw: TwinSandbox): { collectors: Collector[]; start(): Promise<void>; stop(): Promise<void> } {
  const collectors = createCollectors(['waves', 'restarts', 'events']);
  const ctx = benchCollectorContext(tw.kc);
  return {
    collectors,
    start: async () => {
      for (const c of collectors) await c.start(ctx);
    },
    stop: async () => {
      for (const c of collectors) await c.stop();
    },
  };
}

/** The shell approach: list Applications every 5 s and note when each is first seen Healthy. */
function startPolling(tw: TwinSandbox, everyMs = 5000): { healthy: Map<string, number>; stop(): void } {
  const healthy = new Map<string, number>();
  const poll = async () => {
    const t = Date.now();
    const res = await kubeRequest<{ items: any[] }>(
      tw.kc,
      'GET',
      '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications',
    ).catch(() => undefined);
    for (const a of res?.body.items ?? [])
      if (a.status?.health?.status === 'Healthy' && !healthy.has(a.metadata.name)) healthy.set(a.metadata.name, t);
  };
  const timer = setInterval(() => void poll(), everyMs);
  return { healthy, stop: () => clearInterval(timer) };
}

const pct = (xs: number[], q: number) => (xs.length ? Math.round(quantile(xs, q)) : NaN);

async function accuracy(): Promise<BenchResult[]> {
  const tw = await twinSandbox({ dir: homelab }, TIME_SCALE, { launch: false });
  try {
    await prepare(tw);
    const c = startCollectors(tw);
    await c.start();
    const poll = startPolling(tw);
    await tw.launch();
    const conv = await tw.converge(600_000);
    await new Promise((r) => setTimeout(r, 6000));
    poll.stop();
    await c.stop();
    const waves = c.collectors[0]!.summary() as WavesSummary;
    const truth = tw.truth().filter((e) => e.kind === 'app-healthy') as Array<{ app: string; t: number }>;
    const errC: number[] = [];
    const errP: number[] = [];
    let missedC = 0;
    let missedP = 0;
    for (const t of truth) {
      const a = waves.apps.find((x) => x.name === t.app)?.healthy;
      if (a) errC.push(Math.abs(a.t - t.t));
      else missedC++;
      const p = poll.healthy.get(t.app);
      if (p !== undefined) errP.push(Math.abs(p - t.t));
      else missedP++;
    }
    const crashes = tw.truth().filter((e) => e.kind === 'pod-crash').length;
    const restarts = (c.collectors[1]!.summary() as { restarts: number }).restarts;
    return [
      {
        name: `homelab bootstrap converged (${conv.total} apps, time scale ${TIME_SCALE})`,
        value: conv.converged ? 1 : 0,
        unit: 'bool',
        goal: { op: '>=', value: 1 },
      },
      {
        name: 'collector coverage of Healthy transitions',
        value: Math.round(((truth.length - missedC) / truth.length) * 1000) / 10,
        unit: '%',
        goal: { op: '>=', value: 100 },
      },
      { name: 'collector Healthy-time error p50', value: pct(errC, 0.5), unit: 'ms' },
      { name: 'collector Healthy-time error p99', value: pct(errC, 0.99), unit: 'ms', goal: { op: '<=', value: 100 } },
      { name: 'polling every 5 s: Healthy-time error p50', value: pct(errP, 0.5), unit: 'ms' },
      { name: 'polling every 5 s: Healthy-time error p99', value: pct(errP, 0.99), unit: 'ms' },
      { name: 'polling every 5 s: transitions missed', value: missedP, unit: 'apps' },
      {
        name: 'restarts counted vs twin crashes',
        value: restarts - crashes,
        unit: 'difference',
        goal: { op: '<=', value: 0 },
      },
    ];
  } finally {
    await tw.stop();
  }
}

async function scale(): Promise<BenchResult[]> {
  const apps = Number(process.env.TWIN_SCALE_APPS ?? 500);
  const replicas = 10;
  const repo = writeScaleRepo(apps, replicas);
  const tw = await twinSandbox({ dir: repo }, 1, { launch: false, nodes: nodesFor(apps * replicas) });
  try {
    await prepare(tw);
    const c = startCollectors(tw);
    const cpu0 = process.cpuUsage();
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 500);
    const t0 = Date.now();
    await c.start();
    await tw.launch();
    const conv = await tw.converge(30 * 60_000);
    await c.stop();
    clearInterval(sampler);
    const cpu = process.cpuUsage(cpu0);
    const seconds = (Date.now() - t0) / 1000;
    const cpuS = (cpu.user + cpu.system) / 1e6;
    const waves = c.collectors[0]!.summary() as WavesSummary;
    const missed = waves.apps.filter((a) => !a.healthy).length;
    return [
      {
        name: `scale: ${apps} apps / ${apps * replicas} pods converged`,
        value: conv.converged ? 1 : 0,
        unit: 'bool',
        goal: { op: '>=', value: 1 },
      },
      {
        name: 'scale: transitions missed by the collectors',
        value: missed,
        unit: 'apps',
        goal: { op: '<=', value: 0 },
      },
      { name: 'scale: collectors CPU (bench process)', value: Math.round(cpuS), unit: 'cpu-s' },
      { name: 'scale: collectors CPU average', value: Math.round((cpuS / seconds) * 100), unit: '% of one core' },
      {
        name: 'scale: bench process peak RSS (tsx, the harness and the collectors; the collectors alone: memory.bench)',
        value: Math.round(peak / 1048576),
        unit: 'MiB',
      },
    ];
  } finally {
    await tw.stop();
  }
}

export async function run(): Promise<BenchResult[]> {
  const parts = (process.env.COLLECTORS_BENCH ?? 'accuracy,scale').split(',');
  const out: BenchResult[] = [];
  if (parts.includes('accuracy')) out.push(...(await accuracy()));
  if (parts.includes('scale')) out.push(...(await scale()));
  return out;
}
