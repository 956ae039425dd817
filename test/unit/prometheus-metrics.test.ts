import { describe, expect, it } from 'vitest';
import {
  counterDeltas,
  counterIncrease,
  counters,
  histogramDelta,
  histogramDeltas,
  histogramQuantile,
  histograms,
  mergeHistograms,
  parsePrometheusText,
  type HistogramSeries,
} from '../../cluster/metrics.ts';
import { KubeHttpError } from '../../cluster/http.ts';
import { classifyProbeError, probePod, wasMutated } from '../../collectors/admission.ts';

const H = 'apiserver_admission_webhook_admission_duration_seconds';

/** A scrape shaped like kube-apiserver's, with a given mutate histogram and rejection counter. */
function exposition(b: [string, number][], sum: number, rejections: number): string {
  const labels = 'name="mutate.kyverno.svc-fail",operation="CREATE",rejected="false",type="admit"';
  return [
    `# HELP ${H} [STABLE] Admission webhook latency histogram in seconds, identified by name and broken out for each operation and API resource and type (validate or admit).`,
    `# TYPE ${H} histogram`,
    ...b.map(([le, c]) => `${H}_bucket{${labels},le="${le}"} ${c}`),
    `${H}_sum{${labels}} ${sum}`,
    `${H}_count{${labels}} ${b[b.length - 1]![1]}`,
    '# TYPE apiserver_admission_webhook_rejection_count counter',
    `apiserver_admission_webhook_rejection_count{error_type="calling_webhook_error",name="mutate.kyverno.svc-fail",operation="CREATE",rejection_code="0",type="admit"} ${rejections}`,
    '',
  ].join('\n');
}

