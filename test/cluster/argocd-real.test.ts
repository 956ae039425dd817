import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { kubeRequest } from '../../cluster/http.ts';
import { createCollectors } from '../../collectors/registry.ts';
import type { Collector, CollectorContext } from '../../collectors/types.ts';
import { createLogger, silentLogger } from '../../core/logger.ts';
import type { Point } from '../../record/point.ts';
import type { WavesSummary } from '../../record/summaries.ts';
import { stopSandbox } from '../../sandbox/control-plane.ts';
import { upGitopsSandbox, type GitopsSandbox } from '../../sandbox/gitops-sandbox.ts';
import { waitForConvergence } from '../../sandbox/twin/progress.ts';

/**
 * A small platform repository, unlike the homelab fixture: the root is named after the cluster,
 * the children live under apps/ and point at services/<name>, one app's Deployment has a short
 * progress deadline so a slow rollout makes it Degraded for a while.
 */
function writeRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rb-lab-repo-'));
  const repoURL = 'https://git.example.invalid/lab/platform.git';
  const w = (path: string, docs: object[]) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), docs.map((d) => stringify(d)).join('---\n'));
  };
  const child = (name: string, wave: number) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name, namespace: 'argocd', annotations: { 'argocd.argoproj.io/sync-wave': String(wave) } },
    spec: {
      project: 'default',
      source: { repoURL, targetRevision: 'trunk', path: `services/${name}` },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'lab' },
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true'] },
    },
  });
  w('root-app.yaml', [
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'lab-app-of-apps', namespace: 'argocd' },
      spec: {
        project: 'default',
        source: { repoURL, targetRevision: 'trunk', path: 'apps' },
        destination: { server: 'https://kubernetes.default.svc', namespace: 'argocd' },
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      },
    },
  ]);
  w('apps/db.yaml', [child('db', 1)]);
  w('apps/api.yaml', [child('api', 2)]);
  w('apps/web.yaml', [child('web', 3)]);
  for (const [name, extra] of [
    ['db', {}],
    ['api', {}],
    ['web', { progressDeadlineSeconds: 2 }],
  ] as const) {
    w(`services/${name}/deployment.yaml`, [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name },
        spec: {
          replicas: 1,
          ...extra,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name, image: `registry.example/${name}:1` }] },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name },
        spec: { selector: { app: name }, ports: [{ port: 80 }] },
      },
    ]);
  }
  // Start-up durations the twin kubelet gives each app's pods (web starts slower than its deadline).
  w('twin-profile.yaml', [
    { defaults: { startupSeconds: 1, imagePullSeconds: 0 }, apps: { web: { startupSeconds: 6 } } },
  ]);
  writeFileSync(
    join(dir, 'argocd-cm.yaml'),
    stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'argocd-cm' },
      data: { 'timeout.reconciliation': '60s' },
    }),
  );
  return dir;
}

/** Polls every 200 ms until `ok` (expect.poll is not available in hooks); returns when it held. */
async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<{ at: number; value: T }> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const value = await probe();
    if (value !== undefined) return { at: Date.now(), value };
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`condition not met within ${timeoutMs / 1000} s`);
}

interface ArgoEvent {
  reason: string;
  message: string;
  t: number;
}

