/**
 * Kubeconfig credentials that need work at request time, like client-go does them:
 *
 * - exec credential plugins (Talos, OIDC login helpers, cloud CLIs): the plugin runs without a
 *   shell, with `KUBERNETES_EXEC_INFO` set and its `env` added, stdin closed (never interactive);
 *   its ExecCredential must have the apiVersion the kubeconfig asked for. The credential (a token,
 *   or a client certificate and key) is cached until its `expirationTimestamp`, or for as long as
 *   the process runs when it has none, and dropped when the API server answers 401, so the next
 *   request runs the plugin again. Concurrent requests share one plugin run.
 * - `tokenFile`: re-read at most once a minute (client-go's cachingTokenSource).
 *
 * Every token is registered for redaction. The same credentials are handed to k6 (cluster/k6.ts).
 */
import { readFileSync } from 'node:fs';
import type https from 'node:https';
import type * as k8s from '@kubernetes/client-node';
import { execa } from 'execa';
import { BadInputError } from '../core/errors.ts';
import { registerSecret } from '../core/redact.ts';

export interface ExecConfig {
  apiVersion?: string;
  command: string;
  args?: string[];
  env?: Array<{ name: string; value: string }> | null;
  installHint?: string;
  provideClusterInfo?: boolean;
  interactiveMode?: string;
}

export interface ClusterInfo {
  server: string;
  caData?: string | undefined;
  insecure?: boolean | undefined;
  tlsServerName?: string | undefined;
}

export interface Credential {
  token?: string;
  /** PEM. */
  cert?: string;
  /** PEM. */
  key?: string;
  /** ms since the epoch; undefined: valid until the API server refuses it. */
  expiresAt?: number;
}

interface Source {
  exec?: ExecConfig;
  tokenFile?: string;
  cluster?: ClusterInfo;
}

/** Refresh a credential this long before it expires. */
const EXPIRY_SKEW_MS = 5_000;
const TOKEN_FILE_TTL_MS = 60_000;
const PLUGIN_TIMEOUT_MS = 60_000;

/**
 * client-node's Authenticator (not exported by the package, same shape): the credentials of the
 * users that have an exec plugin or a tokenFile, by user name.
 */
export class KubeCredentials {
  private readonly cache = new Map<string, Credential>();
  private readonly inflight = new Map<string, Promise<Credential>>();
  /** Plugin runs, per user (tests and the report read it: one per credential lifetime). */
  readonly runs = new Map<string, number>();

  constructor(private readonly sources: Map<string, Source>) {}

  has(user: string): boolean {
    return this.sources.has(user);
  }

  isAuthProvider(user: k8s.User): boolean {
    return this.sources.has(user.name);
  }

  async applyAuthentication(user: k8s.User, opts: https.RequestOptions): Promise<void> {
    const c = await this.get(user.name);
    opts.headers ??= {};
    if (c.token) (opts.headers as Record<string, string>).Authorization = `Bearer ${c.token}`;
    if (c.cert && c.key) {
      opts.cert = c.cert;
      opts.key = c.key;
    }
  }

  /** Drops the cached credential (the API server answered 401); true when there was one to refresh. */
  invalidate(user: string): boolean {
    if (!this.sources.has(user)) return false;
    this.cache.delete(user);
    return true;
  }

  async get(user: string): Promise<Credential> {
    const cached = this.cache.get(user);
    if (cached && (cached.expiresAt === undefined || Date.now() < cached.expiresAt - EXPIRY_SKEW_MS)) return cached;
    let p = this.inflight.get(user);
    if (!p) {
      p = this.fetch(user).finally(() => this.inflight.delete(user));
      this.inflight.set(user, p);
    }
    const c = await p;
    this.cache.set(user, c);
    return c;
  }

  private async fetch(user: string): Promise<Credential> {
    const src = this.sources.get(user);
    if (!src) throw new Error(`no credential source for kubeconfig user ${user}`);
    if (src.exec) return this.runPlugin(user, src.exec, src.cluster);
    const token = readFileSync(src.tokenFile!, 'utf8').trim();
    registerSecret(token);
    return { token, expiresAt: Date.now() + TOKEN_FILE_TTL_MS };
  }

