import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubeGetOrNull, kubeRequest } from '../../cluster/http.ts';
import { waitFor } from '../../core/abortable.ts';
import { createLogger } from '../../core/logger.ts';
import { newRunId } from '../../record/run-id.ts';
import { cpuHog, cpuHogFault, cpuQuantityMillis, nodeUtilisation, type CpuHogRollback } from '../../faults/cpu-hog.ts';
import { deletePods, deletePodsFault } from '../../faults/delete-pods.ts';
import type { FaultEnv } from '../../faults/types.ts';
import { twinSandbox, type TwinSandbox } from './twin-harness.ts';

const log = createLogger({ level: process.env.REBUILD_BENCH_DEBUG ? 'debug' : 'warn' });

function envFor(kc: k8s.KubeConfig, runId = newRunId()): FaultEnv {
  return { runId, log, signal: new AbortController().signal, kube: () => kc, cwd: process.cwd() };
}

async function exists(kc: k8s.KubeConfig, path: string): Promise<boolean> {
  return (await kubeGetOrNull(kc, path)) !== null;
}

async function podsOf(kc: k8s.KubeConfig, ns: string, selector: string): Promise<any[]> {
  return (
    await kubeRequest<{ items: any[] }>(
      kc,
      'GET',
      `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`,
    )
  ).body.items;
}

const annotation = async (kc: k8s.KubeConfig, node: string) =>
  (await kubeRequest<any>(kc, 'GET', `/api/v1/nodes/${node}`)).body.metadata.annotations?.[
    'twin.rebuild-bench/cpu-utilisation'
  ] as string | undefined;

