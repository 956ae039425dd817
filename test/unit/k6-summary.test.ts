import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { k6Args, k6Point, k6Points, parseK6Summary, sampleTime } from '../../cluster/k6.ts';
import { parseLine, toLine } from '../../record/line-protocol.ts';

/**
 * The fixtures are real `--summary-export` files of k6 v1.8.1 (written by runK6) against a sandbox
 * kube-apiserver v1.34.4: suites/k6/admission-load.ts with 2 stages of 2 s at 2 VUs —
 *   admission-ok:      dry-run creates in `default`, everything admitted;
 *   admission-crossed: the same with P99_MS=0.001 (k6 exited 99);
 *   admission-webhook: a namespace behind a ValidatingWebhookConfiguration whose service is unreachable
 *                      (failurePolicy Fail: every create gets "failed calling webhook", k6 exited 99);
 * and suites/k6/smoke.ts with 5 iterations (no admission metric, thresholds on checks and http_req_failed).
 */
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(resolve(import.meta.dirname, '../fixtures/k6', name), 'utf8'));

describe('parseK6Summary', () => {
  it('reads a passing admission run', () => {
    const r = parseK6Summary(fixture('admission-ok.summary.json'), {
      exitCode: 0,
      summaryFile: '/w/k6-summary.json',
      wallMs: 9999,
    });
    expect(r).toEqual({
      exitCode: 0,
      thresholdsOk: true,
      iterations: 1075,
      requests: 1075,
      requestRate: 268.1498683268281,
      failedRate: 0,
      rejectedRate: 0,
      latencyMs: { p50: 3.260295, p90: 8.237777, p95: 10.3537605, p99: 15.803565279999997, max: 34.382728 },
      durationMs: expect.closeTo(4008.95, 1) as number,
      thresholds: {
        'http_req_duration{expected_response:true}: p(99)<1000': true,
        'http_req_failed: rate<0.01': true,
      },
      summaryFile: '/w/k6-summary.json',
    });
  });

  it('reports a crossed threshold (exit 99) as a result, naming the threshold', () => {
    const r = parseK6Summary(fixture('admission-crossed.summary.json'), { exitCode: 99, summaryFile: 's.json' });
    expect(r.exitCode).toBe(99);
    expect(r.thresholdsOk).toBe(false);
    expect(r.thresholds).toEqual({
      'http_req_duration{expected_response:true}: p(99)<0.001': false,
      'http_req_failed: rate<0.01': true,
    });
    expect(r.requests).toBe(763);
    expect(r.latencyMs?.p99).toBeGreaterThan(0.001);
  });

  it('counts webhook rejections, and gives no latency when no request succeeded', () => {
    const r = parseK6Summary(fixture('admission-webhook.summary.json'), { exitCode: 99, summaryFile: 's.json' });
    expect(r.requests).toBe(1037);
    expect(r.failedRate).toBe(1);
    expect(r.rejectedRate).toBe(1);
    // k6 exports zeros for the empty expected_response:true submetric: not a latency.
    expect(r.latencyMs).toBeNull();
    expect(r.thresholds['http_req_failed: rate<0.01']).toBe(false);
    expect(r.thresholdsOk).toBe(false);
  });

  it('reads a script without admission metrics (smoke): rejectedRate null', () => {
    const r = parseK6Summary(fixture('smoke.summary.json'), { exitCode: 0, summaryFile: 's.json' });
    expect(r.rejectedRate).toBeNull();
    expect(r.iterations).toBe(5);
    expect(r.requests).toBe(5);
    expect(r.thresholds).toEqual({ 'http_req_failed: rate==0': true, 'checks: rate==1': true });
    expect(r.thresholdsOk).toBe(true);
    expect(r.latencyMs?.p50).toBe(2.212451);
    expect(r.durationMs).toBeGreaterThan(0);
  });

  it('is not ok when k6 exited 99 even if the summary shows no crossed threshold', () => {
    expect(
      parseK6Summary(fixture('admission-ok.summary.json'), { exitCode: 99, summaryFile: 's.json' }).thresholdsOk,
    ).toBe(false);
  });

  it('falls back to the wall time and no latency when nothing ran', () => {
    const r = parseK6Summary(
      { metrics: { vus_max: { value: 1, min: 1, max: 1 } } },
      { exitCode: 0, summaryFile: 's.json', wallMs: 1234 },
    );
    expect(r).toMatchObject({
      requests: 0,
      requestRate: 0,
      iterations: 0,
      failedRate: 0,
      rejectedRate: null,
      latencyMs: null,
      durationMs: 1234,
      thresholds: {},
      thresholdsOk: true,
    });
  });

  it('rejects JSON that is not a summary export', () => {
    expect(() => parseK6Summary({ results: [] }, { exitCode: 0, summaryFile: 'x.json' })).toThrow(
      /x\.json: not a k6 summary export/,
    );
    expect(() => parseK6Summary(null, { exitCode: 0, summaryFile: 'x.json' })).toThrow(/not a k6 summary export/);
  });
});

