/**
 * Smoke load against a Kubernetes API server: GET /version a bounded number of times.
 *
 *   K8S_API=https://127.0.0.1:6443 K8S_TOKEN=… SSL_CERT_FILE=ca.pem k6 run --address '' suites/k6/smoke.ts
 *
 * Environment: K8S_API (required), K8S_TOKEN (bearer token, optional), or K8S_CLIENT_CERT and
 * K8S_CLIENT_KEY (PEM, optional), EXPECT_VERSION (optional, e.g. v1.34.4), ITERATIONS (default 5).
 * TLS is verified (SSL_CERT_FILE: the cluster CA) unless K8S_INSECURE_SKIP_TLS_VERIFY=1.
 * The thresholds make k6 exit non-zero when any check fails.
 */
import http from 'k6/http';
import { check } from 'k6';

interface VersionInfo {
  gitVersion: string;
  major: string;
  minor: string;
}

const api: string = __ENV.K8S_API ?? '';
const token: string = __ENV.K8S_TOKEN ?? '';
const clientCert: string = __ENV.K8S_CLIENT_CERT ?? '';
const clientKey: string = __ENV.K8S_CLIENT_KEY ?? '';
const expectVersion: string = __ENV.EXPECT_VERSION ?? '';

export const options = {
  vus: 1,
  iterations: Number(__ENV.ITERATIONS ?? 5),
  insecureSkipTLSVerify: __ENV.K8S_INSECURE_SKIP_TLS_VERIFY === '1',
  ...(clientCert && clientKey ? { tlsAuth: [{ cert: clientCert, key: clientKey }] } : {}),
  thresholds: {
    checks: ['rate==1'],
    http_req_failed: ['rate==0'],
  },
};

export function setup(): void {
  if (!api) throw new Error('set K8S_API to the API server URL, e.g. https://127.0.0.1:6443');
}

export default function (): void {
  const res = http.get(`${api}/version`, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    tags: { name: 'GET /version' },
  });
  check(res, {
    'status is 200': (r) => r.status === 200,
    'reports a version': (r) => {
      const v = r.json() as unknown as VersionInfo;
      return typeof v.gitVersion === 'string' && (expectVersion === '' || v.gitVersion === expectVersion);
    },
  });
}