describe('collectors against the real Argo CD: a root with its own name, tracking annotations, health that flaps', () => {
  let gs: GitopsSandbox;
  let dir: string;
  const points: Point[] = [];
  let collectors: Collector[];
  let waves: WavesSummary;
  let kc: k8s.KubeConfig;
  // When the test saw each transition, and when Argo CD says it happened (whole seconds).
  let episode: { patchedAt: number; lostAt: number; lostSince: number; backAt: number; backSince: number };

  const app = async (name: string) =>
    (await kubeRequest<any>(kc, 'GET', `/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/${name}`)).body;
  const eventsOf = async (name: string): Promise<ArgoEvent[]> =>
    (
      await kubeRequest<{ items: any[] }>(
        kc,
        'GET',
        `/api/v1/namespaces/argocd/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name},involvedObject.kind=Application`)}`,
      )
    ).body.items
      .map((e) => ({ reason: e.reason, message: e.message, t: Date.parse(e.lastTimestamp ?? e.eventTime) }))
      .sort((a, b) => a.t - b.t);

  beforeAll(async () => {
    const repo = writeRepo();
    dir = mkdtempSync(join(tmpdir(), 'rb-argocd-real-'));
    gs = await upGitopsSandbox({
      dir,
      install: false,
      log: createLogger({ level: 'warn' }),
      input: { dir: repo },
      argocd: 'real',
      timeScale: 1,
      applyRoot: false,
    });
    kc = new k8s.KubeConfig();
    kc.loadFromFile(gs.sandbox.kubeconfigPath);
    collectors = createCollectors(['waves', 'restarts', 'events']);
    const ctx: CollectorContext = {
      kc,
      runId: 'argocd-real',
      log: silentLogger,
      emit: (p) => points.push(p),
      // No root name: the collectors must find it.
      argocd: { namespace: 'argocd', waveAnnotation: 'argocd.argoproj.io/sync-wave' },
      activeFault: () => undefined,
      signal: new AbortController().signal,
    };
    for (const c of collectors) await c.start(ctx);
    await gs.applyRoot();
    const conv = await waitForConvergence(kc, silentLogger, { expected: 4, timeoutMs: 240_000, everyMs: 1000 });
    expect(conv.converged, `${conv.healthy}/${conv.total}`).toBe(true);
    // A rollout slower than web's 2 s progress deadline: Healthy → Degraded → Healthy.
    const patchedAt = Date.now();
    await kubeRequest(kc, 'PATCH', '/apis/apps/v1/namespaces/lab/deployments/web', {
      body: {
        spec: {
          template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } },
        },
      },
      contentType: 'application/merge-patch+json',
    });
    const healthIs = (ok: (status: string) => boolean) => async () => {
      const health = (await app('web')).status?.health;
      return health && ok(health.status) ? Date.parse(health.lastTransitionTime) : undefined;
    };
    // The episode opens when web leaves Healthy (Progressing first) and is named by its worst state.
    const lost = await until(
      healthIs((s) => s !== 'Healthy'),
      60_000,
    );
    await until(
      healthIs((s) => s === 'Degraded'),
      60_000,
    );
    const back = await until(
      healthIs((s) => s === 'Healthy'),
      120_000,
    );
    episode = { patchedAt, lostAt: lost.at, lostSince: lost.value, backAt: back.at, backSince: back.value };
    await new Promise((r) => setTimeout(r, 1000));
    for (const c of collectors) await c.stop();
    waves = collectors[0]!.summary() as WavesSummary;
  }, 600_000);

  afterAll(async () => {
    if (dir) await stopSandbox(dir, { wipe: true });
  });

  it('recognises the root by its children, whatever its name; every child has its parent', () => {
    expect(waves.roots).toEqual(['lab-app-of-apps']);
    expect(waves.apps.map((a) => a.name).sort()).toEqual(['api', 'db', 'web']);
    expect(waves.waves.map((w) => w.wave)).toEqual([1, 2, 3]);
    for (const a of waves.apps) expect(a.parent, a.name).toBe('lab-app-of-apps');
    expect(waves.argocd).toMatchObject({ version: 'v3.2.11', mode: 'real' });
  });

  it('a Healthy → Degraded → Healthy episode moves the time to Healthy and is counted', () => {
    const web = waves.apps.find((a) => a.name === 'web')!;
    expect(web.episodes?.some((e) => e.status === 'Degraded' && e.to !== null)).toBe(true);
    const last = web.episodes![web.episodes!.length - 1]!;
    expect(web.healthy!.t).toBe(last.to);
    expect(web.healthy!.t).toBeGreaterThan(web.firstHealthy!.t);
    // The collector places the loss and the return between Argo CD's own record of them and the
    // test's poll (every 200 ms, slow under load), plus a second for the watch's delivery. A poll
    // that missed the short Progressing state saw Degraded's record: then the bound is the patch
    // (Argo CD's record is truncated to the second, hence the second before it).
    expect(last.from).toBeGreaterThanOrEqual(Math.min(episode.lostSince, episode.patchedAt - 1000));
    expect(last.from).toBeLessThanOrEqual(episode.lostAt + 1000);
    expect(last.to!).toBeGreaterThanOrEqual(episode.backSince);
    expect(last.to!).toBeLessThanOrEqual(episode.backAt + 1000);
    const lost = points.filter(
      (p) => p.measurement === 'rb_app' && p.tags.app === 'web' && p.tags.event === 'health_lost',
    );
    expect(lost.length).toBe(web.episodes!.length);
  });

  it("agrees with Argo CD's own records: health events, operationState and the controller's sync counter", async () => {
    for (const a of waves.apps) {
      const ev = await eventsOf(a.name);
      const backToHealthy = ev.filter(
        (e) => e.reason === 'ResourceUpdated' && /Updated health status: \w* ?-> Healthy/.test(e.message),
      );
      expect(backToHealthy.length, a.name).toBeGreaterThan(0);
      // Events carry one-second timestamps: the collector's live time is within that second (plus delivery).
      expect(Math.abs(a.healthy!.t - backToHealthy[backToHealthy.length - 1]!.t), a.name).toBeLessThan(2000);
      expect(ev.some((e) => e.reason === 'OperationStarted')).toBe(true);
      const live = await app(a.name);
      expect(live.status.operationState.phase).toBe('Succeeded');
      expect(Math.abs(a.sync_started!.t - Date.parse(live.status.operationState.startedAt)), a.name).toBeLessThan(2000);
    }
    const metricsPort = gs.argocd.mode === 'real' ? gs.argocd.ports.controllerMetrics : 0;
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    for (const name of ['db', 'api', 'web', 'lab-app-of-apps']) {
      const m = new RegExp(`argocd_app_sync_total\\{[^}]*name="${name}"[^}]*phase="Succeeded"[^}]*\\} (\\d+)`).exec(
        metrics,
      );
      expect(Number(m?.[1] ?? 0), name).toBeGreaterThanOrEqual(1);
    }
    expect(metrics).toMatch(/argocd_app_reconcile_count\{/);
  });
});
