import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { kubeRequest } from '../../cluster/http.ts';

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

async function listen(): Promise<{ kc: k8s.KubeConfig; seen: Seen[] }> {
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
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"kind":"Status","status":"Success"}');
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
