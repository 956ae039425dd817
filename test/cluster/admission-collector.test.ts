import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as k8s from '@kubernetes/client-node';
import { kubeRequest } from '../../cluster/http.ts';
import { AdmissionCollector, probePod, wasMutated } from '../../collectors/admission.ts';
import type { AdmissionSummary } from '../../record/summaries.ts';
import type { CollectorContext, CollectorCoverage } from '../../collectors/types.ts';
import { sleep } from '../../core/abortable.ts';
import { createLogger } from '../../core/logger.ts';
import type { Point } from '../../record/point.ts';
import { homelab, twinSandbox, type TwinSandbox } from './twin-harness.ts';

const MUTATE = 'mutate.kyverno.svc-fail';
const VALIDATE = 'validate.kyverno.svc-fail';

interface Phase {
  points: Point[];
  summary: AdmissionSummary;
  coverage: CollectorCoverage;
  from: number;
  to: number;
  stopMs: number;
}

const of = (points: Point[], m: string) => points.filter((p) => p.measurement === m);
const total = (points: Point[], m: string, f: (p: Point) => boolean) =>
  of(points, m)
    .filter(f)
    .reduce((a, p) => a + Number(p.fields.count), 0);

describe('admission collector against the homelab twin (Kyverno up, down with Fail, down with Ignore)', () => {
  let tw: TwinSandbox;
  const log = createLogger({ level: 'warn' });

  beforeAll(async () => {
    tw = await twinSandbox({ dir: homelab }, 0.25);
    const c = await tw.converge();
    expect(c.converged, `${c.healthy}/${c.total}`).toBe(true);
  });
  afterAll(async () => tw?.stop());

  /** Runs a fresh collector for `ms`, ending it with stop() or, when `viaSignal`, with the run's abort signal first. */
  async function collect(
    ms: number,
    viaSignal = false,
    opts: { intervalMs: number; scrapeEveryMs: number } = { intervalMs: 500, scrapeEveryMs: 2000 },
  ): Promise<Phase> {
    const points: Point[] = [];
    const abort = new AbortController();
    const ctx: CollectorContext = {
      kc: tw.kc,
      runId: 'admission-collector-test',
      log,
      emit: (p) => points.push(p),
      argocd: { namespace: 'argocd', rootApp: 'root', waveAnnotation: 'argocd.argoproj.io/sync-wave' },
      activeFault: () => undefined,
      signal: abort.signal,
    };
    const col = new AdmissionCollector({ namespace: 'default', ...opts });
    const from = Date.now();
    await col.start(ctx);
    await sleep(ms);
    const s0 = performance.now();
    if (viaSignal) abort.abort('test ends the run');
    await col.stop();
    const stopMs = performance.now() - s0;
    return { points, summary: col.summary(), coverage: col.coverage(), from, to: Date.now(), stopMs };
  }

  /** One dry-run create outside the collector: 'mutated', 'admitted' or the error text. */
  const dryRun = async (): Promise<string> => {
    const sent = probePod('wait');
    try {
      const res = await kubeRequest(tw.kc, 'POST', '/api/v1/namespaces/default/pods?dryRun=All', {
        body: sent,
        timeoutMs: 30_000,
      });
      return wasMutated(sent, res.body) ? 'mutated' : 'admitted';
    } catch (err) {
      return (err as Error).message;
    }
  };

  const admissionTruth = (from: number, to: number) =>
    tw.truth().filter((e) => e.kind === 'admission' && e.t >= from && e.t <= to) as Array<{
      kind: 'admission';
      t: number;
      mutated: boolean;
    }>;

  it('Kyverno up: every probe is admitted and mutated; the API server counts the mutate webhook calls', async () => {
    expect(await dryRun()).toBe('mutated');
    const ph = await collect(6000);
    const { probes } = ph.summary;
    console.log(
      'kyverno up:',
      JSON.stringify({
        probes,
        webhooks: ph.summary.webhooks,
        scrapes: ph.summary.scrapes,
        stopMs: Math.round(ph.stopMs),
      }),
    );
    expect(probes.count).toBeGreaterThanOrEqual(8);
    expect(probes.admitted).toBe(probes.count);
    expect(probes.mutated).toBe(probes.count);
    expect(probes.skipped).toBe(0);
    // stop() lets the probe in flight finish: none abandoned, every tick probed.
    expect(probes.abandoned).toBe(0);
    expect(probes.ticks).toBe(probes.count);
    expect(probes.latencyMs!.p50).toBeGreaterThan(0);
    expect(probes.latencyMs!.max).toBeGreaterThanOrEqual(probes.latencyMs!.p99);
    const probePts = of(ph.points, 'rb_admission_probe');
    expect(probePts).toHaveLength(probes.count);
    for (const p of probePts) expect(p.tags).toEqual({ outcome: 'admitted', mutated: 'true', reason: '' });

    // Metrics: baseline before the first probe, final after the last, so every probe is in the deltas.
    const mutateCalls = total(
      ph.points,
      'rb_admission_webhook',
      (p) => p.tags.webhook === MUTATE && p.tags.type === 'admit' && p.tags.operation === 'CREATE',
    );
    expect(mutateCalls).toBeGreaterThanOrEqual(probes.count);
    const hook = ph.summary.webhooks.find((w) => w.name === MUTATE && w.type === 'admit')!;
    expect(hook.count).toBe(mutateCalls);
    expect(hook.rejected).toBe(0);
    expect(hook.p50_s).toBeGreaterThan(0);
    expect(hook.p99_s!).toBeGreaterThanOrEqual(hook.p50_s!);
    expect(
      ph.summary.webhooks.find((w) => w.name === VALIDATE && w.type === 'validating')!.count,
    ).toBeGreaterThanOrEqual(probes.count);
    for (const p of of(ph.points, 'rb_admission_webhook'))
      expect(Object.keys(p.fields).sort()).toEqual(['count', 'p50_s', 'p99_s', 'sum_s']);
    expect(ph.summary.scrapes.ok).toBeGreaterThanOrEqual(4); // start, ≥ 2 periodic, stop
    expect(ph.summary.scrapes.failed).toBe(0);

    // Ground truth: the twin logs each webhook call it answered (mutate → mutated: true).
    const truth = admissionTruth(ph.from, ph.to);
    const truthMutated = truth.filter((e) => e.mutated).length;
    console.log('kyverno up truth:', {
      truthCalls: truth.length,
      truthMutated,
      probes: probes.count,
      metricMutateCalls: mutateCalls,
    });
    expect(truthMutated).toBeGreaterThanOrEqual(probes.mutated);
    expect(truthMutated).toBe(mutateCalls);
    const validateCalls = total(ph.points, 'rb_admission_webhook', (p) => p.tags.webhook === VALIDATE);
    expect(truth.length).toBe(mutateCalls + validateCalls);
    expect(ph.coverage.complete, ph.coverage.notes.join('; ')).toBe(true);
    expect(ph.stopMs).toBeLessThan(3000);
  });

  it('probes never overlap: ticks that find one in flight are skipped, and > 10 % skipped makes coverage incomplete', async () => {
    // Kyverno answers in ~60–80 ms; a 10 ms interval must skip most ticks.
    const ph = await collect(2000, false, { intervalMs: 10, scrapeEveryMs: 60_000 });
    const { probes } = ph.summary;
    console.log(
      'overlap:',
      JSON.stringify({
        count: probes.count,
        skipped: probes.skipped,
        ticks: probes.ticks,
        abandoned: probes.abandoned,
      }),
    );
    expect(probes.skipped).toBeGreaterThan(probes.count);
    expect(probes.ticks).toBe(probes.count + probes.skipped + probes.abandoned);
    // No overlap: each probe started after the previous one ended.
    const pts = of(ph.points, 'rb_admission_probe');
    for (let i = 1; i < pts.length; i++)
      expect(pts[i]!.time).toBeGreaterThanOrEqual(
        Math.floor(pts[i - 1]!.time + Number(pts[i - 1]!.fields.latency_ms)) - 1,
      );
    expect(ph.summary.scrapes.ok).toBe(2); // start and stop only
    expect(ph.coverage.complete).toBe(false);
    expect(ph.coverage.notes.join('\n')).toMatch(/probe ticks .* skipped/);
  });

  it('Kyverno scaled to zero with Fail: probes rejected as webhook-unreachable, rejections counted as calling_webhook_error', async () => {
    const apps = tw.kc.makeApiClient(k8s.AppsV1Api);
    await apps.patchNamespacedDeploymentScale(
      { name: 'kyverno-admission-controller', namespace: 'kyverno', body: { spec: { replicas: 0 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await expect.poll(dryRun, { timeout: 60_000, interval: 500 }).toContain('failed calling webhook');
    const ph = await collect(6000);
    const { probes } = ph.summary;
    console.log(
      'kyverno down (Fail):',
      JSON.stringify({
        probes,
        rejections: ph.summary.rejections,
        byType: ph.summary.rejectionsByErrorType,
        webhooks: ph.summary.webhooks,
        scrapes: ph.summary.scrapes,
      }),
    );
    expect(probes.count).toBeGreaterThanOrEqual(8);
    expect(probes.rejected).toBe(probes.count);
    expect(probes.admitted).toBe(0);
    expect(probes.reasons).toEqual({ [`webhook-unreachable:${MUTATE}`]: probes.count });
    for (const p of of(ph.points, 'rb_admission_probe'))
      expect(p.tags).toEqual({ outcome: 'rejected', mutated: 'false', reason: `webhook-unreachable:${MUTATE}` });

    const rejections = total(
      ph.points,
      'rb_admission_rejection',
      (p) => p.tags.webhook === MUTATE && p.tags.error_type === 'calling_webhook_error',
    );
    expect(rejections).toBeGreaterThanOrEqual(probes.count);
    expect(ph.summary.rejectionsByErrorType.calling_webhook_error).toBe(rejections);
    // Mutating webhooks run first: the validating one is never called while the mutate call fails.
    expect(total(ph.points, 'rb_admission_rejection', (p) => p.tags.webhook === VALIDATE)).toBe(0);
    const hook = ph.summary.webhooks.find((w) => w.name === MUTATE && w.type === 'admit')!;
    expect(hook.rejected).toBeGreaterThanOrEqual(probes.count);
    expect(ph.summary.failOpen).toEqual({});
    // Ground truth: the twin answered no webhook call while it was down.
    expect(admissionTruth(ph.from, ph.to)).toEqual([]);
    expect(ph.coverage.complete, ph.coverage.notes.join('; ')).toBe(true);
  });

  it('failurePolicy switched to Ignore: probes admitted unmutated, fail-open counted; ends on the run signal', async () => {
    const adm = tw.kc.makeApiClient(k8s.AdmissionregistrationV1Api);
    const mutating = await adm.readMutatingWebhookConfiguration({ name: 'kyverno-resource-mutating-webhook-cfg' });
    for (const w of mutating.webhooks ?? []) w.failurePolicy = 'Ignore';
    await adm.replaceMutatingWebhookConfiguration({ name: mutating.metadata!.name!, body: mutating });
    const validating = await adm.readValidatingWebhookConfiguration({
      name: 'kyverno-resource-validating-webhook-cfg',
    });
    for (const w of validating.webhooks ?? []) w.failurePolicy = 'Ignore';
    await adm.replaceValidatingWebhookConfiguration({ name: validating.metadata!.name!, body: validating });
    await expect.poll(dryRun, { timeout: 30_000, interval: 500 }).toBe('admitted');

    const ph = await collect(6000, true);
    const { probes } = ph.summary;
    console.log(
      'kyverno down (Ignore):',
      JSON.stringify({
        probes,
        failOpen: ph.summary.failOpen,
        rejections: ph.summary.rejections,
        scrapes: ph.summary.scrapes,
        stopMs: Math.round(ph.stopMs),
      }),
    );
    expect(probes.count).toBeGreaterThanOrEqual(8);
    expect(probes.admitted).toBe(probes.count);
    expect(probes.mutated).toBe(0);
    expect(probes.ticks).toBe(probes.count + probes.abandoned + probes.skipped);
    for (const p of of(ph.points, 'rb_admission_probe'))
      expect(p.tags).toEqual({ outcome: 'admitted', mutated: 'false', reason: '' });

    const failOpenMutate = total(ph.points, 'rb_admission_fail_open', (p) => p.tags.webhook === MUTATE);
    const failOpenValidate = total(ph.points, 'rb_admission_fail_open', (p) => p.tags.webhook === VALIDATE);
    expect(failOpenMutate).toBeGreaterThanOrEqual(probes.count);
    expect(failOpenValidate).toBeGreaterThanOrEqual(probes.count);
    expect(ph.summary.failOpen[MUTATE]).toBe(failOpenMutate);
    expect(admissionTruth(ph.from, ph.to)).toEqual([]);
    // The abort signal ends the loops promptly; stop() still takes the final scrape.
    expect(ph.stopMs).toBeLessThan(3000);
    expect(ph.summary.scrapes.failed).toBe(0);
    expect(ph.coverage.complete, ph.coverage.notes.join('; ')).toBe(true);
  });
});