  private async runPlugin(user: string, exec: ExecConfig, cluster: ClusterInfo | undefined): Promise<Credential> {
    const apiVersion = exec.apiVersion ?? 'client.authentication.k8s.io/v1';
    const info = {
      kind: 'ExecCredential',
      apiVersion,
      spec: {
        interactive: false,
        ...(exec.provideClusterInfo && cluster
          ? {
              cluster: {
                server: cluster.server,
                ...(cluster.caData ? { 'certificate-authority-data': cluster.caData } : {}),
                ...(cluster.insecure ? { 'insecure-skip-tls-verify': true } : {}),
                ...(cluster.tlsServerName ? { 'tls-server-name': cluster.tlsServerName } : {}),
              },
            }
          : {}),
      },
    };
    const env: Record<string, string> = { KUBERNETES_EXEC_INFO: JSON.stringify(info) };
    for (const e of exec.env ?? []) env[e.name] = e.value;
    this.runs.set(user, (this.runs.get(user) ?? 0) + 1);
    const r = await execa(exec.command, exec.args ?? [], {
      env,
      stdin: 'ignore',
      reject: false,
      timeout: PLUGIN_TIMEOUT_MS,
    });
    const what = `exec credential plugin ${exec.command} (kubeconfig user ${user})`;
    if (r.failed || r.exitCode !== 0) {
      const notFound = (r as { code?: string }).code === 'ENOENT' || /ENOENT/.test(r.shortMessage ?? '');
      const tail = (r.stderr || r.shortMessage || '').trim().split('\n').slice(-3).join(' | ');
      throw new BadInputError(
        notFound
          ? `${what} not found${exec.installHint ? `: ${exec.installHint.trim()}` : ''}`
          : `${what} failed (exit ${r.exitCode ?? r.signal}): ${tail}`,
      );
    }
    let cred: {
      apiVersion?: string;
      kind?: string;
      status?: {
        token?: string;
        clientCertificateData?: string;
        clientKeyData?: string;
        expirationTimestamp?: string;
      };
    };
    try {
      cred = JSON.parse(r.stdout) as typeof cred;
    } catch {
      throw new BadInputError(`${what} printed no ExecCredential JSON`);
    }
    if (cred.kind !== 'ExecCredential' || cred.apiVersion !== apiVersion)
      throw new BadInputError(
        `${what} printed ${cred.kind ?? 'an object'} ${cred.apiVersion ?? ''}, the kubeconfig expects an ExecCredential ${apiVersion}`,
      );
    const s = cred.status ?? {};
    if (!s.token && !(s.clientCertificateData && s.clientKeyData))
      throw new BadInputError(`${what}: the ExecCredential has neither a token nor a client certificate and key`);
    registerSecret(s.token);
    registerSecret(s.clientKeyData);
    const exp = s.expirationTimestamp ? Date.parse(s.expirationTimestamp) : Number.NaN;
    return {
      ...(s.token ? { token: s.token } : {}),
      ...(s.clientCertificateData && s.clientKeyData ? { cert: s.clientCertificateData, key: s.clientKeyData } : {}),
      ...(Number.isFinite(exp) ? { expiresAt: exp } : {}),
    };
  }
}

const byConfig = new WeakMap<k8s.KubeConfig, KubeCredentials>();

/** Attaches the credential sources to a KubeConfig (loadKube does it). */
export function attachCredentials(kc: k8s.KubeConfig, creds: KubeCredentials): void {
  byConfig.set(kc, creds);
  kc.addAuthenticator(creds);
}

export function credentialsOf(kc: k8s.KubeConfig): KubeCredentials | undefined {
  return byConfig.get(kc);
}

/** What a client outside this process (k6) needs to talk to the current context's API server. */
export interface ApiAccess {
  server: string;
  /** PEM of the cluster CA, when the kubeconfig has one (else the system roots verify). */
  ca?: string;
  /** insecure-skip-tls-verify: true in the kubeconfig (never set by us). */
  insecure: boolean;
  token?: string;
  cert?: string;
  key?: string;
}

function fileOrData(file: string | undefined, data: string | undefined): string | undefined {
  if (file) return readFileSync(file, 'utf8');
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  return undefined;
}

/**
 * The current context's server, CA and credentials, resolved the way requests of this process
 * resolve them: static token, client certificate (files or data), tokenFile, or an exec plugin.
 */
export async function apiAccess(kc: k8s.KubeConfig): Promise<ApiAccess> {
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster?.server) throw new BadInputError('kubeconfig has no server for the current context');
  const out: ApiAccess = { server: cluster.server, insecure: cluster.skipTLSVerify };
  const ca = fileOrData(cluster.caFile, cluster.caData);
  if (ca) out.ca = ca;
  if (!user) return out;
  const plugin = credentialsOf(kc);
  if (plugin?.has(user.name)) {
    const c = await plugin.get(user.name);
    if (c.token) out.token = c.token;
    if (c.cert && c.key) [out.cert, out.key] = [c.cert, c.key];
  }
  if (user.token) out.token = user.token;
  const cert = fileOrData(user.certFile, user.certData);
  const key = fileOrData(user.keyFile, user.keyData);
  if (cert && key && !out.cert) [out.cert, out.key] = [cert, key];
  registerSecret(out.token);
  return out;
}
