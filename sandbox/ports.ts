import { createServer, type Server } from 'node:net';
import { LOOPBACK } from './flags.ts';

function listen(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.once('error', reject);
    s.listen({ host, port: 0, exclusive: true }, () => resolve(s));
  });
}

function close(s: Server): Promise<void> {
  return new Promise((resolve) => s.close(() => resolve()));
}

/**
 * `count` distinct ports the kernel reports free on `host`. All sockets are held open together, so
 * the ports are distinct, then released for the processes to bind (a small race that `up` covers
 * by retrying with new ports when a process reports its address in use).
 */
export async function pickFreePorts(
  count: number,
  host = LOOPBACK,
  exclude: ReadonlySet<number> = new Set(),
): Promise<number[]> {
  if (!Number.isInteger(count) || count < 0) throw new Error(`port count must be a non-negative integer, got ${count}`);
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    let attempts = 0;
    while (ports.length < count) {
      if (++attempts > count * 20) throw new Error(`could not find ${count} free ports on ${host}`);
      const s = await listen(host);
      held.push(s);
      const addr = s.address();
      if (addr === null || typeof addr === 'string') continue;
      if (exclude.has(addr.port) || ports.includes(addr.port)) continue;
      ports.push(addr.port);
    }
    return ports;
  } finally {
    await Promise.all(held.map(close));
  }
}

/** Assigns picked ports to names, in order. */
export function assignPorts<K extends string>(names: readonly K[], ports: readonly number[]): Record<K, number> {
  if (ports.length < names.length) throw new Error(`need ${names.length} ports, got ${ports.length}`);
  if (new Set(ports).size !== ports.length) throw new Error('ports must be distinct');
  const out = {} as Record<K, number>;
  names.forEach((n, i) => (out[n] = ports[i]!));
  return out;
}