describe('cpuHog on the twin (burner pods, utilisation annotation)', () => {
  let tw: TwinSandbox | undefined;
  let kc: k8s.KubeConfig;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rb-cpuhog-'));
    writeFileSync(
      join(dir, 'web.yaml'),
      'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://git.example/x.git\n    path: web\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n  syncPolicy:\n    automated: {}\n    syncOptions: [CreateNamespace=true]\n',
    );
    tw = await twinSandbox({ dir });
    kc = tw.kc;
    // The app's pod is placed before the burner computes what is free on its node.
    expect((await tw.converge(120_000)).converged).toBe(true);
    // The twin publishes every node's utilisation at its first observe.
    await waitFor(
      'twin annotations',
      async () => (await annotation(kc, 'obsy')) !== undefined && (await annotation(kc, 'onyx')) !== undefined,
      { timeoutMs: 30_000, intervalMs: 250 },
    );
  });
  afterAll(async () => tw?.stop());

  it('refuses targets that match no node, before touching anything', async () => {
    const env = envFor(kc);
    await expect(cpuHogFault.prepare(env, { nodes: ['nope'], durationSeconds: 30 })).rejects.toThrow(
      /node\(s\) nope not found \(cluster nodes: obsy, onyx, opale\)/,
    );
    await expect(
      cpuHogFault.prepare(env, { nodeSelector: { 'rebuild-bench/none': 'x' }, durationSeconds: 30 }),
    ).rejects.toThrow(/no node matches nodeSelector rebuild-bench\/none=x/);
    await expect(
      cpuHogFault.prepare(env, { nodes: ['obsy'], nodeSelector: { type: 'other' }, durationSeconds: 30 }),
    ).rejects.toThrow(/obsy not found or not matching nodeSelector type=other/);
    await expect(cpuHogFault.prepare(env, { durationSeconds: 30 })).rejects.toThrow(/give nodes and\/or nodeSelector/);
    expect(await exists(kc, '/api/v1/namespaces/rebuild-bench')).toBe(false);
  });

  it('burns one node, verify reads the twin annotation, revert removes pods and the namespace it created', async () => {
    const env = envFor(kc);
    const f = cpuHog({ nodes: ['obsy'], durationSeconds: 90 });
    expect(f.type.kind).toBe('cpu-hog');
    expect(await exists(kc, '/api/v1/namespaces/rebuild-bench')).toBe(false);
    const rb = await f.type.prepare(env, f.params);
    expect(rb).toEqual({ runId: env.runId, namespace: 'rebuild-bench', namespaceCreated: true, nodes: ['obsy'] });
    // prepare only reads.
    expect(await exists(kc, '/api/v1/namespaces/rebuild-bench')).toBe(false);
    const onObsyBefore = (
      await kubeRequest<{ items: any[] }>(kc, 'GET', '/api/v1/pods?fieldSelector=spec.nodeName%3Dobsy')
    ).body.items;
    const requestedBefore = onObsyBefore
      .filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
      .flatMap((p) => p.spec.containers)
      .reduce((a: number, c: any) => a + cpuQuantityMillis(c.resources?.requests?.cpu), 0);

    const t0 = Date.now();
    await f.type.apply(env, f.params, rb);
    const applyMs = Date.now() - t0;

    const ns = (await kubeRequest<any>(kc, 'GET', '/api/v1/namespaces/rebuild-bench')).body;
    expect(ns.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'rebuild-bench',
      'rebuild-bench/run': env.runId,
    });
    const pods = await podsOf(kc, 'rebuild-bench', `rebuild-bench/cpu-burner=${env.runId}`);
    expect(pods).toHaveLength(1);
    const pod = pods[0];
    expect(pod.metadata.name).toMatch(/^rb-cpu-burner-obsy-/);
    expect(pod.metadata.labels).toMatchObject({
      'rebuild-bench/run': env.runId,
      'rebuild-bench/cpu-burner': env.runId,
    });
    expect(pod.status.phase).toBe('Running');
    expect(pod.spec.nodeName).toBe('obsy');
    expect(pod.spec.nodeSelector).toEqual({ 'kubernetes.io/hostname': 'obsy' });
    expect(pod.spec.restartPolicy).toBe('Never');
    expect(pod.spec.activeDeadlineSeconds).toBe(150);
    expect(pod.spec.tolerations).toContainEqual({
      key: 'node-role.kubernetes.io/control-plane',
      operator: 'Exists',
      effect: 'NoSchedule',
    });
    const c = pod.spec.containers[0];
    expect(c.image).toBe('busybox:1.36');
    expect(c.command).toEqual(['sh', '-c', 'for i in $(seq 1 4); do (while :; do :; done) & done; wait']);
    // Nodes have 4 CPUs: the burn is all of it, the request what was free (the twin's app may run there).
    expect(cpuQuantityMillis(c.resources.limits.cpu)).toBe(4000);
    expect(cpuQuantityMillis(c.resources.requests.cpu)).toBe(Math.min(4000, 4000 - requestedBefore));
    expect(cpuQuantityMillis(c.resources.requests.cpu)).toBeGreaterThan(0);

    const t1 = Date.now();
    const detail = await f.type.verify!(env, f.params);
    const verifyMs = Date.now() - t1;
    expect(detail).toBe('obsy 99.5 % (twin model)');
    const u = await nodeUtilisation(kc, 'obsy');
    expect(u).toEqual({ utilisation: 0.995, source: 'twin' });
    expect(await annotation(kc, 'obsy')).toBe('0.995');
    // Only the target burns.
    const other = await nodeUtilisation(kc, 'onyx');
    expect(other?.source).toBe('twin');
    expect(other!.utilisation).toBeLessThan(0.9);
    console.log(`cpu-hog apply ${applyMs} ms, verify ${verifyMs} ms`);

    await f.type.revert(env, rb);
    expect(await podsOf(kc, 'rebuild-bench', `rebuild-bench/cpu-burner=${env.runId}`)).toEqual([]);
    expect(await exists(kc, '/api/v1/namespaces/rebuild-bench')).toBe(false);
    // The twin publishes the drop too.
    await waitFor('obsy annotation back down', async () => Number(await annotation(kc, 'obsy')) < 0.9, {
      timeoutMs: 15_000,
      intervalMs: 250,
    });

    // A second revert is a no-op.
    const t2 = Date.now();
    await f.type.revert(env, rb);
    expect(Date.now() - t2).toBeLessThan(5000);
    expect(await exists(kc, '/api/v1/namespaces/rebuild-bench')).toBe(false);
  });

  it('reverts from the journaled record alone, even when apply never ran, and keeps a namespace it did not create', async () => {
    // As cleanup would: a fresh env, the rollback record through JSON, no apply.
    const runA = newRunId();
    const rbA = JSON.parse(
      JSON.stringify(await cpuHogFault.prepare(envFor(kc, runA), { nodes: ['onyx'], durationSeconds: 60 })),
    ) as CpuHogRollback;
    expect(rbA.namespaceCreated).toBe(true);
    await cpuHogFault.revert(envFor(kc, newRunId()), rbA);
    expect(await exists(kc, '/api/v1/namespaces/rebuild-bench')).toBe(false);

    // A namespace that existed before is kept; only this run's burners are deleted.
    const ns = `rb-keep-${runA.slice(-4)}`;
    await kubeRequest(kc, 'POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    });
    const runB = newRunId();
    const params = { nodes: ['onyx'], namespace: ns, millicores: 1500, durationSeconds: 60 };
    const rbB = await cpuHogFault.prepare(envFor(kc, runB), params);
    expect(rbB.namespaceCreated).toBe(false);
    await cpuHogFault.apply(envFor(kc, runB), params, rbB);
    const burners = await podsOf(kc, ns, `rebuild-bench/cpu-burner=${runB}`);
    expect(
      burners.map((p) => [
        p.spec.nodeName,
        cpuQuantityMillis(p.spec.containers[0].resources.limits.cpu),
        p.spec.containers[0].command[2],
      ]),
    ).toEqual([['onyx', 1500, 'for i in $(seq 1 2); do (while :; do :; done) & done; wait']]);
    await cpuHogFault.revert(envFor(kc, newRunId()), JSON.parse(JSON.stringify(rbB)) as CpuHogRollback);
    expect(await podsOf(kc, ns, `rebuild-bench/cpu-burner=${runB}`)).toEqual([]);
    const kept = (await kubeRequest<any>(kc, 'GET', `/api/v1/namespaces/${ns}`)).body;
    expect(kept.status.phase).toBe('Active');
  });
});

