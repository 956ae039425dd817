import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfigText } from '../../engine/config.ts';
import { fakeNode, nodeNames, renderSandboxConfig } from '../../sandbox/control-plane.ts';
import {
  apiserverArgs,
  controllerManagerArgs,
  etcdArgs,
  influxConfig,
  kwokArgs,
  schedulerArgs,
  type Ports,
} from '../../sandbox/flags.ts';
import { sandboxLayout } from '../../sandbox/paths.ts';
import { assignPorts, pickFreePorts } from '../../sandbox/ports.ts';
import { isLoopback, parseProcNetTcp } from '../../sandbox/processes.ts';

const layout = sandboxLayout('/tmp/sb');
const ports: Ports = {
  etcdClient: 40001,
  etcdPeer: 40002,
  apiserver: 40003,
  controllerManager: 40004,
  scheduler: 40005,
  kwok: 40006,
};

/** Every host:port or URL in a command line. */
function addresses(args: string[]): string[] {
  return args.flatMap((a) => [...a.matchAll(/(?:https?:\/\/)?([\w.-]+):(\d{2,5})\b/g)].map((m) => m[1]!));
}

describe('process flags', () => {
  it('puts every etcd URL on 127.0.0.1 with the picked ports (no default 2379/2380)', () => {
    const a = etcdArgs(layout, ports);
    expect(a).toContain('--listen-client-urls=http://127.0.0.1:40001');
    expect(a).toContain('--listen-peer-urls=http://127.0.0.1:40002');
    expect(a).toContain('--initial-cluster=sandbox=http://127.0.0.1:40002');
    expect(a).toContain('--data-dir=/tmp/sb/etcd');
    expect(addresses(a).every((h) => h === '127.0.0.1')).toBe(true);
    expect(a.join(' ')).not.toMatch(/:(2379|2380)\b/);
  });

  it('binds the API server to loopback with RBAC and service-account signing', () => {
    const a = apiserverArgs(layout, ports);
    expect(a).toContain('--bind-address=127.0.0.1');
    expect(a).toContain('--secure-port=40003');
    expect(a).toContain('--etcd-servers=http://127.0.0.1:40001');
    expect(a).toContain('--authorization-mode=RBAC');
    expect(a.some((f) => f.startsWith('--service-account-signing-key-file=/tmp/sb/pki/'))).toBe(true);
    expect(a.some((f) => f.startsWith('--service-account-key-file=/tmp/sb/pki/'))).toBe(true);
    expect(a.some((f) => f.startsWith('--service-account-issuer='))).toBe(true);
    expect(a.some((f) => f.startsWith('--insecure'))).toBe(false);
  });

  it('gives controller-manager and scheduler their own loopback ports (not 10257/10259)', () => {
    const kcm = controllerManagerArgs(layout, ports);
    const sched = schedulerArgs(layout, ports);
    expect(kcm).toEqual(
      expect.arrayContaining(['--bind-address=127.0.0.1', '--secure-port=40004', '--leader-elect=false']),
    );
    expect(sched).toEqual(
      expect.arrayContaining(['--bind-address=127.0.0.1', '--secure-port=40005', '--leader-elect=false']),
    );
    expect(kcm.some((f) => f.startsWith('--service-account-private-key-file='))).toBe(true);
    expect(kcm.some((f) => f.startsWith('--root-ca-file='))).toBe(true);
  });

  it('makes kwok manage only annotated fake nodes, serving on loopback', () => {
    const a = kwokArgs(layout, ports, '/cache/kwok/stages.yaml');
    expect(a).toEqual(
      expect.arrayContaining([
        '--manage-all-nodes=false',
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        '--config=/cache/kwok/stages.yaml',
        '--server-address=127.0.0.1:40006',
      ]),
    );
  });

  it('writes an influxd config with every listener on loopback and reporting off', () => {
    const c = influxConfig('/tmp/sb/influxdb', 40007, 40008);
    expect(c).toContain('reporting-disabled = true');
    expect(c).toContain('bind-address = "127.0.0.1:40008"');
    expect(c).toMatch(/\[http\][^[]*bind-address = "127\.0\.0\.1:40007"/);
    expect(c).toMatch(/\[monitor\]\s+store-enabled = false/);
    expect([...c.matchAll(/bind-address = "([^"]+)"/g)].map((m) => m[1]!.split(':')[0])).toEqual([
      '127.0.0.1',
      '127.0.0.1',
    ]);
  });
});

