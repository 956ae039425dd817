import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeHttpError, kubeRequest } from '../../cluster/http.ts';
import { loadKube } from '../../cluster/kube.ts';
import { apiAccess, type ApiAccess } from '../../cluster/credentials.ts';
import { K6Error, runK6, type K6Result, type RunK6Options } from '../../cluster/k6.ts';
import { waitFor } from '../../core/abortable.ts';
import { AbortedError } from '../../core/errors.ts';

const script = resolve(import.meta.dirname, '../../suites/k6/admission-load.ts');
const bin = join(inject('sandboxBinDir'), 'k6');
const token = inject('sandboxToken');
const stages = (...s: Array<[string, number]>) => JSON.stringify(s.map(([duration, target]) => ({ duration, target })));

interface PodList {
  items: Array<{ metadata: { name: string } }>;
}

describe('suites/k6/admission-load.ts through runK6 (real kube-apiserver, k6 v1.8.1)', () => {
  let work: string;
  let kc: k8s.KubeConfig;
  /** The sandbox's admin token, TLS verified against the sandbox CA. */
  let api: ApiAccess;
  let runs = 0;

  const pods = async (ns: string, selector?: string) =>
    (
      await kubeRequest<PodList>(
        kc,
        'GET',
        `/api/v1/namespaces/${ns}/pods${selector ? `?labelSelector=${encodeURIComponent(selector)}` : ''}`,
      )
    ).body.items;

  /** runK6 against the sandbox with the admin token; returns the result and every streamed line. */
  async function k6(
    env: Record<string, string>,
    extra: Partial<RunK6Options> = {},
  ): Promise<{ r: K6Result; lines: string[]; runId: string }> {
    const runId = `k6t-${randomBytes(3).toString('hex')}`;
    const lines: string[] = [];
    const r = await runK6({
      script,
      bin,
      api,
      env: { NAMESPACE: 'default', RUN_ID: runId, ...env },
      tags: { run: runId },
      workDir: join(work, `run-${++runs}`),
      onLine: (l) => lines.push(l),
      secrets: [token],
      ...extra,
    });
    return { r, lines, runId };
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'rebuild-bench-k6-admission-'));
    kc = loadKube({ kubeconfig: inject('sandboxKubeconfig') }).kc;
    const access = await apiAccess(kc);
    api = { server: access.server, ca: access.ca!, insecure: false, token };
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('dry-run creates are all admitted, nothing is stored, and the token never reaches a streamed line', async () => {
    const before = (await pods('default')).length;
    const { r, lines, runId } = await k6({ STAGES: stages(['3s', 4], ['4s', 4], ['3s', 0]) });

    expect(r.exitCode, lines.slice(-10).join('\n')).toBe(0);
    expect(r.thresholdsOk).toBe(true);
    expect(r.requests).toBeGreaterThan(0);
    expect(r.iterations).toBe(r.requests);
    expect(r.failedRate).toBe(0);
    expect(r.rejectedRate).toBe(0);
    expect(r.latencyMs?.p99).toBeGreaterThan(0);
    expect(r.latencyMs!.p50).toBeLessThanOrEqual(r.latencyMs!.p99);
    expect(r.durationMs).toBeGreaterThan(9000);
    expect(r.thresholds).toEqual({
      'http_req_duration{expected_response:true}: p(99)<1000': true,
      'http_req_failed: rate<0.01': true,
    });
    expect(existsSync(r.summaryFile)).toBe(true);

    // Server-side dry run: no pod of this run exists, and the namespace has as many pods as before.
    expect(await pods('default', `rebuild-bench/run=${runId}`)).toEqual([]);
    expect((await pods('default')).length).toBe(before);

    // Progress and the end-of-test summary were streamed, with the token masked everywhere.
    expect(lines.some((l) => /^running \(/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('admission_rejected'))).toBe(true);
    for (const l of lines) expect(l).not.toContain(token);
    expect(readFileSync(r.summaryFile, 'utf8')).not.toContain(token);

    console.log(
      `k6 dry-run pod creates (stages 3s→4 VUs, 4s at 4, 3s→0): ${r.requests} requests in ${(r.durationMs / 1000).toFixed(1)} s = ` +
        `${r.requestRate.toFixed(0)} req/s; latency ms p50 ${r.latencyMs!.p50.toFixed(2)} p90 ${r.latencyMs!.p90.toFixed(2)} ` +
        `p95 ${r.latencyMs!.p95.toFixed(2)} p99 ${r.latencyMs!.p99.toFixed(2)} max ${r.latencyMs!.max.toFixed(2)}`,
    );
  });

  it('churn mode (constant arrival rate) creates and deletes real pods and leaves none behind', async () => {
    const { r, lines, runId } = await k6({ MODE: 'churn', RATE: '5', DURATION: '3s', MAX_VUS: '5' });
    expect(r.exitCode, lines.slice(-10).join('\n')).toBe(0);
    expect(r.iterations).toBeGreaterThanOrEqual(10);
    // One create and one delete per iteration, plus teardown's delete-collection.
    expect(r.requests).toBe(2 * r.iterations + 1);
    expect(r.failedRate).toBe(0);
    expect(r.rejectedRate).toBe(0);
    expect(await pods('default', `rebuild-bench/run=${runId}`)).toEqual([]);
    expect(await pods('default', 'rebuild-bench/k6=churn')).toEqual([]);
  });

  it('an abort stops k6 with SIGINT: teardown still deletes the churn pods, runK6 throws AbortedError', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort('test aborts the run'), 3000);
    const t0 = Date.now();
    const lines: string[] = [];
    const runId = `k6t-${randomBytes(3).toString('hex')}`;
    const err = await runK6({
      script,
      bin,
      api,
      env: {
        NAMESPACE: 'default',
        RUN_ID: runId,
        MODE: 'churn',
        STAGES: stages(['30s', 3]),
      },
      tags: { run: runId },
      workDir: join(work, 'aborted'),
      signal: abort.signal,
      onLine: (l) => lines.push(l),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AbortedError);
    expect((err as Error).message).toContain('test aborts the run');
    expect(Date.now() - t0).toBeLessThan(3000 + 10_000);
    expect(lines.some((l) => l.includes('SIGINT'))).toBe(true);
    for (const l of lines) expect(l).not.toContain(token);
    expect(await pods('default', `rebuild-bench/run=${runId}`)).toEqual([]);
  });

  it('a crossed threshold (P99_MS=0.001) is a result: exit code 99, thresholdsOk false', async () => {
    const { r, lines } = await k6({ P99_MS: '0.001', STAGES: stages(['1s', 1], ['2s', 1]) });
    expect(r.exitCode, lines.slice(-10).join('\n')).toBe(99);
    expect(r.thresholdsOk).toBe(false);
    expect(r.thresholds['http_req_duration{expected_response:true}: p(99)<0.001']).toBe(false);
    expect(r.thresholds['http_req_failed: rate<0.01']).toBe(true);
    expect(r.requests).toBeGreaterThan(0);
  });

  it('hands every sample of the kept metrics to onSample while it runs, with the outcome of each create', async () => {
    const samples: Array<{ metric: string; tags: Record<string, string>; time: number }> = [];
    const t0 = Date.now();
    const { r, lines } = await k6({ STAGES: stages(['1s', 1], ['2s', 1]) }, { onSample: (x) => samples.push(x) });
    expect(r.exitCode, lines.slice(-10).join('\n')).toBe(0);
    const latency = samples.filter((x) => x.metric === 'admission_latency');
    expect(latency).toHaveLength(r.iterations);
    expect(new Set(latency.map((x) => x.tags.outcome))).toEqual(new Set(['admitted']));
    expect(samples.filter((x) => x.metric === 'http_reqs')).toHaveLength(r.requests);
    expect(samples.every((x) => x.time >= t0 - 1000 && x.time <= Date.now())).toBe(true);
    expect(new Set(samples.map((x) => x.metric))).not.toContain('http_req_blocked');
  });

  it('bad script input (STAGES not JSON) throws K6Error with k6 exit code and message', async () => {
    const err = await k6({ STAGES: 'not json' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(K6Error);
    expect((err as K6Error).exitCode).not.toBe(0);
    expect((err as K6Error).exitCode).not.toBe(99);
    expect((err as K6Error).tail.join('\n')).toContain('STAGES is not JSON');
  });

  describe('behind a failing admission webhook (what Kyverno down with failurePolicy Fail looks like)', () => {
    const ns = `rb-k6-webhook-${randomBytes(3).toString('hex')}`;
    const webhook = `${ns}-unreachable`;

    beforeAll(async () => {
      await kubeRequest(kc, 'POST', '/api/v1/namespaces', {
        body: { metadata: { name: ns, labels: { 'rebuild-bench/k6-test': ns } } },
      });
      // The ServiceAccount admission plugin refuses pods until the namespace's default ServiceAccount exists.
      await waitFor(
        `ServiceAccount ${ns}/default`,
        async () => (await kubeRequest(kc, 'GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200,
        {
          timeoutMs: 30_000,
          intervalMs: 200,
        },
      );
      await kubeRequest(kc, 'POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
        body: {
          metadata: { name: webhook },
          webhooks: [
            {
              name: 'unreachable.rebuild-bench.test',
              admissionReviewVersions: ['v1'],
              sideEffects: 'None',
              failurePolicy: 'Fail',
              timeoutSeconds: 2,
              clientConfig: { url: 'https://127.0.0.1:1/validate' },
              namespaceSelector: { matchLabels: { 'rebuild-bench/k6-test': ns } },
              rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
            },
          ],
        },
      });
      // The API server picks webhook configurations up asynchronously: wait until a dry-run create hits it.
      const pod = {
        metadata: { generateName: 'probe-' },
        spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10' }] },
      };
      await waitFor(
        'the webhook to be called',
        async () => {
          try {
            await kubeRequest(kc, 'POST', `/api/v1/namespaces/${ns}/pods?dryRun=All`, { body: pod });
            return false;
          } catch (err) {
            return err instanceof KubeHttpError && err.message.includes('failed calling webhook');
          }
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
    });
    afterAll(async () => {
      await kubeRequest(
        kc,
        'DELETE',
        `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${webhook}`,
      ).catch(() => undefined);
      await kubeRequest(kc, 'DELETE', `/api/v1/namespaces/${ns}`).catch(() => undefined);
    });

    it('classifies every create as rejected: rejectedRate 1, failedRate 1, no success latency, exit 99', async () => {
      const { r, lines } = await k6({ NAMESPACE: ns, STAGES: stages(['3s', 2]) });
      expect(r.exitCode, lines.slice(-10).join('\n')).toBe(99);
      expect(r.requests).toBeGreaterThan(0);
      expect(r.rejectedRate).toBe(1);
      expect(r.failedRate).toBe(1);
      expect(r.latencyMs).toBeNull();
      expect(r.thresholds['http_req_failed: rate<0.01']).toBe(false);
      expect(r.thresholdsOk).toBe(false);
    });
  });
});