describe('cpuHog where nothing measures CPU (no twin, no metrics.k8s.io)', () => {
  it('applies, and verify says saturation could not be measured instead of failing', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(inject('sandboxKubeconfig'));
    const env = envFor(kc);
    const params = {
      nodes: ['opale'],
      namespace: `rb-hog-${env.runId.slice(-4)}`,
      millicores: 300,
      durationSeconds: 30,
      verifyTimeoutMs: 20_000,
    };
    const rb = await cpuHogFault.prepare(env, params);
    try {
      await cpuHogFault.apply(env, params, rb);
      expect(await nodeUtilisation(kc, 'opale')).toBeNull();
      expect(await cpuHogFault.verify!(env, params)).toBe(
        'saturation of opale could not be measured: no metrics.k8s.io and no twin.rebuild-bench/cpu-utilisation annotation',
      );
    } finally {
      await cpuHogFault.revert(env, rb);
    }
    expect(await exists(kc, `/api/v1/namespaces/${params.namespace}`)).toBe(false);
  });
});

describe('deletePods against the sandbox (kwok runs the pods)', () => {
  let kc: k8s.KubeConfig;
  const ns = `rb-del-${Date.now().toString(36)}`;

  beforeAll(async () => {
    kc = new k8s.KubeConfig();
    kc.loadFromFile(inject('sandboxKubeconfig'));
    await kubeRequest(kc, 'POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    });
  });
  afterAll(async () => {
    await kubeRequest(kc, 'DELETE', `/api/v1/namespaces/${ns}`).catch(() => undefined);
  });

  it('deletes 2 of 3 replicas at 4/s; the ReplicaSet recreates them and revert waits for readiness', async () => {
    await kubeRequest(kc, 'POST', `/apis/apps/v1/namespaces/${ns}/deployments`, {
      body: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
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
    const ready = async () =>
      (await kubeRequest<any>(kc, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`)).body.status
        ?.readyReplicas ?? 0;
    await waitFor('web ready', async () => (await ready()) === 3, { timeoutMs: 60_000, intervalMs: 250 });
    const before = (await podsOf(kc, ns, 'app=web')).map((p) => p.metadata.name).sort();
    expect(before).toHaveLength(3);

    const env = envFor(kc);
    const f = deletePods({ namespace: ns, selector: 'app=web', max: 2, ratePerSecond: 4 });
    expect(f.type.kind).toBe('delete-pods');
    const rb = await f.type.prepare(env, f.params);
    expect(rb.pods.map((p) => p.name)).toEqual(before.slice(0, 2));
    expect(rb.owners).toHaveLength(1);
    expect(rb.owners[0]).toMatchObject({ kind: 'ReplicaSet', apiVersion: 'apps/v1' });
    expect(rb.owners[0]!.name).toMatch(/^web-/);
    // prepare only reads.
    expect((await podsOf(kc, ns, 'app=web')).filter((p) => !p.metadata.deletionTimestamp)).toHaveLength(3);

    const t0 = Date.now();
    await f.type.apply(env, f.params, rb);
    const applyMs = Date.now() - t0;
    // Two deletions at 4/s are 250 ms apart.
    expect(applyMs).toBeGreaterThanOrEqual(250);
    expect(applyMs).toBeLessThan(5000);

    const t1 = Date.now();
    await f.type.revert(env, JSON.parse(JSON.stringify(rb)));
    const revertMs = Date.now() - t1;
    const after = (await podsOf(kc, ns, 'app=web')).filter((p) => !p.metadata.deletionTimestamp);
    const names = after.map((p) => p.metadata.name);
    expect(names).toHaveLength(3);
    expect(names).toContain(before[2]);
    expect(names).not.toContain(before[0]);
    expect(names).not.toContain(before[1]);
    expect(after.every((p) => p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'))).toBe(
      true,
    );
    expect(await ready()).toBe(3);

    // Idempotent: a second revert returns at once.
    const t2 = Date.now();
    await f.type.revert(env, rb);
    expect(Date.now() - t2).toBeLessThan(3000);
    console.log(`delete-pods apply ${applyMs} ms, revert (recovery) ${revertMs} ms`);
  });

  it('refuses to force-delete more than one pod that mounts a PVC, before deleting anything', async () => {
    for (const name of ['db-0', 'db-1']) {
      await kubeRequest(kc, 'POST', `/api/v1/namespaces/${ns}/pods`, {
        body: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, labels: { app: 'db' } },
          spec: {
            containers: [
              { name: 'db', image: 'postgres:16', volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql' }] },
            ],
            volumes: [{ name: 'data', persistentVolumeClaim: { claimName: `data-${name}` } }],
          },
        },
      });
    }
    const env = envFor(kc);
    for (const p of [{ force: true }, { gracePeriodSeconds: 0 }]) {
      const f = deletePods({ namespace: ns, selector: 'app=db', ...p });
      await expect(f.type.prepare(env, f.params)).rejects.toThrow(
        `delete-pods: refusing to force-delete 2 pods that mount PersistentVolumeClaims: ${ns}/db-0 (pvc data-db-0), ${ns}/db-1 (pvc data-db-1)`,
      );
    }
    const left = (await podsOf(kc, ns, 'app=db'))
      .filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => p.metadata.name);
    expect(left.sort()).toEqual(['db-0', 'db-1']);

    // Graceful deletion of both, or forcing a single one, passes the guard.
    const graceful = await deletePodsFault.prepare(env, { namespace: ns, selector: 'app=db', gracePeriodSeconds: 5 });
    expect(graceful.pods.map((p) => p.name)).toEqual(['db-0', 'db-1']);
    const single = await deletePodsFault.prepare(env, { namespace: ns, selector: 'app=db', force: true, max: 1 });
    expect(single.pods.map((p) => p.name)).toEqual(['db-0']);
    // Bare pods have no controller to wait for.
    expect(single.owners).toEqual([]);
  });
});
