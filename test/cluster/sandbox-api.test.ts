import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { errorMessage } from '../../core/errors.ts';

const kubeconfig = inject('sandboxKubeconfig');
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
const core = kc.makeApiClient(k8s.CoreV1Api);
const apps = kc.makeApiClient(k8s.AppsV1Api);

/** The toolchain builds kubectl at the pinned version, so the test never depends on the machine's. */
const kubectl = join(inject('sandboxBinDir'), 'kubectl');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${errorMessage(last)}` : ''}`);
    await sleep(250);
  }
}

const created: string[] = [];
/** A fresh namespace whose default ServiceAccount exists (the ServiceAccount admission plugin needs it). */
async function namespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name, labels: { 'rebuild-bench/test': 'cluster' } } } });
  created.push(name);
  await until(`ServiceAccount ${name}/default`, () =>
    core.readNamespacedServiceAccount({ name: 'default', namespace: name }),
  );
  return name;
}

afterAll(async () => {
  for (const name of created) await core.deleteNamespace({ name }).catch(() => undefined);
});

function pod(name: string): k8s.V1Pod {
  return {
    metadata: { name, labels: { app: name } },
    spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] },
  };
}

describe('control plane', () => {
  it('serves the pinned Kubernetes version', async () => {
    const v = await kc.makeApiClient(k8s.VersionApi).getCode();
    expect(v.gitVersion).toBe(inject('sandboxKubernetesVersion'));
  });

  it('has the three fake control-plane nodes Ready and schedulable', async () => {
    const nodes = await core.listNode();
    const names = nodes.items.map((n) => n.metadata!.name).sort();
    expect(names).toEqual(['obsy', 'onyx', 'opale']);
    for (const n of nodes.items) {
      expect(n.status?.conditions?.find((c) => c.type === 'Ready')?.status, n.metadata!.name).toBe('True');
      expect(n.spec?.unschedulable ?? false).toBe(false);
      expect(n.metadata?.labels?.['node-role.kubernetes.io/control-plane']).toBe('');
      expect(n.status?.allocatable).toMatchObject({ cpu: '4', memory: '8Gi', pods: '250' });
    }
  });

  it('schedules and runs the pods of a Deployment created through the client', async () => {
    const ns = await namespace('deploy');
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
          },
        },
      },
    });
    const running = await until('3 Running pods', async () => {
      const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' });
      const ok = pods.items.filter((p) => p.status?.phase === 'Running' && p.spec?.nodeName);
      return ok.length === 3 ? ok : undefined;
    });
    expect(new Set(running.map((p) => p.spec!.nodeName)).size).toBeGreaterThanOrEqual(1);
    for (const p of running) expect(['obsy', 'onyx', 'opale']).toContain(p.spec!.nodeName);
    const d = await until('Deployment available', async () => {
      const dep = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
      return dep.status?.availableReplicas === 3 ? dep : undefined;
    });
    expect(d.status?.readyReplicas).toBe(3);
  });

  it('answers kubectl: /version and a Deployment created with kubectl', async () => {
    const env = { KUBECONFIG: kubeconfig };
    const raw = await execa(kubectl, ['get', '--raw', '/version'], { env });
    expect(JSON.parse(raw.stdout).gitVersion).toBe(inject('sandboxKubernetesVersion'));
    const ns = await namespace('kubectl');
    await execa(kubectl, ['-n', ns, 'create', 'deployment', 'api', '--image=busybox:1.36', '--replicas=2'], { env });
    await until('kubectl deployment rolled out', async () => {
      const r = await execa(
        kubectl,
        ['-n', ns, 'get', 'pods', '-l', 'app=api', '-o', 'jsonpath={.items[*].status.phase}'],
        { env },
      );
      const phases = r.stdout.split(' ').filter(Boolean);
      return phases.length === 2 && phases.every((p) => p === 'Running') ? true : undefined;
    });
  });
});

describe('dry-run and watch', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await namespace('watch');
  });

  it('returns a dry-run pod create without storing anything', async () => {
    const returned = await core.createNamespacedPod({ namespace: ns, body: pod('ghost'), dryRun: 'All' });
    expect(returned.metadata?.name).toBe('ghost');
    expect(returned.metadata?.namespace).toBe(ns);
    // Admission ran: the ServiceAccount plugin filled in the account and its token volume.
    expect(returned.spec?.serviceAccountName).toBe('default');
    await expect(core.readNamespacedPod({ name: 'ghost', namespace: ns })).rejects.toMatchObject({ code: 404 });
    const list = await core.listNamespacedPod({ namespace: ns });
    expect(list.items.map((p) => p.metadata?.name)).not.toContain('ghost');
  });

  it('sees a real pod go Pending → scheduled → Running → deleted through a watch', async () => {
    type Seen = { type: string; phase?: string; node?: string; ready?: string };
    const seen: Seen[] = [];
    const watch = new k8s.Watch(kc);
    let watchError: unknown;
    let stopping = false;
    const ctl = await watch.watch(
      `/api/v1/namespaces/${ns}/pods`,
      { fieldSelector: 'metadata.name=real' },
      (type, obj: k8s.V1Pod) => {
        seen.push({
          type,
          ...(obj.status?.phase ? { phase: obj.status.phase } : {}),
          ...(obj.spec?.nodeName ? { node: obj.spec.nodeName } : {}),
          ...(obj.status?.conditions?.find((c) => c.type === 'Ready')
            ? { ready: obj.status.conditions.find((c) => c.type === 'Ready')!.status }
            : {}),
        });
      },
      (err) => {
        if (!stopping) watchError = err ?? new Error('watch ended early');
      },
    );
    try {
      await core.createNamespacedPod({ namespace: ns, body: pod('real') });
      await until('Running in the watch', async () =>
        seen.some((s) => s.phase === 'Running' && s.ready === 'True') ? true : undefined,
      );
      // kwok finishes the deletion once the grace period is over (no kubelet here).
      await core.deleteNamespacedPod({ name: 'real', namespace: ns, gracePeriodSeconds: 1 });
      await until('DELETED in the watch', async () => (seen.some((s) => s.type === 'DELETED') ? true : undefined));
    } finally {
      stopping = true;
      ctl.abort();
    }
    expect(watchError).toBeUndefined();
    expect(seen[0]).toMatchObject({ type: 'ADDED', phase: 'Pending' });
    expect(seen[0]!.node).toBeUndefined();
    const scheduled = seen.findIndex((s) => s.node !== undefined);
    const running = seen.findIndex((s) => s.phase === 'Running');
    const deleted = seen.findIndex((s) => s.type === 'DELETED');
    expect(scheduled).toBeGreaterThan(0);
    expect(running).toBeGreaterThanOrEqual(scheduled);
    expect(deleted).toBeGreaterThan(running);
    expect(seen.filter((s) => s.type === 'MODIFIED').length).toBeGreaterThanOrEqual(2);
  });
});