describe('fake nodes', () => {
  it('names nodes like the homelab control planes, then node-N', () => {
    expect(nodeNames(3)).toEqual(['obsy', 'onyx', 'opale']);
    expect(nodeNames(5)).toEqual(['obsy', 'onyx', 'opale', 'node-4', 'node-5']);
    expect(() => nodeNames(0)).toThrow(/--nodes/);
    expect(() => nodeNames(1.5)).toThrow(/--nodes/);
  });

  it('marks a node for kwok, as a schedulable control plane with 4 CPU / 8Gi / 250 pods', () => {
    const n = fakeNode('obsy');
    expect(n.metadata?.annotations?.['kwok.x-k8s.io/node']).toBe('fake');
    expect(n.metadata?.labels?.['node-role.kubernetes.io/control-plane']).toBe('');
    expect(n.spec?.taints ?? []).toEqual([]);
    expect(n.status?.allocatable).toMatchObject({ cpu: '4', memory: '8Gi', pods: '250' });
  });
});

describe('sandbox config', () => {
  it('validates with the engine config loader and points at the sandbox context', () => {
    const text = renderSandboxConfig(layout, 'http://127.0.0.1:40007');
    const { config } = parseConfigText(text, '/tmp/sb/rebuild-bench.yaml');
    expect(config.defaultCluster).toBe('sandbox');
    expect(config.clusters.sandbox).toMatchObject({
      context: 'rebuild-bench-sandbox',
      kubeconfig: '/tmp/sb/kubeconfig',
      allowDestructive: true,
    });
    expect(config.influx).toMatchObject({ url: 'http://127.0.0.1:40007', bucket: 'rebuild_bench/autogen', org: '' });
  });

  it('has no influx section without influxd, and loads from a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-sandbox-config-'));
    try {
      const file = join(dir, 'rebuild-bench.yaml');
      writeFileSync(file, renderSandboxConfig(layout, undefined));
      const { config } = loadConfig(file);
      expect(config.influx).toBeUndefined();
      expect(config.clusters.sandbox?.context).toBe('rebuild-bench-sandbox');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ports', () => {
  it('picks distinct ports that are free on 127.0.0.1', async () => {
    const picked = await pickFreePorts(8);
    expect(new Set(picked).size).toBe(8);
    for (const p of picked) expect(p).toBeGreaterThan(1023);
  });

  it('skips excluded ports', async () => {
    const first = await pickFreePorts(3);
    const second = await pickFreePorts(3, '127.0.0.1', new Set(first));
    expect(second.some((p) => first.includes(p))).toBe(false);
  });

  it('assigns ports to names in order and refuses duplicates or too few', () => {
    expect(assignPorts(['a', 'b'] as const, [5, 6])).toEqual({ a: 5, b: 6 });
    expect(() => assignPorts(['a', 'b'] as const, [5])).toThrow(/need 2/);
    expect(() => assignPorts(['a', 'b'] as const, [5, 5])).toThrow(/distinct/);
  });
});

describe('/proc/net/tcp parsing', () => {
  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:9C41 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0',
    '   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 100 0 0 10 0',
    '   2: 0100007F:9C41 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 20 4 30 10 -1',
  ].join('\n');
  const tcp6 = [
    '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 444 1 0000000000000000 100 0 0 10 0',
    '   1: 00000000000000000000000000000000:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 555 1 0000000000000000 100 0 0 10 0',
    '   2: 0000000000000000FFFF00000100007F:1F93 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 666 1 0000000000000000 100 0 0 10 0',
  ].join('\n');

  it('keeps only LISTEN sockets and decodes little-endian addresses', () => {
    expect(parseProcNetTcp(tcp, false)).toEqual([
      { address: '127.0.0.1', port: 40001, inode: 111 },
      { address: '0.0.0.0', port: 8080, inode: 222 },
    ]);
    expect(parseProcNetTcp(tcp6, true)).toEqual([
      { address: '::1', port: 8081, inode: 444 },
      { address: '::', port: 8082, inode: 555 },
      { address: '::ffff:127.0.0.1', port: 8083, inode: 666 },
    ]);
  });

  it('tells loopback from wildcard addresses', () => {
    expect(['127.0.0.1', '::1', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1'].some(isLoopback)).toBe(false);
  });
});
