import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { gunzip } from 'node:zlib';
import { Agent as HttpAgent, request as httpRequest, type Agent } from 'node:http';
import {
  Agent as HttpsAgent,
  request as httpsRequest,
  type AgentOptions as HttpsAgentOptions,
  type RequestOptions,
} from 'node:https';
import type * as k8s from '@kubernetes/client-node';
import { credentialsOf } from './credentials.ts';
import { ReadOnlyKubeConfig } from './kube.ts';

export interface KubeResponse<T = unknown> {
  status: number;
  body: T;
}

export class KubeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeHttpError';
  }
}

/**
 * One keep-alive agent per KubeConfig (a run has one) and TLS identity: every raw request and
 * watch of a run reuses its connections, so an admission probe measures admission, not a TCP and
 * TLS handshake that pods created by controllers (on their long-lived connections) never pay.
 * A new identity (an exec plugin's renewed client certificate) gets a new agent.
 */
const agents = new WeakMap<k8s.KubeConfig, Map<string, Agent>>();
/** KubeConfigs whose requests each open a connection of their own (the old behaviour, for `npm run bench`). */
const freshConnections = new WeakSet<k8s.KubeConfig>();

export function useFreshConnections(kc: k8s.KubeConfig): void {
  freshConnections.add(kc);
}

/** What a KubeConfig's raw requests and watches cost the API server, for `npm run bench` and the run's own footprint. */
export interface KubeTraffic {
  /** Requests sent, a watch (or its renewal) counting as one. */
  requests: number;
  watches: number;
  /** Response bytes as they came off the connection (compressed when the server compressed them). */
  responseBytes: number;
}

const traffic = new WeakMap<k8s.KubeConfig, KubeTraffic>();

function trafficOf(kc: k8s.KubeConfig): KubeTraffic {
  let t = traffic.get(kc);
  if (!t) traffic.set(kc, (t = { requests: 0, watches: 0, responseBytes: 0 }));
  return t;
}

/** A copy of the counters of a KubeConfig's raw requests and watches so far. */
export function kubeTraffic(kc: k8s.KubeConfig): KubeTraffic {
  return { ...trafficOf(kc) };
}

/** A short digest of PEM material (a string, a Buffer, or a list of them). */
function digest(v: string | Buffer | Array<string | Buffer> | undefined): string {
  if (v === undefined) return '';
  const h = createHash('sha256');
  for (const part of Array.isArray(v) ? v : [v]) h.update(part);
  return h.digest('hex').slice(0, 16);
}

function agentFor(kc: k8s.KubeConfig, url: URL, opts: RequestOptions): Agent {
  const https = url.protocol === 'https:';
  const tls: HttpsAgentOptions = {
    ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
    ...(opts.cert !== undefined ? { cert: opts.cert } : {}),
    ...(opts.key !== undefined ? { key: opts.key } : {}),
    ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
    ...(opts.servername !== undefined ? { servername: opts.servername } : {}),
  };
  if (freshConnections.has(kc)) return https ? new HttpsAgent({ ...tls, keepAlive: false }) : new HttpAgent();
  const key = [
    url.origin,
    digest(tls.ca),
    digest(tls.cert),
    digest(tls.key as string | Buffer | undefined),
    tls.rejectUnauthorized,
    tls.servername,
  ].join('|');
  let byKey = agents.get(kc);
  if (!byKey) {
    byKey = new Map<string, Agent>();
    agents.set(kc, byKey);
  }
  let agent = byKey.get(key);
  if (!agent) {
    // An identity replaced (renewed plugin certificate): its idle connections go.
    for (const [k, a] of byKey) {
      if (!k.startsWith(`${url.origin}|`)) continue;
      a.destroy();
      byKey.delete(k);
    }
    agent = https
      ? new HttpsAgent({ ...tls, keepAlive: true, keepAliveMsecs: 30_000, maxFreeSockets: 8 })
      : new HttpAgent({ keepAlive: true, keepAliveMsecs: 30_000, maxFreeSockets: 8 });
    byKey.set(key, agent);
  }
  return agent;
}

async function optionsFor(
  kc: k8s.KubeConfig,
  method: string,
  path: string,
): Promise<{ url: URL; opts: RequestOptions }> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('kubeconfig has no server for the current context');
  const url = new URL(path, server.endsWith('/') ? server : `${server}/`);
  const opts: RequestOptions = { method, headers: {} };
  await kc.applyToHTTPSOptions(opts);
  opts.agent = agentFor(kc, url, opts);
  return { url, opts };
}

/** The API server refused the credential: drop a cached plugin/tokenFile credential; true when a retry may help. */
function refreshCredential(kc: k8s.KubeConfig): boolean {
  const user = kc.getCurrentUser();
  return user ? (credentialsOf(kc)?.invalidate(user.name) ?? false) : false;
}

