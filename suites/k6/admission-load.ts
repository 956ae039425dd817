/**
 * Load on the API server's admission path: every iteration creates a Pod.
 *
 *   K8S_API=https://127.0.0.1:6443 K8S_TOKEN=… SSL_CERT_FILE=ca.pem k6 run --address '' suites/k6/admission-load.ts
 *
 * MODE=dryrun (default): POST /api/v1/namespaces/$NAMESPACE/pods?dryRun=All. A server-side dry run goes
 *   through authentication, authorization, mutating and validating admission (webhooks included: Kyverno
 *   sees the request) and validation, but nothing is stored in etcd.
 * MODE=churn: creates real pods labelled rebuild-bench/run=$RUN_ID and rebuild-bench/k6=churn, and deletes
 *   each one right away (gracePeriodSeconds=0). teardown() deletes whatever an interrupted iteration left.
 *
 * Environment:
 *   K8S_API           API server URL (required). TLS is verified: give k6 the cluster CA with SSL_CERT_FILE
 *                     (Go reads it instead of the system roots); K8S_INSECURE_SKIP_TLS_VERIFY=1 skips the
 *                     check, for kubeconfigs that say insecure-skip-tls-verify themselves.
 *   K8S_TOKEN         bearer token, or
 *   K8S_CLIENT_CERT, K8S_CLIENT_KEY  a client certificate and its key, PEM (k6 tlsAuth; Talos kubeconfigs).
 *                     One of the two is required: anonymous requests cannot create pods.
 *   NAMESPACE         default "default".
 *   RUN_ID            value of the rebuild-bench/run label, default "manual".
 *   STAGES            JSON array of {"duration": "10s", "target": 5}: VU ramp of the default scenario
 *                     (default: 10 s up to 5 VUs, 20 s at 5, 10 s down to 0).
 *   RATE, DURATION    when RATE is set (iterations per second), an open-model constant-arrival-rate scenario
 *                     runs for DURATION (default 30s) instead, with up to MAX_VUS VUs (default 50).
 *   MAX_FAILURE_RATE  threshold on http_req_failed (default 0.01).
 *   P99_MS            threshold on the p(99) of http_req_duration{expected_response:true} (default 1000).
 *
 * Why both executors: the ramping-VU stages (closed model) answer "what rate does the admission chain
 * sustain with N concurrent clients", which is what a rebuild looks like (a few controllers each waiting for
 * their answer). Its latency under-reports a stall, though: a VU waiting 10 s on a timing-out webhook sends
 * nothing meanwhile (coordinated omission). RATE switches to constant-arrival-rate, which keeps offering
 * the same load whatever the latency, so p99 shows queueing and webhook timeouts as they are; use it when
 * comparing admission latency between runs, and the stages when looking for the throughput ceiling.
 *
 * Every create is classified as `outcome` = admitted (2xx) | rejected (4xx/5xx from admission: a webhook
 * "denied the request" / "failed calling webhook", or a ValidatingAdmissionPolicy denial) | error (anything
 * else, including network errors). k6 fixes a request's tags before it is sent, so the outcome cannot be a
 * tag of http_req_*; it tags the samples of the custom metrics instead:
 *   admission_latency  Trend (ms) of the create requests, tagged outcome
 *   admission_rejected Rate of creates rejected by admission, tagged outcome
 * Thresholds (never abort the run; k6 exits 99 when one is crossed): http_req_failed rate < MAX_FAILURE_RATE,
 * http_req_duration{expected_response:true} p(99) < P99_MS.
 */
import http, { type RefinedResponse, type ResponseType } from 'k6/http';
import { Rate, Trend } from 'k6/metrics';
import type { Options, Stage } from 'k6/options';

type Mode = 'dryrun' | 'churn';
type Outcome = 'admitted' | 'rejected' | 'error';

const api: string = (__ENV.K8S_API ?? '').replace(/\/+$/, '');
const token: string = __ENV.K8S_TOKEN ?? '';
const clientCert: string = __ENV.K8S_CLIENT_CERT ?? '';
const clientKey: string = __ENV.K8S_CLIENT_KEY ?? '';
const namespace: string = __ENV.NAMESPACE || 'default';
const runId: string = __ENV.RUN_ID || 'manual';
const mode = parseMode(__ENV.MODE);
const maxFailureRate = positiveNumber('MAX_FAILURE_RATE', __ENV.MAX_FAILURE_RATE, 0.01);
const p99Ms = positiveNumber('P99_MS', __ENV.P99_MS, 1000);

const defaultStages: Stage[] = [
  { duration: '10s', target: 5 },
  { duration: '20s', target: 5 },
  { duration: '10s', target: 0 },
];

function parseMode(v: string | undefined): Mode {
  if (!v || v === 'dryrun' || v === 'dry-run') return 'dryrun';
  if (v === 'churn') return 'churn';
  throw new Error(`MODE must be dryrun or churn, got ${JSON.stringify(v)}`);
}

