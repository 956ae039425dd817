/**
 * `npm run bench -- fidelity`: the homelab fixture rehearsed by the real Argo CD and by the
 * twin's Argo CD, without and with the Application health check, at the same time scale. Prints,
 * per wave and per app, when it started syncing and when it was Healthy (seconds after the root
 * was applied), its CrashLoopBackOff entries, and the difference twin − real.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { createCollectors } from '../collectors/registry.ts';
import { benchCollectorContext } from './collector-context.ts';
import { createLogger, silentLogger } from '../core/logger.ts';
import type { RestartsSummary, WavesSummary } from '../record/summaries.ts';
import { stopSandbox } from '../sandbox/control-plane.ts';
import { upGitopsSandbox, type ArgocdMode } from '../sandbox/gitops-sandbox.ts';
import { applicationCrd } from '../sandbox/twin/crds.ts';
import { TwinApi } from '../sandbox/twin/api.ts';
import { waitForConvergence } from '../sandbox/twin/progress.ts';
import { homelab } from '../test/cluster/twin-harness.ts';
import type { BenchResult } from './run.ts';

const TIME_SCALE = Number(process.env.FIDELITY_TIME_SCALE ?? 0.25);

interface Rehearsal {
  seconds: number;
  apps: Map<string, { wave: number; start: number | null; healthy: number | null; crashLoops: number }>;
  waves: Map<number, { start: number | null; end: number | null }>;
  crashLoops: number;
  violations: number;
}

async function rehearse(mode: ArgocdMode, healthCheck: boolean): Promise<Rehearsal> {
  const dir = mkdtempSync(join(tmpdir(), `rb-fidelity-${mode}-`));
  const log = createLogger({ level: 'warn' });
  try {
    const kc = new k8s.KubeConfig();
    const collectors = createCollectors(['waves', 'restarts']);
    const ctx = (c: k8s.KubeConfig) => benchCollectorContext(c, 'fidelity');
    let t0: number;
    const input = { dir: homelab, healthCheck };
    if (mode === 'real') {
      const gs = await upGitopsSandbox({
        dir,
        install: false,
        log,
        input,
        argocd: 'real',
        timeScale: TIME_SCALE,
        applyRoot: false,
      });
      kc.loadFromFile(gs.sandbox.kubeconfigPath);
      for (const c of collectors) await c.start(ctx(kc));
      t0 = Date.now();
      await gs.applyRoot();
    } else {
      // The twin applies its root as soon as it starts: the collectors watch from before, on the twin's CRD.
      const { startSandbox } = await import('../sandbox/control-plane.ts');
      const sb = await startSandbox({ dir, install: false, log, podRunner: 'twin' });
      kc.loadFromFile(sb.kubeconfigPath);
      const api = new TwinApi(kc);
      await api.apply('/api/v1/namespaces/argocd', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'argocd' },
      });
      await api.apply(
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${applicationCrd.metadata.name}`,
        applicationCrd,
      );
      await new Promise((r) => setTimeout(r, 1500));
      for (const c of collectors) await c.start(ctx(kc));
      t0 = Date.now();
      await upGitopsSandbox({ dir, install: false, log, input, argocd: 'twin', timeScale: TIME_SCALE });
    }
    const conv = await waitForConvergence(kc, silentLogger, { expected: 65, timeoutMs: 20 * 60_000, everyMs: 1000 });
    const seconds = (Date.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 1000));
    for (const c of collectors) await c.stop();
    if (!conv.converged)
      throw new Error(
        `${mode}${healthCheck ? ' + health check' : ''}: ${conv.healthy}/${conv.total} after ${seconds} s`,
      );
    const w = collectors[0]!.summary() as WavesSummary;
    const r = collectors[1]!.summary() as RestartsSummary;
    const off = (t: number | null | undefined) => (t === null || t === undefined ? null : (t - t0) / 1000);
    const crash = new Map(r.byApp.map((a) => [a.app, a.crashLoops]));
    return {
      seconds,
      apps: new Map(
        w.apps.map((a) => [
          a.name,
          {
            wave: a.wave,
            start: off(a.sync_started?.t ?? a.first_seen?.t),
            healthy: off(a.healthy?.t),
            crashLoops: crash.get(a.name) ?? 0,
          },
        ]),
      ),
      waves: new Map(w.waves.map((x) => [x.wave, { start: off(x.start), end: off(x.end) }])),
      crashLoops: r.crashLoopBackOff,
      violations: w.violations.length,
    };
  } finally {
    await stopSandbox(dir, { wipe: true }).catch(() => undefined);
  }
}

const f = (n: number | null) => (n === null ? '   -  ' : n.toFixed(1).padStart(6));
const d = (a: number | null, b: number | null) =>
  a === null || b === null ? '   -  ' : (b - a >= 0 ? '+' : '') + (b - a).toFixed(1).padStart(5);

function table(title: string, real: Rehearsal, twin: Rehearsal): void {
  console.log(
    `\n${title}: real ${real.seconds.toFixed(0)} s, twin ${twin.seconds.toFixed(0)} s to all Synced+Healthy; CrashLoopBackOff real ${real.crashLoops}, twin ${twin.crashLoops}; ordering violations real ${real.violations}, twin ${twin.violations}`,
  );
  console.log('wave | start real  twin   diff | end real   twin   diff');
  for (const [wave, r] of [...real.waves.entries()].sort((a, b) => a[0] - b[0])) {
    const t = twin.waves.get(wave) ?? { start: null, end: null };
    console.log(
      `${String(wave).padStart(4)} | ${f(r.start)} ${f(t.start)} ${d(r.start, t.start)} | ${f(r.end)} ${f(t.end)} ${d(r.end, t.end)}`,
    );
  }
  console.log(
    'app                          wave | start real  twin   diff | Healthy real  twin   diff | crash-loops real twin',
  );
  for (const [name, r] of [...real.apps.entries()].sort((a, b) => a[1].wave - b[1].wave || a[0].localeCompare(b[0]))) {
    const t = twin.apps.get(name);
    console.log(
      `${name.padEnd(28)} ${String(r.wave).padStart(4)} | ${f(r.start)} ${f(t?.start ?? null)} ${d(r.start, t?.start ?? null)} | ${f(r.healthy)} ${f(t?.healthy ?? null)} ${d(r.healthy, t?.healthy ?? null)} | ${String(r.crashLoops).padStart(4)} ${String(t?.crashLoops ?? '-').padStart(4)}`,
    );
  }
}

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const healthCheck of [false, true]) {
    const real = await rehearse('real', healthCheck);
    const twin = await rehearse('twin', healthCheck);
    const label = healthCheck ? 'with the health check' : 'without the health check';
    table(`homelab at time scale ${TIME_SCALE}, ${label}`, real, twin);
    const diffs = [...real.apps.entries()]
      .map(([n, r]) =>
        r.healthy !== null && twin.apps.get(n)?.healthy != null
          ? Math.abs(twin.apps.get(n)!.healthy! - r.healthy)
          : null,
      )
      .filter((x): x is number => x !== null)
      .sort((a, b) => a - b);
    out.push(
      { name: `${label}: real, all Synced+Healthy`, value: Math.round(real.seconds), unit: 's' },
      { name: `${label}: twin, all Synced+Healthy`, value: Math.round(twin.seconds), unit: 's' },
      { name: `${label}: CrashLoopBackOff real / twin`, value: real.crashLoops, unit: `/ ${twin.crashLoops}` },
      {
        name: `${label}: |twin − real| time to Healthy, median over apps`,
        value: Number((diffs[Math.floor(diffs.length / 2)] ?? 0).toFixed(1)),
        unit: 's',
      },
      {
        name: `${label}: |twin − real| time to Healthy, max over apps`,
        value: Number((diffs[diffs.length - 1] ?? 0).toFixed(1)),
        unit: 's',
      },
    );
  }
  return out;
}
