import { request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import type * as k8s from '@kubernetes/client-node';
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
  return { url, opts };
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
  const { url, opts } = await optionsFor(kc, method, path);
  refuseWritesInDryRun(kc, method, url);
  const payload = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  opts.headers = {
    ...(opts.headers as Record<string, string> | undefined),
    Accept: o.accept ?? 'application/json',
    ...(payload ? { 'Content-Type': o.contentType ?? 'application/json' } : {}),
  };
  opts.timeout = o.timeoutMs ?? 30_000;
  if (o.signal) opts.signal = o.signal;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
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
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname}: timed out after ${opts.timeout} ms`)));
    req.on('error', reject);
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
  const done = new Promise<void>((resolve, reject) => {
    const req = send(url, opts, (res) => {
      if ((res.statusCode ?? 0) >= 400) {
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
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        onBytes();
        buf += chunk;
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