function positiveNumber(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(v)}`);
  return n;
}

function parseStages(v: string | undefined): Stage[] {
  if (!v) return defaultStages;
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch (err) {
    throw new Error(`STAGES is not JSON: ${String(err)}`);
  }
  const ok =
    Array.isArray(parsed) &&
    parsed.length > 0 &&
    parsed.every(
      (s: unknown) =>
        typeof s === 'object' &&
        s !== null &&
        typeof (s as Stage).duration === 'string' &&
        typeof (s as Stage).target === 'number' &&
        Number.isInteger((s as Stage).target) &&
        (s as Stage).target >= 0,
    );
  if (!ok) throw new Error(`STAGES must be a non-empty JSON array of {"duration": "10s", "target": 5}, got ${v}`);
  return (parsed as Stage[]).map((s) => ({ duration: s.duration, target: s.target }));
}

function scenario(): NonNullable<Options['scenarios']>[string] {
  if (__ENV.RATE) {
    const rate = positiveNumber('RATE', __ENV.RATE, 1);
    const maxVUs = Math.ceil(positiveNumber('MAX_VUS', __ENV.MAX_VUS, 50));
    // k6 wants an integer rate: a fractional RATE (e.g. 0.5) is expressed per minute.
    const perSecond = Number.isInteger(rate);
    return {
      executor: 'constant-arrival-rate',
      rate: perSecond ? rate : Math.max(1, Math.round(rate * 60)),
      timeUnit: perSecond ? '1s' : '1m',
      duration: __ENV.DURATION || '30s',
      preAllocatedVUs: Math.min(maxVUs, Math.max(1, Math.ceil(rate / 10))),
      maxVUs,
    };
  }
  return { executor: 'ramping-vus', startVUs: 0, stages: parseStages(__ENV.STAGES), gracefulRampDown: '10s' };
}

export const options: Options = {
  insecureSkipTLSVerify: __ENV.K8S_INSECURE_SKIP_TLS_VERIFY === '1',
  ...(clientCert && clientKey ? { tlsAuth: [{ cert: clientCert, key: clientKey }] } : {}),
  scenarios: { admission: scenario() },
  thresholds: {
    http_req_failed: [{ threshold: `rate<${maxFailureRate}`, abortOnFail: false }],
    'http_req_duration{expected_response:true}': [{ threshold: `p(99)<${p99Ms}`, abortOnFail: false }],
  },
};

const admissionLatency = new Trend('admission_latency', true);
const admissionRejected = new Rate('admission_rejected');

const podsUrl = `${api}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
const headers: Record<string, string> = {
  ...(token ? { Authorization: `Bearer ${token}` } : {}),
  'Content-Type': 'application/json',
  Accept: 'application/json',
};
const labels: Record<string, string> = { 'rebuild-bench/run': runId, 'rebuild-bench/k6': mode };
const podBody = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { generateName: 'rb-k6-', labels },
  spec: {
    containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10' }],
    terminationGracePeriodSeconds: 0,
  },
});

const webhookRejection = /failed calling webhook|denied the request|ValidatingAdmissionPolicy .* denied request/i;

function classify(status: number, body: string | null | undefined): Outcome {
  if (status >= 200 && status < 300) return 'admitted';
  if (status >= 400 && typeof body === 'string' && webhookRejection.test(body)) return 'rejected';
  return 'error';
}

function bodyText(res: RefinedResponse<ResponseType | undefined>): string | null {
  return typeof res.body === 'string' ? res.body : null;
}

export function setup(): void {
  if (!api) throw new Error('set K8S_API to the API server URL, e.g. https://127.0.0.1:6443');
  if (!token && !(clientCert && clientKey))
    throw new Error('set K8S_TOKEN, or K8S_CLIENT_CERT and K8S_CLIENT_KEY, to a credential that may create pods');
}

export default function (): void {
  const url = mode === 'dryrun' ? `${podsUrl}?dryRun=All` : podsUrl;
  const res = http.post(url, podBody, {
    headers,
    tags: { name: mode === 'dryrun' ? 'POST pods?dryRun=All' : 'POST pods' },
  });
  const outcome = classify(res.status, bodyText(res));
  admissionLatency.add(res.timings.duration, { outcome });
  admissionRejected.add(outcome === 'rejected', { outcome });
  if (mode !== 'churn' || outcome !== 'admitted') return;

  let name: string | undefined;
  try {
    name = (res.json() as { metadata?: { name?: string } } | null)?.metadata?.name;
  } catch {
    name = undefined;
  }
  if (!name) return;
  http.del(`${podsUrl}/${encodeURIComponent(name)}?gracePeriodSeconds=0`, null, {
    headers,
    tags: { name: 'DELETE pod' },
  });
}

/** Churn mode: deletes the pods an interrupted iteration created but did not delete. */
export function teardown(): void {
  if (mode !== 'churn') return;
  const selector = encodeURIComponent(`rebuild-bench/run=${runId},rebuild-bench/k6=churn`);
  http.del(`${podsUrl}?labelSelector=${selector}&gracePeriodSeconds=0`, null, {
    headers,
    tags: { name: 'DELETE pods (teardown)' },
  });
}
