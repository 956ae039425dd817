/**
 * What watching costs the API server, side by side with the team's polling, in one run on the same
 * cluster: `rehearse` brings up 100 Applications on the real Argo CD (time scale 1, so its periodic
 * refresh rewrites each Application's status every ~3 min as on a real cluster), then, for the same
 * window, the collectors (waves, restarts, events) watch and the runbook's polling runs: every 5 s
 * `kubectl get applications -n argocd -o json` and `kubectl get pods -A` (a Table, as kubectl asks
 * for it), both accepting gzip like kubectl. Requests and response bytes are counted on each side's
 * own client (cluster/http.ts), after the collectors' first list (their start-up cost is printed apart).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { execa } from 'execa';
import { kubeRequest, kubeTraffic, type KubeTraffic } from '../cluster/http.ts';
import { createCollectors } from '../collectors/registry.ts';
import { stopSandbox } from '../sandbox/control-plane.ts';
import { defaultSandboxDir, sandboxLayout } from '../sandbox/paths.ts';
import { benchCollectorContext } from './collector-context.ts';
import { writeFleet } from './fleet-repo.ts';
import type { BenchResult } from './run.ts';

const APPS = Number(process.env.API_COST_APPS ?? 100);
const WINDOW_MS = Number(process.env.API_COST_WINDOW_MINUTES ?? 10) * 60_000;
const TIME_SCALE = process.env.API_COST_TIME_SCALE ?? '1';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

function client(kubeconfig: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc;
}

const minus = (a: KubeTraffic, b: KubeTraffic): KubeTraffic => ({
  requests: a.requests - b.requests,
  watches: a.watches - b.watches,
  responseBytes: a.responseBytes - b.responseBytes,
});

/** The runbook's two `watch -n 5 kubectl get …` loops. */
function startPolling(kc: k8s.KubeConfig): () => void {
  const poll = () => {
    void kubeRequest(kc, 'GET', '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications').catch(() => undefined);
    void kubeRequest(kc, 'GET', '/api/v1/pods?limit=500', { accept: TABLE }).catch(() => undefined);
  };
  poll();
  const timer = setInterval(poll, 5000);
  return () => clearInterval(timer);
}

export async function run(): Promise<BenchResult[]> {
  const repo = await writeFleet(APPS);
  const home = mkdtempSync(join(tmpdir(), 'rb-api-cost-home-'));
  const bin = join(import.meta.dirname, '..', 'bin', 'rebuild-bench.js');
  try {
    const r = await execa(
      'node',
      [bin, 'rehearse', repo, '--overlay', 'overlays/bench', '--time-scale', TIME_SCALE, '--home', home, '--quiet'],
      { reject: false, all: true, env: { KUBECONFIG: join(home, 'none'), REBUILD_BENCH_CONFIG: '' }, stdin: 'ignore' },
    );
    const healthy = /(\d+)\/(\d+) Applications Synced and Healthy/.exec(r.stdout);
    if (!healthy) throw new Error(`rehearse did not settle (exit ${r.exitCode}): ${(r.all ?? '').slice(-400)}`);
    const kubeconfig = sandboxLayout(defaultSandboxDir(home)).kubeconfig;
    const watching = client(kubeconfig);
    const polling = client(kubeconfig);
    const collectors = createCollectors(['waves', 'restarts', 'events']);
    const ctx = benchCollectorContext(watching);
    for (const c of collectors) await c.start(ctx);
    const startup = kubeTraffic(watching);
    const stopPolling = startPolling(polling);
    await new Promise((res) => setTimeout(res, WINDOW_MS));
    stopPolling();
    const watched = minus(kubeTraffic(watching), startup);
    const polled = kubeTraffic(polling);
    for (const c of collectors) await c.stop();
    const perMin = (n: number) => Math.round((n / (WINDOW_MS / 60_000)) * 10) / 10;
    const kib = (n: number) => Math.round(perMin(n) / 102.4) / 10;
    const ratio = (p: number, w: number) => Math.round((p / Math.max(w, 1)) * 10) / 10;
    const label = `${healthy[1]}/${healthy[2]} Applications Healthy, real Argo CD, ${WINDOW_MS / 60_000} min window`;
    return [
      {
        name: `API cost, collectors' start-up (lists and first watches, ${label})`,
        value: startup.requests,
        unit: 'requests',
      },
      { name: 'API cost, collectors watching: requests/min', value: perMin(watched.requests), unit: 'req/min' },
      {
        name: 'API cost, polling every 5 s as in the runbook: requests/min',
        value: perMin(polled.requests),
        unit: 'req/min',
      },
      {
        name: 'API cost, requests: polling ÷ collectors',
        value: ratio(polled.requests, watched.requests),
        unit: '×',
        goal: { op: '>=', value: 20 },
      },
      { name: 'API cost, collectors watching: response bytes/min', value: kib(watched.responseBytes), unit: 'KiB/min' },
      { name: 'API cost, polling every 5 s: response bytes/min', value: kib(polled.responseBytes), unit: 'KiB/min' },
      {
        name: 'API cost, bytes: polling ÷ collectors',
        value: ratio(polled.responseBytes, watched.responseBytes),
        unit: '×',
        goal: { op: '>=', value: 20 },
      },
    ];
  } finally {
    await stopSandbox(defaultSandboxDir(home), { wipe: true });
    rmSync(repo, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}