describe('k6Args', () => {
  it('disables the REST API and usage report, exports p(99), adds tags and the JSON sample output', () => {
    const args = k6Args(
      { script: 'suites/k6/admission-load.ts', tags: { run: 'r1', suite: 'admission' } },
      '/w/k6-summary.json',
      '/w/k6-samples.json',
    );
    expect(args.slice(0, 5)).toEqual(['run', '--no-usage-report', '--no-color', '--address', '']);
    expect(args).toContain('--summary-export');
    expect(args[args.indexOf('--summary-export') + 1]).toBe('/w/k6-summary.json');
    expect(args[args.indexOf('--summary-trend-stats') + 1]).toContain('p(99)');
    expect(args.join(' ')).toContain('--tag run=r1 --tag suite=admission');
    expect(args[args.indexOf('--out') + 1]).toBe('json=/w/k6-samples.json');
    expect(args.at(-1)).toBe(resolve('suites/k6/admission-load.ts'));
  });

  it('has no output flag without a samples file, and refuses a tag name with "="', () => {
    expect(k6Args({ script: 's.ts', tags: {} }, 'x.json')).not.toContain('--out');
    expect(() => k6Args({ script: 's.ts', tags: { 'a=b': 'c' } }, 'x.json')).toThrow(/tag name/);
  });
});

describe('k6 samples as points', () => {
  it('keeps the metric and the low-cardinality tags (no url), the value and the time', () => {
    expect(
      k6Point({
        metric: 'admission_latency',
        time: 1_800_000_000_123,
        value: 12.5,
        tags: {
          outcome: 'admitted',
          url: 'https://x/api/v1/namespaces/default/pods',
          scenario: 'admission',
          proto: 'HTTP/1.1',
        },
      }),
    ).toEqual({
      measurement: 'rb_k6',
      tags: { metric: 'admission_latency', outcome: 'admitted', scenario: 'admission' },
      fields: { value: 12.5 },
      time: 1_800_000_000_123,
    });
  });
});

describe('k6 sample times', () => {
  it('keep the microseconds of k6 RFC 3339 times, through line protocol and back', () => {
    const t = sampleTime('2026-12-01T06:51:56.123456789Z');
    expect(t).toBeCloseTo(Date.parse('2026-12-01T06:51:56.123Z') + 0.456, 6);
    expect(sampleTime('2026-12-01T07:51:56.5+01:00')).toBe(Date.parse('2026-12-01T06:51:56.500Z'));
    const line = toLine({ measurement: 'rb_k6', tags: { metric: 'vus' }, fields: { value: 1 }, time: t });
    expect(line.endsWith(' 1796107916123456000')).toBe(true);
    expect(parseLine(line).time).toBeCloseTo(t, 6);
  });
});

describe('k6Points', () => {
  it('moves a sample of the same series and microsecond 1 µs on, so InfluxDB does not overwrite it', () => {
    const toPoint = k6Points();
    const s = { metric: 'admission_latency', time: 1_700_000_000_000.123, value: 5, tags: { outcome: 'admitted' } };
    const times = [toPoint(s), toPoint(s), toPoint({ ...s, value: 6 })].map((p) => p.time);
    expect(times).toEqual([1_700_000_000_000.123, 1_700_000_000_000.124, 1_700_000_000_000.125]);
    // Another series at the same instant keeps its time.
    expect(toPoint({ ...s, tags: { outcome: 'rejected' } }).time).toBe(1_700_000_000_000.123);
  });
});
