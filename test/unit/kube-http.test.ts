import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { kubeRequest, kubeTraffic } from '../../cluster/http.ts';
import { ResilientWatch } from '../../cluster/watch.ts';
import { podProjection } from '../../collectors/projections.ts';

/** What a plain HTTP/1.1 server on 127.0.0.1 saw: method, path and body of each request, and the connection it came on. */
interface Seen {
  method: string;
  path: string;
  body: string;
  socket: number;
}

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => {
    if (!server) return resolve();
    server.closeAllConnections();
    server.close(() => resolve());
  });
  server = undefined;
});

type Answer = (req: IncomingMessage, res: ServerResponse) => void;

const success: Answer = (_req, res) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"kind":"Status","status":"Success"}');

async function listen(answer: Answer = success): Promise<{ kc: k8s.KubeConfig; seen: Seen[] }> {
  const seen: Seen[] = [];
  const sockets = new WeakMap<object, number>();
  let next = 0;
  server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!sockets.has(req.socket)) sockets.set(req.socket, next++);
      seen.push({
        method: req.method ?? '',
        path: req.url ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
        socket: sockets.get(req.socket) ?? -1,
      });
      answer(req, res);
    });
  });
  server.on('clientError', (_err, socket) => socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'));
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'local', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'local', cluster: 'local', user: 'u' }],
    currentContext: 'local',
  });
  return { kc, seen };
}

describe('kubeRequest on kept-alive connections', () => {
  it('a DELETE with DeleteOptions sends its body framed, so the next request on the same connection is read intact', async () => {
    const { kc, seen } = await listen();
    const options = { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 };
    await kubeRequest(kc, 'DELETE', '/api/v1/namespaces/a/pods/p1', { body: options });
    await kubeRequest(kc, 'DELETE', '/api/v1/namespaces/a/pods/p2', { body: options });
    const got = await kubeRequest<{ status: string }>(kc, 'GET', '/apis/apps/v1/namespaces/a/deployments/d');
    expect(got.body.status).toBe('Success');
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'DELETE /api/v1/namespaces/a/pods/p1',
      'DELETE /api/v1/namespaces/a/pods/p2',
      'GET /apis/apps/v1/namespaces/a/deployments/d',
    ]);
    expect(JSON.parse(seen[0]?.body ?? '{}')).toEqual(options);
    expect(seen[2]?.body).toBe('');
    // One connection for the three: the keep-alive agent is what made the framing matter.
    expect(new Set(seen.map((s) => s.socket)).size).toBe(1);
  });
});

/** A pod as big as real ones are: a spec and managedFields the collectors never read. */
const bigPod = (rv: string) => ({
  kind: 'Pod',
  metadata: {
    name: 'web-1',
    namespace: 'a',
    uid: 'u1',
    resourceVersion: rv,
    labels: { 'app.kubernetes.io/instance': 'web', tier: 'front' },
    annotations: { 'argocd.argoproj.io/tracking-id': 'web:apps/Deployment:a/web', note: 'x'.repeat(2000) },
    managedFields: Array.from({ length: 20 }, (_, i) => ({ manager: `m${i}`, fieldsV1: { f: 'y'.repeat(200) } })),
  },
  spec: {
    containers: [{ name: 'web', image: 'nginx', env: Array.from({ length: 50 }, (_, i) => ({ name: `E${i}` })) }],
  },
  status: {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-01T10:00:00Z', message: 'ok' }],
    containerStatuses: [
      {
        name: 'web',
        restartCount: 2,
        image: 'nginx',
        imageID: 'sha256:abc',
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s' } },
        lastState: {
          terminated: { reason: 'Error', exitCode: 1, finishedAt: '2026-12-01T10:00:05Z', message: 'boom' },
        },
      },
    ],
  },
});

describe('API cost', () => {
  it('asks for gzip like kubectl, decompresses it, and counts requests and the bytes that came off the wire', async () => {
    const list = JSON.stringify({ kind: 'PodList', metadata: { resourceVersion: '9' }, items: [bigPod('9')] });
    const zipped = gzipSync(list);
    let acceptEncoding = '';
    const { kc } = await listen((req, res) => {
      acceptEncoding = req.headers['accept-encoding'] ?? '';
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(zipped);
    });
    const got = await kubeRequest<{ items: Array<{ metadata: { name: string } }> }>(kc, 'GET', '/api/v1/pods');
    expect(acceptEncoding).toContain('gzip');
    expect(got.body.items[0]?.metadata.name).toBe('web-1');
    expect(kubeTraffic(kc)).toEqual({ requests: 1, watches: 0, responseBytes: zipped.length });
    expect(zipped.length).toBeLessThan(Buffer.byteLength(list) / 4);
  });

  it('watches like client-go (5–10 min server timeouts, bookmarks) and caches only the projection', async () => {
    const watchQueries: URLSearchParams[] = [];
    const { kc } = await listen((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      res.writeHead(200, { 'content-type': 'application/json' });
      if (url.searchParams.get('watch') !== 'true') {
        res.end(JSON.stringify({ kind: 'PodList', metadata: { resourceVersion: '1' }, items: [bigPod('1')] }));
        return;
      }
      watchQueries.push(url.searchParams);
      res.write(`${JSON.stringify({ type: 'MODIFIED', object: bigPod('2') })}\n`);
      res.end(`${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Pod', metadata: { resourceVersion: '3' } } })}\n`);
    });
    const seen: unknown[] = [];
    const w = new ResilientWatch(kc, { path: '/api/v1/pods', project: podProjection });
    w.on((e) => seen.push(e.object));
    await w.start();
    for (let i = 0; i < 100 && w.stats.bookmarks === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await w.stop();
    expect(w.stats.bookmarks).toBeGreaterThanOrEqual(1);
    const q = watchQueries[0]!;
    expect(q.get('allowWatchBookmarks')).toBe('true');
    expect(Number(q.get('timeoutSeconds'))).toBeGreaterThanOrEqual(300);
    expect(Number(q.get('timeoutSeconds'))).toBeLessThan(600);
    const cached = w.get('a', 'web-1')!;
    expect(cached.metadata?.resourceVersion).toBe('2');
    expect(cached.spec).toBeUndefined();
    expect(cached.metadata?.managedFields).toBeUndefined();
    expect(cached.status.containerStatuses[0]).toEqual({
      name: 'web',
      restartCount: 2,
      state: { waiting: { reason: 'CrashLoopBackOff' } },
      lastState: { terminated: { reason: 'Error', exitCode: 1, finishedAt: '2026-12-01T10:00:05Z' } },
    });
    expect(seen.every((o) => (o as { spec?: unknown }).spec === undefined)).toBe(true);
    expect(kubeTraffic(kc).watches).toBeGreaterThanOrEqual(1);
  });
});