/** --dry-run hands suites a ReadOnlyKubeConfig: raw requests obey it too (server-side dry runs store nothing). */
function refuseWritesInDryRun(kc: k8s.KubeConfig, method: string, url: URL): void {
  if (!(kc instanceof ReadOnlyKubeConfig) || ['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase())) return;
  if (url.searchParams.get('dryRun') === 'All') return;
  throw new Error(`dry-run: refused ${method.toUpperCase()} ${url.pathname} (no writes in --dry-run)`);
}

/** One raw request to the API server with the kubeconfig's credentials (JSON in, JSON or text out). */
export async function kubeRequest<T = unknown>(
  kc: k8s.KubeConfig,
  method: string,
  path: string,
  o: { body?: unknown; timeoutMs?: number; signal?: AbortSignal; contentType?: string; accept?: string } = {},
): Promise<KubeResponse<T>> {
  try {
    return await sendOnce<T>(kc, method, path, o);
  } catch (err) {
    // 401 with a plugin or tokenFile credential: it may have been revoked or rotated; fetch it again once.
    if (err instanceof KubeHttpError && err.status === 401 && refreshCredential(kc))
      return sendOnce<T>(kc, method, path, o);
    // A kept-alive connection the server closed while idle: nothing was answered on it, send again once.
    if (err instanceof StaleSocketError) return sendOnce<T>(kc, method, path, o);
    throw err;
  }
}

/** GET an object; null when it does not exist (404), any other error thrown. */
export async function kubeGetOrNull<T = unknown>(kc: k8s.KubeConfig, path: string): Promise<T | null> {
  try {
    return (await kubeRequest<T>(kc, 'GET', path)).body;
  } catch (err) {
    if (err instanceof KubeHttpError && err.status === 404) return null;
    throw err;
  }
}

class StaleSocketError extends Error {}

async function sendOnce<T>(
  kc: k8s.KubeConfig,
  method: string,
  path: string,
  o: { body?: unknown; timeoutMs?: number; signal?: AbortSignal; contentType?: string; accept?: string },
): Promise<KubeResponse<T>> {
  const { url, opts } = await optionsFor(kc, method, path);
  refuseWritesInDryRun(kc, method, url);
  const payload = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  opts.headers = {
    ...(opts.headers as Record<string, string> | undefined),
    Accept: o.accept ?? 'application/json',
    // Like kubectl (Go's transport): the API server gzips large responses (lists) when asked.
    'Accept-Encoding': 'gzip',
    // Node sends DELETE (and GET) bodies neither chunked nor with a length unless told: the body would be
    // read as the next request on a kept-alive connection (the API server answers it 400 Bad Request).
    ...(payload
      ? { 'Content-Type': o.contentType ?? 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) }
      : {}),
  };
  opts.timeout = o.timeoutMs ?? 30_000;
  if (o.signal) opts.signal = o.signal;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const counters = trafficOf(kc);
  counters.requests++;
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = send(url, opts, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        counters.responseBytes += c.length;
        chunks.push(c);
      });
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (res.headers['content-encoding'] !== 'gzip') return answer(Buffer.concat(chunks));
        // Decompressed off the event loop: a 5,000-pod relist must not delay admission probes timed beside it.
        gunzip(Buffer.concat(chunks), (err, raw) => {
          if (!err) return answer(raw);
          const why = `${method} ${url.pathname}: ${status}, gzip body unreadable (${err.message})`;
          reject(status >= 400 ? new KubeHttpError(status, '', why) : new Error(why));
        });
      });
      const answer = (raw: Buffer) => {
        const text = raw.toString('utf8');
        const status = res.statusCode ?? 0;
        let body: unknown = text;
        if ((res.headers['content-type'] ?? '').includes('json') && text) {
          try {
            body = JSON.parse(text);
          } catch {
            /* keep text */
          }
        }
        if (status >= 400) {
          const st = body as { reason?: string; message?: string };
          reject(
            new KubeHttpError(
              status,
              st?.reason ?? '',
              `${method} ${url.pathname}: ${status} ${st?.message ?? text.slice(0, 200)}`,
            ),
          );
          return;
        }
        resolve({ status, body: body as T });
      };
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname}: timed out after ${opts.timeout} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (!answered && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE'))
        reject(new StaleSocketError(err.message));
      else reject(err);
    });
    if (payload) req.write(payload);
    req.end();
  });
}

export interface StreamHandle {
  /** Resolves when the stream ends (server closed it, error, or abort). */
  done: Promise<void>;
  abort(): void;
}

/** Streams newline-delimited JSON (a watch) and calls `onLine` for each line as it arrives. */
export async function kubeStream(
  kc: k8s.KubeConfig,
  path: string,
  onLine: (line: string) => void,
  onBytes: () => void,
): Promise<StreamHandle> {
  const { url, opts } = await optionsFor(kc, 'GET', path);
  opts.headers = { ...(opts.headers as Record<string, string> | undefined), Accept: 'application/json' };
  const controller = new AbortController();
  opts.signal = controller.signal;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const counters = trafficOf(kc);
  counters.requests++;
  counters.watches++;
  const done = new Promise<void>((resolve, reject) => {
    const req = send(url, opts, (res) => {
      if ((res.statusCode ?? 0) >= 400) {
        // The watch loop reconnects: with a fresh plugin/tokenFile credential after a 401.
        if (res.statusCode === 401) refreshCredential(kc);
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let reason = '';
          try {
            reason = (JSON.parse(text) as { reason?: string }).reason ?? '';
          } catch {
            /* not JSON */
          }
          reject(
            new KubeHttpError(
              res.statusCode ?? 0,
              reason,
              `watch ${url.pathname}: ${res.statusCode} ${text.slice(0, 200)}`,
            ),
          );
        });
        return;
      }
      let buf = '';
      const utf8 = new StringDecoder('utf8');
      res.on('data', (chunk: Buffer) => {
        onBytes();
        counters.responseBytes += chunk.length;
        buf += utf8.write(chunk);
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) onLine(line);
        }
      });
      res.on('end', () => resolve());
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('watch stream aborted')));
    });
    req.on('error', reject);
    req.end();
  });
  return { done, abort: () => controller.abort() };
}
