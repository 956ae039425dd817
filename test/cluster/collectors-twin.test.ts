import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeRequest } from '../../cluster/http.ts';
import { createCollectors } from '../../collectors/registry.ts';
import type { PodsSummary, RestartsSummary, WavesSummary } from '../../record/summaries.ts';
import type { Collector, CollectorContext } from '../../collectors/types.ts';
import { WAVES_DO_NOT_GATE } from '../../gitops/argocd.ts';
import { silentLogger } from '../../core/logger.ts';
import type { Point } from '../../record/point.ts';
import { homelab, twinSandbox, type TwinSandbox } from './twin-harness.ts';

describe('waves, restarts, events and pods collectors against the homelab twin (no health check)', () => {
  let tw: TwinSandbox;
  let collectors: Collector[];
  const points: Point[] = [];
  let waves: WavesSummary;
  let restarts: RestartsSummary;
  let pods: PodsSummary;

  beforeAll(async () => {
    tw = await twinSandbox({ dir: homelab }, 0.25, { launch: false });
    collectors = createCollectors(['waves', 'restarts', 'events', 'pods']);
    const ctx: CollectorContext = {
      kc: tw.kc,
      runId: 'test',
      log: silentLogger,
      emit: (p) => points.push({ ...p, time: p.time }),
      argocd: { namespace: 'argocd', rootApp: 'root', waveAnnotation: 'argocd.argoproj.io/sync-wave' },
      activeFault: () => undefined,
      signal: new AbortController().signal,
    };
    // The Application CRD must exist before the collectors can watch it: install the twin's CRD first.
    await kubeRequest(tw.kc, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'argocd' } } });
    const { applicationCrd } = await import('../../sandbox/twin/crds.ts');
    await kubeRequest(tw.kc, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: applicationCrd,
    });
    await new Promise((r) => setTimeout(r, 1500));
    for (const c of collectors) await c.start(ctx);
    await tw.launch();
    const conv = await tw.converge();
    expect(conv.converged).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    for (const c of collectors) await c.stop();
    waves = collectors[0]!.summary() as WavesSummary;
    restarts = collectors[1]!.summary() as RestartsSummary;
    pods = collectors.find((c) => c.name === 'pods')!.summary() as PodsSummary;
  }, 400_000);
  afterAll(async () => tw?.stop());

  it('records every Application transition the twin made (coverage 100 %), from live watch events', () => {
    const truthHealthy = tw.truth().filter((e) => e.kind === 'app-healthy') as Array<{ app: string; t: number }>;
    expect(truthHealthy).toHaveLength(64);
    for (const t of truthHealthy) {
      const a = waves.apps.find((x) => x.name === t.app);
      expect(a?.healthy, t.app).toBeDefined();
      expect(a!.healthy!.source).toBe('watch');
      expect(Math.abs(a!.healthy!.t - t.t)).toBeLessThan(1000);
    }
    for (const c of collectors) expect(c.coverage().complete).toBe(true);
  });

  it('computes waves in order with their apps, and finds that waves do not gate', () => {
    expect(waves.healthCheck).toBe(false);
    expect(waves.findings).toEqual([WAVES_DO_NOT_GATE]);
    expect(waves.waves.map((w) => w.wave)).toEqual([-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 10]);
    expect(waves.waves.find((w) => w.wave === 10)!.apps).toBe(32);
    for (const w of waves.waves) expect(w.durationMs).toBeGreaterThan(0);
    const early = waves.violations.filter((v) => v.wave === 5 && v.blockingWave === 4).map((v) => v.app);
    expect(early).toContain('linkwarden');
    expect(points.filter((p) => p.measurement === 'rb_wave')).toHaveLength(14);
  });

  it('counts the restarts the twin caused and classifies dependency waits', () => {
    const truthCrashes = tw.truth().filter((e) => e.kind === 'pod-crash') as Array<{
      app: string;
      dependencyWait: boolean;
    }>;
    expect(truthCrashes.length).toBeGreaterThan(0);
    expect(restarts.restarts).toBe(truthCrashes.length);
    const linkwarden = restarts.byApp.find((a) => a.app === 'linkwarden')!;
    expect(linkwarden.wave).toBe(5);
    expect(linkwarden.dependency).toBe(linkwarden.restarts);
    expect(restarts.crashLoopBackOff).toBeGreaterThan(0);
    expect(points.filter((p) => p.measurement === 'rb_restart')).toHaveLength(truthCrashes.length);
  });

  it('keeps Warning and Application events, deduplicated', () => {
    const ev = collectors[2]!.summary() as {
      warnings: number;
      applicationEvents: number;
      byReason: Record<string, number>;
    };
    expect(ev.byReason.BackOff).toBeGreaterThan(0);
    expect(ev.byReason.OperationCompleted).toBeGreaterThanOrEqual(64);
    expect(ev.applicationEvents).toBeGreaterThan(64 * 3);
  });

  it('times each pod the twin started, from creation to Ready and to the end of its pulls, against the truth log', () => {
    const truth = tw.truth();
    const firstReady = new Map<string, number>();
    for (const e of truth)
      if (e.kind === 'pod-ready' && !firstReady.has(`${e.namespace}/${e.pod}`))
        firstReady.set(`${e.namespace}/${e.pod}`, e.t);
    const pulled = new Map<string, { ms: number; t: number }>();
    for (const e of truth) if (e.kind === 'pod-pulled') pulled.set(`${e.namespace}/${e.pod}`, e);
    expect(firstReady.size).toBeGreaterThan(60);
    const byPod = new Map(pods.records.map((r) => [`${r.namespace}/${r.pod}`, r]));
    const readyErr: number[] = [];
    for (const [pod, t] of firstReady) {
      const r = byPod.get(pod);
      expect(r?.phases.ready, pod).toBeDefined();
      expect(r!.created.source, pod).toBe('watch');
      readyErr.push(Math.abs(r!.created.t + r!.phases.ready! - t));
      const p = pulled.get(pod)!;
      expect(p, pod).toBeDefined();
      // The duration is the one the kubelet's Pulled message carries; its end is the event's arrival.
      expect(Math.abs(r!.pullMs! - p.ms), pod).toBeLessThan(100);
      expect(Math.abs(r!.created.t + r!.phases.pulled! - p.t), pod).toBeLessThan(1000);
    }
    readyErr.sort((a, b) => a - b);
    console.log(
      `pods: ${readyErr.length} pods, Ready error vs truth p50 ${readyErr[Math.floor(readyErr.length / 2)]} ms, max ${readyErr.at(-1)} ms`,
    );
    expect(readyErr.at(-1)).toBeLessThan(1000);
    expect(pods.seenReady).toBe(0);
    const linkwarden = pods.byApp.find((a) => a.key === 'linkwarden')!;
    expect(linkwarden.wave).toBe(5);
    expect(linkwarden.crashLoopMs).toBeGreaterThan(0);
    expect(linkwarden.restarts).toBe(restarts.byApp.find((a) => a.app === 'linkwarden')!.restarts);
    expect(points.filter((p) => p.measurement === 'rb_pod_latency')).toHaveLength(pods.records.length);
    expect(points.filter((p) => p.measurement === 'rb_pod_quantiles').length).toBeGreaterThan(pods.byApp.length);
  });
});