describe('parsePrometheusText', () => {
  it('parses samples, labels with escapes, special values and timestamps; skips comments and junk', () => {
    const text = [
      '# HELP http_requests_total The total number of HTTP requests.',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{method="post",code="400",} 3 1395066363000',
      '',
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      'metric_without_timestamp_and_labels 12.47',
      'something_weird{problem="division by zero"} +Inf -3982045',
      'not_a_number NaN',
      'neg_inf{a="1"} -Inf',
      'labels_with_spaces { a = "x y" , b="{}=,"} 7',
      'broken{a="unterminated} 1',
      'also broken{} ',
      '   # indented comment',
    ].join('\n');
    const s = parsePrometheusText(text);
    expect(s.map((x) => x.name)).toEqual([
      'http_requests_total',
      'http_requests_total',
      'msdos_file_access_time_seconds',
      'metric_without_timestamp_and_labels',
      'something_weird',
      'not_a_number',
      'neg_inf',
      'labels_with_spaces',
    ]);
    expect(s[0]).toEqual({ name: 'http_requests_total', labels: { method: 'post', code: '200' }, value: 1027 });
    expect(s[1]!.labels).toEqual({ method: 'post', code: '400' });
    expect(s[2]!.labels).toEqual({ path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
    expect(s[2]!.value).toBe(1458255915);
    expect(s[3]).toEqual({ name: 'metric_without_timestamp_and_labels', labels: {}, value: 12.47 });
    expect(s[4]!.value).toBe(Number.POSITIVE_INFINITY);
    expect(s[5]!.value).toBeNaN();
    expect(s[6]!.value).toBe(Number.NEGATIVE_INFINITY);
    expect(s[7]).toEqual({ name: 'labels_with_spaces', labels: { a: 'x y', b: '{}=,' }, value: 7 });
    expect(parsePrometheusText(text, ['http_', 'neg_']).map((x) => x.name)).toEqual([
      'http_requests_total',
      'http_requests_total',
      'neg_inf',
    ]);
  });

  it('groups histogram buckets, sum and count per label set without le, buckets sorted', () => {
    const text = exposition(
      [
        ['+Inf', 4],
        ['0.005', 2],
        ['0.01', 3],
        ['0.1', 4],
      ],
      0.02,
      5,
    );
    const hs = histograms(parsePrometheusText(text), H);
    expect(hs.size).toBe(1);
    const h = [...hs.values()][0]!;
    expect(h.labels).toEqual({
      name: 'mutate.kyverno.svc-fail',
      operation: 'CREATE',
      rejected: 'false',
      type: 'admit',
    });
    expect(h.buckets).toEqual([
      { le: 0.005, count: 2 },
      { le: 0.01, count: 3 },
      { le: 0.1, count: 4 },
      { le: Number.POSITIVE_INFINITY, count: 4 },
    ]);
    expect(h.sum).toBe(0.02);
    expect(h.count).toBe(4);
    const cs = counters(parsePrometheusText(text), 'apiserver_admission_webhook_rejection_count');
    expect([...cs.values()][0]!.value).toBe(5);
    expect([...cs.values()][0]!.labels.rejection_code).toBe('0');
  });
});

describe('deltas between scrapes', () => {
  it('counter increase, with a reset (value went down) taken as the new value', () => {
    expect(counterIncrease(10, 25)).toBe(15);
    expect(counterIncrease(100, 3)).toBe(3);
    expect(counterIncrease(undefined, 7)).toBe(7);
    expect(counterIncrease(5, 5)).toBe(0);
  });

  it('counter deltas per series: a series new since the last scrape counts in full', () => {
    const a = parsePrometheusText('c{k="a"} 10\nc{k="b"} 50\n');
    const b = parsePrometheusText('c{k="a"} 14\nc{k="b"} 2\nc{k="new"} 6\n');
    const d = counterDeltas(counters(a, 'c'), counters(b, 'c'));
    expect(Object.fromEntries([...d.values()].map((x) => [x.labels.k, x.value]))).toEqual({ a: 4, b: 2, new: 6 });
  });

  it('histogram delta bucket by bucket, and its quantiles by hand', () => {
    const prev = histograms(
      parsePrometheusText(
        exposition(
          [
            ['0.005', 2],
            ['0.01', 3],
            ['0.1', 4],
            ['+Inf', 4],
          ],
          0.02,
          5,
        ),
      ),
      H,
    );
    const cur = histograms(
      parsePrometheusText(
        exposition(
          [
            ['0.005', 2],
            ['0.01', 7],
            ['0.1', 10],
            ['+Inf', 11],
          ],
          0.3,
          9,
        ),
      ),
      H,
    );
    const d = [...histogramDeltas(prev, cur).values()][0]!;
    expect(d.buckets).toEqual([
      { le: 0.005, count: 0 },
      { le: 0.01, count: 4 },
      { le: 0.1, count: 6 },
      { le: Number.POSITIVE_INFINITY, count: 7 },
    ]);
    expect(d.count).toBe(7);
    expect(d.sum).toBeCloseTo(0.28, 12);
    // p50: rank 3.5 falls in (0.005, 0.01] holding 4 → 0.005 + 0.005 × 3.5/4 = 0.009375
    expect(histogramQuantile(0.5, d.buckets)).toBeCloseTo(0.009375, 12);
    // p99: rank 6.93 falls in +Inf → highest finite bound
    expect(histogramQuantile(0.99, d.buckets)).toBe(0.1);
    // p80: rank 5.6 in (0.01, 0.1] holding 2 (4 below) → 0.01 + 0.09 × 1.6/2 = 0.082
    expect(histogramQuantile(0.8, d.buckets)).toBeCloseTo(0.082, 12);
  });

  it('histogram reset (count went down: API server restarted) takes the new histogram as the delta', () => {
    const prev: HistogramSeries = {
      labels: {},
      buckets: [
        { le: 0.1, count: 5 },
        { le: Infinity, count: 8 },
      ],
      sum: 2,
      count: 8,
    };
    const cur: HistogramSeries = {
      labels: {},
      buckets: [
        { le: 0.1, count: 1 },
        { le: Infinity, count: 2 },
      ],
      sum: 0.3,
      count: 2,
    };
    expect(histogramDelta(prev, cur)).toEqual(cur);
    expect(histogramDelta(undefined, cur)).toEqual(cur);
    // A lower bucket with a higher count is a reset too (restart plus more traffic than before).
    const busier: HistogramSeries = {
      labels: {},
      buckets: [
        { le: 0.1, count: 2 },
        { le: Infinity, count: 12 },
      ],
      sum: 9,
      count: 12,
    };
    expect(histogramDelta(prev, busier)).toEqual(busier);
  });

  it('merges histograms by bucket', () => {
    const a: HistogramSeries = {
      labels: {},
      buckets: [
        { le: 0.1, count: 1 },
        { le: Infinity, count: 2 },
      ],
      sum: 0.5,
      count: 2,
    };
    const b: HistogramSeries = {
      labels: {},
      buckets: [
        { le: 0.1, count: 3 },
        { le: Infinity, count: 3 },
      ],
      sum: 0.1,
      count: 3,
    };
    expect(mergeHistograms({ x: '1' }, [a, b])).toEqual({
      labels: { x: '1' },
      buckets: [
        { le: 0.1, count: 4 },
        { le: Infinity, count: 5 },
      ],
      sum: 0.6,
      count: 5,
    });
  });
});

describe('histogramQuantile (as Prometheus histogram_quantile)', () => {
  const b = [
    { le: 0.1, count: 10 },
    { le: 0.5, count: 30 },
    { le: 1, count: 40 },
    { le: Infinity, count: 40 },
  ];
  it('interpolates linearly inside the bucket holding the rank', () => {
    expect(histogramQuantile(0.5, b)).toBeCloseTo(0.3, 12); // rank 20: 0.1 + 0.4 × 10/20
    expect(histogramQuantile(0.99, b)).toBeCloseTo(0.98, 12); // rank 39.6: 0.5 + 0.5 × 9.6/10
    expect(histogramQuantile(0.25, b)).toBeCloseTo(0.1, 12); // rank 10: first bucket starts at 0
    expect(histogramQuantile(0.1, b)).toBeCloseTo(0.04, 12); // rank 4: 0 + 0.1 × 4/10
    expect(histogramQuantile(1, b)).toBe(1);
  });
  it('edge cases: +Inf bucket, no observations, no +Inf, out-of-range q, unsorted input', () => {
    expect(
      histogramQuantile(0.5, [
        { le: 0.1, count: 1 },
        { le: 1, count: 2 },
        { le: Infinity, count: 10 },
      ]),
    ).toBe(1);
    expect(
      histogramQuantile(0.5, [
        { le: 0.1, count: 0 },
        { le: Infinity, count: 0 },
      ]),
    ).toBeNaN();
    expect(
      histogramQuantile(0.5, [
        { le: 0.1, count: 3 },
        { le: 1, count: 4 },
      ]),
    ).toBeNaN();
    expect(histogramQuantile(0.5, [{ le: Infinity, count: 4 }])).toBeNaN();
    expect(histogramQuantile(-0.1, b)).toBe(-Infinity);
    expect(histogramQuantile(1.5, b)).toBe(Infinity);
    expect(histogramQuantile(0.5, [...b].reverse())).toBeCloseTo(0.3, 12);
  });
});

describe('admission probe helpers', () => {
  it('classifies webhook failures by cause and names the webhook', () => {
    const http = (status: number, msg: string) =>
      new KubeHttpError(status, 'InternalError', `POST /api/v1/namespaces/default/pods: ${status} ${msg}`);
    expect(
      classifyProbeError(
        http(
          500,
          'Internal error occurred: failed calling webhook "mutate.kyverno.svc-fail": failed to call webhook: Post "https://127.0.0.1:4443/mutate/fail?timeout=10s": dial tcp 127.0.0.1:4443: connect: connection refused',
        ),
      ),
    ).toEqual({
      outcome: 'rejected',
      reason: 'webhook-unreachable:mutate.kyverno.svc-fail',
      webhook: 'mutate.kyverno.svc-fail',
    });
    expect(
      classifyProbeError(
        http(
          500,
          'Internal error occurred: failed calling webhook "validate.kyverno.svc-fail": failed to call webhook: Post "https://kyverno-svc.kyverno.svc:443/validate/fail?timeout=10s": no endpoints available for service "kyverno-svc"',
        ),
      ).reason,
    ).toBe('webhook-unreachable:validate.kyverno.svc-fail');
    expect(
      classifyProbeError(
        http(
          500,
          'Internal error occurred: failed calling webhook "mutate.kyverno.svc-fail": failed to call webhook: Post "https://x/mutate?timeout=10s": context deadline exceeded',
        ),
      ).reason,
    ).toBe('webhook-timeout:mutate.kyverno.svc-fail');
    expect(
      classifyProbeError(
        http(400, 'admission webhook "validate.kyverno.svc-fail" denied the request: policy require-labels'),
      ).reason,
    ).toBe('denied:validate.kyverno.svc-fail');
    expect(classifyProbeError(http(404, 'namespaces "nope" not found'))).toEqual({
      outcome: 'error',
      reason: 'http-404',
    });
    expect(classifyProbeError(new Error('connect ECONNREFUSED 127.0.0.1:6443'))).toEqual({
      outcome: 'error',
      reason: 'api-unreachable',
    });
    expect(classifyProbeError(new Error('POST /api/v1/namespaces/default/pods: timed out after 35000 ms'))).toEqual({
      outcome: 'error',
      reason: 'api-timeout',
    });
  });

  it('detects mutation by comparing what was sent with what came back', () => {
    const sent = probePod('20261121-222100-123-ab12');
    expect(sent.metadata.labels['rebuild-bench/run']).toBe('20261121-222100-123-ab12');
    expect(probePod('weird id/with:chars').metadata.labels['rebuild-bench/run']).toBe('weird-id-with-chars');
    const defaulted = structuredClone(sent);
    defaulted.metadata.name = 'rb-admission-probe-x7k2p';
    defaulted.spec.containers[0].imagePullPolicy = 'IfNotPresent';
    defaulted.spec.containers[0].resources = {};
    expect(wasMutated(sent, defaulted)).toBe(false);
    const labelled = structuredClone(defaulted);
    labelled.metadata.labels['vixens.io/sizing'] = 'micro';
    expect(wasMutated(sent, labelled)).toBe(true);
    const sized = structuredClone(defaulted);
    sized.spec.containers[0].resources = { requests: { cpu: '50m', memory: '128Mi' } };
    expect(wasMutated(sent, sized)).toBe(true);
  });
});
